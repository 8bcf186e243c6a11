//! Data source `alikafka_instances`: the instances of the provider's region, filtered by ID
//! and by a regular expression on the name.

use async_trait::async_trait;
use regex::Regex;
use serde::Deserialize;

use super::data_source_common::{ids_output, name_regex, strings, valid_regex};
use super::diag;
use super::Shared;
use crate::api::InstanceInfo;
use crate::tfplugin::cty::{Type, Value};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{Context, DataSource};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub struct InstancesDataSource {
    shared: Shared,
}

impl InstancesDataSource {
    pub fn new(shared: Shared) -> InstancesDataSource {
        InstancesDataSource { shared }
    }
}

/// The fields of one listed instance, in the order of the schema.
const INSTANCE_FIELDS: &[(&str, Kind)] = &[
    ("id", Kind::String),
    ("name", Kind::String),
    ("region_id", Kind::String),
    ("deploy_type", Kind::Number),
    ("service_status", Kind::Number),
    ("end_point", Kind::String),
    ("ssl_end_point", Kind::String),
    ("sasl_end_point", Kind::String),
    ("vpc_id", Kind::String),
    ("vswitch_id", Kind::String),
    ("create_time", Kind::Number),
    ("expired_time", Kind::Number),
    ("open_source_version", Kind::String),
];

#[derive(Clone, Copy)]
enum Kind {
    String,
    Number,
}

fn instance_type() -> Type {
    Type::object(INSTANCE_FIELDS.iter().map(|(name, kind)| {
        let ty = match kind {
            Kind::String => Type::String,
            Kind::Number => Type::Number,
        };
        (*name, ty)
    }))
}

#[derive(Deserialize)]
struct Filters {
    ids: Option<Vec<String>>,
    name_regex: Option<String>,
}

/// The instances that pass both filters, in the service's order.
fn select<'a>(
    all: &'a [InstanceInfo],
    ids: Option<&[String]>,
    name_regex: Option<&Regex>,
) -> Vec<&'a InstanceInfo> {
    all.iter()
        .filter(|i| ids.is_none_or(|ids| ids.contains(&i.instance_id)))
        .filter(|i| name_regex.is_none_or(|re| re.is_match(&i.name)))
        .collect()
}

fn instance_value(i: &InstanceInfo) -> Value {
    Value::object([
        ("id", Value::from(i.instance_id.as_str())),
        ("name", Value::from(i.name.as_str())),
        ("region_id", Value::from(i.region_id.as_str())),
        ("deploy_type", Value::from(i.deploy_type)),
        ("service_status", Value::from(i.service_status)),
        ("end_point", Value::from(i.end_point.clone())),
        ("ssl_end_point", Value::from(i.ssl_end_point.clone())),
        ("sasl_end_point", Value::from(i.sasl_end_point.clone())),
        ("vpc_id", Value::from(i.vpc_id.clone())),
        ("vswitch_id", Value::from(i.vswitch_id.clone())),
        ("create_time", Value::from(i.create_time)),
        ("expired_time", Value::from(i.expired_time)),
        (
            "open_source_version",
            Value::from(i.open_source_version().map(str::to_string)),
        ),
    ])
}

#[async_trait]
impl DataSource for InstancesDataSource {
    fn type_name(&self) -> &'static str {
        "alikafka_instances"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![
            Attribute::new("ids", Type::list(Type::String))
                .optional()
                .computed()
                .markdown_description(
                    "Keep only the instances with these IDs. When not set, it holds the IDs of \
                     every instance found.",
                ),
            Attribute::string("name_regex")
                .optional()
                .validator(valid_regex)
                .markdown_description(
                    "Keep only the instances whose name matches this regular expression \
                     (unanchored). An invalid expression is an error at plan time.",
                ),
            Attribute::new("names", Type::list(Type::String))
                .computed()
                .markdown_description("Names of the instances found, in the order of `instances`."),
            Attribute::new("instances", Type::list(instance_type()))
                .computed()
                .markdown_description(
                    "The instances found: `id`, `name`, `region_id`, `deploy_type`, \
                     `service_status`, `end_point`, `ssl_end_point`, `sasl_end_point`, `vpc_id`, \
                     `vswitch_id`, `create_time` and `expired_time` (milliseconds since the epoch) and \
                     `open_source_version`.",
                ),
        ])
        .description(Description::markdown(
            "Lists the Message Queue for Apache Kafka instances of the provider's region.",
        ))
    }

    async fn read(&self, ctx: &Context, config: &Value) -> Result<Value, Diagnostics> {
        let filters: Filters = ctx.decode(config)?;
        let regex = name_regex(filters.name_regex.as_deref())?;
        let kafka = self.shared.kafka()?;
        let all = ctx
            .run(kafka.instances())
            .await?
            .map_err(|e| diag::api_errors("Cannot list the alikafka instances", &e))?;
        let found = select(&all, filters.ids.as_deref(), regex.as_ref());
        let ids = ids_output(config, found.iter().map(|i| i.instance_id.clone()));
        Ok(Value::object([
            ("ids", ids),
            ("name_regex", config.attr("name_regex").clone()),
            ("names", strings(found.iter().map(|i| i.name.clone()))),
            (
                "instances",
                Value::List(found.into_iter().map(instance_value).collect()),
            ),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, name: &str) -> InstanceInfo {
        InstanceInfo {
            instance_id: id.into(),
            name: name.into(),
            region_id: "cn-hangzhou".into(),
            deploy_type: Some(5),
            ..Default::default()
        }
    }

    #[test]
    fn filters_combine() {
        let all = vec![
            instance("i-1", "prod-a"),
            instance("i-2", "test-b"),
            instance("i-3", "prod-c"),
        ];
        let re = Regex::new("^prod-").unwrap();
        let ids = |found: Vec<&InstanceInfo>| {
            found
                .iter()
                .map(|i| i.instance_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(select(&all, None, None)), ["i-1", "i-2", "i-3"]);
        assert_eq!(ids(select(&all, None, Some(&re))), ["i-1", "i-3"]);
        let wanted = vec!["i-3".to_string(), "i-2".to_string(), "i-9".to_string()];
        assert_eq!(ids(select(&all, Some(&wanted), None)), ["i-2", "i-3"]);
        assert_eq!(ids(select(&all, Some(&wanted), Some(&re))), ["i-3"]);
        assert!(select(&all, Some(&[]), None).is_empty());
    }

    #[test]
    fn values_fit_the_schema() {
        let ds = InstancesDataSource::new(Shared::default());
        let schema = ds.schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        let v = instance_value(&instance("i-1", "n"));
        v.conforms_to(&instance_type()).unwrap();
        assert_eq!(v.attr("deploy_type"), &Value::from(5));
        assert!(v.attr("vpc_id").is_null());
    }
}
