//! Data source `alikafka_allowed_ips`: the IP allowlist of one instance, one item per
//! address or CIDR block (an entry the service keeps as a comma list gives one item per
//! address, as `alikafka_instance_allowed_ip_attachment` sees them), optionally narrowed
//! to one list type and port range. Reads the shared allowlist the resources read.

use async_trait::async_trait;
use serde::Deserialize;

use super::access::AllowedIpKey;
use super::data_source_common::{instance_id_attribute, read_error, strings};
use super::lists::AllowedIpsOf;
use super::Shared;
use crate::api::{AllowedIpEntry, AllowedListType};
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::validators::one_of;
use crate::tfplugin::framework::{Context, DataSource};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub struct AllowedIpsDataSource {
    shared: Shared,
}

impl AllowedIpsDataSource {
    pub fn new(shared: Shared) -> AllowedIpsDataSource {
        AllowedIpsDataSource { shared }
    }
}

#[derive(Deserialize)]
struct Config {
    instance_id: String,
    allowed_type: Option<String>,
    port_range: Option<String>,
}

fn entry_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("allowed_type", Type::String),
        ("port_range", Type::String),
        ("allowed_ip", Type::String),
        ("description", Type::String),
    ])
}

fn entry_value(instance_id: &str, e: &AllowedIpEntry) -> Value {
    let key = AllowedIpKey {
        list_type: e.list_type,
        port_range: e.port_range.clone(),
        allowed_ip: e.address.clone(),
    };
    Value::object([
        ("id", Value::from(format!("{instance_id}:{}", key.name()))),
        ("allowed_type", Value::from(e.list_type.as_str())),
        ("port_range", Value::from(e.port_range.as_str())),
        ("allowed_ip", Value::from(e.address.as_str())),
        (
            "description",
            Value::from(e.description.clone().unwrap_or_default()),
        ),
    ])
}

fn result(config: &Value, c: &Config, all: &[AllowedIpEntry]) -> Value {
    let list_type = c.allowed_type.as_deref().and_then(AllowedListType::parse);
    let found: Vec<&AllowedIpEntry> = all
        .iter()
        .filter(|e| list_type.is_none_or(|t| e.list_type == t))
        .filter(|e| c.port_range.as_ref().is_none_or(|p| &e.port_range == p))
        .collect();
    let mut out = config.clone();
    out.set_attr(
        "allowed_ips",
        strings(found.iter().map(|e| e.address.clone())),
    );
    out.set_attr(
        "entries",
        Value::List(
            found
                .iter()
                .map(|e| entry_value(&c.instance_id, e))
                .collect(),
        ),
    );
    out
}

#[async_trait]
impl DataSource for AllowedIpsDataSource {
    fn type_name(&self) -> &'static str {
        "alikafka_allowed_ips"
    }

    fn schema(&self) -> Schema {
        let attributes = vec![
            instance_id_attribute("whose allowlist is read"),
            Attribute::string("allowed_type")
                .optional()
                .validator(one_of(&["vpc", "internet"]))
                .markdown_description("Keep only the `vpc` or only the `internet` allowlist."),
            Attribute::string("port_range")
                .optional()
                .validator(one_of(&[
                    "9092/9092",
                    "9093/9093",
                    "9094/9094",
                    "9095/9095",
                ]))
                .markdown_description(
                    "Keep only one port range: `9092/9092`, `9094/9094`, `9095/9095` (VPC) or \
                     `9093/9093` (Internet).",
                ),
            Attribute::new("allowed_ips", Type::list(Type::String))
                .computed()
                .markdown_description(
                    "Every address and CIDR block found, in the service's order.",
                ),
            Attribute::new("entries", Type::list(entry_type()))
                .computed()
                .markdown_description(
                    "The same, with details: `id` (the import ID of an \
                     `alikafka_instance_allowed_ip_attachment`), `allowed_type`, \
                     `port_range`, `allowed_ip` and `description` (of the stored entry \
                     holding the address; empty when none).",
                ),
        ];
        Schema::new(attributes).description(Description::markdown(
            "Reads the IP allowlist of a Message Queue for Apache Kafka instance, per list \
             type and port range.",
        ))
    }

    async fn read(&self, ctx: &Context, config: &Value) -> Result<Value, Diagnostics> {
        let c: Config = ctx.decode(config)?;
        let kafka = self.shared.kafka()?;
        let query = AllowedIpsOf(c.instance_id.clone());
        let all = ctx
            .run(kafka.lists::<AllowedIpsOf>().get(&query))
            .await?
            .map_err(|e| {
                read_error(
                    format!("Cannot read the allowlist of instance {}", c.instance_id),
                    &e,
                    kafka.region(),
                    &["instance_id"],
                )
            })?;
        Ok(result(config, &c, &all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(list_type: AllowedListType, port: &str, address: &str) -> AllowedIpEntry {
        AllowedIpEntry {
            list_type,
            port_range: port.into(),
            address: address.into(),
            description: Some("apps".into()),
        }
    }

    #[test]
    fn entries_filter_by_type_and_port_range() {
        let ds = AllowedIpsDataSource::new(Shared::default());
        let schema = ds.schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        let all = [
            entry(AllowedListType::Vpc, "9092/9092", "10.0.0.0/8"),
            entry(AllowedListType::Vpc, "9094/9094", "10.1.0.0/16"),
            entry(AllowedListType::Internet, "9093/9093", "1.2.3.4"),
        ];
        let config = |t: Value, p: Value| {
            Value::object([
                ("instance_id", Value::from("i-1")),
                ("allowed_type", t),
                ("port_range", p),
                ("allowed_ips", Value::Null),
                ("entries", Value::Null),
            ])
        };
        let everything = config(Value::Null, Value::Null);
        let c: Config = crate::tfplugin::framework::decode(&everything).unwrap();
        let v = result(&everything, &c, &all);
        v.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(v.attr("allowed_ips").as_elements().unwrap().len(), 3);
        let vpc_9094 = config(Value::from("vpc"), Value::from("9094/9094"));
        let c: Config = crate::tfplugin::framework::decode(&vpc_9094).unwrap();
        let v = result(&vpc_9094, &c, &all);
        assert_eq!(
            v.attr("allowed_ips"),
            &Value::List(vec!["10.1.0.0/16".into()])
        );
        let entries = v.attr("entries").as_elements().unwrap();
        assert_eq!(
            entries[0].attr("id"),
            &Value::from("i-1:vpc:9094/9094:10.1.0.0/16")
        );
    }
}
