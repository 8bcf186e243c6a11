//! The one lifecycle of every object the service lists per instance (topics, consumer
//! groups, and whatever comes next): a resource plugs in its own parts through [`Listed`]
//! (which list shows its objects, how to find one, what "ready" means, how a listed object
//! becomes state) and gets create, read and delete, with everything that makes them safe:
//!
//! - every write marks its list written, so no read is answered from before it;
//! - a create whose answer was lost (or that an earlier, dead provider process sent, see
//!   [`Journal`](super::journal::Journal)) is followed by a fresh look, and the object is
//!   adopted when it matches the configuration, instead of failing with "already exists";
//! - a create that cannot be confirmed keeps what is known in the state (tainted) rather
//!   than forgetting an object that exists;
//! - waits poll the shared list, so many resources waiting on one instance share each poll.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::diag;
use super::journal;
use super::kafka::{Check, Kafka, Scope, WaitError};
use super::lists::{ListQuery, Locates};
use super::support::{self, WaitContext, DEFAULT_TIMEOUT};
use crate::api::{Action, ApiError};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{
    cancelled, ApplyError, Context, ReadRequest, Timeouts, UpdateRequest,
};

/// How messages and the journal name a kind of object.
pub struct Kind {
    /// The resource type, e.g. `alikafka_topic`.
    pub type_name: &'static str,
    /// In sentences: `topic`, `consumer group`.
    pub noun: &'static str,
    /// What a created object shows once usable: `in service`, `listed`.
    pub ready: &'static str,
    /// The attribute that names an object within its instance (see [`Listed::key`]).
    pub name_attribute: &'static str,
    pub journal: journal::Kind,
}

impl Kind {
    /// The noun at the start of a sentence: `Topic`, `Consumer group`.
    fn title(&self) -> String {
        let mut chars = self.noun.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_uppercase().chain(chars).collect()
        })
    }
}

/// What locates an object: its instance and its name there (for most kinds one
/// attribute, such as `topic`; kinds located by several attributes join them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey {
    pub instance_id: String,
    pub name: String,
}

impl ObjectKey {
    /// The key of a plan or state whose name is in `name_attribute`.
    pub fn from_state(state: &Value, name_attribute: &str) -> Option<ObjectKey> {
        Some(ObjectKey {
            instance_id: state.attr("instance_id").as_str()?.to_string(),
            name: state.attr(name_attribute).as_str()?.to_string(),
        })
    }

    /// `<instance_id>:<name>`, the state's `id` and the import ID.
    pub fn id(&self) -> String {
        format!("{}:{}", self.instance_id, self.name)
    }
}

/// A kind of object that a list of the service shows.
pub trait Listed: Send + Sync + 'static {
    type Query: Locates;
    /// The configured part of an object, from a plan or a state.
    type Spec: DeserializeOwned + Send + Sync;

    const KIND: Kind;

    /// What locates the object a plan or state describes; `None` when it lacks that.
    fn key(state: &Value) -> Option<ObjectKey> {
        ObjectKey::from_state(state, Self::KIND.name_attribute)
    }

    /// The attributes [`Listed::key`] reads, for "Invalid state" messages.
    fn key_attributes() -> String {
        format!("instance_id or {}", Self::KIND.name_attribute)
    }

    /// The attributes of the resource identity (Terraform 1.12+, see [`identity`]): the
    /// instance and what names the object there, i.e. what [`Listed::key`] reads.
    ///
    /// [`identity`]: super::identity
    fn identity_attributes() -> Vec<&'static str> {
        vec!["instance_id", Self::KIND.name_attribute]
    }

    /// Identity attributes an import may leave out (the service then has one object that
    /// fits, or the default applies): in the identity after a read, optional for import.
    fn identity_optional_attributes() -> Vec<&'static str> {
        Vec::new()
    }

    /// The state's `id` and import ID of the object `key` locates.
    fn id(key: &ObjectKey) -> String {
        key.id()
    }

    /// The object's name in messages.
    fn shown(key: &ObjectKey) -> String {
        key.name.clone()
    }

    /// Whether the service's create succeeds on an object that exists already (it sets a
    /// SASL user's password again, ignores an ACL or allowlist entry it has) instead of
    /// answering "already exists". Create then looks first, so that an object made
    /// elsewhere is refused with an import hint rather than silently taken over.
    const CREATE_ACCEPTS_EXISTING: bool = false;

    /// The private state to keep beside a state read from `item`, given the one kept so
    /// far (`None`: none of its own).
    fn private_from(_item: &Item<Self>, _prior: &[u8]) -> Option<Vec<u8>> {
        None
    }

    /// Whether a listed object is ready for use; otherwise what it shows instead.
    /// `planned` is the plan of the object being created.
    fn ready(_planned: &Value, _item: &Item<Self>, _scope: &Scope) -> Result<(), String> {
        Ok(())
    }

    /// How a listed object differs from `spec` (empty when it matches): decides whether an
    /// object found after a lost create answer is the one this apply created.
    fn differences(spec: &Self::Spec, item: &Item<Self>) -> Vec<String>;

    /// The state of a listed object: what only the configuration knows from `base`, the
    /// rest from the list.
    fn state_from(base: &Value, item: &Item<Self>, scope: &Scope) -> Value;
}

/// The item type of a listed kind.
pub type Item<L> = <<L as Listed>::Query as ListQuery>::Item;

/// The key of a plan or state, or the error for a state that lacks it.
fn key_of<L: Listed>(state: &Value) -> Result<ObjectKey, Diagnostics> {
    L::key(state).ok_or_else(|| {
        Diagnostics::error(
            "Invalid state",
            format!(
                "The {}'s state has no {}; import it again.",
                L::KIND.noun,
                L::key_attributes()
            ),
        )
    })
}

/// `topic orders on instance X`, for messages.
pub fn describe<L: Listed>(key: &ObjectKey) -> String {
    format!(
        "{} {} on instance {}",
        L::KIND.noun,
        L::shown(key),
        key.instance_id
    )
}

/// How to adopt an object that exists already, for "already exists" errors.
pub fn import_hint<L: Listed>(key: &ObjectKey) -> String {
    let (type_name, id) = (L::KIND.type_name, L::id(key));
    format!(
        "To manage the existing {} with Terraform, import it: `terraform import \
         {type_name}.<name> {id}` (with <name> the resource's name in your configuration), \
         or, with Terraform 1.5 or later, add `import {{ to = {type_name}.<name>, id = \
         \"{id}\" }}`. Otherwise choose another {}.",
        L::KIND.noun,
        L::KIND.name_attribute
    )
}

/// Polls the list showing `key` until `check` decides about the object (`None`: not
/// listed), `deadline` passes or Terraform stops us.
pub async fn wait_for<L: Listed, R>(
    ctx: &Context,
    kafka: &Kafka,
    key: &ObjectKey,
    since: Instant,
    deadline: Instant,
    mut check: impl FnMut(Result<Option<&Item<L>>, &ApiError>) -> Check<R>,
) -> Result<R, WaitError> {
    let found = |list: Result<&[Item<L>], &ApiError>| {
        check(list.map(|items| items.iter().find(|i| L::Query::matches(i, key))))
    };
    kafka
        .lists::<L::Query>()
        .wait(ctx, &L::Query::for_key(key), since, deadline, found)
        .await
}

/// Sends a write concerning `key`'s object, then marks its list written. Stoppable only
/// while no request is on the wire: an abandoned create could make an object that the
/// state never hears of.
pub async fn write<L: Listed, A: Action>(
    ctx: &Context,
    kafka: &Kafka,
    key: &ObjectKey,
    request: &A,
    deadline: Instant,
) -> Result<A::Response, ApiError> {
    let sent = kafka
        .client()
        .call_stoppable(request, Some(deadline), ctx.cancellation_token())
        .await;
    kafka.lists::<L::Query>().written(&L::Query::for_key(key));
    sent
}

/// Sends a write that must not be repeated blindly (it adds partitions, say: the client
/// does not retry it after an attempt that may have been carried out). When its outcome is
/// uncertain, a fresh look decides with `progress(listed)`: `Some(true)` it was carried
/// out, `Some(false)` it was not (sent again, up to the client's retries), `None` the list
/// cannot tell (the error stands).
pub async fn write_once<L: Listed, A: Action>(
    ctx: &Context,
    kafka: &Kafka,
    key: &ObjectKey,
    request: &A,
    deadline: Instant,
    progress: impl Fn(Option<&Item<L>>) -> Option<bool>,
) -> Result<(), ApiError> {
    let mut resent = 0;
    loop {
        let error = match write::<L, A>(ctx, kafka, key, request, deadline).await {
            Ok(_) => return Ok(()),
            Err(e) if e.outcome_uncertain && !support::stopped(&e) => e,
            Err(e) => return Err(e),
        };
        tracing::info!(action = error.action, code = %error.code, "outcome uncertain; looking whether it was carried out");
        let check = |found: Result<Option<&Item<L>>, &ApiError>| match found {
            Err(e) => Check::Failed(e.clone()),
            Ok(item) => Check::Done(progress(item)),
        };
        let seen = wait_for::<L, _>(ctx, kafka, key, Instant::now(), deadline, check).await;
        match seen {
            Ok(Some(true)) => return Ok(()),
            Ok(Some(false)) if resent < kafka.client().config().max_retries => resent += 1,
            _ => return Err(error),
        }
    }
}

/// The diagnostics of a failed write in `region`: "cancelled" when Terraform stopped us.
pub fn write_failed(summary: impl Into<String>, error: &ApiError, region: &str) -> Diagnostics {
    if support::stopped(error) {
        cancelled()
    } else {
        diag::api_error_in(summary, error, region).into()
    }
}

/// The resource's `timeouts` (every listed resource has them), with the defaults.
pub fn timeouts(state: &Value) -> Result<Timeouts, Diagnostics> {
    Timeouts::from_resource(state, DEFAULT_TIMEOUT)
}

/// Creates the object `planned` describes with `request`, waits until it is listed and
/// ready, and returns its state.
pub async fn create<L: Listed, A: Action>(
    ctx: &Context,
    kafka: &Kafka,
    planned: &Value,
    request: &A,
) -> Result<Value, ApplyError> {
    let limit = timeouts(planned)?.create;
    let spec: L::Spec = ctx.decode(planned)?;
    let key = key_of::<L>(planned)?;
    let journal = kafka.journal();
    let (kind, instance_id, name) = (L::KIND.journal, &key.instance_id, &key.name);
    let leftover = journal.begin(kind, instance_id, name);
    let creation = Creation::<L> {
        ctx,
        kafka,
        planned,
        spec: &spec,
        key: &key,
        deadline: Instant::now() + limit,
        undecided: AtomicBool::new(false),
    };
    let created = creation.run(request, leftover, limit).await;
    // The entry stays until a refresh reads the object from a state, or it is deleted:
    // Terraform may never hear of a create that succeeded (the provider killed before its
    // answer went out), and a create that failed not knowing whether the object was made
    // may be followed by the object. Only a create that surely made nothing clears it.
    let made_nothing = matches!(&created, Err(e) if e.state.is_none())
        && !creation.undecided.load(Ordering::Relaxed);
    if made_nothing {
        journal.finish(kind, instance_id, name);
    }
    created
}

struct Creation<'a, L: Listed> {
    ctx: &'a Context,
    kafka: &'a Kafka,
    planned: &'a Value,
    spec: &'a L::Spec,
    key: &'a ObjectKey,
    deadline: Instant,
    /// Set when the create failed not knowing whether the object was made.
    undecided: AtomicBool,
}

impl<L: Listed> Creation<'_, L> {
    /// `leftover`: an earlier, dead provider process may have sent this very create.
    async fn run<A: Action>(
        &self,
        request: &A,
        leftover: bool,
        limit: Duration,
    ) -> Result<Value, ApplyError> {
        let (ctx, kafka, key) = (self.ctx, self.kafka, self.key);
        if L::CREATE_ACCEPTS_EXISTING && !leftover {
            self.refuse_existing().await?;
        }
        tracing::debug!(kind = L::KIND.noun, name = %key.name, instance = key.instance_id, "creating");
        let sent = write::<L, A>(ctx, kafka, key, request, self.deadline).await;
        let written_at = Instant::now();
        match sent {
            Ok(_) => {}
            // Stopped with an earlier attempt unanswered: keep track of what may exist.
            Err(error) if support::stopped(&error) && error.outcome_uncertain => {
                return Err(self.unconfirmed(cancelled()))
            }
            Err(error) if support::stopped(&error) => return Err(cancelled().into()),
            Err(mut error) => {
                if leftover && error.is_already_exists() {
                    tracing::info!(name = %key.name, action = error.action, "an earlier provider process sent this create and died");
                    error.outcome_uncertain = true;
                }
                return self.after_failed_create(error).await;
            }
        }
        let what = format!("{} to be {}", describe::<L>(key), L::KIND.ready);
        let context = WaitContext {
            what: &what,
            operation: "create",
            limit,
            failure_summary: &format!("Cannot confirm the creation of {}", describe::<L>(key)),
        };
        let not_listed = format!("the {} not listed yet", L::KIND.noun);
        let check = |found: Result<Option<&Item<L>>, &ApiError>| match found {
            Err(e) => Check::Failed(e.clone()),
            Ok(Some(item)) => match L::ready(self.planned, item, kafka.scope()) {
                Ok(()) => Check::Done(item.clone()),
                Err(shows) => Check::Pending(shows),
            },
            Ok(None) => Check::Pending(not_listed.clone()),
        };
        match wait_for::<L, _>(ctx, kafka, key, written_at, self.deadline, check).await {
            Ok(item) => Ok(L::state_from(self.planned, &item, kafka.scope())),
            Err(error) => Err(self.unconfirmed(support::wait_error(error, &context))),
        }
    }

    /// For kinds whose create succeeds on an existing object: fails when the list shows
    /// it already (it was not made by this apply, nor by an earlier process of this
    /// working directory: see [`journal`]).
    async fn refuse_existing(&self) -> Result<(), ApplyError> {
        let (kafka, key) = (self.kafka, self.key);
        let listed = self
            .ctx
            .run(kafka.lists::<L::Query>().get(&L::Query::for_key(key)))
            .await?;
        match listed {
            Ok(items) if items.iter().any(|i| L::Query::matches(i, key)) => Err(self
                .already_exists(format!(
                    "The {} is listed already, before this apply created it: it was made \
                     outside this configuration, and creating it again would take it over.",
                    L::KIND.noun
                ))),
            Ok(_) => Ok(()),
            // Let the create itself say what is missing.
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(write_failed(
                format!("Cannot look whether {} exists", describe::<L>(key)),
                &e,
                kafka.region(),
            )
            .into()),
        }
    }

    /// A created object whose wait did not finish: what is known, so Terraform keeps
    /// track of it (as tainted) instead of forgetting an object that exists.
    fn unconfirmed(&self, diagnostics: Diagnostics) -> ApplyError {
        support::mark_unconfirmed(self.ctx);
        let mut state = support::known_or_null(self.planned);
        state.set_attr("id", Value::from(L::id(self.key)));
        if self
            .planned
            .as_entries()
            .is_some_and(|a| a.contains_key("region_id"))
        {
            state.set_attr("region_id", Value::from(self.kafka.region()));
        }
        ApplyError::from(diagnostics).with_state(state)
    }

    fn already_exists(&self, detail: String) -> ApplyError {
        let key = self.key;
        Diagnostics::error(
            format!(
                "{} {} already exists on instance {}",
                L::KIND.title(),
                L::shown(key),
                key.instance_id
            ),
            format!("{detail} {}", import_hint::<L>(key)),
        )
        .into()
    }

    /// The create failed. If an earlier attempt of it may have been carried out (its
    /// answer was lost), the object may be ours: adopt it when it matches the plan.
    async fn after_failed_create(&self, error: ApiError) -> Result<Value, ApplyError> {
        let key = self.key;
        let since = Instant::now();
        let create_error = || {
            let summary = format!("Cannot create {}", describe::<L>(key));
            ApplyError::from(Diagnostics::from(diag::api_error_in(
                summary,
                &error,
                self.kafka.region(),
            )))
        };
        if error.is_already_exists() && !error.outcome_uncertain {
            return Err(self.already_exists(format!(
                "{} answered {} (RequestId: {}): a {} of this name exists, and it was not \
                 created by this apply.",
                error.action,
                error.code,
                error.request_id.as_deref().unwrap_or("-"),
                L::KIND.noun
            )));
        }
        if !error.outcome_uncertain {
            return Err(create_error());
        }
        // An attempt may have created it: look (fresh) before giving up. When the service
        // says it exists, wait for it to show; otherwise one fresh look is enough.
        tracing::info!(name = %key.name, action = error.action, code = %error.code, "create outcome uncertain; checking the list");
        let exists = error.is_already_exists();
        let not_listed = format!("the {} not listed yet", L::KIND.noun);
        let check = |found: Result<Option<&Item<L>>, &ApiError>| match found {
            Err(e) => Check::Failed(e.clone()),
            Ok(Some(item)) => match L::ready(self.planned, item, self.kafka.scope()) {
                Ok(()) => Check::Done(Some(item.clone())),
                Err(shows) => Check::Pending(shows),
            },
            Ok(None) if exists => Check::Pending(not_listed.clone()),
            Ok(None) => Check::Done(None),
        };
        let found = wait_for::<L, _>(self.ctx, self.kafka, key, since, self.deadline, check).await;
        let Ok(Some(item)) = found else {
            // Not listed (yet?): an attempt may still show later.
            self.undecided.store(true, Ordering::Relaxed);
            return Err(create_error());
        };
        let differences = L::differences(self.spec, &item);
        if !differences.is_empty() {
            return Err(self.already_exists(format!(
                "An attempt of {} got no answer, and the {} now listed differs from the \
                 configuration ({}), so it may not be the one this apply created.",
                error.action,
                L::KIND.noun,
                differences.join("; ")
            )));
        }
        tracing::info!(name = %key.name, "adopting the object an unanswered create attempt made");
        Ok(L::state_from(self.planned, &item, self.kafka.scope()))
    }
}

/// Refreshes the state from the shared list: `None` when the object (or its instance) is
/// gone. An object whose creation was not confirmed stays while not listed.
pub async fn read<L: Listed>(
    ctx: &Context,
    kafka: &Kafka,
    req: &ReadRequest,
) -> Result<Option<Value>, Diagnostics> {
    let state = &req.current_state;
    let key = key_of::<L>(state)?;
    let (kind, name, instance_id) = (L::KIND.noun, &key.name, &key.instance_id);
    let unconfirmed = support::is_unconfirmed(&req.private);
    match ctx
        .run(kafka.lists::<L::Query>().get(&L::Query::for_key(&key)))
        .await?
    {
        Ok(items) => match items.iter().find(|i| L::Query::matches(i, &key)) {
            Some(item) => {
                // The state has the object: no earlier create of it is pending any more.
                kafka.journal().finish(L::KIND.journal, instance_id, name);
                match L::private_from(item, &req.private) {
                    Some(private) => ctx.set_private(private),
                    None if unconfirmed => ctx.set_private(Vec::new()),
                    None => {}
                }
                Ok(Some(L::state_from(state, item, kafka.scope())))
            }
            None if unconfirmed => {
                tracing::info!(
                    kind,
                    name,
                    instance_id,
                    "created but not listed yet; keeping it in the state"
                );
                Ok(Some(state.clone()))
            }
            None => {
                tracing::info!(
                    kind,
                    name,
                    instance_id,
                    "no longer exists; removing it from the state"
                );
                Ok(None)
            }
        },
        Err(e) if e.is_not_found() => {
            tracing::info!(kind, name, instance_id, code = %e.code, "instance no longer exists; removing the object from the state");
            Ok(None)
        }
        Err(e) => Err(diag::api_error_in(
            format!("Cannot read {}", describe::<L>(&key)),
            &e,
            kafka.region(),
        )
        .into()),
    }
}

/// Deletes the object `prior` describes with `request` and waits until it is no longer
/// listed. An object already gone, or whose lost Delete answer a fresh look shows was
/// carried out, counts as deleted.
pub async fn delete<L: Listed, A: Action>(
    ctx: &Context,
    kafka: &Kafka,
    prior: &Value,
    request: &A,
) -> Result<(), Diagnostics> {
    let key = key_of::<L>(prior)?;
    let limit = timeouts(prior)?.delete;
    let deadline = Instant::now() + limit;
    let result = write::<L, A>(ctx, kafka, &key, request, deadline).await;
    let written_at = Instant::now();
    let gone = |found: Result<Option<&Item<L>>, &ApiError>| match found {
        Err(e) => Check::Failed(e.clone()),
        Ok(item) => Check::Done(item.is_none()),
    };
    match result {
        Ok(_) => {}
        Err(e) if support::stopped(&e) => return Err(cancelled()),
        // Gone already (or its instance is): still wait until no longer listed.
        Err(e) if e.is_not_found() => {
            tracing::debug!(name = %key.name, code = %e.code, "already gone");
        }
        // An attempt may have deleted it (its answer was lost): look before failing.
        Err(e)
            if e.outcome_uncertain
                && wait_for::<L, _>(ctx, kafka, &key, Instant::now(), deadline, gone)
                    .await
                    .unwrap_or(false) =>
        {
            tracing::info!(name = %key.name, action = e.action, code = %e.code, "Delete answer lost, but the object is gone");
        }
        Err(e) => {
            let summary = format!("Cannot delete {}", describe::<L>(&key));
            return Err(diag::api_error_in(summary, &e, kafka.region()).into());
        }
    }
    let what = format!("{} to be gone", describe::<L>(&key));
    let context = WaitContext {
        what: &what,
        operation: "delete",
        limit,
        failure_summary: &format!("Cannot confirm the deletion of {}", describe::<L>(&key)),
    };
    let still_listed = format!("the {} still listed", L::KIND.noun);
    let check = |found: Result<Option<&Item<L>>, &ApiError>| match found {
        Err(e) if e.is_not_found() => Check::Done(()),
        Err(e) => Check::Failed(e.clone()),
        Ok(Some(_)) => Check::Pending(still_listed.clone()),
        Ok(None) => Check::Done(()),
    };
    let waited = wait_for::<L, _>(ctx, kafka, &key, written_at, deadline, check).await;
    kafka
        .journal()
        .finish(L::KIND.journal, &key.instance_id, &key.name);
    support::deletion_confirmed(ctx, waited, &context)
}

/// An update in place: writes, each recorded once carried out, then one wait until the
/// list shows them all. After a failure the state says exactly what was carried out.
pub struct Update<'a, L: Listed> {
    ctx: &'a Context,
    kafka: &'a Kafka,
    req: &'a UpdateRequest,
    key: ObjectKey,
    limit: Duration,
    deadline: Instant,
    /// What is true remotely so far: the prior state plus every write carried out.
    reached: Value,
    /// Attributes written, in order.
    changed: Vec<&'static str>,
    written_at: Option<Instant>,
    kind: PhantomData<L>,
}

impl<'a, L: Listed> Update<'a, L> {
    pub fn new(
        ctx: &'a Context,
        kafka: &'a Kafka,
        req: &'a UpdateRequest,
    ) -> Result<Self, Diagnostics> {
        let limit = timeouts(&req.planned_state)?.update;
        Ok(Update {
            ctx,
            kafka,
            req,
            key: key_of::<L>(&req.planned_state)?,
            limit,
            deadline: Instant::now() + limit,
            reached: req.prior_state.clone(),
            changed: Vec::new(),
            written_at: None,
            kind: PhantomData,
        })
    }

    pub fn key(&self) -> &ObjectKey {
        &self.key
    }

    /// `topic orders on instance X`, for messages.
    pub fn describe(&self) -> String {
        describe::<L>(&self.key)
    }

    /// Whether the update has written anything so far.
    pub fn has_written(&self) -> bool {
        self.written_at.is_some()
    }

    /// The update failed: `diagnostics`, with the state of what was carried out so far.
    pub fn failed(&self, diagnostics: impl Into<Diagnostics>) -> ApplyError {
        ApplyError::from(diagnostics.into()).with_state(self.reached.clone())
    }

    /// Sends `request`, which sets `attribute` to `value`; `failure` is the summary of the
    /// error should it fail.
    pub async fn write<A: Action>(
        &mut self,
        request: &A,
        failure: &str,
        attribute: &'static str,
        value: Value,
    ) -> Result<(), ApplyError> {
        let sent = write::<L, A>(self.ctx, self.kafka, &self.key, request, self.deadline).await;
        self.record(sent.map(|_| ()), failure, attribute, value)
    }

    /// [`write_once`] as a step of the update.
    pub async fn write_once<A: Action>(
        &mut self,
        request: &A,
        failure: &str,
        attribute: &'static str,
        value: Value,
        progress: impl Fn(Option<&Item<L>>) -> Option<bool>,
    ) -> Result<(), ApplyError> {
        let sent = write_once::<L, A>(
            self.ctx,
            self.kafka,
            &self.key,
            request,
            self.deadline,
            progress,
        )
        .await;
        self.record(sent, failure, attribute, value)
    }

    fn record(
        &mut self,
        sent: Result<(), ApiError>,
        failure: &str,
        attribute: &'static str,
        value: Value,
    ) -> Result<(), ApplyError> {
        if let Err(e) = sent {
            return Err(self.failed(write_failed(failure, &e, self.kafka.region())));
        }
        self.written_at = Some(Instant::now());
        self.reached.set_attr(attribute, value);
        if !self.changed.contains(&attribute) {
            self.changed.push(attribute);
        }
        Ok(())
    }

    /// Waits until the list shows every write (`shows(item)`: `Err` says what it shows
    /// instead) and returns the new state: the plan, with the written attributes as listed
    /// and the computed ones in `fill` taken from the list where the plan has none.
    pub async fn finish(
        self,
        shows: impl Fn(&Item<L>) -> Result<(), String>,
        fill: &[&str],
    ) -> Result<Value, ApplyError> {
        let mut state = support::known_or_null(&self.req.planned_state);
        let Some(written_at) = self.written_at else {
            // Nothing to tell the service (only timeouts changed, say).
            return Ok(state);
        };
        let describe = describe::<L>(&self.key);
        let context = WaitContext {
            what: &format!("the change of {describe} to show"),
            operation: "update",
            limit: self.limit,
            failure_summary: &format!("Cannot confirm the change of {describe}"),
        };
        let name = &self.key.name;
        let check = |found: Result<Option<&Item<L>>, &ApiError>| match found {
            Err(e) => Check::Failed(e.clone()),
            Ok(None) => Check::Failed(ApiError::new(
                L::Query::NOT_FOUND.0,
                None,
                L::Query::NOT_FOUND.1,
                format!("the {} {name} is no longer listed", L::KIND.noun),
            )),
            Ok(Some(item)) => match shows(item) {
                Ok(()) => Check::Done(item.clone()),
                Err(seen) => Check::Pending(seen),
            },
        };
        let waited = wait_for::<L, _>(
            self.ctx,
            self.kafka,
            &self.key,
            written_at,
            self.deadline,
            check,
        )
        .await;
        match waited {
            Ok(item) => {
                let listed = L::state_from(&self.req.planned_state, &item, self.kafka.scope());
                for name in &self.changed {
                    state.set_attr(*name, listed.attr(name).clone());
                }
                // Computed values were planned from the prior state; keep them (the next
                // refresh reads them) so that the result matches the plan.
                for name in fill {
                    if state.attr(name).is_null() {
                        state.set_attr(*name, listed.attr(name).clone());
                    }
                }
                Ok(state)
            }
            Err(error) => {
                for name in &self.changed {
                    state.set_attr(*name, self.reached.attr(name).clone());
                }
                Err(ApplyError::from(support::wait_error(error, &context)).with_state(state))
            }
        }
    }
}
