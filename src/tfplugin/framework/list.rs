//! List resources (Terraform 1.14+, `terraform query`): find the existing objects of a
//! managed resource type, one streamed event per object with its identity and a display
//! name, and its whole state when Terraform asks for it (`include_resource = true`, and
//! always for `-generate-config-out`).

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::context::Context;
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::schema::Schema;

/// ListResource, as Terraform sent it.
#[derive(Clone, Debug)]
pub struct ListRequest {
    /// The `config` block of the `list` block (null when it is left out).
    pub config: Value,
    /// Terraform wants each object's state: put it in every [`ListItem`].
    pub include_resource_object: bool,
    /// The most objects Terraform takes; [`ListSink::send`] stops the listing there.
    pub limit: i64,
}

/// One object found.
#[derive(Clone, Debug)]
pub struct ListItem {
    /// Shown by `terraform query`, e.g. the object's name.
    pub display_name: String,
    /// The object's state, as `read` would return it. The framework derives the identity
    /// from it (through the managed resource's `identity`), drops it when Terraform did not
    /// ask for it, and nulls its write-only attributes.
    pub state: Option<Value>,
    /// The identity, when there is no state to derive it from.
    pub identity: Option<Value>,
    /// Warnings about this object.
    pub diagnostics: Diagnostics,
}

impl ListItem {
    /// An object with its state (the usual case: list APIs return whole objects).
    pub fn new(display_name: impl Into<String>, state: Value) -> ListItem {
        ListItem {
            display_name: display_name.into(),
            state: Some(state),
            identity: None,
            diagnostics: Diagnostics::new(),
        }
    }

    /// An object known by its identity only (when listing cheaply and Terraform did not
    /// ask for states).
    pub fn identity_only(display_name: impl Into<String>, identity: Value) -> ListItem {
        ListItem {
            display_name: display_name.into(),
            state: None,
            identity: Some(identity),
            diagnostics: Diagnostics::new(),
        }
    }
}

/// Turns an item into an event; built by the server from the managed resource.
pub(crate) type ItemEncoder =
    Box<dyn Fn(ListItem, bool) -> Result<pb::list_resource::Event, Diagnostics> + Send + Sync>;

/// Where a list sends what it finds. Sending waits while Terraform is slower than the
/// list (the stream is bounded), and reports when Terraform wants no more.
pub struct ListSink {
    events: mpsc::Sender<pb::list_resource::Event>,
    remaining: i64,
    include_resource_object: bool,
    encode: ItemEncoder,
    stopped: bool,
}

impl ListSink {
    pub(crate) fn new(
        events: mpsc::Sender<pb::list_resource::Event>,
        req: &ListRequest,
        encode: ItemEncoder,
    ) -> ListSink {
        ListSink {
            events,
            remaining: req.limit.max(0),
            include_resource_object: req.include_resource_object,
            encode,
            stopped: false,
        }
    }

    /// Sends one object. Returns false when no more are wanted: the limit is reached (the
    /// object that reached it was still sent), Terraform closed the stream, or the object
    /// was invalid (a provider bug, reported as the listing's error). Stop listing then.
    #[must_use]
    pub async fn send(&mut self, item: ListItem) -> bool {
        if self.stopped || self.remaining <= 0 {
            self.stopped = true;
            return false;
        }
        let event = match (self.encode)(item, self.include_resource_object) {
            Ok(event) => event,
            Err(diagnostics) => {
                self.stopped = true;
                let _ = self.events.send(error_event(&diagnostics)).await;
                return false;
            }
        };
        if self.events.send(event).await.is_err() {
            self.stopped = true;
            return false;
        }
        self.remaining -= 1;
        if self.remaining == 0 {
            self.stopped = true;
        }
        !self.stopped
    }

    /// Sends warnings that concern no single object (not counted against the limit).
    /// Errors end a listing: return them from [`ListResource::list`] instead.
    pub async fn warn(&mut self, warnings: Diagnostics) -> bool {
        if self.stopped {
            return false;
        }
        let event = pb::list_resource::Event {
            diagnostic: warnings.to_proto(),
            ..Default::default()
        };
        if self.events.send(event).await.is_err() {
            self.stopped = true;
        }
        !self.stopped
    }

    /// False once nothing more will be taken.
    pub fn wants_more(&self) -> bool {
        !self.stopped && self.remaining > 0 && !self.events.is_closed()
    }

    pub fn include_resource_object(&self) -> bool {
        self.include_resource_object
    }
}

/// The event that ends a listing with errors (it needs no identity: Terraform stops at it).
pub(crate) fn error_event(diagnostics: &Diagnostics) -> pb::list_resource::Event {
    pb::list_resource::Event {
        diagnostic: diagnostics.to_proto(),
        ..Default::default()
    }
}

/// A list resource: finds the objects of the managed resource type of the same name,
/// which must declare an identity.
#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    /// The managed resource type listed, e.g. `"alikafka_topic"`.
    fn type_name(&self) -> &'static str;

    /// The schema of the `config` block (filters, e.g. `instance_id`, `name_regex`).
    fn schema(&self) -> Schema;

    /// Checks beyond the attribute validators; the config is wholly known.
    async fn validate(&self, _ctx: &Context, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Finds the objects and sends each to `sink`, stopping when a send returns false.
    /// Runs after ConfigureProvider. An error ends the listing (objects already sent are
    /// kept by Terraform). `ctx` is cancelled when Terraform stops the provider.
    async fn list(
        &self,
        ctx: &Context,
        req: &ListRequest,
        sink: &mut ListSink,
    ) -> Result<(), Diagnostics>;
}
