//! Data source `alikafka_consumer_groups`: the consumer groups of one instance, filtered by
//! consumer ID and by a regular expression. Reads the provider's shared per-instance group
//! list (one GetConsumerList per instance per plan, whatever reads it).

use async_trait::async_trait;

use super::data_source_common::{
    filter_attributes, instance_id_attribute, list_result, read_error, tags_filter_attribute,
    NameFilter,
};
use super::tags::{self, tag_map};
use super::Shared;
use crate::api::ConsumerInfo;
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Context, DataSource};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub struct ConsumerGroupsDataSource {
    shared: Shared,
}

impl ConsumerGroupsDataSource {
    pub fn new(shared: Shared) -> ConsumerGroupsDataSource {
        ConsumerGroupsDataSource { shared }
    }
}

fn group_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("consumer_id", Type::String),
        ("instance_id", Type::String),
        ("remark", Type::String),
        ("region_id", Type::String),
        ("tags", Type::map(Type::String)),
    ])
}

/// One listed group. The service leaves `Remark` out for a group without one; that reads
/// as an empty remark, as on `alikafka_consumer_group`.
fn group_value(filter: &NameFilter, region: &str, g: &ConsumerInfo) -> Value {
    let or = |listed: &str, fallback: &str| {
        Value::from(if listed.is_empty() { fallback } else { listed })
    };
    Value::object([
        ("id", Value::from(filter.id_of(&g.consumer_id))),
        ("consumer_id", Value::from(g.consumer_id.as_str())),
        ("instance_id", or(&g.instance_id, &filter.instance_id)),
        ("remark", Value::from(g.remark.clone().unwrap_or_default())),
        ("region_id", or(&g.region_id, region)),
        ("tags", tags::to_value(&tag_map(&g.tags))),
    ])
}

/// The data source's whole result for the groups the service listed.
fn result(config: &Value, filter: &NameFilter, region: &str, all: &[ConsumerInfo]) -> Value {
    list_result(
        config,
        filter,
        all,
        |g| &g.consumer_id,
        "groups",
        |g| group_value(filter, region, g),
    )
}

#[async_trait]
impl DataSource for ConsumerGroupsDataSource {
    fn type_name(&self) -> &'static str {
        "alikafka_consumer_groups"
    }

    fn schema(&self) -> Schema {
        let mut attributes = vec![instance_id_attribute("whose consumer groups are listed")];
        attributes.extend(filter_attributes(
            "groups",
            "consumer ID",
            "<instance_id>:<consumer_id>",
        ));
        attributes.push(tags_filter_attribute("groups"));
        attributes.push(
            Attribute::new("groups", Type::list(group_type()))
                .computed()
                .markdown_description(
                    "The groups found, in the service's order: `id` \
                     (`<instance_id>:<consumer_id>`, the ID of an `alikafka_consumer_group` \
                     resource), `consumer_id`, `instance_id`, `remark` (empty when the group \
                     has none), `region_id` and `tags`.",
                ),
        );
        Schema::new(attributes).description(Description::markdown(
            "Lists the consumer groups of a Message Queue for Apache Kafka instance, \
             optionally filtered by name.",
        ))
    }

    async fn read(&self, ctx: &Context, config: &Value) -> Result<Value, Diagnostics> {
        let filter = NameFilter::from_config(config)?;
        let kafka = self.shared.kafka()?;
        let all = ctx
            .run(kafka.groups(&filter.instance_id))
            .await?
            .map_err(|e| {
                read_error(
                    format!(
                        "Cannot list the consumer groups of instance {}",
                        filter.instance_id
                    ),
                    &e,
                    kafka.region(),
                    &["instance_id"],
                )
            })?;
        Ok(result(config, &filter, kafka.region(), &all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, remark: Option<&str>) -> ConsumerInfo {
        ConsumerInfo {
            consumer_id: name.into(),
            instance_id: String::new(),
            region_id: "cn-shanghai".into(),
            remark: remark.map(str::to_string),
            ..Default::default()
        }
    }

    fn config(ids: Value, regex: Value) -> Value {
        Value::object([
            ("instance_id", Value::from("i-1")),
            ("name_regex", regex),
            ("ids", ids),
            ("names", Value::Null),
            ("tags", Value::Null),
            ("groups", Value::Null),
        ])
    }

    #[test]
    fn result_filters_and_fits_the_schema() {
        let ds = ConsumerGroupsDataSource::new(Shared::default());
        let schema = ds.schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        let all = [
            group("billing-a", Some("Billing")),
            group("search", None),
            group("billing-b", None),
        ];
        let c = config(Value::Null, Value::from("^billing-"));
        let filter = NameFilter::from_config(&c).unwrap();
        let v = result(&c, &filter, "cn-hangzhou", &all);
        v.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(
            v.attr("ids"),
            &Value::List(vec!["i-1:billing-a".into(), "i-1:billing-b".into()])
        );
        let groups = v.attr("groups").as_elements().unwrap();
        assert_eq!(groups[0].attr("remark"), &Value::from("Billing"));
        assert_eq!(groups[1].attr("remark"), &Value::from(""));
        assert_eq!(groups[0].attr("instance_id"), &Value::from("i-1"));
        assert_eq!(groups[0].attr("region_id"), &Value::from("cn-shanghai"));
    }

    #[test]
    fn ids_filter_by_consumer_id_or_id() {
        let all = [group("billing-a", None), group("search", None)];
        let ids = Value::List(vec!["i-1:search".into()]);
        let c = config(ids.clone(), Value::Null);
        let filter = NameFilter::from_config(&c).unwrap();
        let v = result(&c, &filter, "cn-hangzhou", &all);
        assert_eq!(v.attr("ids"), &ids);
        assert_eq!(v.attr("names"), &Value::List(vec!["search".into()]));
    }
}
