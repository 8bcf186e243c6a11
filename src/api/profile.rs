//! The aliyun CLI's profile file (`~/.aliyun/config.json`).
//!
//! Parsed through `serde_json::Value` and picked apart by hand so that a malformed file
//! yields an error naming the file and position, never one quoting its contents (secrets).

use serde_json::Value;

use super::secret::SecretString;

#[derive(Debug, Clone, Default)]
pub(crate) struct ProfileFile {
    pub current: Option<String>,
    pub profiles: Vec<Profile>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    pub name: String,
    pub mode: String,
    pub access_key_id: Option<String>,
    pub access_key_secret: Option<SecretString>,
    pub sts_token: Option<SecretString>,
    pub region_id: Option<String>,
}

impl ProfileFile {
    /// Parses the file's text; the error reason never contains file contents.
    pub fn parse(text: &str) -> Result<ProfileFile, String> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
        let Value::Object(root) = root else {
            return Err("the top level is not a JSON object".to_owned());
        };
        let profiles = match root.get("profiles") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.iter().filter_map(Profile::from_value).collect(),
            Some(_) => return Err("\"profiles\" is not a list".to_owned()),
        };
        Ok(ProfileFile {
            current: root.get("current").and_then(text_field),
            profiles,
        })
    }

    pub fn find(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    pub fn names(&self) -> String {
        if self.profiles.is_empty() {
            return "none".to_owned();
        }
        self.profiles
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Profile {
    fn from_value(value: &Value) -> Option<Profile> {
        let object = value.as_object()?;
        let field = |key: &str| object.get(key).and_then(text_field);
        Some(Profile {
            name: field("name")?,
            mode: field("mode").unwrap_or_default(),
            access_key_id: field("access_key_id"),
            access_key_secret: field("access_key_secret").map(SecretString::from),
            sts_token: field("sts_token").map(SecretString::from),
            region_id: field("region_id"),
        })
    }
}

/// A non-empty trimmed string; numbers are accepted as text, anything else is absent.
fn text_field(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_cli_layout() {
        let file = ProfileFile::parse(
            r#"{"current":"default","profiles":[
                {"name":"default","mode":"AK","access_key_id":"id1","access_key_secret":"s1","sts_token":"","region_id":"cn-hangzhou"},
                {"name":"sts","mode":"StsToken","access_key_id":"id2","access_key_secret":"s2","sts_token":"t2","region_id":""},
                {"mode":"AK"},
                "junk"
            ],"meta_path":"","extra":{"x":1}}"#,
        )
        .expect("valid file");
        assert_eq!(file.current.as_deref(), Some("default"));
        assert_eq!(file.names(), "default, sts");
        let default = file.find("default").expect("default profile");
        assert_eq!(default.mode, "AK");
        assert_eq!(default.access_key_id.as_deref(), Some("id1"));
        assert_eq!(
            default.access_key_secret.as_ref().map(|s| s.expose()),
            Some("s1")
        );
        assert!(default.sts_token.is_none(), "empty token is absent");
        assert_eq!(default.region_id.as_deref(), Some("cn-hangzhou"));
        let sts = file.find("sts").expect("sts profile");
        assert_eq!(sts.sts_token.as_ref().map(|s| s.expose()), Some("t2"));
        assert!(sts.region_id.is_none());
    }

    #[test]
    fn malformed_files_give_errors_without_contents() {
        for text in [
            "",
            "{",
            "{\"profiles\":[{\"name\":\"a\",\"access_key_secret\":\"TOPSECRET\"",
            "[1,2]",
            "{\"profiles\":\"TOPSECRET\"}",
            "\u{0}\u{1}binary",
        ] {
            let err = ProfileFile::parse(text).expect_err(text);
            assert!(!err.contains("TOPSECRET"), "{err}");
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let file = ProfileFile::parse(
            r#"{"profiles":[{"name":"a","mode":"StsToken","access_key_id":"id","access_key_secret":"SECRETVALUE","sts_token":"TOKENVALUE"}]}"#,
        )
        .expect("valid");
        let debug = format!("{file:?}");
        assert!(
            !debug.contains("SECRETVALUE") && !debug.contains("TOKENVALUE"),
            "{debug}"
        );
    }
}
