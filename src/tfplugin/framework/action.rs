//! Actions (Terraform 1.14+): an operation with no state, run by
//! `terraform apply -invoke=action.TYPE.NAME` or from a resource's
//! `lifecycle { action_trigger { ... } }`, that reports progress while it runs.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::context::Context;
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::schema::Schema;

/// Progress messages of a running action, shown by Terraform as they come.
pub struct ActionProgress {
    events: mpsc::Sender<pb::invoke_action::Event>,
}

impl ActionProgress {
    pub(crate) fn new(events: mpsc::Sender<pb::invoke_action::Event>) -> ActionProgress {
        ActionProgress { events }
    }

    /// Reports one step, e.g. "offsets of partition 3 reset to 1200". Empty messages are
    /// not sent (Terraform shows nothing for them). Returns false when Terraform no
    /// longer listens.
    pub async fn send(&self, message: impl Into<String>) -> bool {
        let message = message.into();
        if message.is_empty() {
            return !self.events.is_closed();
        }
        let event = pb::invoke_action::Event {
            r#type: Some(pb::invoke_action::event::Type::Progress(
                pb::invoke_action::event::Progress { message },
            )),
        };
        self.events.send(event).await.is_ok()
    }
}

/// An action type.
#[async_trait]
pub trait Action: Send + Sync + 'static {
    /// The full type name, e.g. `"alikafka_consumer_offset_reset"`.
    fn type_name(&self) -> &'static str;

    /// The schema of the action's `config` block; called once, when the server starts.
    fn schema(&self) -> Schema;

    /// Checks beyond the attribute validators; the config may hold unknown values.
    async fn validate(&self, _ctx: &Context, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// PlanAction: plan-time checks of a configuration (values may still be unknown when
    /// it is triggered by a resource). No changes, no deferral.
    async fn plan(&self, _ctx: &Context, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Runs the action (the config is wholly known), reporting progress as it goes. The
    /// result, with whatever `ctx` reported, ends the stream as its completed event.
    async fn invoke(
        &self,
        ctx: &Context,
        config: &Value,
        progress: &ActionProgress,
    ) -> Result<(), Diagnostics>;
}
