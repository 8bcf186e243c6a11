//! Resource `alikafka_consumer_group`.
//!
//! Name, instance and remark are fixed at creation (the service cannot change a group's
//! remark), so a change replaces the group; tags change in place ([`tags`]). Create,
//! read, update and delete go through the shared [`lifecycle`]: writes, then waits on
//! the instance's shared group list, which also carries each group's tags.

use async_trait::async_trait;
use serde::Deserialize;

use super::journal;
use super::kafka::Scope;
use super::lifecycle::{self, Kind, Listed};
use super::lists::GroupsOf;
use super::support;
use super::tags;
use super::Shared;
use crate::api::{
    consumer_group_resource_id, ConsumerInfo, CreateConsumerGroupRequest,
    DeleteConsumerGroupRequest, ResourceType,
};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{
    ApplyError, Context, CreateRequest, DeleteRequest, Plan, PlanRequest, ReadRequest, Resource,
    Timeouts, UpdateRequest,
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

/// The configured part of a group, from a plan or a state.
#[derive(Debug, Deserialize)]
pub struct GroupSpec {
    instance_id: String,
    consumer_id: String,
    remark: Option<String>,
}

/// Consumer groups in the instance's shared group list.
pub struct Groups;

impl Listed for Groups {
    type Query = GroupsOf;
    type Spec = GroupSpec;

    const KIND: Kind = Kind {
        type_name: TYPE_NAME,
        name_attribute: "consumer_id",
        noun: "consumer group",
        ready: "listed",
        journal: journal::Kind::ConsumerGroup,
    };

    /// Listed with every planned tag.
    fn ready(planned: &Value, item: &ConsumerInfo, scope: &Scope) -> Result<(), String> {
        tags::shows(&scope.tags, planned, &item.tags)
    }

    fn differences(spec: &GroupSpec, g: &ConsumerInfo) -> Vec<String> {
        let (listed, wanted) = (g.remark.as_deref().unwrap_or(""), spec.remark.as_deref());
        if listed == wanted.unwrap_or("") {
            Vec::new()
        } else {
            vec![format!(
                "remark is {listed:?}, not {:?}",
                wanted.unwrap_or("")
            )]
        }
    }

    /// The service reports "no remark" as an empty one; the state keeps whichever of null
    /// and "" it had, so neither form shows as a change.
    fn state_from(base: &Value, g: &ConsumerInfo, scope: &Scope) -> Value {
        let mut state = base.clone();
        let instance_id = base.attr("instance_id").as_str().unwrap_or(&g.instance_id);
        let listed_remark = g.remark.clone().unwrap_or_default();
        let remark = if listed_remark.is_empty() && base.attr("remark").as_str() != Some("") {
            Value::Null
        } else {
            Value::from(listed_remark)
        };
        let region_id = support::listed_region(&g.region_id, &scope.region);
        state.set_attr(
            "id",
            Value::from(format!("{instance_id}:{}", g.consumer_id)),
        );
        state.set_attr("consumer_id", Value::from(g.consumer_id.as_str()));
        state.set_attr("remark", remark);
        state.set_attr("region_id", Value::from(region_id));
        for (name, value) in tags::state(&scope.tags, base, &g.tags) {
            state.set_attr(name, value);
        }
        state
    }
}

#[async_trait]
impl Resource for ConsumerGroupResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut attributes = support::key_attributes("group", "consumer_id");
        attributes.extend([
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
            support::region_id_attribute(),
            Timeouts::attribute_for(&["create", "update", "delete"]),
        ]);
        attributes.extend(tags::attributes("group"));
        Schema::new(attributes).description(Description::markdown(
            "Manages a consumer group of a Message Queue for Apache Kafka instance.",
        ))
    }

    async fn create(&self, ctx: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        let spec: GroupSpec = ctx.decode(&req.planned_state)?;
        let request = CreateConsumerGroupRequest {
            instance_id: spec.instance_id,
            consumer_id: spec.consumer_id,
            remark: spec.remark.filter(|r| !r.is_empty()),
            tags: tags::planned_tags(&req.planned_state),
        };
        let kafka = self.shared.kafka()?;
        lifecycle::create::<Groups, _>(ctx, &kafka, &req.planned_state, &request).await
    }

    async fn read(&self, ctx: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        lifecycle::read::<Groups>(ctx, &*self.shared.kafka()?, req).await
    }

    /// Tags (and `timeouts`) change in place.
    async fn update(&self, ctx: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        let kafka = self.shared.kafka()?;
        let mut update = lifecycle::Update::<Groups>::new(ctx, &kafka, req)?;
        let (from, to) = (
            req.prior_state.attr("tags_all"),
            req.planned_state.attr("tags_all"),
        );
        if from != to {
            let key = update.key();
            let id = consumer_group_resource_id(&key.instance_id, &key.name);
            tags::apply(&mut update, ResourceType::ConsumerGroup, id, from, to).await?;
        }
        let scope = kafka.scope();
        let shows = |g: &ConsumerInfo| tags::shows(&scope.tags, &req.planned_state, &g.tags);
        update.finish(shows, &["region_id"]).await
    }

    async fn modify_plan(
        &self,
        _ctx: &Context,
        req: &PlanRequest,
        plan: &mut Plan,
    ) -> Result<(), Diagnostics> {
        if req.is_destroy() {
            return Ok(());
        }
        tags::plan(self.shared.tag_policy().as_ref(), &req.prior_state, plan)
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        tags::validate(config)
    }

    async fn delete(&self, ctx: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let spec: GroupSpec = ctx.decode(&req.prior_state)?;
        let request = DeleteConsumerGroupRequest {
            instance_id: spec.instance_id,
            consumer_id: spec.consumer_id,
        };
        let kafka = self.shared.kafka()?;
        lifecycle::delete::<Groups, _>(ctx, &kafka, &req.prior_state, &request).await
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        support::import_named(&self.schema(), id, "consumer_id")
    }
}

#[cfg(test)]
#[path = "resource_consumer_group_test.rs"]
mod tests;
