//! Resource `alikafka_topic`.
//!
//! Name, instance and storage settings are fixed at creation (a change replaces the topic);
//! the remark changes in place (ModifyTopicRemark) and partitions only grow
//! (ModifyPartitionNum). Create, update and delete wait until the shared topic list of the
//! instance shows the result.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::time::Instant;

use super::diag;
use super::journal::Kind;
use super::kafka::{Check, Kafka};
use super::names::{MAX_PARTITIONS, MIN_PARTITIONS};
use super::support::{self, WaitContext, DEFAULT_TIMEOUT};
use super::Shared;
use crate::api::{
    ApiError, CreateTopicRequest, DeleteTopicRequest, ModifyPartitionNumRequest,
    ModifyTopicRemarkRequest, TopicInfo,
};
use crate::tfplugin::cty::{AttributePath, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::validators::int_between;
use crate::tfplugin::framework::{
    cancelled, ApplyError, Context, CreateRequest, DeleteRequest, Plan, PlanRequest, ReadRequest,
    Resource, Timeouts, UpdateRequest,
};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub const TYPE_NAME: &str = "alikafka_topic";
/// Status of a topic in service.
const IN_SERVICE: i64 = 0;
/// Attributes whose change replaces the topic.
const REPLACING: &[&str] = &["instance_id", "topic", "local_topic", "compact_topic"];

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
struct TopicSpec {
    instance_id: String,
    topic: String,
    remark: String,
    /// `None` when left to the service (unknown in the plan).
    partition_num: Option<i64>,
    local_topic: Option<bool>,
    compact_topic: Option<bool>,
}

impl TopicSpec {
    fn describe(&self) -> String {
        format!("topic {} on instance {}", self.topic, self.instance_id)
    }

    fn import_hint(&self) -> String {
        let id = format!("{}:{}", self.instance_id, self.topic);
        format!(
            "To manage the existing topic with Terraform, import it: `terraform import \
             {TYPE_NAME}.<name> {id}` (with <name> the resource's name in your configuration), \
             or, with Terraform 1.5 or later, add `import {{ to = {TYPE_NAME}.<name>, id = \
             \"{id}\" }}`. Otherwise choose another topic name."
        )
    }

    /// How an existing topic differs from this spec (empty when it matches).
    fn differences(&self, t: &TopicInfo) -> Vec<String> {
        let mut out = Vec::new();
        if t.remark != self.remark {
            out.push(format!("remark is {:?}, not {:?}", t.remark, self.remark));
        }
        if let Some(wanted) = self.partition_num {
            if t.partition_num != Some(wanted) {
                out.push(format!(
                    "partition_num is {}, not {wanted}",
                    shown(t.partition_num)
                ));
            }
        }
        let local = t.local_topic.unwrap_or(false);
        if local != self.local_topic.unwrap_or(false) {
            out.push(format!("local_topic is {local}"));
        }
        let compact = t.compact_topic.unwrap_or(false);
        if compact != self.compact_topic.unwrap_or(false) {
            out.push(format!("compact_topic is {compact}"));
        }
        out
    }
}

fn shown(n: Option<i64>) -> String {
    n.map_or_else(|| "unknown".to_string(), |n| n.to_string())
}

fn find<'a>(topics: &'a [TopicInfo], name: &str) -> Option<&'a TopicInfo> {
    topics.iter().find(|t| t.topic == name)
}

/// The state of a listed topic: identity and timeouts from `base`, the rest from the list.
fn state_from(base: &Value, t: &TopicInfo, region: &str) -> Value {
    let mut state = base.clone();
    let instance_id = base.attr("instance_id").as_str().unwrap_or(&t.instance_id);
    let region_id = if t.region_id.is_empty() {
        region
    } else {
        &t.region_id
    };
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
    state
}

/// A created topic whose wait did not finish: what is known, so Terraform keeps track of
/// it (as tainted) instead of forgetting a topic that exists.
fn unconfirmed_state(planned: &Value, spec: &TopicSpec, region: &str) -> Value {
    let mut state = support::known_or_null(planned);
    state.set_attr(
        "id",
        Value::from(format!("{}:{}", spec.instance_id, spec.topic)),
    );
    state.set_attr("region_id", Value::from(region));
    state
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

fn timeout_of(value: &Value, pick: fn(&Timeouts) -> Duration) -> Result<Duration, Diagnostics> {
    Timeouts::from_resource(value, DEFAULT_TIMEOUT).map(|t| pick(&t))
}

#[async_trait]
impl Resource for TopicResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .markdown_description("`<instance_id>:<topic>`, the ID used to import the topic."),
            Attribute::string("instance_id")
                .required()
                .requires_replace()
                .validator(support::non_empty)
                .markdown_description(
                    "ID of the instance that holds the topic, such as \
                     `alikafka_post-cn-v0h1fgs2xxxx`. Changing it replaces the topic.",
                ),
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
            Attribute::string("region_id")
                .computed()
                .use_state_for_unknown()
                .markdown_description("Region of the instance, such as `cn-hangzhou`."),
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
        ])
        .description(Description::markdown(
            "Manages a topic of a Message Queue for Apache Kafka instance.",
        ))
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        let compact = config.attr("compact_topic").as_bool() == Some(true);
        let local = config.attr("local_topic");
        let not_local = local.is_null() || local.as_bool() == Some(false);
        if compact && not_local {
            return Diagnostic::error(
                "compact_topic needs local_topic",
                "The service offers log compaction only for topics on local storage: set \
                 local_topic = true as well, or leave compact_topic unset.",
            )
            .at(AttributePath::attr("compact_topic"))
            .into();
        }
        Diagnostics::new()
    }

    async fn modify_plan(
        &self,
        _ctx: &Context,
        req: &PlanRequest,
        plan: &mut Plan,
    ) -> Result<(), Diagnostics> {
        if req.is_destroy() || req.prior_state.is_null() {
            return Ok(());
        }
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
        let journal = kafka.journal();
        let leftover = journal.begin(Kind::Topic, &spec.instance_id, &spec.topic);
        let created = self.create_topic(ctx, &kafka, req, &spec, leftover).await;
        journal.finish(Kind::Topic, &spec.instance_id, &spec.topic);
        created
    }

    async fn read(&self, ctx: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        let kafka = self.shared.kafka()?;
        let state = &req.current_state;
        let (Some(instance_id), Some(topic)) = (
            state.attr("instance_id").as_str(),
            state.attr("topic").as_str(),
        ) else {
            return Err(Diagnostics::error(
                "Invalid state",
                "The topic's state has no instance_id or topic; import it again.",
            ));
        };
        let unconfirmed = support::is_unconfirmed(&req.private);
        match ctx.run(kafka.topics(instance_id)).await? {
            Ok(topics) => match find(&topics, topic) {
                Some(t) => {
                    if unconfirmed {
                        ctx.set_private(Vec::new());
                    }
                    Ok(Some(state_from(state, t, kafka.region())))
                }
                None if unconfirmed => {
                    tracing::info!(
                        topic,
                        instance_id,
                        "topic created but not listed yet; keeping it in the state"
                    );
                    Ok(Some(state.clone()))
                }
                None => {
                    tracing::info!(
                        topic,
                        instance_id,
                        "topic no longer exists; removing it from the state"
                    );
                    Ok(None)
                }
            },
            Err(e) if e.is_not_found() => {
                tracing::info!(topic, instance_id, code = %e.code, "instance no longer exists; removing the topic from the state");
                Ok(None)
            }
            Err(e) => Err(diag::api_errors(
                format!("Cannot read topic {topic} on instance {instance_id}"),
                &e,
            )),
        }
    }

    async fn update(&self, ctx: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        let kafka = self.shared.kafka()?;
        let prior: TopicSpec = ctx.decode(&req.prior_state)?;
        let planned: TopicSpec = ctx.decode(&req.planned_state)?;
        let limit = timeout_of(&req.planned_state, |t| t.update)?;
        let deadline = Instant::now() + limit;
        let target = &planned.instance_id;
        // What is true remotely so far, returned with an error after a partial update.
        let mut reached = req.prior_state.clone();
        let mut written_at = None;

        if planned.remark != prior.remark {
            let request = ModifyTopicRemarkRequest {
                instance_id: target.clone(),
                topic: planned.topic.clone(),
                remark: planned.remark.clone(),
            };
            let result = kafka
                .client()
                .call_stoppable(&request, Some(deadline), ctx.cancellation_token())
                .await;
            kafka.topics_written(target);
            if result.as_ref().is_err_and(support::stopped) {
                return Err(cancelled().into());
            }
            result.map_err(|e| {
                diag::api_errors(
                    format!("Cannot change the remark of {}", planned.describe()),
                    &e,
                )
            })?;
            written_at = Some(Instant::now());
            reached.set_attr("remark", Value::from(planned.remark.as_str()));
        }

        match (prior.partition_num, planned.partition_num) {
            (Some(from), Some(to)) if to < from => {
                return Err(
                    ApplyError::from(Diagnostics::from(partition_decrease(from, to)))
                        .with_state(reached),
                );
            }
            (Some(from), Some(to)) if to > from => {
                let raised = raise_partitions(ctx, &kafka, &planned, from, to, deadline).await;
                kafka.topics_written(target);
                if let Err(d) = raised {
                    return Err(ApplyError::from(d).with_state(reached));
                }
                written_at = Some(Instant::now());
                // Done remotely: a failed wait below must not leave the old count in state.
                reached.set_attr("partition_num", Value::from(to));
            }
            _ => {}
        }

        let Some(written_at) = written_at else {
            // Only timeouts changed: nothing to tell the service.
            return Ok(support::known_or_null(&req.planned_state));
        };
        let context = WaitContext {
            what: &format!("the change of {} to show", planned.describe()),
            operation: "update",
            limit,
            failure_summary: &format!("Cannot confirm the change of {}", planned.describe()),
        };
        let wanted_partitions = planned.partition_num;
        let check = |list: Result<&[TopicInfo], &ApiError>| match list {
            Err(e) => Check::Failed(e.clone()),
            Ok(topics) => match find(topics, &planned.topic) {
                None => Check::Failed(ApiError::new(
                    "GetTopicList",
                    None,
                    "BIZ_TOPIC_NOT_FOUND",
                    format!("the topic {} is no longer listed", planned.topic),
                )),
                Some(t)
                    if t.remark == planned.remark
                        && wanted_partitions.is_none_or(|n| t.partition_num == Some(n)) =>
                {
                    Check::Done(t.clone())
                }
                Some(t) => Check::Pending(format!(
                    "remark {:?} and {} partitions",
                    t.remark,
                    shown(t.partition_num)
                )),
            },
        };
        match kafka
            .wait_for_topics(ctx, target, written_at, deadline, check)
            .await
        {
            Ok(t) => {
                // Status and the like were planned from the prior state; keep them (the next
                // refresh reads them) so that the result matches the plan.
                let mut state = support::known_or_null(&req.planned_state);
                let listed = state_from(&req.planned_state, &t, kafka.region());
                for name in ["remark", "partition_num"] {
                    state.set_attr(name, listed.attr(name).clone());
                }
                for name in ["status", "status_name", "create_time", "region_id"] {
                    if state.attr(name).is_null() {
                        state.set_attr(name, listed.attr(name).clone());
                    }
                }
                Ok(state)
            }
            Err(error) => {
                let mut state = support::known_or_null(&req.planned_state);
                state.set_attr("partition_num", reached.attr("partition_num").clone());
                state.set_attr("remark", reached.attr("remark").clone());
                Err(ApplyError::from(support::wait_error(error, &context)).with_state(state))
            }
        }
    }

    async fn delete(&self, ctx: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let kafka = self.shared.kafka()?;
        let spec: TopicSpec = ctx.decode(&req.prior_state)?;
        let limit = timeout_of(&req.prior_state, |t| t.delete)?;
        let deadline = Instant::now() + limit;
        let request = DeleteTopicRequest {
            instance_id: spec.instance_id.clone(),
            topic: spec.topic.clone(),
        };
        let result = kafka
            .client()
            .call_stoppable(&request, Some(deadline), ctx.cancellation_token())
            .await;
        let written_at = Instant::now();
        kafka.topics_written(&spec.instance_id);
        match result {
            Ok(_) => {}
            Err(e) if support::stopped(&e) => return Err(cancelled()),
            // Gone already (or its instance is): still wait until no longer listed.
            Err(e) if e.is_not_found() => {
                tracing::debug!(topic = %spec.topic, code = %e.code, "topic already gone");
            }
            // An attempt may have deleted it (its answer was lost): look before failing.
            Err(e) if e.outcome_uncertain && topic_gone(ctx, &kafka, &spec, deadline).await => {
                tracing::info!(topic = %spec.topic, code = %e.code, "DeleteTopic answer lost, but the topic is gone");
            }
            Err(e) => {
                return Err(diag::api_errors(
                    format!("Cannot delete {}", spec.describe()),
                    &e,
                ))
            }
        }
        let context = WaitContext {
            what: &format!("{} to be gone", spec.describe()),
            operation: "delete",
            limit,
            failure_summary: &format!("Cannot confirm the deletion of {}", spec.describe()),
        };
        let check = |list: Result<&[TopicInfo], &ApiError>| match list {
            Err(e) if e.is_not_found() => Check::Done(()),
            Err(e) => Check::Failed(e.clone()),
            Ok(topics) if find(topics, &spec.topic).is_some() => {
                Check::Pending("the topic still listed".to_string())
            }
            Ok(_) => Check::Done(()),
        };
        let waited = kafka
            .wait_for_topics(ctx, &spec.instance_id, written_at, deadline, check)
            .await;
        support::deletion_confirmed(ctx, waited, &context)
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let id = support::parse_import_id(id, "topic")?;
        Ok(support::object_with(
            &self.schema(),
            &[
                ("id", Value::from(id.to_string())),
                ("instance_id", Value::from(id.instance_id.as_str())),
                ("topic", Value::from(id.name.as_str())),
            ],
        ))
    }
}

impl TopicResource {
    /// Creates the topic; `leftover`: an earlier, dead provider process may have sent this
    /// very CreateTopic (see [`Journal`](super::journal::Journal)).
    async fn create_topic(
        &self,
        ctx: &Context,
        kafka: &Kafka,
        req: &CreateRequest,
        spec: &TopicSpec,
        leftover: bool,
    ) -> Result<Value, ApplyError> {
        let limit = timeout_of(&req.planned_state, |t| t.create)?;
        let deadline = Instant::now() + limit;
        let request = CreateTopicRequest {
            instance_id: spec.instance_id.clone(),
            topic: spec.topic.clone(),
            remark: spec.remark.clone(),
            partition_num: spec
                .partition_num
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            // Sent only when set: false is the service's default, and the guide's API
            // version does not know these parameters.
            local_topic: spec.local_topic.filter(|b| *b),
            compact_topic: spec.compact_topic.filter(|b| *b),
            ..Default::default()
        };
        tracing::debug!(topic = %spec.topic, instance = %spec.instance_id, "creating topic");
        // Stoppable only while no request is on the wire: an abandoned CreateTopic could
        // create a topic that the state never hears of.
        let sent = kafka
            .client()
            .call_stoppable(&request, Some(deadline), ctx.cancellation_token())
            .await;
        let written_at = Instant::now();
        kafka.topics_written(&spec.instance_id);
        let region = kafka.region().to_string();
        let unconfirmed = |diagnostics: Diagnostics| {
            support::mark_unconfirmed(ctx);
            ApplyError::from(diagnostics).with_state(unconfirmed_state(
                &req.planned_state,
                spec,
                &region,
            ))
        };

        match sent {
            Ok(_) => {}
            // Stopped with an earlier attempt unanswered: keep track of what may exist.
            Err(error) if support::stopped(&error) && error.outcome_uncertain => {
                return Err(unconfirmed(cancelled()))
            }
            Err(error) if support::stopped(&error) => return Err(cancelled().into()),
            Err(mut error) => {
                if leftover && error.is_already_exists() {
                    tracing::info!(topic = %spec.topic, "an earlier provider process sent this CreateTopic and died");
                    error.outcome_uncertain = true;
                }
                return self
                    .after_failed_create(ctx, kafka, &req.planned_state, spec, error, deadline)
                    .await;
            }
        }
        let context = WaitContext {
            what: &format!("{} to be in service", spec.describe()),
            operation: "create",
            limit,
            failure_summary: &format!("Cannot confirm the creation of {}", spec.describe()),
        };
        match wait_in_service(ctx, kafka, spec, written_at, deadline).await {
            Ok(topic) => Ok(state_from(&req.planned_state, &topic, &region)),
            Err(error) => Err(unconfirmed(support::wait_error(error, &context))),
        }
    }

    /// CreateTopic failed. If an earlier attempt of it may have been carried out (its
    /// answer was lost), the topic may be ours: adopt it when it matches the plan.
    async fn after_failed_create(
        &self,
        ctx: &Context,
        kafka: &Kafka,
        planned: &Value,
        spec: &TopicSpec,
        error: ApiError,
        deadline: Instant,
    ) -> Result<Value, ApplyError> {
        let region = kafka.region().to_string();
        let since = Instant::now();
        let create_error = || {
            ApplyError::from(diag::api_errors(
                format!("Cannot create {}", spec.describe()),
                &error,
            ))
        };
        if error.is_already_exists() && !error.outcome_uncertain {
            return Err(Diagnostics::error(
                format!(
                    "Topic {} already exists on instance {}",
                    spec.topic, spec.instance_id
                ),
                format!(
                    "CreateTopic answered {} (RequestId: {}): a topic of this name exists, and \
                     it was not created by this apply. {}",
                    error.code,
                    error.request_id.as_deref().unwrap_or("-"),
                    spec.import_hint()
                ),
            )
            .into());
        }
        if !error.outcome_uncertain {
            return Err(create_error());
        }
        // An attempt may have created it: look (fresh) before giving up. When the service
        // says it exists, wait for it to show; otherwise one fresh look is enough.
        tracing::info!(topic = %spec.topic, code = %error.code, "CreateTopic outcome uncertain; checking the topic list");
        let exists = error.is_already_exists();
        let check = |list: Result<&[TopicInfo], &ApiError>| match list {
            Err(e) => Check::Failed(e.clone()),
            Ok(topics) => match find(topics, &spec.topic) {
                Some(t) if t.status == Some(IN_SERVICE) => Check::Done(Some(t.clone())),
                Some(t) => Check::Pending(format!("status {}", shown(t.status))),
                None if exists => Check::Pending("the topic not listed yet".to_string()),
                None => Check::Done(None),
            },
        };
        let found = match kafka
            .wait_for_topics(ctx, &spec.instance_id, since, deadline, check)
            .await
        {
            Ok(found) => found,
            Err(_) => return Err(create_error()),
        };
        let Some(topic) = found else {
            return Err(create_error());
        };
        let differences = spec.differences(&topic);
        if !differences.is_empty() {
            return Err(Diagnostics::error(
                format!(
                    "Topic {} already exists on instance {}",
                    spec.topic, spec.instance_id
                ),
                format!(
                    "An attempt of CreateTopic got no answer, and the topic now listed differs \
                     from the configuration ({}), so it may not be the one this apply created. \
                     {}",
                    differences.join("; "),
                    spec.import_hint()
                ),
            )
            .into());
        }
        tracing::info!(topic = %spec.topic, "adopting the topic an unanswered CreateTopic attempt created");
        Ok(state_from(planned, &topic, &region))
    }
}

/// Raises the partitions of `spec`'s topic from `from` to `to`. ModifyPartitionNum adds
/// partitions, so it is never repeated blindly: when an attempt may have been carried out
/// (its answer was lost), the current count decides whether it was, or whether to send it
/// again.
async fn raise_partitions(
    ctx: &Context,
    kafka: &Kafka,
    spec: &TopicSpec,
    from: i64,
    to: i64,
    deadline: Instant,
) -> Result<(), Diagnostics> {
    let request = ModifyPartitionNumRequest {
        instance_id: spec.instance_id.clone(),
        topic: spec.topic.clone(),
        add_partition_num: u32::try_from(to - from).unwrap_or(u32::MAX),
    };
    let failed = |e: &ApiError| {
        diag::api_errors(
            format!(
                "Cannot raise the partitions of {} from {from} to {to}",
                spec.describe()
            ),
            e,
        )
    };
    let mut resent = 0;
    loop {
        let sent = kafka
            .client()
            .call_stoppable(&request, Some(deadline), ctx.cancellation_token())
            .await;
        kafka.topics_written(&spec.instance_id);
        let error = match sent {
            Ok(_) => return Ok(()),
            Err(e) if support::stopped(&e) => return Err(cancelled()),
            Err(e) if e.outcome_uncertain => e,
            Err(e) => return Err(failed(&e)),
        };
        tracing::info!(topic = %spec.topic, code = %error.code, "ModifyPartitionNum outcome uncertain; checking the partition count");
        let check = |list: Result<&[TopicInfo], &ApiError>| match list {
            Err(e) => Check::Failed(e.clone()),
            Ok(topics) => Check::Done(find(topics, &spec.topic).and_then(|t| t.partition_num)),
        };
        let now = kafka
            .wait_for_topics(ctx, &spec.instance_id, Instant::now(), deadline, check)
            .await;
        match now {
            Ok(Some(n)) if n == to => return Ok(()),
            Ok(Some(n)) if n == from && resent < kafka.client().config().max_retries => {
                resent += 1;
            }
            _ => return Err(failed(&error)),
        }
    }
}

/// One fresh look: is the topic no longer listed? (`false` when the list cannot be had.)
async fn topic_gone(ctx: &Context, kafka: &Kafka, spec: &TopicSpec, deadline: Instant) -> bool {
    let check = |list: Result<&[TopicInfo], &ApiError>| match list {
        Ok(topics) => Check::Done(find(topics, &spec.topic).is_none()),
        Err(e) => Check::Failed(e.clone()),
    };
    kafka
        .wait_for_topics(ctx, &spec.instance_id, Instant::now(), deadline, check)
        .await
        .unwrap_or(false)
}

/// Waits until the topic is listed and in service.
async fn wait_in_service(
    ctx: &Context,
    kafka: &Kafka,
    spec: &TopicSpec,
    since: Instant,
    deadline: Instant,
) -> Result<TopicInfo, super::kafka::WaitError> {
    let check = |list: Result<&[TopicInfo], &ApiError>| match list {
        Err(e) => Check::Failed(e.clone()),
        Ok(topics) => match find(topics, &spec.topic) {
            Some(t) if t.status == Some(IN_SERVICE) => Check::Done(t.clone()),
            Some(t) => Check::Pending(format!("status {}", shown(t.status))),
            None => Check::Pending("the topic not listed yet".to_string()),
        },
    };
    kafka
        .wait_for_topics(ctx, &spec.instance_id, since, deadline, check)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::framework::plan::{check_plan, plan_resource, replacement_paths};

    fn resource() -> TopicResource {
        TopicResource::new(Shared::default())
    }

    fn state(partitions: i64, topic: &str) -> Value {
        support::object_with(
            &resource().schema(),
            &[
                ("id", Value::from(format!("i-1:{topic}"))),
                ("instance_id", Value::from("i-1")),
                ("topic", Value::from(topic)),
                ("remark", Value::from("r")),
                ("partition_num", Value::from(partitions)),
                ("local_topic", Value::from(false)),
                ("compact_topic", Value::from(false)),
                ("region_id", Value::from("cn-hangzhou")),
                ("status", Value::from(0)),
                ("status_name", Value::from("服务中")),
                ("create_time", Value::from(1_700_000_000_000i64)),
            ],
        )
    }

    fn config(partitions: Option<i64>, topic: &str, remark: &str) -> Value {
        support::object_with(
            &resource().schema(),
            &[
                ("instance_id", Value::from("i-1")),
                ("topic", Value::from(topic)),
                ("remark", Value::from(remark)),
                ("partition_num", Value::from(partitions)),
            ],
        )
    }

    /// Terraform's proposal: config values, prior values for unset computed attributes.
    fn proposed(prior: &Value, config: &Value) -> Value {
        let mut p = config.clone();
        for name in [
            "id",
            "partition_num",
            "local_topic",
            "compact_topic",
            "region_id",
            "status",
            "status_name",
            "create_time",
        ] {
            if config.attr(name).is_null() {
                p.set_attr(name, prior.attr(name).clone());
            }
        }
        p
    }

    async fn plan_for(prior: Value, config: Value) -> Result<Plan, Diagnostics> {
        let r = resource();
        let schema = r.schema();
        let req = PlanRequest {
            proposed_new_state: proposed(&prior, &config),
            prior_state: prior,
            config,
            prior_private: Vec::new(),
        };
        let mut plan = plan_resource(&schema, &req);
        r.modify_plan(&Context::detached(), &req, &mut plan).await?;
        check_plan(&schema, &req.prior_state, &req.config, &plan.planned_state).into_result()?;
        Ok(plan)
    }

    #[tokio::test]
    async fn a_partition_decrease_is_refused_with_the_exact_message() {
        let err = plan_for(state(8, "orders"), config(Some(4), "orders", "r"))
            .await
            .unwrap_err();
        let d = err.iter().next().expect("one error");
        assert_eq!(
            d.summary,
            "partition_num cannot decrease from 8 to 4: Kafka cannot remove partitions from a topic"
        );
        assert!(!d.detail.is_empty());
        assert_eq!(d.attribute, Some(AttributePath::attr("partition_num")));
    }

    #[tokio::test]
    async fn a_replaced_topic_may_have_fewer_partitions() {
        let plan = plan_for(state(8, "orders"), config(Some(4), "orders-v2", "r"))
            .await
            .expect("replacement plan");
        let schema = resource().schema();
        let replace = replacement_paths(&schema, &state(8, "orders"), &plan.planned_state);
        assert_eq!(replace, vec![AttributePath::attr("topic")]);
    }

    #[tokio::test]
    async fn a_remark_change_keeps_computed_values_from_state() {
        let plan = plan_for(state(12, "orders"), config(None, "orders", "new"))
            .await
            .expect("update plan");
        let p = &plan.planned_state;
        assert_eq!(p.attr("remark"), &Value::from("new"));
        for name in [
            "id",
            "partition_num",
            "region_id",
            "status",
            "status_name",
            "create_time",
        ] {
            assert_eq!(p.attr(name), state(12, "orders").attr(name), "{name}");
        }
        assert!(replacement_paths(&resource().schema(), &state(12, "orders"), p).is_empty());
        // Growing partitions is allowed.
        assert!(plan_for(state(8, "orders"), config(Some(9), "orders", "r"))
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn a_new_topic_has_defaults_and_unknown_computed_values() {
        let plan = plan_for(Value::Null, config(None, "orders", "r"))
            .await
            .expect("create plan");
        let p = &plan.planned_state;
        assert_eq!(p.attr("local_topic"), &Value::from(false));
        assert_eq!(p.attr("compact_topic"), &Value::from(false));
        assert!(p.attr("partition_num").is_unknown());
        assert!(p.attr("id").is_unknown());
    }

    #[tokio::test]
    async fn compaction_needs_local_storage() {
        let r = resource();
        let ctx = Context::detached();
        let mut c = config(None, "orders", "r");
        c.set_attr("compact_topic", Value::from(true));
        let d = r.validate(&ctx, &c).await;
        assert!(d.has_errors());
        c.set_attr("local_topic", Value::from(true));
        assert!(!r.validate(&ctx, &c).await.has_errors());
        c.set_attr("local_topic", Value::Unknown);
        assert!(!r.validate(&ctx, &c).await.has_errors());
    }

    #[test]
    fn listed_topics_become_state_and_differences_are_named() {
        let t = TopicInfo {
            topic: "orders".into(),
            instance_id: "i-1".into(),
            region_id: String::new(),
            remark: "r".into(),
            partition_num: Some(12),
            create_time: Some(5),
            status: Some(0),
            status_name: Some("服务中".into()),
            compact_topic: None,
            local_topic: Some(false),
            ..Default::default()
        };
        let base = config(None, "orders", "r");
        let s = state_from(&base, &t, "cn-hangzhou");
        assert_eq!(s.attr("id"), &Value::from("i-1:orders"));
        assert_eq!(s.attr("region_id"), &Value::from("cn-hangzhou"));
        assert_eq!(s.attr("compact_topic"), &Value::from(false));
        assert_eq!(s.attr("partition_num"), &Value::from(12));
        s.conforms_to(&resource().schema().value_type()).unwrap();

        let spec = TopicSpec {
            instance_id: "i-1".into(),
            topic: "orders".into(),
            remark: "r".into(),
            partition_num: None,
            local_topic: Some(false),
            compact_topic: Some(false),
        };
        assert!(spec.differences(&t).is_empty());
        let other = TopicSpec {
            remark: "other".into(),
            partition_num: Some(6),
            local_topic: Some(true),
            ..spec
        };
        let diffs = other.differences(&t);
        assert_eq!(diffs.len(), 3, "{diffs:?}");
        assert!(other
            .import_hint()
            .contains("terraform import alikafka_topic.<name> i-1:orders"));
    }

    #[test]
    fn schema_is_sound_and_documented() {
        let schema = resource().schema();
        assert!(schema.problems().is_empty(), "{:?}", schema.problems());
        assert!(schema
            .block
            .attributes
            .iter()
            .all(|a| !a.description.text.is_empty()));
    }
}
