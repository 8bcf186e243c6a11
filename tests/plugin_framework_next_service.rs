//! The framework's newer RPCs driven through the generated `Provider` trait, with requests
//! built as Terraform 1.15.5 builds them: the edges the Terraform tests cannot reach
//! (identity changes, Terraform without write-only support, listings cancelled midway,
//! panics in functions, lists and actions, schema mistakes).

mod fwnext_support;

use std::sync::Arc;
use std::time::Duration;

use alikafka::tfplugin::cty::{msgpack, AttributePath, Type, Value};
use alikafka::tfplugin::diagnostics::{path_from_proto, Diagnostics};
use alikafka::tfplugin::framework::{
    Action, ActionProgress, ConfigureRequest, Context, DataSource, Function, FunctionError,
    ListRequest, ListResource, ListSink, ProviderDef, Resource, Signature,
};
use alikafka::tfplugin::proto::tfplugin6 as pb;
use alikafka::tfplugin::proto::tfplugin6::provider_server::Provider;
use alikafka::tfplugin::schema::{Attribute, IdentityAttribute, IdentitySchema, Schema};
use alikafka::tfplugin::service::ProviderServer;
use async_trait::async_trait;
use futures::StreamExt;
use fwnext_support::{cloud, remote, thing_schema, FwNext, SharedCloud};
use tonic::Request;

fn dv(value: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: msgpack::encode(value, ty).unwrap(),
        json: Vec::new(),
    }
}

fn thing_type() -> Type {
    thing_schema().value_type()
}

fn identity_type() -> Type {
    Type::object([("name", Type::String), ("zone", Type::String)])
}

fn identity(name: &str, zone: Option<&str>) -> pb::ResourceIdentityData {
    let value = Value::object([("name", Value::from(name)), ("zone", Value::from(zone))]);
    pb::ResourceIdentityData {
        identity_data: Some(dv(&value, &identity_type())),
    }
}

fn decode_identity(data: Option<pb::ResourceIdentityData>) -> Value {
    let data = data
        .expect("an identity")
        .identity_data
        .expect("identity data");
    msgpack::decode(&data.msgpack, &identity_type()).unwrap()
}

fn decode_state(value: Option<pb::DynamicValue>) -> Value {
    msgpack::decode(&value.expect("a value").msgpack, &thing_type()).unwrap()
}

/// A full thing with the given attributes set.
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

fn stored(name: &str, zone: &str) -> Value {
    thing(&[
        ("id", Value::from(format!("thing-{name}"))),
        ("name", name.into()),
        ("zone", zone.into()),
        ("size", 1.into()),
        ("arn", Value::from(format!("arn:{zone}:{name}"))),
    ])
}

fn errors(diagnostics: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .collect()
}

fn capabilities() -> Option<pb::ClientCapabilities> {
    Some(pb::ClientCapabilities {
        deferral_allowed: true,
        write_only_attributes_allowed: true,
    })
}

async fn configured(cloud: &SharedCloud) -> Arc<ProviderServer<FwNext>> {
    let server = Arc::new(ProviderServer::new(FwNext::new(Arc::clone(cloud))));
    let resp = server
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(dv(
                &Value::object(Vec::<(String, Value)>::new()),
                &Type::object(Vec::<(String, Type)>::new()),
            )),
            client_capabilities: capabilities(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    server
}

fn unconfigured(cloud: &SharedCloud) -> ProviderServer<FwNext> {
    ProviderServer::new(FwNext::new(Arc::clone(cloud)))
}

// ---------------------------------------------------------------- schemas

#[tokio::test]
async fn schemas_announce_every_new_part() {
    let server = unconfigured(&cloud());
    let schema = server
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    let caps = schema.server_capabilities.unwrap();
    assert!(caps.move_resource_state && caps.generate_resource_config);
    let block = schema.resource_schemas["fwnext_thing"]
        .block
        .clone()
        .unwrap();
    let secret = block
        .attributes
        .iter()
        .find(|a| a.name == "secret_wo")
        .unwrap();
    assert!(secret.write_only && secret.optional && !secret.computed);
    assert!(block.attributes.iter().filter(|a| a.write_only).count() == 1);
    let list = schema.list_resource_schemas["fwnext_thing"]
        .block
        .clone()
        .unwrap();
    assert_eq!(list.attributes[0].name, "name_prefix");
    let action = schema.action_schemas["fwnext_poke"].schema.clone().unwrap();
    assert_eq!(action.block.unwrap().attributes.len(), 2);
    let parse = &schema.functions["parse_thing_id"];
    assert_eq!(parse.parameters[0].name, "id");
    assert_eq!(
        parse.r#return.as_ref().unwrap().r#type,
        br#"["object",{"name":"string","zone":"string"}]"#.to_vec()
    );

    let identities = server
        .get_resource_identity_schemas(Request::new(pb::get_resource_identity_schemas::Request {}))
        .await
        .unwrap()
        .into_inner();
    let thing = &identities.identity_schemas["fwnext_thing"];
    assert_eq!(thing.version, 0);
    let name = &thing.identity_attributes[0];
    assert!(name.name == "name" && name.required_for_import && !name.optional_for_import);
    assert!(thing.identity_attributes[1].optional_for_import);

    let meta = server
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.list_resources[0].type_name, "fwnext_thing");
    assert_eq!(meta.actions[0].type_name, "fwnext_poke");
    let names: Vec<&str> = meta.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["parse_thing_id", "thing_id"]);
    let functions = server
        .get_functions(Request::new(pb::get_functions::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(functions.functions.len(), 2);
}

#[tokio::test]
async fn mistakes_in_the_new_declarations_are_schema_problems() {
    struct NoIdentity;
    #[async_trait]
    impl ListResource for NoIdentity {
        fn type_name(&self) -> &'static str {
            "bad_thing"
        }
        fn schema(&self) -> Schema {
            Schema::new(vec![])
        }
        async fn list(
            &self,
            _: &Context,
            _: &ListRequest,
            _: &mut ListSink,
        ) -> Result<(), Diagnostics> {
            Ok(())
        }
    }
    struct BadName;
    impl Function for BadName {
        fn name(&self) -> &'static str {
            "Bad-Name"
        }
        fn signature(&self) -> Signature {
            Signature::new(Type::String)
        }
        fn call(&self, _: &[Value]) -> Result<Value, FunctionError> {
            Ok(Value::Null)
        }
    }
    struct Unprefixed;
    #[async_trait]
    impl Action for Unprefixed {
        fn type_name(&self) -> &'static str {
            "other_action"
        }
        fn schema(&self) -> Schema {
            Schema::new(vec![])
        }
        async fn invoke(
            &self,
            _: &Context,
            _: &Value,
            _: &ActionProgress,
        ) -> Result<(), Diagnostics> {
            Ok(())
        }
    }
    struct BadIdentity;
    #[async_trait]
    impl Resource for BadIdentity {
        fn type_name(&self) -> &'static str {
            "bad_resource"
        }
        fn schema(&self) -> Schema {
            Schema::new(vec![Attribute::string("id").computed()])
        }
        fn identity_schema(&self) -> Option<IdentitySchema> {
            Some(IdentitySchema::new(vec![
                IdentityAttribute::string("id"),
                IdentityAttribute::new("tags", Type::map(Type::String)).required_for_import(),
            ]))
        }
        async fn create(
            &self,
            _: &Context,
            _: &alikafka::tfplugin::framework::CreateRequest,
        ) -> Result<Value, alikafka::tfplugin::framework::ApplyError> {
            Ok(Value::Null)
        }
        async fn read(
            &self,
            _: &Context,
            _: &alikafka::tfplugin::framework::ReadRequest,
        ) -> Result<Option<Value>, Diagnostics> {
            Ok(None)
        }
        async fn update(
            &self,
            _: &Context,
            _: &alikafka::tfplugin::framework::UpdateRequest,
        ) -> Result<Value, alikafka::tfplugin::framework::ApplyError> {
            Ok(Value::Null)
        }
        async fn delete(
            &self,
            _: &Context,
            _: &alikafka::tfplugin::framework::DeleteRequest,
        ) -> Result<(), Diagnostics> {
            Ok(())
        }
    }
    struct Broken;
    #[async_trait]
    impl ProviderDef for Broken {
        fn type_name(&self) -> &'static str {
            "bad"
        }
        fn schema(&self) -> Schema {
            Schema::new(vec![])
        }
        async fn configure(&self, _: &Context, _: &ConfigureRequest) -> Diagnostics {
            Diagnostics::new()
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            vec![Arc::new(BadIdentity)]
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            Vec::new()
        }
        fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
            vec![Arc::new(NoIdentity)]
        }
        fn functions(&self) -> Vec<Arc<dyn Function>> {
            vec![Arc::new(BadName)]
        }
        fn actions(&self) -> Vec<Arc<dyn Action>> {
            vec![Arc::new(Unprefixed)]
        }
    }
    let schema = ProviderServer::new(Broken)
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let details: Vec<&str> = schema
        .diagnostics
        .iter()
        .map(|d| d.detail.as_str())
        .collect();
    for expected in [
        "bad_thing: a list resource lists a managed resource type of the same name, which must declare an identity",
        "Bad-Name: function names start with a letter",
        "other_action: type names must start with \"bad_\"",
        "bad_resource: identity.id: must be either required_for_import or optional_for_import",
        "bad_resource: identity.tags: identity attributes are strings, numbers, bools or lists of those",
    ] {
        assert!(details.iter().any(|d| d.starts_with(expected)), "{expected}: {details:?}");
    }
}

// ---------------------------------------------------------------- write-only

#[tokio::test]
async fn write_only_values_are_refused_without_the_capability_and_never_planned() {
    let cloud = cloud();
    let server = configured(&cloud).await;
    let ty = thing_type();
    let config = thing(&[
        ("name", "alpha".into()),
        ("secret_wo", "hunter2".into()),
        ("secret_wo_version", 1.into()),
    ]);
    let validate = |caps: Option<pb::ClientCapabilities>| {
        let server = Arc::clone(&server);
        let config = dv(&config, &ty);
        async move {
            server
                .validate_resource_config(Request::new(pb::validate_resource_config::Request {
                    type_name: "fwnext_thing".into(),
                    config: Some(config),
                    client_capabilities: caps,
                }))
                .await
                .unwrap()
                .into_inner()
                .diagnostics
        }
    };
    // Terraform before 1.11 sends no capabilities.
    let old = validate(None).await;
    assert_eq!(errors(&old).len(), 1, "{old:?}");
    assert_eq!(
        path_from_proto(old[0].attribute.as_ref().unwrap()),
        AttributePath::attr("secret_wo")
    );
    assert!(!old[0].detail.contains("hunter2"), "{}", old[0].detail);
    assert!(validate(capabilities()).await.is_empty());

    let plan = |caps: Option<pb::ClientCapabilities>| {
        let server = Arc::clone(&server);
        let config = dv(&config, &ty);
        async move {
            server
                .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                    type_name: "fwnext_thing".into(),
                    prior_state: Some(dv(&Value::Null, &thing_type())),
                    proposed_new_state: Some(config.clone()),
                    config: Some(config),
                    client_capabilities: caps,
                    ..Default::default()
                }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    assert_eq!(errors(&plan(None).await.diagnostics).len(), 1);
    let planned = plan(capabilities()).await;
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    let planned_state = decode_state(planned.planned_state);
    assert!(planned_state.attr("secret_wo").is_null());
    assert_eq!(planned_state.attr("secret_wo_version"), &Value::from(1));

    let applied = server
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "fwnext_thing".into(),
            prior_state: Some(dv(&Value::Null, &ty)),
            planned_state: Some(dv(&planned_state, &ty)),
            config: Some(dv(&config, &ty)),
            planned_identity: planned.planned_identity,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert!(decode_state(applied.new_state).attr("secret_wo").is_null());
    assert_eq!(
        cloud.lock().unwrap().secrets,
        [("alpha".to_owned(), "hunter2".to_owned())]
    );
}

// ---------------------------------------------------------------- identity

async fn read(
    server: &ProviderServer<FwNext>,
    state: &Value,
    current: Option<pb::ResourceIdentityData>,
) -> pb::read_resource::Response {
    server
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "fwnext_thing".into(),
            current_state: Some(dv(state, &thing_type())),
            current_identity: current,
            client_capabilities: capabilities(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn identities_are_completed_never_changed() {
    let cloud = cloud();
    cloud
        .lock()
        .unwrap()
        .things
        .insert("alpha".into(), remote("alpha", "z2", 1, None));
    let server = configured(&cloud).await;
    let state = stored("alpha", "z2");

    // No identity yet (a state from before identities), or an all-null one: filled in.
    for current in [None, Some(identity_null())] {
        let fresh = read(&server, &state, current).await;
        assert!(fresh.diagnostics.is_empty(), "{:?}", fresh.diagnostics);
        assert_eq!(
            decode_identity(fresh.new_identity),
            Value::object([("name", "alpha".into()), ("zone", "z2".into())])
        );
    }
    // A held identity that the object no longer matches: refused, the state kept.
    let changed = read(&server, &state, Some(identity("alpha", Some("z9")))).await;
    let e = errors(&changed.diagnostics);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].summary, "Unexpected identity change");
    assert!(e[0].detail.contains(r#"zone = "z9""#), "{}", e[0].detail);
    assert_eq!(decode_state(changed.new_state), state);
    assert_eq!(
        decode_identity(changed.new_identity),
        Value::object([("name", "alpha".into()), ("zone", "z9".into())])
    );

    // Planning an update where the identity would change without replacement: refused.
    let ty = thing_type();
    let config = thing(&[
        ("name", "alpha".into()),
        ("zone", "z2".into()),
        ("note", "n".into()),
    ]);
    let mut proposed = state.clone();
    proposed.set_attr("note", "n".into());
    let plan = |prior_identity| {
        let server = Arc::clone(&server);
        let (state, proposed, config) = (dv(&state, &ty), dv(&proposed, &ty), dv(&config, &ty));
        async move {
            server
                .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                    type_name: "fwnext_thing".into(),
                    prior_state: Some(state),
                    proposed_new_state: Some(proposed),
                    config: Some(config),
                    prior_identity,
                    client_capabilities: capabilities(),
                    ..Default::default()
                }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let kept = plan(Some(identity("alpha", Some("z2")))).await;
    assert!(kept.diagnostics.is_empty(), "{:?}", kept.diagnostics);
    assert_eq!(
        decode_identity(kept.planned_identity),
        Value::object([("name", "alpha".into()), ("zone", "z2".into())])
    );
    let refused = plan(Some(identity("beta", Some("z2")))).await;
    assert_eq!(
        errors(&refused.diagnostics)[0].summary,
        "Unexpected identity change"
    );

    // Upgrades: the current version is taken, others refused.
    let upgrade = |version| {
        let server = Arc::clone(&server);
        async move {
            server
                .upgrade_resource_identity(Request::new(pb::upgrade_resource_identity::Request {
                    type_name: "fwnext_thing".into(),
                    version,
                    raw_identity: Some(pb::RawState {
                        json: br#"{"name":"alpha","zone":"z2"}"#.to_vec(),
                        ..Default::default()
                    }),
                }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let upgraded = upgrade(0).await;
    assert!(
        upgraded.diagnostics.is_empty(),
        "{:?}",
        upgraded.diagnostics
    );
    assert_eq!(
        decode_identity(upgraded.upgraded_identity),
        Value::object([("name", "alpha".into()), ("zone", "z2".into())])
    );
    assert_eq!(
        errors(&upgrade(3).await.diagnostics)[0].summary,
        "Unsupported identity version"
    );
}

fn identity_null() -> pb::ResourceIdentityData {
    let value = Value::object([("name", Value::Null), ("zone", Value::Null)]);
    pb::ResourceIdentityData {
        identity_data: Some(dv(&value, &identity_type())),
    }
}

#[tokio::test]
async fn import_by_identity_needs_the_required_attributes() {
    let server = configured(&cloud()).await;
    let import = |id: &str, identity| {
        let server = Arc::clone(&server);
        let id = id.to_owned();
        async move {
            server
                .import_resource_state(Request::new(pb::import_resource_state::Request {
                    type_name: "fwnext_thing".into(),
                    id,
                    client_capabilities: capabilities(),
                    identity,
                }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let by_identity = import("", Some(identity("alpha", None))).await;
    assert!(
        by_identity.diagnostics.is_empty(),
        "{:?}",
        by_identity.diagnostics
    );
    let imported = &by_identity.imported_resources[0];
    assert_eq!(
        decode_state(imported.state.clone()).attr("name"),
        &Value::from("alpha")
    );
    assert_eq!(
        decode_identity(imported.identity.clone()),
        Value::object([("name", "alpha".into()), ("zone", Value::Null)])
    );
    let incomplete = import("", Some(identity_null())).await;
    assert_eq!(
        errors(&incomplete.diagnostics)[0].summary,
        "Import needs an ID or an identity"
    );
    let zone_only = Value::object([("name", Value::Null), ("zone", Value::from("z1"))]);
    let zone_only = pb::ResourceIdentityData {
        identity_data: Some(dv(&zone_only, &identity_type())),
    };
    let missing = import("", Some(zone_only)).await;
    let e = errors(&missing.diagnostics);
    assert_eq!(e[0].summary, "Incomplete identity");
    assert!(e[0].detail.contains("needs name"), "{}", e[0].detail);

    // By ID: the identity comes along when the imported state names it.
    let by_id = import("alpha", None).await;
    assert_eq!(
        decode_identity(by_id.imported_resources[0].identity.clone()),
        Value::object([("name", "alpha".into()), ("zone", Value::Null)])
    );
}

// ---------------------------------------------------------------- moves and generated config

#[tokio::test]
async fn moves_translate_known_sources_and_name_unknown_ones() {
    let server = unconfigured(&cloud());
    let moved = |provider: &str, type_name: &str, version| {
        let req = pb::move_resource_state::Request {
            source_provider_address: provider.to_owned(),
            source_type_name: type_name.to_owned(),
            source_schema_version: version,
            source_state: Some(pb::RawState {
                json: br#"{"id":"w-one","title":"one","weight":4,"arn":"arn:z1:one"}"#.to_vec(),
                ..Default::default()
            }),
            target_type_name: "fwnext_thing".into(),
            ..Default::default()
        };
        let server = &server;
        async move {
            server
                .move_resource_state(Request::new(req))
                .await
                .unwrap()
                .into_inner()
        }
    };
    // The hostname does not matter (mirrors and registries differ).
    let ok = moved("mirror.example.org/test/fwold", "fwold_widget", 0).await;
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    let state = decode_state(ok.target_state);
    assert_eq!(state.attr("name"), &Value::from("one"));
    assert_eq!(state.attr("size"), &Value::from(4));
    assert_eq!(
        decode_identity(ok.target_identity),
        Value::object([("name", "one".into()), ("zone", "z1".into())])
    );
    let unknown = moved("example.com/test/fwold", "fwold_gadget", 0).await;
    let e = errors(&unknown.diagnostics);
    assert_eq!(e[0].summary, "Unsupported move");
    assert!(
        e[0].detail.starts_with("fwnext_thing cannot take the state of fwold_gadget from provider example.com/test/fwold (schema version 0)"),
        "{}",
        e[0].detail
    );
    let other_provider = moved("example.com/else/fwold", "fwold_widget", 0).await;
    assert_eq!(
        errors(&other_provider.diagnostics)[0].summary,
        "Unsupported move"
    );
    let version = moved("example.com/test/fwold", "fwold_widget", 7).await;
    assert_eq!(
        errors(&version.diagnostics)[0].summary,
        "Unknown fwold_widget version"
    );
}

#[tokio::test]
async fn generated_config_leaves_out_what_the_provider_fills_in() {
    let server = unconfigured(&cloud());
    let mut state = stored("alpha", "z1");
    state.set_attr("size", 5.into());
    let resp = server
        .generate_resource_config(Request::new(pb::generate_resource_config::Request {
            type_name: "fwnext_thing".into(),
            state: Some(dv(&state, &thing_type())),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert_eq!(
        decode_state(resp.config),
        thing(&[("name", "alpha".into()), ("size", 5.into())])
    );
}

// ---------------------------------------------------------------- list

async fn events(
    server: &ProviderServer<FwNext>,
    limit: i64,
    include: bool,
) -> Vec<pb::list_resource::Event> {
    let config = Value::object([("name_prefix", Value::from("t-"))]);
    let stream = server
        .list_resource(Request::new(pb::list_resource::Request {
            type_name: "fwnext_thing".into(),
            config: Some(dv(&config, &Type::object([("name_prefix", Type::String)]))),
            include_resource_object: include,
            limit,
        }))
        .await
        .unwrap()
        .into_inner();
    stream.map(|e| e.unwrap()).collect().await
}

fn seeded(n: usize) -> SharedCloud {
    let cloud = cloud();
    for i in 0..n {
        let name = format!("t-{i:03}");
        cloud
            .lock()
            .unwrap()
            .things
            .insert(name.clone(), remote(&name, "z1", 1, None));
    }
    cloud
}

#[tokio::test]
async fn listings_stream_identities_honour_the_limit_and_stop_when_dropped() {
    let cloud = seeded(5);
    let server = configured(&cloud).await;
    let all = events(&server, 100, false).await;
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].display_name, "thing t-000");
    assert!(all
        .iter()
        .all(|e| e.resource_object.is_none() && e.diagnostic.is_empty()));
    assert_eq!(
        decode_identity(all[4].identity.clone()),
        Value::object([("name", "t-004".into()), ("zone", "z1".into())])
    );
    let with_state = events(&server, 2, true).await;
    assert_eq!(with_state.len(), 2, "the limit");
    assert_eq!(
        cloud.lock().unwrap().listed,
        2,
        "the listing stopped at the limit"
    );
    let state = decode_state(with_state[1].resource_object.clone());
    assert_eq!(state.attr("arn"), &Value::from("arn:z1:t-001"));

    // Terraform dropping the stream stops the listing (the buffer holds 64 events).
    let big = seeded(1000);
    let server = configured(&big).await;
    let config = Value::object([("name_prefix", Value::from("t-"))]);
    let mut stream = server
        .list_resource(Request::new(pb::list_resource::Request {
            type_name: "fwnext_thing".into(),
            config: Some(dv(&config, &Type::object([("name_prefix", Type::String)]))),
            include_resource_object: false,
            limit: 1_000_000,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(stream.next().await.is_some());
    drop(stream);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let listed = big.lock().unwrap().listed;
    assert!(
        listed < 200,
        "listed {listed} of 1000 after the stream was dropped"
    );

    // Unconfigured (Terraform configures first; a bug otherwise): one error event.
    let early = unconfigured(&cloud);
    let failed = events(&early, 10, false).await;
    assert_eq!(failed.len(), 1);
    assert!(failed[0].identity.is_none());
    assert_eq!(
        errors(&failed[0].diagnostic)[0].summary,
        "Provider not configured"
    );

    let invalid = server
        .validate_list_resource_config(Request::new(pb::validate_list_resource_config::Request {
            type_name: "fwnext_thing".into(),
            config: Some(dv(
                &Value::object([("name_prefix", Value::from("bad"))]),
                &Type::object([("name_prefix", Type::String)]),
            )),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&invalid.diagnostics)[0].summary, "Bad prefix");
}

// ---------------------------------------------------------------- actions

async fn invoke(
    server: &ProviderServer<FwNext>,
    name: &str,
    times: i64,
) -> Vec<pb::invoke_action::Event> {
    let ty = Type::object([("name", Type::String), ("times", Type::Number)]);
    let config = Value::object([("name", Value::from(name)), ("times", Value::from(times))]);
    server
        .invoke_action(Request::new(pb::invoke_action::Request {
            action_type: "fwnext_poke".into(),
            config: Some(dv(&config, &ty)),
            client_capabilities: capabilities(),
        }))
        .await
        .unwrap()
        .into_inner()
        .map(|e| e.unwrap())
        .collect()
        .await
}

fn completed_diagnostics(event: &pb::invoke_action::Event) -> Vec<pb::Diagnostic> {
    match &event.r#type {
        Some(pb::invoke_action::event::Type::Completed(done)) => done.diagnostics.clone(),
        other => panic!("not a completed event: {other:?}"),
    }
}

#[tokio::test]
async fn actions_stream_progress_then_exactly_one_completion() {
    let cloud = seeded(1);
    let server = configured(&cloud).await;
    let ran = invoke(&server, "t-000", 3).await;
    assert_eq!(ran.len(), 4, "{ran:?}");
    for (i, event) in ran[..3].iter().enumerate() {
        match &event.r#type {
            Some(pb::invoke_action::event::Type::Progress(p)) => {
                assert_eq!(p.message, format!("poked t-000 ({} of 3)", i + 1))
            }
            other => panic!("not progress: {other:?}"),
        }
    }
    assert!(completed_diagnostics(&ran[3]).is_empty());
    assert_eq!(cloud.lock().unwrap().pokes.len(), 3);

    // A refusal by the API, and a config the validators refuse: a completed event each.
    let missing = invoke(&server, "nothing", 1).await;
    assert_eq!(missing.len(), 1);
    assert_eq!(
        errors(&completed_diagnostics(&missing[0]))[0].summary,
        "No such thing"
    );
    let invalid = invoke(&server, "t-000", 9).await;
    assert_eq!(invalid.len(), 1);
    assert_eq!(
        errors(&completed_diagnostics(&invalid[0]))[0].summary,
        "Invalid attribute value"
    );
    assert_eq!(cloud.lock().unwrap().pokes.len(), 3);

    let planned = server
        .plan_action(Request::new(pb::plan_action::Request {
            action_type: "fwnext_poke".into(),
            config: Some(dv(
                &Value::object([
                    ("name", Value::from("forbidden")),
                    ("times", Value::Unknown),
                ]),
                &Type::object([("name", Type::String), ("times", Type::Number)]),
            )),
            client_capabilities: capabilities(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&planned.diagnostics)[0].summary, "Poking refused");
    assert!(planned.deferred.is_none());
}

// ---------------------------------------------------------------- functions

async fn call(
    server: &ProviderServer<FwNext>,
    name: &str,
    args: &[Value],
) -> pb::call_function::Response {
    server
        .call_function(Request::new(pb::call_function::Request {
            name: name.into(),
            arguments: args.iter().map(|a| dv(a, &Type::String)).collect(),
        }))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn functions_check_their_arguments_and_run_unconfigured() {
    let server = unconfigured(&cloud());
    let joined = call(&server, "thing_id", &["z1".into(), "alpha".into()]).await;
    assert!(joined.error.is_none(), "{:?}", joined.error);
    let result = msgpack::decode(&joined.result.unwrap().msgpack, &Type::String).unwrap();
    assert_eq!(result, Value::from("z1/alpha"));

    let bad = call(&server, "parse_thing_id", &["nope".into()]).await;
    let error = bad.error.unwrap();
    assert_eq!(error.function_argument, Some(0));
    assert!(error.text.contains("is not of the form"), "{}", error.text);

    let null = call(&server, "thing_id", &["z1".into(), Value::Null]).await;
    assert_eq!(null.error.unwrap().function_argument, Some(1));
    let unknown = call(&server, "thing_id", &["z1".into(), Value::Unknown]).await;
    let result = msgpack::decode(&unknown.result.unwrap().msgpack, &Type::String).unwrap();
    assert!(result.is_unknown());
    let few = call(&server, "thing_id", &["z1".into()]).await;
    assert_eq!(
        few.error.unwrap().text,
        "The function takes 2 arguments, got 1."
    );
    let missing = call(&server, "nope", &[]).await;
    assert!(missing.error.unwrap().text.contains("no function \"nope\""));
}

#[tokio::test]
async fn panics_in_functions_lists_and_actions_become_errors() {
    struct Boom;
    impl Function for Boom {
        fn name(&self) -> &'static str {
            "boom"
        }
        fn signature(&self) -> Signature {
            Signature::new(Type::String)
        }
        fn call(&self, _: &[Value]) -> Result<Value, FunctionError> {
            panic!("function exploded")
        }
    }
    struct BoomList;
    #[async_trait]
    impl ListResource for BoomList {
        fn type_name(&self) -> &'static str {
            "fwnext_thing"
        }
        fn schema(&self) -> Schema {
            Schema::new(vec![Attribute::string("name_prefix").optional()])
        }
        async fn list(
            &self,
            _: &Context,
            _: &ListRequest,
            _: &mut ListSink,
        ) -> Result<(), Diagnostics> {
            panic!("list exploded")
        }
    }
    struct BoomAction;
    #[async_trait]
    impl Action for BoomAction {
        fn type_name(&self) -> &'static str {
            "fwnext_poke"
        }
        fn schema(&self) -> Schema {
            Schema::new(vec![
                Attribute::string("name").required(),
                Attribute::number("times").optional(),
            ])
        }
        async fn invoke(
            &self,
            _: &Context,
            _: &Value,
            progress: &ActionProgress,
        ) -> Result<(), Diagnostics> {
            progress.send("about to fail").await;
            panic!("action exploded")
        }
    }
    struct BoomProvider(FwNext);
    #[async_trait]
    impl ProviderDef for BoomProvider {
        fn type_name(&self) -> &'static str {
            "fwnext"
        }
        fn schema(&self) -> Schema {
            Schema::new(vec![])
        }
        async fn configure(&self, ctx: &Context, req: &ConfigureRequest) -> Diagnostics {
            self.0.configure(ctx, req).await
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            self.0.resources()
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            Vec::new()
        }
        fn functions(&self) -> Vec<Arc<dyn Function>> {
            vec![Arc::new(Boom)]
        }
        fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
            vec![Arc::new(BoomList)]
        }
        fn actions(&self) -> Vec<Arc<dyn Action>> {
            vec![Arc::new(BoomAction)]
        }
    }
    let server = ProviderServer::new(BoomProvider(FwNext::new(cloud())));
    let resp = server
        .call_function(Request::new(pb::call_function::Request {
            name: "boom".into(),
            arguments: Vec::new(),
        }))
        .await
        .unwrap()
        .into_inner();
    let text = resp.error.unwrap().text;
    assert!(
        text.contains("function exploded") && text.contains("bug"),
        "{text}"
    );

    let listed = server
        .list_resource(Request::new(pb::list_resource::Request {
            type_name: "fwnext_thing".into(),
            config: None,
            include_resource_object: false,
            limit: 10,
        }))
        .await
        .unwrap()
        .into_inner()
        .map(|e| e.unwrap())
        .collect::<Vec<_>>()
        .await;
    assert_eq!(listed.len(), 1);
    assert!(errors(&listed[0].diagnostic)[0]
        .summary
        .contains("list exploded"));

    let invoked = server
        .invoke_action(Request::new(pb::invoke_action::Request {
            action_type: "fwnext_poke".into(),
            config: Some(dv(
                &Value::object([("name", Value::from("x")), ("times", Value::Null)]),
                &Type::object([("name", Type::String), ("times", Type::Number)]),
            )),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner()
        .map(|e| e.unwrap())
        .collect::<Vec<_>>()
        .await;
    assert_eq!(invoked.len(), 2, "progress, then the completion");
    let diagnostics = completed_diagnostics(&invoked[1]);
    assert!(errors(&diagnostics)[0].summary.contains("action exploded"));
    // The server keeps serving.
    let again = server
        .get_functions(Request::new(pb::get_functions::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.functions.len(), 1);
}
