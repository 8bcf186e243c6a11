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

/// The compiled `proto/` files (a serialized `FileDescriptorSet`, imports included).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/plugin_descriptors.bin"));

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
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};

    /// One sorted line per message, field, enum value and RPC: the whole wire contract,
    /// in the format of `proto/terraform-1.15.5.wire.txt`.
    fn contract_lines(set: &FileDescriptorSet) -> Vec<String> {
        let mut lines = Vec::new();
        for file in &set.file {
            let package = format!(".{}", file.package());
            if package != ".tfplugin6" && package != ".plugin" {
                continue; // google/protobuf imports
            }
            for message in &file.message_type {
                message_lines(message, &package, &mut lines);
            }
            for kind in &file.enum_type {
                enum_lines(kind, &package, &mut lines);
            }
            for service in &file.service {
                for method in &service.method {
                    let stream = |on: bool| if on { "stream " } else { "" };
                    lines.push(format!(
                        "rpc {package}.{}.{}({}{}) returns ({}{})",
                        service.name(),
                        method.name(),
                        stream(method.client_streaming()),
                        method.input_type(),
                        stream(method.server_streaming()),
                        method.output_type(),
                    ));
                }
            }
        }
        lines.sort();
        lines
    }

    fn message_lines(message: &DescriptorProto, prefix: &str, lines: &mut Vec<String>) {
        let name = format!("{prefix}.{}", message.name());
        lines.push(format!("message {name}"));
        for nested in &message.nested_type {
            message_lines(nested, &name, lines);
        }
        for kind in &message.enum_type {
            enum_lines(kind, &name, lines);
        }
        for field in &message.field {
            let type_name = match field.r#type() {
                Type::Message | Type::Enum => field.type_name().to_string(),
                scalar => scalar
                    .as_str_name()
                    .trim_start_matches("TYPE_")
                    .to_lowercase(),
            };
            let label = if field.label() == Label::Repeated {
                "repeated"
            } else if field.proto3_optional() {
                "optional"
            } else {
                "singular"
            };
            let oneof = match field.oneof_index {
                Some(index) if !field.proto3_optional() => {
                    let index = usize::try_from(index).expect("small index");
                    format!(" oneof={}", message.oneof_decl[index].name())
                }
                _ => String::new(),
            };
            lines.push(format!(
                "field {name}.{} = {} {label} {type_name}{oneof}",
                field.name(),
                field.number()
            ));
        }
    }

    fn enum_lines(kind: &EnumDescriptorProto, prefix: &str, lines: &mut Vec<String>) {
        for value in &kind.value {
            lines.push(format!(
                "enum {prefix}.{}.{} = {}",
                kind.name(),
                value.name(),
                value.number()
            ));
        }
    }

    #[test]
    fn contract_matches_terraform_1_15() {
        let set = FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET).expect("descriptor set");
        let ours = contract_lines(&set);
        let golden: Vec<String> = include_str!("../../proto/terraform-1.15.5.wire.txt")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .map(str::to_string)
            .collect();
        let missing: Vec<_> = golden.iter().filter(|l| !ours.contains(l)).collect();
        let extra: Vec<_> = ours.iter().filter(|l| !golden.contains(l)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing from proto/: {missing:#?}\nnot in Terraform 1.15.5: {extra:#?}"
        );
        assert_eq!(ours.len(), golden.len());
    }

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
