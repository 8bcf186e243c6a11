//! Resource `alikafka_consumer_group`.
//!
//! Everything but `timeouts` is fixed at creation (the service cannot change a group's
//! remark), so any change replaces the group. Create and delete wait until the shared group
//! list of the instance shows the result.

use async_trait::async_trait;
use serde::Deserialize;
use tokio::time::Instant;

use super::diag;
use super::journal::Kind;
use super::kafka::{Check, Kafka};
use super::support::{self, WaitContext, DEFAULT_TIMEOUT};
use super::Shared;
use crate::api::{ApiError, ConsumerInfo, CreateConsumerGroupRequest, DeleteConsumerGroupRequest};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{
    cancelled, ApplyError, Context, CreateRequest, DeleteRequest, ReadRequest, Resource, Timeouts,
    UpdateRequest,
};
use crate::tfplugin::schema::{Attribute, Description, Schema};

pub const TYPE_NAME: &str = "alikafka_consumer_group";

pub struct ConsumerGroupResource {
    shared: Shared,
}

impl ConsumerGroupResource {
    pub fn new(shared: Shared) -> ConsumerGroupResource {
        ConsumerGroupResource { shared }
    }
}

#[derive(Debug, Deserialize)]
struct GroupSpec {
    instance_id: String,
    consumer_id: String,
    remark: Option<String>,
}

impl GroupSpec {
    fn describe(&self) -> String {
        format!(
            "consumer group {} on instance {}",
            self.consumer_id, self.instance_id
        )
    }

    fn import_hint(&self) -> String {
        let id = format!("{}:{}", self.instance_id, self.consumer_id);
        format!(
            "To manage the existing group with Terraform, import it: `terraform import \
             {TYPE_NAME}.<name> {id}` (with <name> the resource's name in your configuration), \
             or, with Terraform 1.5 or later, add `import {{ to = {TYPE_NAME}.<name>, id = \
             \"{id}\" }}`. Otherwise choose another consumer_id."
        )
    }

    fn remark(&self) -> &str {
        self.remark.as_deref().unwrap_or("")
    }
}

fn find<'a>(groups: &'a [ConsumerInfo], name: &str) -> Option<&'a ConsumerInfo> {
    groups.iter().find(|g| g.consumer_id == name)
}

/// The state of a listed group. The service reports "no remark" as an empty one; the
/// state keeps whichever of null and "" it had, so neither form shows as a change.
fn state_from(base: &Value, g: &ConsumerInfo, region: &str) -> Value {
    let mut state = base.clone();
    let instance_id = base.attr("instance_id").as_str().unwrap_or(&g.instance_id);
    let listed_remark = g.remark.clone().unwrap_or_default();
    let remark = if listed_remark.is_empty() && base.attr("remark").as_str() != Some("") {
        Value::Null
    } else {
        Value::from(listed_remark)
    };
    let region_id = if g.region_id.is_empty() {
        region
    } else {
        &g.region_id
    };
    state.set_attr(
        "id",
        Value::from(format!("{instance_id}:{}", g.consumer_id)),
    );
    state.set_attr("consumer_id", Value::from(g.consumer_id.as_str()));
    state.set_attr("remark", remark);
    state.set_attr("region_id", Value::from(region_id));
    state
}

fn timeouts(value: &Value) -> Result<Timeouts, Diagnostics> {
    Timeouts::from_resource(value, DEFAULT_TIMEOUT)
}

#[async_trait]
impl Resource for ConsumerGroupResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .markdown_description(
                    "`<instance_id>:<consumer_id>`, the ID used to import the group.",
                ),
            Attribute::string("instance_id")
                .required()
                .requires_replace()
                .validator(support::non_empty)
                .markdown_description(
                    "ID of the instance that holds the group. Changing it replaces the group.",
                ),
            Attribute::string("consumer_id")
                .required()
                .requires_replace()
                .validator(support::kafka_name)
                .markdown_description(
                    "Name of the group, used by clients as `group.id`: 3 to 64 characters, each \
                     a letter, a digit, `_` or `-` (checked at plan time). Changing it replaces \
                     the group.",
                ),
            Attribute::string("remark")
                .optional()
                .requires_replace()
                .validator(support::optional_remark)
                .markdown_description(
                    "What the group is for: at most 64 characters. The service cannot change a \
                     group's remark, so changing it replaces the group.",
                ),
            Attribute::string("region_id")
                .computed()
                .use_state_for_unknown()
                .markdown_description("Region of the instance, such as `cn-hangzhou`."),
            Timeouts::attribute_for(&["create", "delete"]),
        ])
        .description(Description::markdown(
            "Manages a consumer group of a Message Queue for Apache Kafka instance.",
        ))
    }

    async fn create(&self, ctx: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        let kafka = self.shared.kafka()?;
        let spec: GroupSpec = ctx.decode(&req.planned_state)?;
        let journal = kafka.journal();
        let leftover = journal.begin(Kind::ConsumerGroup, &spec.instance_id, &spec.consumer_id);
        let created = self.create_group(ctx, &kafka, req, &spec, leftover).await;
        journal.finish(Kind::ConsumerGroup, &spec.instance_id, &spec.consumer_id);
        created
    }

    async fn read(&self, ctx: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        let kafka = self.shared.kafka()?;
        let state = &req.current_state;
        let (Some(instance_id), Some(consumer_id)) = (
            state.attr("instance_id").as_str(),
            state.attr("consumer_id").as_str(),
        ) else {
            return Err(Diagnostics::error(
                "Invalid state",
                "The group's state has no instance_id or consumer_id; import it again.",
            ));
        };
        let unconfirmed = support::is_unconfirmed(&req.private);
        match ctx.run(kafka.groups(instance_id)).await? {
            Ok(groups) => match find(&groups, consumer_id) {
                Some(g) => {
                    if unconfirmed {
                        ctx.set_private(Vec::new());
                    }
                    Ok(Some(state_from(state, g, kafka.region())))
                }
                None if unconfirmed => {
                    tracing::info!(
                        consumer_id,
                        instance_id,
                        "consumer group created but not listed yet; keeping it in the state"
                    );
                    Ok(Some(state.clone()))
                }
                None => {
                    tracing::info!(
                        consumer_id,
                        instance_id,
                        "consumer group no longer exists; removing it from the state"
                    );
                    Ok(None)
                }
            },
            Err(e) if e.is_not_found() => {
                tracing::info!(consumer_id, instance_id, code = %e.code, "instance no longer exists; removing the group from the state");
                Ok(None)
            }
            Err(e) => Err(diag::api_errors(
                format!("Cannot read consumer group {consumer_id} on instance {instance_id}"),
                &e,
            )),
        }
    }

    /// Only `timeouts` can change in place: nothing to tell the service.
    async fn update(&self, _ctx: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        Ok(support::known_or_null(&req.planned_state))
    }

    async fn delete(&self, ctx: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let kafka = self.shared.kafka()?;
        let spec: GroupSpec = ctx.decode(&req.prior_state)?;
        let limit = timeouts(&req.prior_state)?.delete;
        let deadline = Instant::now() + limit;
        let request = DeleteConsumerGroupRequest {
            instance_id: spec.instance_id.clone(),
            consumer_id: spec.consumer_id.clone(),
        };
        let result = kafka
            .client()
            .call_stoppable(&request, Some(deadline), ctx.cancellation_token())
            .await;
        let written_at = Instant::now();
        kafka.groups_written(&spec.instance_id);
        match result {
            Ok(_) => {}
            Err(e) if support::stopped(&e) => return Err(cancelled()),
            Err(e) if e.is_not_found() => {
                tracing::debug!(group = %spec.consumer_id, code = %e.code, "consumer group already gone");
            }
            // An attempt may have deleted it (its answer was lost): look before failing.
            Err(e) if e.outcome_uncertain && group_gone(ctx, &kafka, &spec, deadline).await => {
                tracing::info!(group = %spec.consumer_id, code = %e.code, "DeleteConsumerGroup answer lost, but the group is gone");
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
        let check = |list: Result<&[ConsumerInfo], &ApiError>| match list {
            Err(e) if e.is_not_found() => Check::Done(()),
            Err(e) => Check::Failed(e.clone()),
            Ok(groups) if find(groups, &spec.consumer_id).is_some() => {
                Check::Pending("the group still listed".to_string())
            }
            Ok(_) => Check::Done(()),
        };
        let waited = kafka
            .wait_for_groups(ctx, &spec.instance_id, written_at, deadline, check)
            .await;
        support::deletion_confirmed(ctx, waited, &context)
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let id = support::parse_import_id(id, "consumer_id")?;
        Ok(support::object_with(
            &self.schema(),
            &[
                ("id", Value::from(id.to_string())),
                ("instance_id", Value::from(id.instance_id.as_str())),
                ("consumer_id", Value::from(id.name.as_str())),
            ],
        ))
    }
}

impl ConsumerGroupResource {
    /// Creates the group; `leftover`: an earlier, dead provider process may have sent this
    /// very CreateConsumerGroup (see [`Journal`](super::journal::Journal)).
    async fn create_group(
        &self,
        ctx: &Context,
        kafka: &Kafka,
        req: &CreateRequest,
        spec: &GroupSpec,
        leftover: bool,
    ) -> Result<Value, ApplyError> {
        let limit = timeouts(&req.planned_state)?.create;
        let deadline = Instant::now() + limit;
        let request = CreateConsumerGroupRequest {
            instance_id: spec.instance_id.clone(),
            consumer_id: spec.consumer_id.clone(),
            remark: spec.remark.clone().filter(|r| !r.is_empty()),
            ..Default::default()
        };
        tracing::debug!(group = %spec.consumer_id, instance = %spec.instance_id, "creating consumer group");
        // Stoppable only while no request is on the wire (see alikafka_topic).
        let sent = kafka
            .client()
            .call_stoppable(&request, Some(deadline), ctx.cancellation_token())
            .await;
        let written_at = Instant::now();
        kafka.groups_written(&spec.instance_id);
        let region = kafka.region().to_string();

        let mut adopting = false;
        if let Err(error) = &sent {
            if support::stopped(error) {
                if !error.outcome_uncertain {
                    return Err(cancelled().into());
                }
                let mut state = support::known_or_null(&req.planned_state);
                state.set_attr(
                    "id",
                    Value::from(format!("{}:{}", spec.instance_id, spec.consumer_id)),
                );
                state.set_attr("region_id", Value::from(region.as_str()));
                support::mark_unconfirmed(ctx);
                return Err(ApplyError::from(cancelled()).with_state(state));
            }
        }
        if let Err(mut error) = sent {
            if leftover && error.is_already_exists() {
                tracing::info!(group = %spec.consumer_id, "an earlier provider process sent this CreateConsumerGroup and died");
                error.outcome_uncertain = true;
            }
            if error.is_already_exists() && !error.outcome_uncertain {
                return Err(Diagnostics::error(
                    format!(
                        "Consumer group {} already exists on instance {}",
                        spec.consumer_id, spec.instance_id
                    ),
                    format!(
                        "CreateConsumerGroup answered {} (RequestId: {}): a group of this name \
                         exists, and it was not created by this apply. {}",
                        error.code,
                        error.request_id.as_deref().unwrap_or("-"),
                        spec.import_hint()
                    ),
                )
                .into());
            }
            if !error.outcome_uncertain {
                return Err(
                    diag::api_errors(format!("Cannot create {}", spec.describe()), &error).into(),
                );
            }
            tracing::info!(group = %spec.consumer_id, code = %error.code, "CreateConsumerGroup outcome uncertain; checking the group list");
            match look_for_group(ctx, kafka, spec, error.is_already_exists(), deadline).await {
                Some(_) => adopting = true,
                None => {
                    return Err(diag::api_errors(
                        format!("Cannot create {}", spec.describe()),
                        &error,
                    )
                    .into())
                }
            }
        }

        let context = WaitContext {
            what: &format!("{} to be listed", spec.describe()),
            operation: "create",
            limit,
            failure_summary: &format!("Cannot confirm the creation of {}", spec.describe()),
        };
        let check = |list: Result<&[ConsumerInfo], &ApiError>| match list {
            Err(e) => Check::Failed(e.clone()),
            Ok(groups) => match find(groups, &spec.consumer_id) {
                Some(g) => Check::Done(g.clone()),
                None => Check::Pending("the group not listed yet".to_string()),
            },
        };
        let group = match kafka
            .wait_for_groups(ctx, &spec.instance_id, written_at, deadline, check)
            .await
        {
            Ok(group) => group,
            Err(error) => {
                let mut state = support::known_or_null(&req.planned_state);
                state.set_attr(
                    "id",
                    Value::from(format!("{}:{}", spec.instance_id, spec.consumer_id)),
                );
                state.set_attr("region_id", Value::from(region.as_str()));
                support::mark_unconfirmed(ctx);
                return Err(
                    ApplyError::from(support::wait_error(error, &context)).with_state(state)
                );
            }
        };
        if adopting && group.remark.as_deref().unwrap_or("") != spec.remark() {
            return Err(Diagnostics::error(
                format!(
                    "Consumer group {} already exists on instance {}",
                    spec.consumer_id, spec.instance_id
                ),
                format!(
                    "An attempt of CreateConsumerGroup got no answer, and the group now listed has \
                     the remark {:?}, not {:?}, so it may not be the one this apply created. {}",
                    group.remark.as_deref().unwrap_or(""),
                    spec.remark(),
                    spec.import_hint()
                ),
            )
            .into());
        }
        Ok(state_from(&req.planned_state, &group, &region))
    }
}

/// One fresh look: is the group no longer listed? (`false` when the list cannot be had.)
async fn group_gone(ctx: &Context, kafka: &Kafka, spec: &GroupSpec, deadline: Instant) -> bool {
    let check = |list: Result<&[ConsumerInfo], &ApiError>| match list {
        Ok(groups) => Check::Done(find(groups, &spec.consumer_id).is_none()),
        Err(e) => Check::Failed(e.clone()),
    };
    kafka
        .wait_for_groups(ctx, &spec.instance_id, Instant::now(), deadline, check)
        .await
        .unwrap_or(false)
}

/// After an unanswered CreateConsumerGroup: is the group there? When the service said it
/// exists, wait for it to show; otherwise one fresh look.
async fn look_for_group(
    ctx: &Context,
    kafka: &Kafka,
    spec: &GroupSpec,
    service_says_exists: bool,
    deadline: Instant,
) -> Option<ConsumerInfo> {
    let check = |list: Result<&[ConsumerInfo], &ApiError>| match list {
        Err(e) => Check::Failed(e.clone()),
        Ok(groups) => match find(groups, &spec.consumer_id) {
            Some(g) => Check::Done(Some(g.clone())),
            None if service_says_exists => Check::Pending("the group not listed yet".to_string()),
            None => Check::Done(None),
        },
    };
    kafka
        .wait_for_groups(ctx, &spec.instance_id, Instant::now(), deadline, check)
        .await
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource() -> ConsumerGroupResource {
        ConsumerGroupResource::new(Shared::default())
    }

    fn listed(remark: Option<&str>) -> ConsumerInfo {
        ConsumerInfo {
            consumer_id: "billing".into(),
            instance_id: "i-1".into(),
            region_id: "cn-hangzhou".into(),
            remark: remark.map(str::to_string),
            ..Default::default()
        }
    }

    fn base(remark: Value) -> Value {
        support::object_with(
            &resource().schema(),
            &[
                ("instance_id", Value::from("i-1")),
                ("consumer_id", Value::from("billing")),
                ("remark", remark),
            ],
        )
    }

    #[test]
    fn an_empty_listed_remark_keeps_the_states_form() {
        let s = state_from(&base(Value::Null), &listed(Some("")), "x");
        assert!(s.attr("remark").is_null());
        let s = state_from(&base(Value::from("")), &listed(Some("")), "x");
        assert_eq!(s.attr("remark"), &Value::from(""));
        let s = state_from(&base(Value::Null), &listed(None), "x");
        assert!(s.attr("remark").is_null());
        // A remark set outside Terraform shows, so the plan proposes a replacement.
        let s = state_from(&base(Value::Null), &listed(Some("by hand")), "x");
        assert_eq!(s.attr("remark"), &Value::from("by hand"));
        assert_eq!(s.attr("id"), &Value::from("i-1:billing"));
        assert_eq!(s.attr("region_id"), &Value::from("cn-hangzhou"));
        s.conforms_to(&resource().schema().value_type()).unwrap();
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
        let hint = GroupSpec {
            instance_id: "i-1".into(),
            consumer_id: "billing".into(),
            remark: None,
        }
        .import_hint();
        assert!(hint.contains("terraform import alikafka_consumer_group.<name> i-1:billing"));
    }
}
