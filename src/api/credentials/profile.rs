//! The aliyun CLI's profile file (`~/.aliyun/config.json`).
//!
//! Parsed through `serde_json::Value` and picked apart by hand so that a malformed file
//! yields an error naming the file and position, never one quoting its contents (secrets).

use serde_json::Value;

use crate::api::secret::SecretString;

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
    // RamRoleArn, ChainableRamRoleArn and OIDC
    pub ram_role_arn: Option<String>,
    pub ram_session_name: Option<String>,
    pub role_session_name: Option<String>,
    /// Text as written; a non-number is reported when the profile is used.
    pub expired_seconds: Option<String>,
    pub policy: Option<String>,
    pub external_id: Option<String>,
    pub sts_region: Option<String>,
    pub enable_vpc: Option<bool>,
    pub source_profile: Option<String>,
    pub oidc_provider_arn: Option<String>,
    pub oidc_token_file: Option<String>,
    // EcsRamRole
    pub ram_role_name: Option<String>,
    // CredentialsURI
    pub credentials_uri: Option<String>,
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
            ram_role_arn: field("ram_role_arn"),
            ram_session_name: field("ram_session_name"),
            role_session_name: field("role_session_name"),
            // The CLI writes 0 for "not set".
            expired_seconds: field("expired_seconds").filter(|s| s != "0"),
            policy: field("policy"),
            external_id: field("external_id"),
            sts_region: field("sts_region"),
            enable_vpc: object.get("enable_vpc").and_then(bool_field),
            source_profile: field("source_profile"),
            oidc_provider_arn: field("oidc_provider_arn"),
            oidc_token_file: field("oidc_token_file"),
            ram_role_name: field("ram_role_name"),
            credentials_uri: field("credentials_uri"),
        })
    }
}

/// `true`/`false`, also as text.
fn bool_field(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().parse::<bool>().ok(),
        _ => None,
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
    fn role_modes_keep_their_fields() {
        let file = ProfileFile::parse(
            r#"{"profiles":[
                {"name":"r","mode":"RamRoleArn","access_key_id":"id","access_key_secret":"s",
                 "ram_role_arn":"acs:ram::1:role/x","ram_session_name":"sess","expired_seconds":900,
                 "sts_region":"cn-hangzhou","enable_vpc":true,"policy":"{}","external_id":"ext"},
                {"name":"c","mode":"ChainableRamRoleArn","source_profile":"r","ram_role_arn":"acs:ram::1:role/y","expired_seconds":0},
                {"name":"o","mode":"OIDC","oidc_provider_arn":"acs:ram::1:oidc-provider/p","oidc_token_file":"/t","role_session_name":"o1"},
                {"name":"e","mode":"EcsRamRole","ram_role_name":"ecs-role","enable_vpc":"false"},
                {"name":"u","mode":"CredentialsURI","credentials_uri":"http://127.0.0.1:1/"}
            ]}"#,
        )
        .expect("valid");
        let r = file.find("r").expect("r");
        assert_eq!(r.ram_role_arn.as_deref(), Some("acs:ram::1:role/x"));
        assert_eq!(r.ram_session_name.as_deref(), Some("sess"));
        assert_eq!(r.expired_seconds.as_deref(), Some("900"));
        assert_eq!(r.enable_vpc, Some(true));
        assert_eq!(r.external_id.as_deref(), Some("ext"));
        let c = file.find("c").expect("c");
        assert_eq!(c.source_profile.as_deref(), Some("r"));
        assert_eq!(c.expired_seconds, None, "0 means unset");
        let o = file.find("o").expect("o");
        assert_eq!(o.oidc_token_file.as_deref(), Some("/t"));
        assert_eq!(o.role_session_name.as_deref(), Some("o1"));
        assert_eq!(file.find("e").and_then(|e| e.enable_vpc), Some(false));
        assert_eq!(
            file.find("u")
                .and_then(|u| u.credentials_uri.clone())
                .as_deref(),
            Some("http://127.0.0.1:1/")
        );
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
