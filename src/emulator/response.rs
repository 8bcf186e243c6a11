//! Response bodies in JSON or XML from one ordered tree, the way the service shapes them:
//! a list under key `K` is a JSON array and, in XML, repeated `<K>` elements.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::errors::ApiError;

/// Response format, from the `Format` parameter (default XML; V3 requests default to JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// Parses a `Format` value, case-insensitively.
    pub fn parse(value: &str) -> Option<Format> {
        if value.eq_ignore_ascii_case("json") {
            Some(Format::Json)
        } else if value.eq_ignore_ascii_case("xml") {
            Some(Format::Xml)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json;charset=utf-8",
            Format::Xml => "text/xml;charset=utf-8",
        }
    }
}

/// An ordered response tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Str(String),
    Int(i64),
    Bool(bool),
    Obj(Vec<(&'static str, Node)>),
    List(Vec<Node>),
    /// An object whose keys are data (an allowlist entry → its description). In XML each
    /// pair is an `<Entry>` with `<Key>` and `<Value>`, since keys need not be XML names.
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn str(value: impl Into<String>) -> Node {
        Node::Str(value.into())
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Str(s) => serializer.serialize_str(s),
            Node::Int(i) => serializer.serialize_i64(*i),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Obj(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::Map(pairs) => {
                let mut map = serializer.serialize_map(Some(pairs.len()))?;
                for (k, v) in pairs {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

/// Renders `body` (an object) with XML root element `root`.
pub fn render(format: Format, root: &str, body: &Node) -> Vec<u8> {
    match format {
        // Serializing this tree cannot fail: keys are strings and there are no floats.
        Format::Json => serde_json::to_vec(body).unwrap_or_default(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            write_xml_element(&mut out, root, body);
            out.into_bytes()
        }
    }
}

fn write_xml_element(out: &mut String, name: &str, node: &Node) {
    match node {
        Node::List(items) => {
            for item in items {
                write_xml_element(out, name, item);
            }
        }
        _ => {
            out.push('<');
            out.push_str(name);
            out.push('>');
            match node {
                Node::Str(s) => out.push_str(&quick_xml::escape::escape(xml_safe(s).as_ref())),
                Node::Int(i) => out.push_str(&i.to_string()),
                Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Node::Obj(fields) => {
                    for (k, v) in fields {
                        write_xml_element(out, k, v);
                    }
                }
                Node::Map(pairs) => {
                    for (k, v) in pairs {
                        out.push_str("<Entry>");
                        write_xml_element(out, "Key", &Node::str(k.as_str()));
                        write_xml_element(out, "Value", v);
                        out.push_str("</Entry>");
                    }
                }
                Node::List(_) => {}
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
    }
}

/// XML 1.0 cannot carry most control characters, even escaped: replace them.
fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| !c.is_control() || matches!(c, '\t' | '\n' | '\r');
    if text.chars().all(allowed) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(
            text.chars()
                .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

/// A fresh request id: an upper-case UUID.
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

/// The success envelope: RequestId, Message, Code, Success, then the action's fields.
pub fn success_body(request_id: &str, fields: Vec<(&'static str, Node)>) -> Node {
    let mut all = vec![
        ("RequestId", Node::str(request_id)),
        ("Message", Node::str("operation success.")),
        ("Code", Node::Int(200)),
        ("Success", Node::Bool(true)),
    ];
    all.extend(fields);
    Node::Obj(all)
}

/// The error body; XML has no `Recommend` (as the reference shows).
pub fn error_body(format: Format, request_id: &str, host_id: &str, error: &ApiError) -> Node {
    let mut fields = vec![
        ("RequestId", Node::str(request_id)),
        ("HostId", Node::str(host_id)),
        ("Code", Node::str(error.code.as_ref())),
        ("Message", Node::str(error.message.as_str())),
    ];
    if format == Format::Json {
        fields.push((
            "Recommend",
            Node::str(format!(
                "https://api.aliyun.com/troubleshoot?q={}&product=alikafka",
                crate::emulator::params::percent_encode(&error.code)
            )),
        ));
    }
    Node::Obj(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        success_body(
            "R-1",
            vec![(
                "TopicList",
                Node::Obj(vec![(
                    "TopicVO",
                    Node::List(vec![
                        Node::Obj(vec![
                            ("Topic", Node::str("a&b")),
                            ("PartitionNum", Node::Int(12)),
                        ]),
                        Node::Obj(vec![
                            ("Topic", Node::str("c")),
                            ("PartitionNum", Node::Int(6)),
                        ]),
                    ]),
                )]),
            )],
        )
    }

    #[test]
    fn json_keeps_order_and_wrappers() {
        let text = String::from_utf8(render(Format::Json, "X", &sample())).unwrap();
        assert_eq!(
            text,
            r#"{"RequestId":"R-1","Message":"operation success.","Code":200,"Success":true,"TopicList":{"TopicVO":[{"Topic":"a&b","PartitionNum":12},{"Topic":"c","PartitionNum":6}]}}"#
        );
    }

    #[test]
    fn xml_repeats_list_elements_and_escapes() {
        let text =
            String::from_utf8(render(Format::Xml, "GetTopicListResponse", &sample())).unwrap();
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><GetTopicListResponse><RequestId>R-1</RequestId><Message>operation success.</Message><Code>200</Code><Success>true</Success><TopicList><TopicVO><Topic>a&amp;b</Topic><PartitionNum>12</PartitionNum></TopicVO><TopicVO><Topic>c</Topic><PartitionNum>6</PartitionNum></TopicVO></TopicList></GetTopicListResponse>"
        );
    }

    #[test]
    fn xml_replaces_characters_xml_cannot_carry() {
        let node = Node::Obj(vec![("Message", Node::str("a\u{1}b\tc"))]);
        let text = String::from_utf8(render(Format::Xml, "Error", &node)).unwrap();
        assert!(text.contains("<Message>a\u{FFFD}b\tc</Message>"));
    }

    #[test]
    fn request_ids_are_fresh_upper_case_uuids() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a, a.to_uppercase());
    }

    #[test]
    fn error_body_shapes() {
        let e = ApiError::throttled_user();
        let json = String::from_utf8(render(
            Format::Json,
            "Error",
            &error_body(Format::Json, "R", "h", &e),
        ))
        .unwrap();
        assert!(json
            .starts_with(r#"{"RequestId":"R","HostId":"h","Code":"Throttling.User","Message":"#));
        assert!(json.contains("Recommend"));
        let xml = String::from_utf8(render(
            Format::Xml,
            "Error",
            &error_body(Format::Xml, "R", "h", &e),
        ))
        .unwrap();
        assert!(xml.contains(
            "<Error><RequestId>R</RequestId><HostId>h</HostId><Code>Throttling.User</Code>"
        ));
        assert!(!xml.contains("Recommend"));
    }
}
