//! Request parameters: decoding query strings and form bodies, RFC 3986 encoding for
//! signatures, and typed access for actions.

use std::collections::BTreeMap;

use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::errors::ApiError;

/// Everything but `A-Z a-z 0-9 - _ . ~` is encoded (RFC 3986 unreserved set).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// RFC 3986 percent-encoding with upper-case hex, as both signature versions use it.
pub fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, RFC3986).to_string()
}

/// Parameters by name, sorted in byte order (which is the signature's order).
pub type ParamMap = BTreeMap<String, String>;

/// Decodes `application/x-www-form-urlencoded` text (a query string or a form body) into
/// `into`. `+` is a space; malformed `%` sequences are kept literally; names or values that
/// are not UTF-8, and names given twice, are rejected.
pub fn decode_urlencoded(raw: &[u8], into: &mut ParamMap) -> Result<(), ApiError> {
    for pair in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode_component(name)
            .ok_or_else(|| ApiError::invalid_parameter("(parameter name)"))?;
        let value = decode_component(value).ok_or_else(|| ApiError::invalid_parameter(&name))?;
        if into.contains_key(&name) {
            return Err(ApiError::duplicate_parameter(&name));
        }
        into.insert(name, value);
    }
    Ok(())
}

fn decode_component(raw: &[u8]) -> Option<String> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_decode(&spaced).collect();
    String::from_utf8(bytes).ok()
}

/// Typed, validated access to an action's parameters, and the API version asked for.
pub struct Params<'a> {
    map: &'a ParamMap,
    version: &'a str,
}

impl<'a> Params<'a> {
    /// Parameters of a call in the guide's version (2018-10-15).
    pub fn new(map: &'a ParamMap) -> Self {
        Params {
            map,
            version: "2018-10-15",
        }
    }

    pub fn with_version(map: &'a ParamMap, version: &'a str) -> Self {
        Params { map, version }
    }

    /// Whether the call asked for API version 2019-09-16 (whose answers carry more fields).
    pub fn is_2019(&self) -> bool {
        self.version == "2019-09-16"
    }

    /// A flattened list `Name.1`, `Name.2`, ... (any order on the wire): the values by
    /// index, ascending. An index that is not a positive number is an `InvalidParameter`.
    pub fn indexed(&self, name: &str) -> Result<Vec<(u32, &'a str)>, ApiError> {
        let prefix = format!("{name}.");
        let mut out = Vec::new();
        for (key, value) in self.map.range(prefix.clone()..) {
            let Some(rest) = key.strip_prefix(&prefix) else {
                break;
            };
            // `Tag.1.Key`: the index is the first segment.
            let index = rest.split('.').next().unwrap_or("");
            let n = index
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ApiError::invalid_parameter(key))?;
            out.push((n, value.as_str()));
        }
        out.sort_by_key(|(n, _)| *n);
        Ok(out)
    }

    /// The raw value of a parameter, empty included (a tag value may be empty).
    pub fn raw(&self, name: &str) -> Option<&'a str> {
        self.map.get(name).map(String::as_str)
    }

    /// A parameter, `None` when absent or empty (the service treats both alike).
    pub fn optional(&self, name: &str) -> Option<&'a str> {
        self.map
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<&'a str, ApiError> {
        self.optional(name)
            .ok_or_else(|| ApiError::missing_parameter(name))
    }

    /// An optional boolean (`true`/`false`, any case).
    pub fn optional_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.optional(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid_parameter(name)),
        }
    }

    /// An optional integer; a value that is not one is an `InvalidParameter`.
    pub fn optional_i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.optional(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::invalid_parameter(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_matches_reference_vectors() {
        assert_eq!(percent_encode(" ~/*-+"), "%20~%2F%2A-%2B");
        assert_eq!(
            percent_encode("123abc!@#$%^&*()-=_+ ~|\\/"),
            "123abc%21%40%23%24%25%5E%26%2A%28%29-%3D_%2B%20~%7C%5C%2F"
        );
        assert_eq!(percent_encode("中"), "%E4%B8%AD");
    }

    #[test]
    fn decodes_plus_percent_and_empty_values() {
        let mut map = ParamMap::new();
        decode_urlencoded(b"A=1+2&B=%2B%3a&C&D=&&E=%zz", &mut map).unwrap();
        assert_eq!(map["A"], "1 2");
        assert_eq!(map["B"], "+:");
        assert_eq!(map["C"], "");
        assert_eq!(map["D"], "");
        assert_eq!(map["E"], "%zz");
    }

    #[test]
    fn rejects_duplicates_and_non_utf8() {
        let mut map = ParamMap::new();
        let err = decode_urlencoded(b"A=1&A=2", &mut map).unwrap_err();
        assert_eq!(err.code, "InvalidParameter");
        let mut map = ParamMap::new();
        let err = decode_urlencoded(b"A=%FF%FE", &mut map).unwrap_err();
        assert_eq!(err.code, "InvalidParameter");
    }

    #[test]
    fn typed_getters_validate() {
        let mut map = ParamMap::new();
        decode_urlencoded(b"B=TRUE&N=12&X=yes&Y=1.5&E=", &mut map).unwrap();
        let p = Params::new(&map);
        assert_eq!(p.optional_bool("B").unwrap(), Some(true));
        assert!(p.optional_bool("X").is_err());
        assert_eq!(p.optional_i64("N").unwrap(), Some(12));
        assert!(p.optional_i64("Y").is_err());
        assert_eq!(p.optional("E"), None);
        assert_eq!(p.required("E").unwrap_err().code, "MissingParameter");
        assert!(!p.is_2019());
    }

    #[test]
    fn indexed_lists_sort_by_number() {
        let mut map = ParamMap::new();
        decode_urlencoded(
            b"ResourceId.10=j&ResourceId.2=b&ResourceId.1=a&Tag.1.Key=k&Tag.1.Value=",
            &mut map,
        )
        .unwrap();
        let p = Params::with_version(&map, "2019-09-16");
        assert!(p.is_2019());
        let ids: Vec<&str> = p
            .indexed("ResourceId")
            .unwrap()
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(ids, ["a", "b", "j"]);
        assert_eq!(p.indexed("Tag").unwrap().len(), 2, "Key and Value of tag 1");
        assert_eq!(p.raw("Tag.1.Value"), Some(""));
        let mut bad = ParamMap::new();
        decode_urlencoded(b"ResourceId.x=1", &mut bad).unwrap();
        assert!(Params::new(&bad).indexed("ResourceId").is_err());
    }

    proptest::proptest! {
        #[test]
        fn decoding_never_panics(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut map = ParamMap::new();
            let _ = decode_urlencoded(&raw, &mut map);
        }

        #[test]
        fn encode_then_decode_round_trips(name in "[A-Za-z]{1,8}", value in "\\PC{0,30}") {
            let raw = format!("{}={}", percent_encode(&name), percent_encode(&value));
            let mut map = ParamMap::new();
            decode_urlencoded(raw.as_bytes(), &mut map).unwrap();
            proptest::prop_assert_eq!(&map[&name], &value);
        }
    }
}
