//! [`ProviderServer`]: the generated `tfplugin6` `Provider` gRPC trait implemented on top of
//! the framework's [`ProviderDef`]. Decodes and encodes values, runs validators and the
//! generic plan, dispatches apply to create/update/delete, and turns every panic into an
//! error diagnostic so the server keeps serving.

mod guard;
mod rpc;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::tfplugin::cty::json::{self, JsonOptions};
use crate::tfplugin::cty::{msgpack, Type, Value};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{DataSource, ProviderDef, Resource};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::schema::Schema;

/// A resource or data source with its schema and value type, computed once.
struct Registered<T: ?Sized> {
    implementation: Arc<T>,
    schema: Schema,
    value_type: Type,
}

impl<T: ?Sized> Registered<T> {
    fn new(implementation: Arc<T>, schema: Schema) -> Registered<T> {
        let value_type = schema.value_type();
        Registered {
            implementation,
            schema,
            value_type,
        }
    }
}

/// Serves a [`ProviderDef`] over plugin protocol 6. Build it once and hand it to
/// `tfplugin::server::serve`.
pub struct ProviderServer<P: ProviderDef> {
    provider: Arc<P>,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<String, Registered<dyn Resource>>,
    data_sources: BTreeMap<String, Registered<dyn DataSource>>,
    /// GetProviderSchema's answer, built once.
    schema_response: pb::get_provider_schema::Response,
    /// Parent of every request's token; StopProvider cancels it and installs a fresh one,
    /// so in-flight work stops while later requests still run.
    stop: Mutex<CancellationToken>,
}

/// What the server announces it supports.
pub fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

impl<P: ProviderDef> ProviderServer<P> {
    pub fn new(provider: P) -> ProviderServer<P> {
        ProviderServer::from_arc(Arc::new(provider))
    }

    pub fn from_arc(provider: Arc<P>) -> ProviderServer<P> {
        let mut problems = Diagnostics::new();
        let provider_schema = provider.schema();
        report_schema_problems(&mut problems, "provider", &provider_schema);

        let mut resources = BTreeMap::new();
        for resource in provider.resources() {
            let name = resource.type_name().to_owned();
            let schema = resource.schema();
            report_schema_problems(&mut problems, &name, &schema);
            check_type_name(&mut problems, provider.type_name(), &name);
            if resources
                .insert(name.clone(), Registered::new(resource, schema))
                .is_some()
            {
                problems.push(schema_problem(&name, "resource type declared twice"));
            }
        }
        let mut data_sources = BTreeMap::new();
        for data_source in provider.data_sources() {
            let name = data_source.type_name().to_owned();
            let schema = data_source.schema();
            report_schema_problems(&mut problems, &name, &schema);
            check_type_name(&mut problems, provider.type_name(), &name);
            if data_sources
                .insert(name.clone(), Registered::new(data_source, schema))
                .is_some()
            {
                problems.push(schema_problem(&name, "data source type declared twice"));
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
            diagnostics: problems.to_proto(),
            server_capabilities: Some(server_capabilities()),
            ..Default::default()
        };

        ProviderServer {
            provider_type: provider_schema.value_type(),
            provider,
            provider_schema,
            resources,
            data_sources,
            schema_response,
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
