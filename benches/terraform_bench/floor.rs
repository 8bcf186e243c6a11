//! The "no-op provider" floor: a provider whose one resource has exactly the schema of
//! `alikafka_topic` but calls no service. Terraform launches the benchmark executable
//! itself as `terraform-provider-floor` (through `dev_overrides`), so this floor pays for
//! everything the real provider pays for (process start, handshake, mTLS, gRPC, msgpack,
//! this crate's framework) except the API. It is the only floor Terraform 1.0.3 allows:
//! `terraform_data` (no provider at all) came with Terraform 1.4.

use std::sync::Arc;

use alikafka::provider::resource_topic::TopicResource;
use alikafka::provider::Shared;
use alikafka::tfplugin::cty::Value;
use alikafka::tfplugin::diagnostics::Diagnostics;
use alikafka::tfplugin::framework::{
    ApplyError, ConfigureRequest, Context, CreateRequest, DataSource, DeleteRequest, ProviderDef,
    ReadRequest, Resource, UpdateRequest,
};
use alikafka::tfplugin::schema::Schema;
use alikafka::tfplugin::server::{serve, ServeOptions};
use alikafka::tfplugin::service::ProviderServer;
use async_trait::async_trait;

pub const FLOOR_SOURCE: &str = "registry.terraform.io/bench/floor";
pub const FLOOR_BINARY: &str = "terraform-provider-floor";

/// Serves the floor provider when Terraform started this executable; `false` otherwise.
pub fn serve_if_launched_by_terraform() -> bool {
    if std::env::var_os("TF_PLUGIN_MAGIC_COOKIE").is_none() {
        return false;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime for the floor provider");
    let served = runtime.block_on(serve(
        ProviderServer::new(FloorProvider),
        ServeOptions::new(FLOOR_SOURCE),
    ));
    if let Err(e) = served {
        eprintln!("floor provider: {e}");
        std::process::exit(1);
    }
    true
}

struct FloorProvider;

#[async_trait]
impl ProviderDef for FloorProvider {
    fn type_name(&self) -> &'static str {
        "floor"
    }

    fn schema(&self) -> Schema {
        Schema::new(vec![])
    }

    async fn configure(&self, _ctx: &Context, _req: &ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(FloorTopic)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

/// `floor_topic`: the schema of `alikafka_topic`, state kept as planned.
struct FloorTopic;

#[async_trait]
impl Resource for FloorTopic {
    fn type_name(&self) -> &'static str {
        "floor_topic"
    }

    fn schema(&self) -> Schema {
        TopicResource::new(Shared::default()).schema()
    }

    async fn create(&self, _ctx: &Context, req: &CreateRequest) -> Result<Value, ApplyError> {
        let mut state = req.planned_state.clone();
        let instance = state.attr("instance_id").as_str().unwrap_or("").to_string();
        let topic = state.attr("topic").as_str().unwrap_or("").to_string();
        let computed = [
            ("id", Value::from(format!("{instance}:{topic}"))),
            ("partition_num", Value::from(12i64)),
            ("region_id", Value::from("cn-hangzhou")),
            ("status", Value::from(0i64)),
            ("status_name", Value::from("in service")),
            ("create_time", Value::from(0i64)),
        ];
        for (name, value) in computed {
            if !state.attr(name).is_wholly_known() {
                state.set_attr(name, value);
            }
        }
        Ok(state)
    }

    async fn read(&self, _ctx: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        Ok(Some(req.current_state.clone()))
    }

    async fn update(&self, _ctx: &Context, req: &UpdateRequest) -> Result<Value, ApplyError> {
        Ok(req.planned_state.clone())
    }

    async fn delete(&self, _ctx: &Context, _req: &DeleteRequest) -> Result<(), Diagnostics> {
        Ok(())
    }
}
