//! The alikafka Terraform provider: configuration, resources and data sources.
//! The only place where the protocol layer and the API client meet.
//!
//! ```no_run
//! use alikafka::provider::{AlikafkaProvider, PROVIDER_ADDRESS};
//! use alikafka::tfplugin::server::{serve, ServeOptions};
//! use alikafka::tfplugin::service::ProviderServer;
//! # async fn run() -> Result<(), alikafka::tfplugin::server::ServeError> {
//! serve(ProviderServer::new(AlikafkaProvider::new()), ServeOptions::new(PROVIDER_ADDRESS)).await
//! # }
//! ```

pub mod config;
pub mod data_source_instances;
pub mod diag;
pub mod journal;
pub mod kafka;
pub mod names;
pub mod resource_consumer_group;
pub mod resource_topic;
pub mod shared_list;
mod support;

use std::sync::Arc;

use async_trait::async_trait;

use crate::api::{self, Client};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{
    ConfigureRequest, Context, DataSource, ProviderData, ProviderDef, Resource,
};
use crate::tfplugin::schema::Schema;
use kafka::Kafka;

/// The provider's source address in the public registry.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/alikafka/alikafka";

/// What `configure` left for the resources: the service, or why it is not known yet.
pub enum Connection {
    Ready(Arc<Kafka>),
    /// Provider block attributes whose values are known only after apply.
    Deferred {
        unknown: Vec<String>,
    },
}

/// The slot shared by the provider and all its resources and data sources.
#[derive(Clone, Default)]
pub struct Shared(ProviderData<Connection>);

impl Shared {
    /// The configured service, or an error explaining why it cannot be used yet.
    pub fn kafka(&self) -> Result<Arc<Kafka>, Diagnostics> {
        match &*self.0.get()? {
            Connection::Ready(kafka) => Ok(Arc::clone(kafka)),
            Connection::Deferred { unknown } => Err(Diagnostics::error(
                "Provider configuration not known yet",
                format!(
                    "The alikafka provider block sets {} from values known only after apply, and \
                     this operation needs to call the service. Apply the resources those values \
                     come from first (for example with -target), then run this again.",
                    unknown.join(", ")
                ),
            )),
        }
    }

    fn set(&self, connection: Connection) {
        self.0.set(connection);
    }
}

/// The `alikafka` provider.
#[derive(Default)]
pub struct AlikafkaProvider {
    shared: Shared,
}

impl AlikafkaProvider {
    pub fn new() -> AlikafkaProvider {
        AlikafkaProvider::default()
    }
}

#[async_trait]
impl ProviderDef for AlikafkaProvider {
    fn type_name(&self) -> &'static str {
        "alikafka"
    }

    fn schema(&self) -> Schema {
        config::schema()
    }

    async fn configure(&self, _ctx: &Context, req: &ConfigureRequest) -> Diagnostics {
        let unknown = config::unknown_attributes(&req.config);
        if !unknown.is_empty() {
            tracing::debug!(?unknown, "provider configuration not known yet; deferring");
            self.shared.set(Connection::Deferred { unknown });
            return Diagnostics::new();
        }
        let block: config::ProviderConfig = match crate::tfplugin::framework::decode(&req.config) {
            Ok(block) => block,
            Err(d) => return d,
        };
        let settings =
            match config::settings(&block, &api::process_env, dirs::home_dir().as_deref()) {
                Ok(settings) => settings,
                Err(d) => return d,
            };
        let client = match Client::new(settings.client, settings.credentials) {
            Ok(client) => client,
            Err(e) => return config::client_error(&e),
        };
        tracing::debug!(
            region = client.region(),
            endpoint = %client.endpoint(),
            credentials = %settings.credentials_source,
            "alikafka provider configured"
        );
        let mut diagnostics = Diagnostics::new();
        if client.is_insecure_remote() {
            diagnostics.push(Diagnostic::warning(
                "Unencrypted alikafka endpoint",
                format!(
                    "insecure_http is set and the endpoint {} uses plain http to a host that is \
                     not loopback: every request, signed but unencrypted, crosses the network in \
                     clear text.",
                    client.endpoint()
                ),
            ));
        }
        self.shared.set(Connection::Ready(Arc::new(
            Kafka::new(client).with_journal(journal::Journal::for_working_directory()),
        )));
        diagnostics
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(resource_topic::TopicResource::new(self.shared.clone())),
            Arc::new(resource_consumer_group::ConsumerGroupResource::new(
                self.shared.clone(),
            )),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(data_source_instances::InstancesDataSource::new(
            self.shared.clone(),
        ))]
    }
}
