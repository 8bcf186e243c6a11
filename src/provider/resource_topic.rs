//! Resource `alikafka_topic`.
//!
//! Name, instance, storage and replication are fixed at creation (a change replaces the
//! topic); the remark (ModifyTopicRemark), settings ([`topic_settings`]) and tags
//! ([`tags`]) change in place, and partitions only grow (ModifyPartitionNum). Create,
//! read, update and delete go through the shared [`lifecycle`]: writes, then waits on the
//! instance's shared topic list, which also carries each topic's settings and tags.

use async_trait::async_trait;
use serde::Deserialize;

use super::journal;
use super::kafka::Scope;
use super::lifecycle::{self, Kind, Listed};
use super::lists::TopicsOf;
use super::names::{MAX_PARTITIONS, MIN_PARTITIONS};
use super::support;
use super::tags::{self, map_of};
use super::topic_settings::{self, Settings};
use super::Shared;
use crate::api::{
    topic_resource_id, CreateTopicRequest, DeleteTopicRequest, ModifyPartitionNumRequest,
    ModifyTopicRemarkRequest, ResourceType, TopicInfo,
};
use crate::tfplugin::cty::{AttributePath, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::validators::int_between;
use crate::tfplugin::framework::{
    ApplyError, Context, CreateRequest, DeleteRequest, Plan, PlanRequest, ReadRequest, Resource,
    Timeouts, UpdateRequest,
};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub const TYPE_NAME: &str = "alikafka_topic";
/// Status of a topic in service.
const IN_SERVICE: i64 = 0;
/// Attributes whose change replaces the topic.
const REPLACING: &[&str] = &[
    "instance_id",
    "topic",
    "local_topic",
    "compact_topic",
    "replication_factor",
    "min_insync_replicas",
];

pub struct TopicResource {
    shared: Shared,
}

impl TopicResource {
    pub fn new(shared: Shared) -> TopicResource {
        TopicResource { shared }
    }
}

/// The configured part of a topic, from a plan or a state.
#[derive(Debug, Deserialize)]
pub struct TopicSpec {
    instance_id: String,
    topic: String,
    remark: String,
    /// `None` when left to the service (unknown in the plan).
    partition_num: Option<i64>,
    local_topic: Option<bool>,
    compact_topic: Option<bool>,
    replication_factor: Option<i64>,
    min_insync_replicas: Option<i64>,
}

/// What the service reports of a topic's settings (none when it reports them garbled:
/// the reason is logged, not guessed at).
fn effective(t: &TopicInfo) -> Settings {
    t.config().unwrap_or_else(|reason| {
        tracing::warn!(topic = %t.topic, %reason, "cannot read the topic's TopicConfig");
        Settings::new()
    })
}

/// Topics in the instance's shared topic list.
pub struct Topics;

impl Listed for Topics {
    type Query = TopicsOf;
    type Spec = TopicSpec;

    const KIND: Kind = Kind {
        type_name: TYPE_NAME,
        name_attribute: "topic",
        noun: "topic",
        ready: "in service",
        journal: journal::Kind::Topic,
    };

    /// In service, with every planned setting and tag.
    fn ready(planned: &Value, item: &TopicInfo, scope: &Scope) -> Result<(), String> {
        if item.status != Some(IN_SERVICE) {
            return Err(format!("status {}", shown(item.status)));
        }
        topic_settings::shows(planned.attr("config"), &effective(item))?;
        tags::shows(&scope.tags, planned, &item.tags)
    }

    fn differences(spec: &TopicSpec, t: &TopicInfo) -> Vec<String> {
        let mut out = Vec::new();
        if t.remark != spec.remark {
            out.push(format!("remark is {:?}, not {:?}", t.remark, spec.remark));
        }
        if let Some(wanted) = spec.partition_num {
            if t.partition_num != Some(wanted) {
                out.push(format!(
                    "partition_num is {}, not {wanted}",
                    shown(t.partition_num)
                ));
            }
        }
        let local = t.local_topic.unwrap_or(false);
        if local != spec.local_topic.unwrap_or(false) {
            out.push(format!("local_topic is {local}"));
        }
        let compact = t.compact_topic.unwrap_or(false);
        if compact != spec.compact_topic.unwrap_or(false) {
            out.push(format!("compact_topic is {compact}"));
        }
        out
    }

    /// Identity and timeouts from `base`, the rest from the list.
    fn state_from(base: &Value, t: &TopicInfo, scope: &Scope) -> Value {
        let mut state = base.clone();
        let instance_id = base.attr("instance_id").as_str().unwrap_or(&t.instance_id);
        let region_id = support::listed_region(&t.region_id, &scope.region);
        let id = format!("{instance_id}:{}", t.topic);
        for (name, value) in [
            ("id", Value::from(id)),
            ("topic", Value::from(t.topic.as_str())),
            ("remark", Value::from(t.remark.as_str())),
            ("partition_num", Value::from(t.partition_num)),
            ("local_topic", Value::from(t.local_topic.unwrap_or(false))),
            (
                "compact_topic",
                Value::from(t.compact_topic.unwrap_or(false)),
            ),
            ("region_id", Value::from(region_id)),
            ("status", Value::from(t.status)),
            ("status_name", Value::from(t.status_name.clone())),
            ("create_time", Value::from(t.create_time)),
        ] {
            state.set_attr(name, value);
        }
        let settings = topic_settings::state(base, &effective(t));
        for (name, value) in settings
            .into_iter()
            .chain(tags::state(&scope.tags, base, &t.tags))
        {
            state.set_attr(name, value);
        }
        state
    }
}

fn shown(n: Option<i64>) -> String {
    n.map_or_else(|| "unknown".to_string(), |n| n.to_string())
}

/// The plan-time error for fewer partitions than the topic has.
fn partition_decrease(from: i64, to: i64) -> Diagnostic {
    Diagnostic::error(
        format!(
            "partition_num cannot decrease from {from} to {to}: Kafka cannot remove partitions \
             from a topic"
        ),
        format!(
            "Partitions can only be added (ModifyPartitionNum), because messages are assigned to \
             partitions by key. Keep partition_num at {from} or more; to go back to fewer \
             partitions, create a new topic (under another name) and move producers and \
             consumers to it."
        ),
    )
    .at(AttributePath::attr("partition_num"))
}

#[async_trait]
impl Resource for TopicResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut attributes = support::key_attributes("topic", "topic");
        attributes.extend([
            Attribute::string("topic")
                .required()
                .requires_replace()
                .validator(support::kafka_name)
                .markdown_description(
                    "Name of the topic: 3 to 64 characters, each a letter, a digit, `_` or `-` \
                     (checked at plan time: the service would silently truncate a longer name). \
                     Changing it replaces the topic.",
                ),
            Attribute::string("remark")
                .required()
                .validator(support::required_remark)
                .markdown_description(
                    "What the topic carries: 1 to 64 characters. Changed in place \
                     (`ModifyTopicRemark`).",
                ),
            Attribute::number("partition_num")
                .optional()
                .computed()
                .use_state_for_unknown()
                .validator(int_between(MIN_PARTITIONS, MAX_PARTITIONS))
                .markdown_description(
                    "Number of partitions, 1 to 360; the service's default (12) when unset. Can \
                     be raised in place (`ModifyPartitionNum`); lowering it is an error at plan \
                     time.",
                ),
            Attribute::bool("local_topic")
                .optional()
                .computed()
                .default(false)
                .requires_replace()
                .markdown_description(
                    "Whether the topic uses local storage instead of cloud storage. Defaults to \
                     `false`. Changing it replaces the topic.",
                ),
            Attribute::bool("compact_topic")
                .optional()
                .computed()
                .default(false)
                .requires_replace()
                .markdown_description(
                    "Whether the topic's cleanup policy is log compaction; needs \
                     `local_topic = true`. Defaults to `false`. Changing it replaces the topic.",
                ),
            support::region_id_attribute(),
            Attribute::number("status")
                .computed()
                .use_state_for_unknown()
                .markdown_description(
                    "The topic's status: `0` in service, `1` frozen, `2` paused.",
                ),
            Attribute::string("status_name")
                .computed()
                .use_state_for_unknown()
                .markdown_description("The status as the service words it."),
            Attribute::number("create_time")
                .computed()
                .use_state_for_unknown()
                .markdown_description(
                    "When the topic was created, in milliseconds since the Unix epoch.",
                ),
            Timeouts::attribute_for(&["create", "update", "delete"]),
        ]);
        attributes.extend(topic_settings::attributes());
        attributes.extend(topic_settings::replication_attributes());
        attributes.extend(tags::attributes("topic"));
        Schema::new(attributes).description(Description::markdown(
            "Manages a topic of a Message Queue for Apache Kafka instance.",
        ))
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        let mut diagnostics = topic_settings::validate(config);
        diagnostics.extend(tags::validate(config));
        diagnostics
    }

    async fn modify_plan(
        &self,
        ctx: &Context,
        req: &PlanRequest,
        plan: &mut Plan,
    ) -> Result<(), Diagnostics> {
        if req.is_destroy() {
            return Ok(());
        }
        tags::plan(self.shared.tag_policy().as_ref(), &req.prior_state, plan)?;
        if req.prior_state.is_null() {
            return Ok(());
        }
        topic_settings::plan(ctx, req, plan);
        let (prior, planned) = (&req.prior_state, &plan.planned_state);
        // A replacement is a new topic: any partition count will do.
        if REPLACING.iter().any(|a| prior.attr(a) != planned.attr(a)) {
            return Ok(());
        }
        let count = |v: &Value| v.attr("partition_num").as_i64();
        match (count(prior), count(planned)) {
            (Some(from), Some(to)) if to < from => Err(partition_decrease(from, to).into()),
            _ => Ok(()),
        }
    }

    async fn create(&self, ctx: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        let kafka = self.shared.kafka()?;
        let spec: TopicSpec = ctx.decode(&req.planned_state)?;
        let request = CreateTopicRequest {
            instance_id: spec.instance_id,
            topic: spec.topic,
            remark: spec.remark.clone(),
            partition_num: spec
                .partition_num
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            // Sent only when set: false is the service's default, and the guide's API
            // version does not know these parameters.
            local_topic: spec.local_topic.filter(|b| *b),
            compact_topic: spec.compact_topic.filter(|b| *b),
            config: map_of(req.planned_state.attr("config"))
                .unwrap_or_default()
                .iter()
                .map(|(k, v)| (k.clone(), topic_settings::canonical(k, v)))
                .collect(),
            replication_factor: spec.replication_factor.and_then(|n| u32::try_from(n).ok()),
            min_insync_replicas: spec.min_insync_replicas.and_then(|n| u32::try_from(n).ok()),
            tags: tags::planned_tags(&req.planned_state),
        };
        lifecycle::create::<Topics, _>(ctx, &kafka, &req.planned_state, &request).await
    }

    async fn read(&self, ctx: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        let kafka = self.shared.kafka()?;
        let state = lifecycle::read::<Topics>(ctx, &kafka, req).await?;
        match state {
            Some(state) if support::is_imported(&req.private) => {
                ctx.set_private(Vec::new());
                Ok(Some(topic_settings::adopt(ctx, &kafka, state).await))
            }
            state => Ok(state),
        }
    }

    async fn update(&self, ctx: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        let kafka = self.shared.kafka()?;
        let prior: TopicSpec = ctx.decode(&req.prior_state)?;
        let planned: TopicSpec = ctx.decode(&req.planned_state)?;
        let mut update = lifecycle::Update::<Topics>::new(ctx, &kafka, req)?;
        let (instance_id, topic) = (planned.instance_id.clone(), planned.topic.clone());
        let describe = lifecycle::describe::<Topics>(update.key());

        if planned.remark != prior.remark {
            let request = ModifyTopicRemarkRequest {
                instance_id: instance_id.clone(),
                topic: topic.clone(),
                remark: planned.remark.clone(),
            };
            let remark = Value::from(planned.remark.as_str());
            let failure = format!("Cannot change the remark of {describe}");
            update.write(&request, &failure, "remark", remark).await?;
        }
        match (prior.partition_num, planned.partition_num) {
            (Some(from), Some(to)) if to < from => {
                return Err(update.failed(partition_decrease(from, to)));
            }
            (Some(from), Some(to)) if to > from => {
                let request = ModifyPartitionNumRequest {
                    instance_id,
                    topic,
                    add_partition_num: u32::try_from(to - from).unwrap_or(u32::MAX),
                };
                // ModifyPartitionNum adds partitions: the count tells whether a lost
                // attempt was carried out.
                let progress = |t: Option<&TopicInfo>| match t.and_then(|t| t.partition_num) {
                    Some(n) if n == to => Some(true),
                    Some(n) if n == from => Some(false),
                    _ => None,
                };
                let failure =
                    format!("Cannot raise the partitions of {describe} from {from} to {to}");
                let count = Value::from(to);
                update
                    .write_once(&request, &failure, "partition_num", count, progress)
                    .await?;
            }
            _ => {}
        }
        let (from, to) = (
            req.prior_state.attr("config"),
            req.planned_state.attr("config"),
        );
        if from != to && !to.is_unknown() {
            let retention =
                topic_settings::retention_hours(ctx, &kafka, &planned.instance_id).await;
            topic_settings::apply(&mut update, from, to, retention).await?;
        }
        let (from, to) = (
            req.prior_state.attr("tags_all"),
            req.planned_state.attr("tags_all"),
        );
        if from != to {
            let id = topic_resource_id(&planned.instance_id, &planned.topic);
            tags::apply(&mut update, ResourceType::Topic, id, from, to).await?;
        }
        let scope = kafka.scope();
        let shows = |t: &TopicInfo| {
            let partitions = planned
                .partition_num
                .is_none_or(|n| t.partition_num == Some(n));
            if t.remark != planned.remark || !partitions {
                return Err(format!(
                    "remark {:?} and {} partitions",
                    t.remark,
                    shown(t.partition_num)
                ));
            }
            topic_settings::shows(req.planned_state.attr("config"), &effective(t))?;
            tags::shows(&scope.tags, &req.planned_state, &t.tags)
        };
        let fill = [
            "status",
            "status_name",
            "create_time",
            "region_id",
            "effective_config",
        ];
        update.finish(shows, &fill).await
    }

    async fn delete(&self, ctx: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let spec: TopicSpec = ctx.decode(&req.prior_state)?;
        let request = DeleteTopicRequest {
            instance_id: spec.instance_id,
            topic: spec.topic,
        };
        lifecycle::delete::<Topics, _>(ctx, &*self.shared.kafka()?, &req.prior_state, &request)
            .await
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        support::mark_imported(ctx);
        support::import_named(&self.schema(), id, "topic")
    }
}

#[cfg(test)]
#[path = "resource_topic_test.rs"]
mod tests;
