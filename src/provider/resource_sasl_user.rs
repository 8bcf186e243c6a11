//! Resource `alikafka_sasl_user`.
//!
//! The user is fixed at creation (name, type, mechanism: a change replaces it); its
//! password is set by CreateSaslUser, which sets the password of an existing user again,
//! so a rotation is one more CreateSaslUser. The password comes from `password_wo`
//! (write-only, Terraform 1.11+: never in a plan or state) or `password` (sensitive, any
//! Terraform). A password changed outside Terraform shows in the plan as an update that
//! sets the configured one again: see [`password_check`] for how that is known without
//! keeping the password.

use async_trait::async_trait;
use serde::Deserialize;

use super::access::{self, UserKey, USER_TYPES};
use super::from_alicloud;
use super::identity;
use super::journal;
use super::kafka::Scope;
use super::lifecycle::{self, Item, Kind, Listed, ObjectKey};
use super::lists::SaslUsersOf;
use super::password_check::{self, Verdict};
use super::support;
use super::Shared;
use crate::api::{
    CreateSaslUserRequest, DeleteSaslUserRequest, SaslUser, SaslUserType, SecretString,
};
use crate::tfplugin::cty::{AttributePath, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::validators::one_of;
use crate::tfplugin::framework::{
    ApplyError, Context, CreateRequest, DeleteRequest, MoveStateRequest, Plan, PlanRequest,
    ReadRequest, Resource, Timeouts, UpdateRequest,
};
use crate::tfplugin::schema::{Attribute, Description, IdentitySchema, Schema};

pub const TYPE_NAME: &str = "alikafka_sasl_user";
/// When the provider last sent the password: unknown in a plan that sends it.
const PASSWORD_SET_AT: &str = "password_set_at";
const SCRAM: &str = "scram";

/// Which attribute to use on which Terraform, for messages.
const WHICH_PASSWORD: &str = "Use password_wo with password_wo_version on Terraform 1.11 or \
                              later (the password is then kept in no plan and no state), or \
                              password on earlier versions (Terraform keeps it in the state, \
                              marked sensitive).";

pub struct SaslUserResource {
    shared: Shared,
}

impl SaslUserResource {
    pub fn new(shared: Shared) -> SaslUserResource {
        SaslUserResource { shared }
    }
}

/// The configured part of a user, from a plan (with its write-only password) or a state.
/// No `Debug`: it holds the password.
#[derive(Deserialize)]
pub struct UserSpec {
    instance_id: String,
    username: String,
    #[serde(rename = "type")]
    user_type: Option<String>,
    mechanism: Option<String>,
    password: Option<SecretString>,
    password_wo: Option<SecretString>,
}

impl UserSpec {
    /// The password to send: `password_wo`, else `password`.
    fn configured_password(&self) -> Option<&SecretString> {
        self.password_wo.as_ref().or(self.password.as_ref())
    }

    fn user_type(&self) -> &str {
        self.user_type.as_deref().unwrap_or(USER_TYPES[0])
    }

    fn create_request(&self) -> Result<CreateSaslUserRequest, Diagnostics> {
        let password = self.configured_password().cloned().ok_or_else(|| {
            Diagnostics::error("No password configured", WHICH_PASSWORD.to_string())
        })?;
        Ok(CreateSaslUserRequest {
            instance_id: self.instance_id.clone(),
            username: self.username.clone(),
            password,
            user_type: Some(api_type(self.user_type())),
            mechanism: self.mechanism.clone(),
        })
    }
}

fn api_type(user_type: &str) -> SaslUserType {
    if user_type.eq_ignore_ascii_case(SCRAM) {
        SaslUserType::Scram
    } else {
        SaslUserType::Plain
    }
}

/// SASL users in the instance's shared user list.
pub struct SaslUsers;

impl Listed for SaslUsers {
    type Query = SaslUsersOf;
    type Spec = UserSpec;

    const KIND: Kind = Kind {
        type_name: TYPE_NAME,
        noun: "SASL user",
        ready: "listed",
        name_attribute: "username",
        journal: journal::Kind::SaslUser,
    };

    /// CreateSaslUser on an existing user sets its password.
    const CREATE_ACCEPTS_EXISTING: bool = true;

    /// The type tells a PLAIN user from a SCRAM one of the same name; an import may leave
    /// it out when the instance has only one.
    fn identity_optional_attributes() -> Vec<&'static str> {
        vec!["type"]
    }

    fn key(state: &Value) -> Option<ObjectKey> {
        let key = UserKey {
            username: state.attr("username").as_str()?.to_string(),
            user_type: state.attr("type").as_str().map(str::to_string),
            mechanism: state.attr("mechanism").as_str().map(str::to_string),
        };
        Some(access::object_key(
            state.attr("instance_id").as_str()?,
            key.name(),
        ))
    }

    /// `<instance_id>:<username>`, as the alicloud provider's.
    fn id(key: &ObjectKey) -> String {
        format!("{}:{}", key.instance_id, UserKey::parse(&key.name).username)
    }

    fn shown(key: &ObjectKey) -> String {
        let user = UserKey::parse(&key.name);
        match user.user_type {
            Some(t) => format!("{} ({t})", user.username),
            None => user.username,
        }
    }

    /// Decides whether a user found after an unanswered create is the one this apply made:
    /// its password says so (and is never shown).
    fn differences(spec: &UserSpec, user: &SaslUser) -> Vec<String> {
        let sent = spec.configured_password();
        if user.password.is_empty() || sent == Some(&user.password) {
            Vec::new()
        } else {
            vec!["its password is not the configured one".to_string()]
        }
    }

    fn state_from(base: &Value, user: &SaslUser, scope: &Scope) -> Value {
        let mut state = base.clone();
        let instance_id = base.attr("instance_id").as_str().unwrap_or_default();
        let user_type = if user.user_type.is_empty() {
            base.attr("type")
                .as_str()
                .unwrap_or(USER_TYPES[0])
                .to_string()
        } else {
            user.user_type.to_ascii_lowercase()
        };
        let mechanism = match &user.mechanism {
            Some(m) if !m.is_empty() => Value::from(m.as_str()),
            _ => support::known_or_null(base.attr("mechanism")),
        };
        let id = format!("{instance_id}:{}", user.username);
        for (name, value) in [
            ("id", Value::from(id)),
            ("username", Value::from(user.username.as_str())),
            ("type", Value::from(user_type)),
            ("mechanism", mechanism),
            ("region_id", Value::from(scope.region.as_str())),
        ] {
            state.set_attr(name, value);
        }
        state
    }

    /// A salted digest of the listed password, for the plan to compare (never the
    /// password); the one kept so far while it still holds, so that the state does not
    /// change with each refresh.
    fn private_from(user: &Item<Self>, prior: &[u8]) -> Option<Vec<u8>> {
        let (name, user_type) = (&user.username, &user.user_type);
        if password_check::compare(prior, name, user_type, user.password.expose())
            == Verdict::Matches
        {
            return Some(prior.to_vec());
        }
        password_check::private_for_listed(name, user_type, &user.password)
    }
}

/// Now, as `password_set_at` shows it.
fn now() -> Value {
    Value::from(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// `state` with `password_set_at` set to now: what create and update write.
fn stamped(state: &Value) -> Value {
    let mut state = state.clone();
    state.set_attr(PASSWORD_SET_AT, now());
    state
}

/// Whether the service lists a password other than the configured one (as far as this
/// process's last refresh can tell).
fn drifted(req: &PlanRequest, planned: &Value) -> bool {
    let config = &req.config;
    let configured = config
        .attr("password_wo")
        .as_str()
        .or_else(|| config.attr("password").as_str());
    let (Some(configured), Some(username)) = (configured, planned.attr("username").as_str()) else {
        return false;
    };
    let user_type = planned.attr("type").as_str().unwrap_or(USER_TYPES[0]);
    password_check::compare(&req.prior_private, username, user_type, configured) == Verdict::Differs
}

/// After the service lists the password just sent: the check a refresh would leave
/// (until the next one), in place of the last refresh's, which saw the one before.
fn remember_sent(ctx: &Context, state: &Value, sent: &CreateSaslUserRequest) {
    let user_type = state.attr("type").as_str().unwrap_or(USER_TYPES[0]);
    let check = password_check::private_for_listed(&sent.username, user_type, &sent.password);
    ctx.set_private(check.unwrap_or_default());
}

fn drift_warning(planned: &Value) -> Diagnostic {
    let username = planned.attr("username").as_str().unwrap_or_default();
    let instance = planned.attr("instance_id").as_str().unwrap_or_default();
    Diagnostic::warning(
        format!("The password of SASL user {username} is not the configured one"),
        format!(
            "The service lists another password for SASL user {username} on instance \
             {instance}: it was changed outside Terraform (or the configured password changed \
             without a new password_wo_version). This plan sets the configured password \
             again; password_set_at shows the update."
        ),
    )
}

fn set(config: &Value, name: &str) -> bool {
    !config.attr(name).is_null()
}

#[async_trait]
impl Resource for SaslUserResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut attributes = support::key_attributes("user", "username");
        attributes.extend([
            Attribute::string("username")
                .required()
                .requires_replace()
                .validator(access::username)
                .markdown_description(
                    "Name of the user, as clients give it in their SASL configuration: 1 to 64 \
                     characters, without spaces, control characters or `:` (checked at plan \
                     time). Changing it replaces the user.",
                ),
            Attribute::string("type")
                .optional()
                .computed()
                .default("plain")
                .requires_replace()
                .validator(one_of(&USER_TYPES))
                .markdown_description(
                    "`plain` (SASL/PLAIN, the default) or `scram` (SASL/SCRAM). Changing it \
                     replaces the user.",
                ),
            Attribute::string("mechanism")
                .optional()
                .computed()
                .use_state_for_unknown()
                .requires_replace()
                .validator(access::mechanism)
                .markdown_description(
                    "Serverless instances only, `scram` users only: `SCRAM-SHA-512` (the \
                     service's default) or `SCRAM-SHA-256`. Changing it replaces the user.",
                ),
            Attribute::string("password_wo")
                .optional()
                .sensitive()
                .write_only()
                .validator(access::password)
                .markdown_description(
                    "The password, write-only (Terraform 1.11 and later): sent to the service, \
                     never kept in a plan or the state. 1 to 64 characters. Set \
                     `password_wo_version` with it; a new version sends a new password.",
                ),
            Attribute::number("password_wo_version")
                .optional()
                .markdown_description(
                    "Any number, required with `password_wo`: changing it sends \
                     `password_wo` again (a rotation).",
                ),
            Attribute::string("password")
                .optional()
                .sensitive()
                .validator(access::password)
                .markdown_description(
                    "The password, for Terraform before 1.11: 1 to 64 characters. Terraform \
                     keeps it in the state, marked sensitive. A change sends the new one. Set \
                     either this or `password_wo`.",
                ),
            Attribute::string(PASSWORD_SET_AT)
                .computed()
                .use_state_for_unknown()
                .markdown_description(
                    "When this provider last sent the password (RFC 3339, UTC): at creation, \
                     on a change of `password` or `password_wo_version`, and when it sets the \
                     configured password again after a change outside Terraform. Null after \
                     an import until Terraform sets the password.",
                ),
            support::region_id_attribute(),
            Timeouts::attribute_for(&["create", "update", "delete"]),
        ]);
        Schema::new(attributes).description(Description::markdown(
            "Manages a SASL user of a Message Queue for Apache Kafka instance, and its password.",
        ))
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        let mut out = Diagnostics::new();
        let (plain, write_only) = (set(config, "password"), set(config, "password_wo"));
        let version = set(config, "password_wo_version");
        if plain && write_only {
            out.push(
                Diagnostic::error(
                    "Conflicting password attributes",
                    format!("Set one of password and password_wo, not both. {WHICH_PASSWORD}"),
                )
                .at(AttributePath::attr("password")),
            );
        } else if !plain && !write_only {
            out.push(Diagnostic::error(
                "No password configured",
                format!("A SASL user needs a password. {WHICH_PASSWORD}"),
            ));
        } else if write_only && !version {
            out.push(
                Diagnostic::error(
                    "password_wo_version is required with password_wo",
                    "Terraform keeps no trace of password_wo, so only a change of \
                     password_wo_version can tell it to send a new password: set \
                     password_wo_version (any number, such as 1) and change it with each new \
                     password.",
                )
                .at(AttributePath::attr("password_wo_version")),
            );
        } else if plain && version {
            out.push(
                Diagnostic::error(
                    "password_wo_version belongs to password_wo",
                    "password_wo_version versions a write-only password_wo; with password, a \
                     change of password itself sends it. Remove password_wo_version, or move \
                     to password_wo (Terraform 1.11 or later).",
                )
                .at(AttributePath::attr("password_wo_version")),
            );
        }
        let user_type = config.attr("type");
        let plain_user = user_type.is_null() || user_type.as_str().is_some_and(|t| t != SCRAM);
        if set(config, "mechanism") && plain_user {
            out.push(
                Diagnostic::error(
                    "mechanism applies to scram users only",
                    "A SCRAM mechanism is chosen for users of type scram (on serverless \
                     instances): set type = \"scram\", or remove mechanism.",
                )
                .at(AttributePath::attr("mechanism")),
            );
        }
        out
    }

    /// Plans `password_set_at` unknown whenever the apply will send the password: a new
    /// `password` or `password_wo_version`, or a listed password that is not the
    /// configured one. Keeps a mechanism left to the service as it was.
    async fn modify_plan(
        &self,
        ctx: &Context,
        req: &PlanRequest,
        plan: &mut Plan,
    ) -> Result<(), Diagnostics> {
        if req.is_destroy() || req.prior_state.is_null() {
            return Ok(());
        }
        // A mechanism left to the service stays what it was, also when none is known (the
        // generic plan would make a null one unknown, hence a replacement).
        if req.config.attr("mechanism").is_null() {
            let prior = req.prior_state.attr("mechanism").clone();
            plan.planned_state.set_attr("mechanism", prior);
            let path = AttributePath::attr("mechanism");
            plan.requires_replace.retain(|p| *p != path);
        }
        if !plan.requires_replace.is_empty() {
            return Ok(());
        }
        let (prior, planned) = (&req.prior_state, &mut plan.planned_state);
        let changed = ["password", "password_wo_version"]
            .iter()
            .any(|a| prior.attr(a) != planned.attr(a));
        let drift = !changed && drifted(req, planned);
        if drift {
            ctx.report(drift_warning(planned));
        }
        if changed || drift {
            planned.set_attr(PASSWORD_SET_AT, Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, ctx: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        let kafka = self.shared.kafka()?;
        let planned = stamped(&req.planned_state);
        let spec: UserSpec = ctx.decode(&planned)?;
        let request = spec.create_request()?;
        let state = lifecycle::create::<SaslUsers, _>(ctx, &kafka, &planned, &request).await?;
        remember_sent(ctx, &state, &request);
        Ok(state)
    }

    async fn read(&self, ctx: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        lifecycle::read::<SaslUsers>(ctx, &*self.shared.kafka()?, req).await
    }

    /// Sends the password again when the plan says so (`password_set_at` unknown), then
    /// waits until the service lists it.
    async fn update(&self, ctx: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        if !req.planned_state.attr(PASSWORD_SET_AT).is_unknown() {
            return Ok(support::known_or_null(&req.planned_state));
        }
        let kafka = self.shared.kafka()?;
        let stamped_req = UpdateRequest {
            planned_state: stamped(&req.planned_state),
            ..req.clone()
        };
        let spec: UserSpec = ctx.decode(&stamped_req.planned_state)?;
        let request = spec.create_request()?;
        let mut update = lifecycle::Update::<SaslUsers>::new(ctx, &kafka, &stamped_req)?;
        let failure = format!(
            "Cannot set the password of {}",
            lifecycle::describe::<SaslUsers>(update.key())
        );
        let set_at = stamped_req.planned_state.attr(PASSWORD_SET_AT).clone();
        update
            .write(&request, &failure, PASSWORD_SET_AT, set_at)
            .await?;
        let shows = |user: &SaslUser| {
            if user.password.is_empty() || user.password == request.password {
                Ok(())
            } else {
                Err("the previous password still listed".to_string())
            }
        };
        let state = update.finish(shows, &[]).await?;
        remember_sent(ctx, &state, &request);
        Ok(state)
    }

    async fn delete(&self, ctx: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let spec: UserSpec = ctx.decode(&req.prior_state)?;
        let request = DeleteSaslUserRequest {
            user_type: Some(api_type(spec.user_type())),
            instance_id: spec.instance_id,
            username: spec.username,
            mechanism: spec.mechanism,
        };
        let kafka = self.shared.kafka()?;
        lifecycle::delete::<SaslUsers, _>(ctx, &kafka, &req.prior_state, &request).await
    }

    async fn move_state(
        &self,
        _: &Context,
        req: &MoveStateRequest,
    ) -> Result<Option<Value>, Diagnostics> {
        from_alicloud::sasl_user(&self.schema(), req)
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::schema::<SaslUsers>(&self.schema()))
    }

    async fn import_by_identity(
        &self,
        ctx: &Context,
        _: &IdentitySchema,
        identity: &Value,
    ) -> Result<Value, Diagnostics> {
        // `<instance_id>:<username>[:<type>]`, as an import by ID takes it.
        let (Some(instance_id), Some(username)) = (
            identity.attr("instance_id").as_str(),
            identity.attr("username").as_str(),
        ) else {
            return Err(identity::incomplete::<SaslUsers>());
        };
        let id = match identity.attr("type").as_str() {
            Some(user_type) => format!("{instance_id}:{username}:{user_type}"),
            None => format!("{instance_id}:{username}"),
        };
        self.import(ctx, &id).await
    }

    /// `<instance_id>:<username>`, or `<instance_id>:<username>:<type>` to choose between
    /// users of one name. An import cannot know the password: the first apply sets it.
    async fn import(&self, ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let (instance_id, mut key) = UserKey::parse_import_id(id)?;
        if key.user_type.is_none() {
            key.user_type = self.only_type(ctx, &instance_id, &key.username).await?;
        }
        Ok(support::object_with(
            &self.schema(),
            &[
                ("id", Value::from(format!("{instance_id}:{}", key.username))),
                ("instance_id", Value::from(instance_id.as_str())),
                ("username", Value::from(key.username.as_str())),
                ("type", Value::from(key.user_type)),
            ],
        ))
    }
}

impl SaslUserResource {
    /// The type of the one user named `username` (`None` when there is none: the read
    /// that follows then finds nothing to import).
    async fn only_type(
        &self,
        ctx: &Context,
        instance_id: &str,
        username: &str,
    ) -> Result<Option<String>, Diagnostics> {
        let kafka = self.shared.kafka()?;
        let query = SaslUsersOf(instance_id.to_string());
        let users = ctx.run(kafka.lists::<SaslUsersOf>().get(&query)).await?;
        let users = users.map_err(|e| {
            super::diag::api_errors(
                format!("Cannot list the SASL users of instance {instance_id}"),
                &e,
            )
        })?;
        let mut types: Vec<String> = users
            .iter()
            .filter(|u| u.username == username)
            .map(|u| u.user_type.to_ascii_lowercase())
            .collect();
        types.dedup();
        match types.len() {
            0 | 1 => Ok(types.pop()),
            _ => Err(Diagnostics::error(
                "Several SASL users of this name",
                format!(
                    "Instance {instance_id} has SASL users named {username} of types {}: \
                     import one of them by \"{instance_id}:{username}:<type>\".",
                    types.join(" and ")
                ),
            )),
        }
    }
}

#[cfg(test)]
#[path = "resource_sasl_user_test.rs"]
mod tests;
