//! Rust types and gRPC stubs generated from `proto/` (see `build.rs`).
//!
//! - [`tfplugin6`]: Terraform plugin protocol 6.10; a provider implements
//!   [`tfplugin6::provider_server::Provider`] (every method defaults to `Unimplemented`).
//! - [`plugin`]: go-plugin's controller, stdio and broker services.

#[allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    unused_variables,
    rustdoc::invalid_html_tags,
    rustdoc::bare_urls
)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

#[allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    unused_variables,
    rustdoc::invalid_html_tags,
    rustdoc::bare_urls
)]
pub mod plugin {
    tonic::include_proto!("plugin");
}

use std::fmt;

// Values cross the wire with their secrets (provider credentials, passwords) inside, so
// Debug shows only sizes: a stray `{:?}` in a log line can never leak them.
impl fmt::Debug for tfplugin6::DynamicValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicValue")
            .field("msgpack_len", &self.msgpack.len())
            .field("json_len", &self.json.len())
            .finish()
    }
}

impl fmt::Debug for tfplugin6::RawState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawState")
            .field("json_len", &self.json.len())
            .field("flatmap_keys", &self.flatmap.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::tfplugin6;
    use prost::Message;

    #[test]
    fn debug_output_hides_value_bytes() {
        let value = tfplugin6::DynamicValue {
            msgpack: b"\x81\xaasecret_key\xa6hunter".to_vec(),
            json: Vec::new(),
        };
        let printed = format!("{value:?}");
        assert!(!printed.contains("hunter"), "{printed}");
        let expected = format!("msgpack_len: {}", value.msgpack.len());
        assert!(printed.contains(&expected), "{printed}");

        let mut raw = tfplugin6::RawState::default();
        raw.flatmap.insert("password".into(), "hunter2".into());
        let printed = format!("{raw:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn wire_numbers_match_terraform() {
        // StopProvider.Response.Error is field 1 with a capitalised name upstream.
        let response = tfplugin6::stop_provider::Response {
            error: "boom".into(),
        };
        assert_eq!(response.encode_to_vec(), b"\x0a\x04boom");

        // ValidateProviderConfig.Response puts diagnostics at 2, not 1.
        let response = tfplugin6::validate_provider_config::Response {
            diagnostics: vec![tfplugin6::Diagnostic {
                severity: tfplugin6::diagnostic::Severity::Error as i32,
                ..Default::default()
            }],
        };
        assert_eq!(response.encode_to_vec(), b"\x12\x02\x08\x01");

        // Schema.Attribute.nested_type is 10, write_only 11.
        let attribute = tfplugin6::schema::Attribute {
            nested_type: Some(tfplugin6::schema::Object::default()),
            write_only: true,
            ..Default::default()
        };
        assert_eq!(attribute.encode_to_vec(), b"\x52\x00\x58\x01");
    }
}
