//! The framework and ProviderServer, driven through the generated `Provider` trait with
//! requests built as Terraform builds them, using a small provider defined here.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alikafka::tfplugin::cty::{msgpack, AttributePath, Type, Value};
use alikafka::tfplugin::diagnostics::{path_from_proto, Diagnostic, Diagnostics};
use alikafka::tfplugin::framework::validators::{int_between, one_of, string_length};
use alikafka::tfplugin::framework::{
    ApplyError, ConfigureRequest, Context, CreateRequest, DataSource, DeleteRequest, Plan,
    PlanRequest, ProviderData, ProviderDef, ReadRequest, Resource, Timeouts, UpdateRequest,
};
use alikafka::tfplugin::proto::tfplugin6 as pb;
use alikafka::tfplugin::proto::tfplugin6::provider_server::Provider;
use alikafka::tfplugin::schema::{Attribute, NestedType, Schema};
use alikafka::tfplugin::service::ProviderServer;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tonic::Request;

// ---------------------------------------------------------------- the test provider

#[derive(Default)]
struct Shared {
    deleted: Mutex<Vec<String>>,
    slow_started: Notify,
}

struct TestProvider {
    client: ProviderData<String>,
    shared: Arc<Shared>,
}

struct Thing {
    client: ProviderData<String>,
    shared: Arc<Shared>,
}

struct Lookup;

#[derive(Debug, Serialize, Deserialize)]
struct ThingModel {
    id: Option<String>,
    name: String,
    size: i64,
    mode: Option<String>,
    arn: Option<String>,
    version: Option<i64>,
    tags: Option<BTreeMap<String, String>>,
    settings: Option<Settings>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Settings {
    level: Option<i64>,
    label: Option<String>,
    token: Option<String>,
}

fn thing_schema() -> Schema {
    Schema::new(vec![
        Attribute::string("id").computed().use_state_for_unknown(),
        Attribute::string("name")
            .required()
            .requires_replace()
            .validator(string_length(3, 12)),
        Attribute::number("size")
            .optional()
            .computed()
            .default(1)
            .validator(int_between(1, 100)),
        Attribute::string("mode")
            .optional()
            .validator(one_of(&["a", "b"])),
        Attribute::string("arn").computed(),
        Attribute::number("version")
            .computed()
            .use_state_for_unknown(),
        Attribute::new("tags", Type::map(Type::String)).optional(),
        Attribute::nested(
            "settings",
            NestedType::single(vec![
                Attribute::number("level")
                    .optional()
                    .validator(int_between(0, 5)),
                Attribute::string("label")
                    .optional()
                    .computed()
                    .default("x"),
                Attribute::string("token").computed().sensitive(),
            ]),
        )
        .optional(),
        Timeouts::attribute(),
    ])
    .version(1)
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        thing_schema()
    }

    async fn validate(&self, _ctx: &Context, config: &Value) -> Diagnostics {
        if config.attr("mode").as_str() == Some("b") && config.attr("tags").is_null() {
            return Diagnostic::error("Mode b needs tags", "")
                .at(AttributePath::attr("tags"))
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
        if req.is_destroy() {
            if req.prior_state.attr("name").as_str() == Some("protected") {
                return Err(Diagnostics::error("Protected", "cannot destroy"));
            }
            return Ok(());
        }
        if let (Some(before), Some(after)) = (
            req.prior_state.attr("size").as_i64(),
            plan.planned_state.attr("size").as_i64(),
        ) {
            if after < before {
                return Err(Diagnostic::error("Size can only grow", "")
                    .at(AttributePath::attr("size"))
                    .into());
            }
        }
        if req.config.attr("name").as_str() == Some("badplan") {
            // A buggy hook: plans a value for a non-computed attribute.
            plan.planned_state.set_attr("mode", "a".into());
        }
        Ok(())
    }

    async fn create(&self, ctx: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        let client = self.client.get()?;
        let mut model: ThingModel = ctx.decode(&req.planned_state)?;
        match model.name.as_str() {
            "panic" => panic!("create exploded"),
            "slow" => {
                self.shared.slow_started.notify_one();
                ctx.sleep(Duration::from_secs(60)).await?;
            }
            "half" => {
                let partial = ctx.encode(
                    &ThingModel {
                        id: Some("id-half".into()),
                        ..model
                    },
                    &thing_schema(),
                )?;
                return Err(
                    ApplyError::from(Diagnostics::error("Half done", "")).with_state(partial)
                );
            }
            _ => {}
        }
        model.id = Some(format!("id-{}", model.name));
        model.arn = Some(format!("arn:{client}:{}", model.name));
        model.version = Some(1);
        if let Some(settings) = model.settings.as_mut() {
            settings.token = Some("tok".into());
        }
        ctx.report(Diagnostic::warning("Created", "a warning from create"));
        ctx.set_private(b"private-after-create".to_vec());
        Ok(ctx.encode(&model, &thing_schema())?)
    }

    async fn read(&self, ctx: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        if req.current_state.attr("name").as_str() == Some("gone") {
            return Ok(None);
        }
        if req.current_state.attr("name").as_str() == Some("panic") {
            let empty: Vec<u8> = Vec::new();
            let _ = empty[3];
        }
        let mut state = req.current_state.clone();
        if state.attr("size").is_null() {
            state.set_attr("size", 7.into());
        }
        let _ = ctx;
        Ok(Some(state))
    }

    async fn update(&self, _ctx: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        let mut state = req.planned_state.clone();
        state.set_attr(
            "arn",
            Value::from(format!(
                "arn:updated:{}",
                req.planned_state.attr("name").as_str().unwrap_or("")
            )),
        );
        Ok(state)
    }

    async fn delete(&self, _ctx: &Context, req: &DeleteRequest) -> Result<(), Diagnostics> {
        let name = req
            .prior_state
            .attr("name")
            .as_str()
            .unwrap_or("")
            .to_owned();
        if name == "stuck" {
            return Err(Diagnostics::error("Cannot delete", ""));
        }
        self.shared.deleted.lock().unwrap().push(name);
        Ok(())
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        let name = id
            .strip_prefix("id-")
            .ok_or_else(|| Diagnostics::error("Bad import ID", "expected id-NAME"))?;
        Ok(Value::object([
            ("id", Value::from(id)),
            ("name", Value::from(name)),
        ]))
    }
}

#[async_trait]
impl DataSource for Lookup {
    fn type_name(&self) -> &'static str {
        "test_lookup"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![
            Attribute::string("name")
                .required()
                .validator(string_length(1, 5)),
            Attribute::string("result").computed(),
        ])
    }

    async fn read(&self, _ctx: &Context, config: &Value) -> Result<Value, Diagnostics> {
        let mut state = config.clone();
        let name = config
            .attr("name")
            .as_str()
            .unwrap_or_default()
            .to_uppercase();
        state.set_attr("result", name.into());
        Ok(state)
    }
}

#[async_trait]
impl ProviderDef for TestProvider {
    fn type_name(&self) -> &'static str {
        "test"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![Attribute::string("region")
            .optional()
            .validator(one_of(&["north", "south"]))])
    }

    async fn configure(&self, _ctx: &Context, req: &ConfigureRequest) -> Diagnostics {
        let region = req
            .config
            .attr("region")
            .as_str()
            .unwrap_or("north")
            .to_owned();
        self.client
            .set(format!("{region}@{}", req.terraform_version));
        Diagnostic::warning("Configured", "").into()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing {
            client: self.client.clone(),
            shared: Arc::clone(&self.shared),
        })]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(Lookup)]
    }
}

// ---------------------------------------------------------------- helpers

fn server() -> (Arc<ProviderServer<TestProvider>>, Arc<Shared>) {
    let shared = Arc::new(Shared::default());
    let provider = TestProvider {
        client: ProviderData::new(),
        shared: Arc::clone(&shared),
    };
    (Arc::new(ProviderServer::new(provider)), shared)
}

async fn configured_server() -> (Arc<ProviderServer<TestProvider>>, Arc<Shared>) {
    let (server, shared) = server();
    let config = Value::object([("region", Value::from("south"))]);
    let resp = server
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(dv(&config, &Type::object([("region", Type::String)]))),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.diagnostics.len(), 1, "the configure warning");
    assert_eq!(
        resp.diagnostics[0].severity,
        pb::diagnostic::Severity::Warning as i32
    );
    (server, shared)
}

fn thing_type() -> Type {
    thing_schema().value_type()
}

fn dv(value: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: msgpack::encode(value, ty).unwrap(),
        json: Vec::new(),
    }
}

fn undv(value: Option<pb::DynamicValue>) -> Value {
    msgpack::decode(&value.expect("a value").msgpack, &thing_type()).unwrap()
}

fn errors(diagnostics: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .collect()
}

/// A full object value of the thing type with the given attributes set.
fn thing(attrs: &[(&str, Value)]) -> Value {
    let mut v = Value::object(
        thing_type()
            .object_attributes()
            .unwrap()
            .keys()
            .map(|k| (k.clone(), Value::Null)),
    );
    for (k, val) in attrs {
        v.set_attr(*k, val.clone());
    }
    v
}

/// Terraform's proposed new state: config for everything set; prior values for unset
/// computed attributes (nested objects built the same way).
fn propose(schema_attrs: &[Attribute], prior: &Value, config: &Value) -> Value {
    let mut out = config.clone();
    for a in schema_attrs {
        let c = config.attr(&a.name);
        let p = prior.attr(&a.name);
        let v = if c.is_null() && a.computed {
            p.clone()
        } else if let (Some(nested), Value::Object(_)) = (a.nested_type(), c) {
            propose(&nested.attributes, p, c)
        } else {
            c.clone()
        };
        out.set_attr(a.name.clone(), v);
    }
    out
}

async fn plan(
    server: &ProviderServer<TestProvider>,
    prior: &Value,
    config: &Value,
) -> pb::plan_resource_change::Response {
    let schema = thing_schema();
    let proposed = if config.is_null() {
        Value::Null
    } else {
        propose(&schema.block.attributes, prior, config)
    };
    let ty = thing_type();
    server
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: Some(dv(prior, &ty)),
            proposed_new_state: Some(dv(&proposed, &ty)),
            config: Some(dv(config, &ty)),
            prior_private: b"prior-private".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

async fn apply(
    server: &ProviderServer<TestProvider>,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> pb::apply_resource_change::Response {
    let ty = thing_type();
    server
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: Some(dv(prior, &ty)),
            planned_state: Some(dv(planned, &ty)),
            config: Some(dv(config, &ty)),
            planned_private: b"planned-private".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

async fn validate(server: &ProviderServer<TestProvider>, config: &Value) -> Vec<pb::Diagnostic> {
    server
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: Some(dv(config, &thing_type())),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner()
        .diagnostics
}

fn path_of(d: &pb::Diagnostic) -> AttributePath {
    path_from_proto(d.attribute.as_ref().expect("a path"))
}

fn basic_config() -> Value {
    thing(&[("name", "alpha".into()), ("mode", "a".into())])
}

// ---------------------------------------------------------------- schema and metadata

#[tokio::test]
async fn schema_metadata_and_capabilities() {
    let (server, _) = server();
    let schema = server
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    let caps = schema.server_capabilities.expect("capabilities");
    assert!(caps.plan_destroy && caps.get_provider_schema_optional);
    let thing = &schema.resource_schemas["test_thing"];
    assert_eq!(thing.version, 1);
    let block = thing.block.as_ref().unwrap();
    let name = block.attributes.iter().find(|a| a.name == "name").unwrap();
    assert!(name.required);
    let token = block
        .attributes
        .iter()
        .find(|a| a.name == "settings")
        .unwrap();
    assert!(token.nested_type.is_some());
    assert!(schema.data_source_schemas.contains_key("test_lookup"));
    assert!(schema.provider.is_some());

    let identities = server
        .get_resource_identity_schemas(Request::new(pb::get_resource_identity_schemas::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(identities.identity_schemas.is_empty() && identities.diagnostics.is_empty());

    let meta = server
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.resources[0].type_name, "test_thing");
    assert_eq!(meta.data_sources[0].type_name, "test_lookup");
    assert!(meta.server_capabilities.unwrap().plan_destroy);

    let functions = server
        .get_functions(Request::new(pb::get_functions::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(functions.functions.is_empty() && functions.diagnostics.is_empty());
}

#[tokio::test]
async fn schema_mistakes_are_reported_by_get_provider_schema() {
    struct Broken;
    #[async_trait]
    impl ProviderDef for Broken {
        fn type_name(&self) -> &'static str {
            "broken"
        }
        fn schema(&self) -> Schema {
            Schema::new(vec![Attribute::string("x").optional().default("d")])
        }
        async fn configure(&self, _: &Context, _: &ConfigureRequest) -> Diagnostics {
            Diagnostics::new()
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            vec![Arc::new(Thing {
                client: ProviderData::new(),
                shared: Arc::default(),
            })]
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            Vec::new()
        }
    }
    let server = ProviderServer::new(Broken);
    let schema = server
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let details: Vec<&str> = schema
        .diagnostics
        .iter()
        .map(|d| d.detail.as_str())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("x: a default needs optional and computed")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("test_thing: type names must start with \"broken_\"")),
        "{details:?}"
    );
}

// ---------------------------------------------------------------- validation

#[tokio::test]
async fn validators_report_attribute_paths() {
    let (server, _) = server();
    assert!(validate(&server, &basic_config()).await.is_empty());

    let bad = thing(&[
        ("name", "ab".into()),
        ("size", 500.into()),
        ("mode", "c".into()),
        (
            "settings",
            Value::object([
                ("level", Value::from(9)),
                ("label", Value::Null),
                ("token", Value::Null),
            ]),
        ),
        (
            "timeouts",
            Value::object([
                ("create", Value::from("soon")),
                ("read", Value::Null),
                ("update", Value::Null),
                ("delete", Value::from("5m")),
            ]),
        ),
    ]);
    let diags = validate(&server, &bad).await;
    let mut paths: Vec<String> = diags.iter().map(|d| path_of(d).to_string()).collect();
    paths.sort();
    assert_eq!(
        paths,
        ["mode", "name", "settings.level", "size", "timeouts.create"]
    );
    let name = diags
        .iter()
        .find(|d| path_of(d) == AttributePath::attr("name"))
        .unwrap();
    assert!(name.detail.contains("between 3 and 12"), "{}", name.detail);

    // Unknown values are not validated; the resource's own check still runs.
    let unknown = thing(&[("name", Value::Unknown), ("mode", "b".into())]);
    let diags = validate(&server, &unknown).await;
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].summary, "Mode b needs tags");
    assert_eq!(path_of(&diags[0]), AttributePath::attr("tags"));
}

#[tokio::test]
async fn provider_and_data_source_validation() {
    let (server, _) = server();
    let provider_ty = Type::object([("region", Type::String)]);
    let diags = server
        .validate_provider_config(Request::new(pb::validate_provider_config::Request {
            config: Some(dv(
                &Value::object([("region", Value::from("west"))]),
                &provider_ty,
            )),
        }))
        .await
        .unwrap()
        .into_inner()
        .diagnostics;
    assert_eq!(diags.len(), 1);
    assert_eq!(path_of(&diags[0]), AttributePath::attr("region"));

    let lookup_ty = Type::object([("name", Type::String), ("result", Type::String)]);
    let diags = server
        .validate_data_resource_config(Request::new(pb::validate_data_resource_config::Request {
            type_name: "test_lookup".into(),
            config: Some(dv(
                &Value::object([("name", Value::from("toolong"))]),
                &lookup_ty,
            )),
        }))
        .await
        .unwrap()
        .into_inner()
        .diagnostics;
    assert_eq!(diags.len(), 1);
    assert_eq!(path_of(&diags[0]), AttributePath::attr("name"));

    let read = server
        .read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "test_lookup".into(),
            config: Some(dv(
                &Value::object([("name", Value::from("abc"))]),
                &lookup_ty,
            )),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(read.diagnostics.is_empty());
    let state = msgpack::decode(&read.state.unwrap().msgpack, &lookup_ty).unwrap();
    assert_eq!(state.attr("result").as_str(), Some("ABC"));
}

#[tokio::test]
async fn unknown_type_names_are_error_diagnostics() {
    let (server, _) = server();
    let resp = server
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_nope".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        errors(&resp.diagnostics)[0].summary,
        "Unknown resource type"
    );
    let resp = server
        .read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "test_nope".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        errors(&resp.diagnostics)[0].summary,
        "Unknown data source type"
    );
}

// ---------------------------------------------------------------- planning

#[tokio::test]
async fn create_plan_applies_defaults_and_leaves_computed_unknown() {
    let (server, _) = server();
    let config = thing(&[
        ("name", "alpha".into()),
        (
            "settings",
            Value::object([
                ("level", Value::from(2)),
                ("label", Value::Null),
                ("token", Value::Null),
            ]),
        ),
    ]);
    let resp = plan(&server, &Value::Null, &config).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert!(resp.requires_replace.is_empty());
    assert_eq!(resp.planned_private, b"prior-private");
    let planned = undv(resp.planned_state);
    assert!(planned.attr("id").is_unknown());
    assert!(planned.attr("arn").is_unknown());
    assert!(
        planned.attr("version").is_unknown(),
        "no prior state to keep"
    );
    assert_eq!(planned.attr("size"), &Value::from(1), "default");
    assert!(
        planned.attr("mode").is_null(),
        "optional, not computed: stays null"
    );
    assert_eq!(
        planned.at(&AttributePath::attr("settings").attribute("label")),
        &Value::from("x")
    );
    assert!(planned
        .at(&AttributePath::attr("settings").attribute("token"))
        .is_unknown());
    assert_eq!(
        planned.at(&AttributePath::attr("settings").attribute("level")),
        &Value::from(2)
    );
    assert!(planned.attr("timeouts").is_null());
}

async fn created(server: &ProviderServer<TestProvider>, config: &Value) -> Value {
    let planned = undv(plan(server, &Value::Null, config).await.planned_state);
    let resp = apply(server, &Value::Null, &planned, config).await;
    assert!(
        errors(&resp.diagnostics).is_empty(),
        "{:?}",
        resp.diagnostics
    );
    undv(resp.new_state)
}

#[tokio::test]
async fn unchanged_config_plans_no_change() {
    let (server, _) = configured_server().await;
    let config = basic_config();
    let state = created(&server, &config).await;
    let resp = plan(&server, &state, &config).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert_eq!(
        undv(resp.planned_state),
        state,
        "no unknowns when nothing changes"
    );
    assert!(resp.requires_replace.is_empty());
}

#[tokio::test]
async fn update_plan_keeps_use_state_for_unknown_values() {
    let (server, _) = configured_server().await;
    let state = created(&server, &basic_config()).await;
    let config = thing(&[("name", "alpha".into()), ("mode", "b".into())]);
    let resp = plan(&server, &state, &config).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let planned = undv(resp.planned_state);
    assert_eq!(planned.attr("id"), state.attr("id"));
    assert_eq!(planned.attr("version"), &Value::from(1));
    assert!(
        planned.attr("arn").is_unknown(),
        "computed without use_state_for_unknown"
    );
    assert_eq!(planned.attr("mode"), &Value::from("b"));
    assert!(resp.requires_replace.is_empty());
}

#[tokio::test]
async fn requires_replace_paths_and_default_restoring() {
    let (server, _) = configured_server().await;
    let state = created(
        &server,
        &thing(&[("name", "alpha".into()), ("size", 5.into())]),
    )
    .await;

    let renamed = thing(&[("name", "beta".into()), ("size", 5.into())]);
    let resp = plan(&server, &state, &renamed).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let paths: Vec<AttributePath> = resp.requires_replace.iter().map(path_from_proto).collect();
    assert_eq!(paths, [AttributePath::attr("name")]);

    // Removing `size` from the config plans its default (1), which the hook refuses.
    let resp = plan(&server, &state, &thing(&[("name", "alpha".into())])).await;
    let errs = errors(&resp.diagnostics);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].summary, "Size can only grow");
    assert_eq!(path_of(errs[0]), AttributePath::attr("size"));
    assert!(resp.planned_state.is_none());
}

#[tokio::test]
async fn destroy_plans_pass_through_and_reach_the_hook() {
    let (server, _) = configured_server().await;
    let state = created(&server, &basic_config()).await;
    let resp = plan(&server, &state, &Value::Null).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert!(undv(resp.planned_state).is_null());

    let protected = created(&server, &thing(&[("name", "protected".into())])).await;
    let resp = plan(&server, &protected, &Value::Null).await;
    assert_eq!(errors(&resp.diagnostics)[0].summary, "Protected");
}

#[tokio::test]
async fn a_hook_breaking_terraform_rules_is_caught() {
    let (server, _) = server();
    let resp = plan(&server, &Value::Null, &thing(&[("name", "badplan".into())])).await;
    let errs = errors(&resp.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", resp.diagnostics);
    assert_eq!(errs[0].summary, "Provider produced an invalid plan");
    assert_eq!(path_of(errs[0]), AttributePath::attr("mode"));
}

// ---------------------------------------------------------------- apply, read, import

#[tokio::test]
async fn apply_creates_updates_and_deletes() {
    let (server, shared) = configured_server().await;
    let config = basic_config();
    let planned = undv(plan(&server, &Value::Null, &config).await.planned_state);
    let resp = apply(&server, &Value::Null, &planned, &config).await;
    assert_eq!(resp.private, b"private-after-create");
    let warnings: Vec<_> = resp
        .diagnostics
        .iter()
        .map(|d| d.summary.as_str())
        .collect();
    assert_eq!(
        warnings,
        ["Created"],
        "warnings reported through the context"
    );
    let state = undv(resp.new_state);
    assert_eq!(state.attr("id").as_str(), Some("id-alpha"));
    assert_eq!(state.attr("arn").as_str(), Some("arn:south@1.15.5:alpha"));

    let config2 = thing(&[
        ("name", "alpha".into()),
        ("mode", "b".into()),
        ("tags", Value::Map(BTreeMap::new())),
    ]);
    let planned2 = undv(plan(&server, &state, &config2).await.planned_state);
    let resp = apply(&server, &state, &planned2, &config2).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert_eq!(
        resp.private, b"planned-private",
        "passed through when not set"
    );
    let state2 = undv(resp.new_state);
    assert_eq!(state2.attr("arn").as_str(), Some("arn:updated:alpha"));
    assert_eq!(state2.attr("id"), state.attr("id"));

    let resp = apply(&server, &state2, &Value::Null, &Value::Null).await;
    assert!(resp.diagnostics.is_empty());
    assert!(undv(resp.new_state).is_null());
    assert_eq!(*shared.deleted.lock().unwrap(), ["alpha"]);
}

#[tokio::test]
async fn failed_applies_keep_what_exists() {
    let (server, _) = configured_server().await;
    // A failed delete keeps the prior state.
    let stuck = created(&server, &thing(&[("name", "stuck".into())])).await;
    let resp = apply(&server, &stuck, &Value::Null, &Value::Null).await;
    assert_eq!(errors(&resp.diagnostics)[0].summary, "Cannot delete");
    assert_eq!(undv(resp.new_state), stuck);

    // A create that fails half way returns its partial state.
    let config = thing(&[("name", "half".into())]);
    let planned = undv(plan(&server, &Value::Null, &config).await.planned_state);
    let resp = apply(&server, &Value::Null, &planned, &config).await;
    assert_eq!(errors(&resp.diagnostics)[0].summary, "Half done");
    let partial = undv(resp.new_state);
    assert_eq!(partial.attr("id").as_str(), Some("id-half"));
    assert!(
        partial.is_wholly_known(),
        "unknowns never reach Terraform after apply"
    );
}

#[tokio::test]
async fn create_before_configure_is_an_error_not_a_crash() {
    let (server, _) = server();
    let config = basic_config();
    let planned = undv(plan(&server, &Value::Null, &config).await.planned_state);
    let resp = apply(&server, &Value::Null, &planned, &config).await;
    assert_eq!(
        errors(&resp.diagnostics)[0].summary,
        "Provider not configured"
    );
    assert!(undv(resp.new_state).is_null());
}

#[tokio::test]
async fn read_import_and_gone_resources() {
    let (server, _) = configured_server().await;
    let ty = thing_type();
    let imported = server
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "id-beta".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        imported.diagnostics.is_empty(),
        "{:?}",
        imported.diagnostics
    );
    let resource = &imported.imported_resources[0];
    assert_eq!(resource.type_name, "test_thing");
    let state = undv(resource.state.clone());
    assert_eq!(state.attr("name").as_str(), Some("beta"));
    assert!(state.attr("size").is_null(), "unset attributes are null");

    let read = server
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: Some(dv(&state, &ty)),
            private: b"p".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(read.diagnostics.is_empty());
    assert_eq!(undv(read.new_state).attr("size"), &Value::from(7));
    assert_eq!(read.private, b"p");

    let gone = thing(&[("name", "gone".into()), ("id", "id-gone".into())]);
    let read = server
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: Some(dv(&gone, &ty)),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(read.diagnostics.is_empty());
    assert!(
        undv(read.new_state).is_null(),
        "gone: Terraform plans a create"
    );

    let bad = server
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "nope".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&bad.diagnostics)[0].summary, "Bad import ID");
    assert!(bad.imported_resources.is_empty());
}

#[tokio::test]
async fn upgrade_state_reads_current_version_json() {
    let (server, _) = server();
    let raw = serde_json::json!({"name": "alpha", "id": "id-alpha", "size": 3, "dropped": true});
    let upgrade = |version| {
        let server = Arc::clone(&server);
        let raw = raw.clone();
        async move {
            server
                .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                    type_name: "test_thing".into(),
                    version,
                    raw_state: Some(pb::RawState {
                        json: serde_json::to_vec(&raw).unwrap(),
                        flatmap: Default::default(),
                    }),
                }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let resp = upgrade(1).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = undv(resp.upgraded_state);
    assert_eq!(
        state,
        thing(&[
            ("name", "alpha".into()),
            ("id", "id-alpha".into()),
            ("size", 3.into())
        ])
    );
    let resp = upgrade(0).await;
    assert_eq!(
        errors(&resp.diagnostics)[0].summary,
        "Unsupported state version"
    );
}

// ---------------------------------------------------------------- robustness

#[tokio::test]
async fn panics_become_diagnostics_and_the_server_keeps_serving() {
    let (server, _) = configured_server().await;
    let config = thing(&[("name", "panic".into())]);
    let planned = undv(plan(&server, &Value::Null, &config).await.planned_state);
    let resp = apply(&server, &Value::Null, &planned, &config).await;
    let errs = errors(&resp.diagnostics);
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].summary,
        "internal provider error (this is a bug): create exploded"
    );
    assert!(undv(resp.new_state).is_null(), "prior state kept");

    let state = thing(&[("name", "panic".into()), ("id", "id-panic".into())]);
    let read = server
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: Some(dv(&state, &thing_type())),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&read.diagnostics)[0]
        .summary
        .starts_with("internal provider error (this is a bug): index out of bounds"));
    assert_eq!(undv(read.new_state), state);

    // Still serving.
    let ok = created(&server, &basic_config()).await;
    assert_eq!(ok.attr("id").as_str(), Some("id-alpha"));
}

#[tokio::test]
async fn garbage_values_are_diagnostics() {
    let (server, _) = server();
    let resp = server
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![0x81, 0xa4, b'n', b'a', b'm', b'e', 0xc3],
                json: Vec::new(),
            }),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let errs = errors(&resp.diagnostics);
    assert_eq!(errs[0].summary, "Invalid value from Terraform");
    assert!(errs[0].detail.contains("name"), "{}", errs[0].detail);
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_operations_only() {
    let (server, shared) = configured_server().await;
    let config = thing(&[("name", "slow".into())]);
    let planned = undv(plan(&server, &Value::Null, &config).await.planned_state);
    let in_flight = tokio::spawn({
        let server = Arc::clone(&server);
        let (planned, config) = (planned.clone(), config.clone());
        async move { apply(&server, &Value::Null, &planned, &config).await }
    });
    shared.slow_started.notified().await;
    let stopped = server
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stopped.error, "");
    let resp = tokio::time::timeout(Duration::from_secs(10), in_flight)
        .await
        .expect("cancelled promptly")
        .unwrap();
    assert_eq!(errors(&resp.diagnostics)[0].summary, "Operation cancelled");

    // Later requests get a fresh token.
    let ok = created(&server, &basic_config()).await;
    assert_eq!(ok.attr("id").as_str(), Some("id-alpha"));
}

#[tokio::test]
async fn unsupported_rpcs_answer_with_diagnostics() {
    let (server, _) = server();
    let moved = server
        .move_resource_state(Request::new(pb::move_resource_state::Request::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&moved.diagnostics).len(), 1);
    let call = server
        .call_function(Request::new(pb::call_function::Request {
            name: "f".into(),
            arguments: Vec::new(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(call.error.is_some());
    let eph = server
        .open_ephemeral_resource(Request::new(pb::open_ephemeral_resource::Request::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&eph.diagnostics).len(), 1);
}
