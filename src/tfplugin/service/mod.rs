//! [`ProviderServer`]: the generated `tfplugin6` `Provider` gRPC trait implemented on top of
//! the framework's [`ProviderDef`]. Decodes and encodes values, runs validators and the
//! generic plan, dispatches apply to create/update/delete, and turns every panic into an
//! error diagnostic so the server keeps serving.

mod action;
mod function;
mod guard;
mod identity;
mod list;
mod moves;
mod rpc;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::tfplugin::cty::json::{self, JsonOptions};
use crate::tfplugin::cty::{msgpack, Type, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::write_only::has_write_only;
use crate::tfplugin::framework::{
    Action, DataSource, Function, ListResource, ProviderDef, Resource, Signature,
};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::schema::{IdentitySchema, Schema};

/// A resource, data source, list resource or action with its schema and value type,
/// computed once.
struct Registered<T: ?Sized> {
    implementation: Arc<T>,
    schema: Arc<Schema>,
    value_type: Type,
    /// Skips the write-only walks for the (usual) schemas without any.
    has_write_only: bool,
    /// Managed resources only: the identity schema and its value type.
    identity: Option<Arc<Identity>>,
}

/// A managed resource type's identity, as declared.
struct Identity {
    schema: IdentitySchema,
    value_type: Type,
}

impl<T: ?Sized> Registered<T> {
    fn new(implementation: Arc<T>, schema: Schema) -> Registered<T> {
        let value_type = schema.value_type();
        Registered {
            implementation,
            has_write_only: has_write_only(&schema.block),
            schema: Arc::new(schema),
            value_type,
            identity: None,
        }
    }
}

/// A function with its signature, computed once.
struct RegisteredFunction {
    implementation: Arc<dyn Function>,
    signature: Signature,
}

/// Serves a [`ProviderDef`] over plugin protocol 6. Build it once and hand it to
/// `tfplugin::server::serve`.
pub struct ProviderServer<P: ProviderDef> {
    provider: Arc<P>,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<String, Registered<dyn Resource>>,
    data_sources: BTreeMap<String, Registered<dyn DataSource>>,
    list_resources: BTreeMap<String, Registered<dyn ListResource>>,
    actions: BTreeMap<String, Registered<dyn Action>>,
    functions: BTreeMap<String, RegisteredFunction>,
    /// GetProviderSchema's answer, built once.
    schema_response: pb::get_provider_schema::Response,
    /// GetResourceIdentitySchemas' answer, built once.
    identity_response: pb::get_resource_identity_schemas::Response,
    /// Parent of every request's token; StopProvider cancels it and installs a fresh one,
    /// so in-flight work stops while later requests still run.
    stop: Mutex<CancellationToken>,
}

/// What the server announces it supports. Terraform before 1.8 does not know the last
/// two fields and ignores them.
pub fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        // Always on: a resource that accepts no move answers with an error naming the
        // source, clearer than Terraform's generic refusal.
        move_resource_state: true,
        generate_resource_config: true,
    }
}

/// Registers `items` by name, reporting names declared twice.
fn register<T: ?Sized>(
    problems: &mut Diagnostics,
    what: &str,
    items: impl IntoIterator<Item = (String, Registered<T>)>,
) -> BTreeMap<String, Registered<T>> {
    let mut out = BTreeMap::new();
    for (name, item) in items {
        report_schema_problems(problems, &name, &item.schema);
        if out.insert(name.clone(), item).is_some() {
            problems.push(schema_problem(&name, &format!("{what} declared twice")));
        }
    }
    out
}

impl<P: ProviderDef> ProviderServer<P> {
    pub fn new(provider: P) -> ProviderServer<P> {
        ProviderServer::from_arc(Arc::new(provider))
    }

    pub fn from_arc(provider: Arc<P>) -> ProviderServer<P> {
        let mut problems = Diagnostics::new();
        let provider_schema = provider.schema();
        report_schema_problems(&mut problems, "provider", &provider_schema);
        let prefix = provider.type_name();

        let resources = provider.resources().into_iter().map(|resource| {
            let name = resource.type_name().to_owned();
            check_type_name(&mut problems, prefix, &name);
            let identity = resource.identity_schema().map(|schema| {
                for problem in schema.problems() {
                    problems.push(schema_problem(&name, &problem));
                }
                Arc::new(Identity {
                    value_type: schema.value_type(),
                    schema,
                })
            });
            let schema = resource.schema();
            let mut registered = Registered::new(resource, schema);
            registered.identity = identity;
            (name, registered)
        });
        let resources: Vec<_> = resources.collect();
        let resources = register(&mut problems, "resource type", resources);

        let data_sources: Vec<_> = provider
            .data_sources()
            .into_iter()
            .map(|data_source| {
                let name = data_source.type_name().to_owned();
                check_type_name(&mut problems, prefix, &name);
                let schema = data_source.schema();
                (name, Registered::new(data_source, schema))
            })
            .collect();
        let data_sources = register(&mut problems, "data source type", data_sources);

        let list_resources: Vec<_> = provider
            .list_resources()
            .into_iter()
            .map(|list| {
                let name = list.type_name().to_owned();
                if resources
                    .get(&name)
                    .and_then(|r| r.identity.as_ref())
                    .is_none()
                {
                    problems.push(schema_problem(
                        &name,
                        "a list resource lists a managed resource type of the same name, \
                         which must declare an identity",
                    ));
                }
                let schema = list.schema();
                (name, Registered::new(list, schema))
            })
            .collect();
        let list_resources = register(&mut problems, "list resource type", list_resources);

        let actions: Vec<_> = provider
            .actions()
            .into_iter()
            .map(|action| {
                let name = action.type_name().to_owned();
                check_type_name(&mut problems, prefix, &name);
                let schema = action.schema();
                (name, Registered::new(action, schema))
            })
            .collect();
        let actions = register(&mut problems, "action type", actions);

        let mut functions = BTreeMap::new();
        for function in provider.functions() {
            let name = function.name().to_owned();
            if !valid_function_name(&name) {
                problems.push(schema_problem(
                    &name,
                    "function names start with a letter and use only a-z, 0-9 and _",
                ));
            }
            let signature = function.signature();
            let registered = RegisteredFunction {
                implementation: function,
                signature,
            };
            if functions.insert(name.clone(), registered).is_some() {
                problems.push(schema_problem(&name, "function declared twice"));
            }
        }

        let schema_response = pb::get_provider_schema::Response {
            provider: Some(provider_schema.to_proto()),
            resource_schemas: resources
                .iter()
                .map(|(name, r)| (name.clone(), r.schema.to_proto()))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(name, d)| (name.clone(), d.schema.to_proto()))
                .collect(),
            list_resource_schemas: list_resources
                .iter()
                .map(|(name, l)| (name.clone(), l.schema.to_proto()))
                .collect(),
            action_schemas: actions
                .iter()
                .map(|(name, a)| {
                    let schema = Some(a.schema.to_proto());
                    (name.clone(), pb::ActionSchema { schema })
                })
                .collect(),
            functions: functions
                .iter()
                .map(|(name, f)| (name.clone(), f.signature.to_proto()))
                .collect(),
            diagnostics: problems.to_proto(),
            server_capabilities: Some(server_capabilities()),
            ..Default::default()
        };
        let identity_response = pb::get_resource_identity_schemas::Response {
            identity_schemas: resources
                .iter()
                .filter_map(|(name, r)| {
                    let identity = r.identity.as_ref()?;
                    Some((name.clone(), identity.schema.to_proto()))
                })
                .collect(),
            diagnostics: Vec::new(),
        };

        ProviderServer {
            provider_type: provider_schema.value_type(),
            provider,
            provider_schema,
            resources,
            data_sources,
            list_resources,
            actions,
            functions,
            schema_response,
            identity_response,
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    /// The token new requests derive theirs from.
    fn current_stop_token(&self) -> CancellationToken {
        self.stop
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Cancels in-flight requests; later requests get a fresh token.
    fn stop_in_flight(&self) {
        let mut token = self.stop.lock().unwrap_or_else(|p| p.into_inner());
        token.cancel();
        *token = CancellationToken::new();
    }

    fn resource(&self, type_name: &str) -> Result<&Registered<dyn Resource>, Diagnostics> {
        self.resources.get(type_name).ok_or_else(|| {
            Diagnostics::error(
                "Unknown resource type",
                format!("This provider has no resource type {type_name:?}."),
            )
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&Registered<dyn DataSource>, Diagnostics> {
        self.data_sources.get(type_name).ok_or_else(|| {
            Diagnostics::error(
                "Unknown data source type",
                format!("This provider has no data source type {type_name:?}."),
            )
        })
    }

    fn list_resource(&self, type_name: &str) -> Result<&Registered<dyn ListResource>, Diagnostics> {
        self.list_resources.get(type_name).ok_or_else(|| {
            Diagnostics::error(
                "Unknown list resource type",
                format!("This provider has no list resource type {type_name:?}."),
            )
        })
    }

    fn action(&self, type_name: &str) -> Result<&Registered<dyn Action>, Diagnostics> {
        self.actions.get(type_name).ok_or_else(|| {
            Diagnostics::error(
                "Unknown action type",
                format!("This provider has no action type {type_name:?}."),
            )
        })
    }
}

fn valid_function_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn schema_problem(owner: &str, problem: &str) -> Diagnostic {
    Diagnostic::error(
        "Invalid provider schema (this is a bug in the provider)",
        format!("{owner}: {problem}"),
    )
}

fn report_schema_problems(out: &mut Diagnostics, owner: &str, schema: &Schema) {
    for problem in schema.problems() {
        out.push(schema_problem(owner, &problem));
    }
}

fn check_type_name(out: &mut Diagnostics, provider: &str, type_name: &str) {
    let prefixed = type_name
        .strip_prefix(provider)
        .is_some_and(|rest| rest.starts_with('_') && rest.len() > 1);
    if !prefixed {
        out.push(schema_problem(
            type_name,
            &format!("type names must start with \"{provider}_\""),
        ));
    }
}

/// Decodes a `DynamicValue` (msgpack, else JSON; absent or empty is null).
fn decode_dynamic(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostics> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        msgpack::decode(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        json::decode_bytes(&value.json, ty, JsonOptions::default())
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|e| {
        Diagnostics::error(
            "Invalid value from Terraform",
            format!("The {what} could not be decoded: {e}."),
        )
    })
}

/// Parses stored JSON (state or identity) that Terraform sent.
fn parse_json(bytes: &[u8], what: &str) -> Result<serde_json::Value, Diagnostics> {
    serde_json::from_slice(bytes).map_err(|e| {
        Diagnostics::error(
            format!("Invalid {what}"),
            format!("The {what} is not JSON: {e}."),
        )
    })
}

/// Encodes a value as a msgpack `DynamicValue`.
fn encode_dynamic(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostics> {
    let msgpack = msgpack::encode(value, ty).map_err(|e| {
        let mut d = Diagnostic::error(
            "Internal provider error (this is a bug)",
            format!("The provider produced an invalid {what}: {}.", e.message),
        );
        if !e.path.is_root() {
            d = d.at(e.path);
        }
        Diagnostics::from(d)
    })?;
    Ok(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

/// Replaces unknown values with null and reports them: state after apply (or read) must be
/// wholly known, and Terraform would reject it otherwise.
fn require_known(value: &mut Value, what: &str) -> Diagnostics {
    fn scrub(
        value: &mut Value,
        path: crate::tfplugin::cty::AttributePath,
        found: &mut Vec<String>,
    ) {
        match value {
            Value::Unknown => {
                *value = Value::Null;
                found.push(path.to_string());
            }
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    scrub(item, path.clone().index(i as i64), found);
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries.iter_mut() {
                    scrub(v, path.clone().key(k), found);
                }
            }
            Value::Object(attrs) => {
                for (k, v) in attrs.iter_mut() {
                    scrub(v, path.clone().attribute(k), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    scrub(
        value,
        crate::tfplugin::cty::AttributePath::root(),
        &mut found,
    );
    if found.is_empty() {
        return Diagnostics::new();
    }
    Diagnostics::error(
        "Internal provider error (this is a bug)",
        format!(
            "The provider returned a {what} with values still unknown at: {}.",
            found.join(", ")
        ),
    )
}
