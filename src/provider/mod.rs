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

mod access;
pub mod action_consumer_offset_reset;
pub mod config;
pub mod data_source_allowed_ips;
mod data_source_common;
pub mod data_source_consumer_groups;
pub mod data_source_consumer_progress;
pub mod data_source_instances;
pub mod data_source_sasl_acls;
pub mod data_source_sasl_users;
pub mod data_source_topic_status;
pub mod data_source_topics;
pub mod diag;
pub mod from_alicloud;
pub mod functions;
pub mod identity;
pub mod journal;
pub mod kafka;
pub mod lifecycle;
pub mod list_allowed_ip_attachment;
pub mod list_common;
pub mod list_consumer_group;
pub mod list_sasl_user;
pub mod list_topic;
pub mod lists;
pub mod names;
mod password_check;
pub mod resource_allowed_ip_attachment;
pub mod resource_consumer_group;
pub mod resource_sasl_acl;
pub mod resource_sasl_user;
pub mod resource_topic;
pub mod shared_list;
mod support;
pub mod tags;
pub mod topic_settings;

use std::sync::Arc;

use async_trait::async_trait;

use crate::api::{self, Client};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{
    Action, ConfigureRequest, Context, DataSource, Function, ListResource, ProviderData,
    ProviderDef, Resource,
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

    /// The provider's `default_tags` and `ignore_tags`; `None` while not known yet.
    pub fn tag_policy(&self) -> Option<tags::TagPolicy> {
        match &*self.0.get().ok()? {
            Connection::Ready(kafka) => Some(kafka.scope().tags.clone()),
            Connection::Deferred { .. } => None,
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
        let client = match Client::with_credentials(settings.client, settings.credentials) {
            Ok(client) => client,
            Err(e) => return config::client_error(&e),
        };
        // Temporary credentials are fetched now: a wrong role or token is one clear error at
        // configuration, not one per resource.
        if let Err(e) = client.credentials().current().await {
            return config::credentials_error(&e);
        }
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
        let kafka = Kafka::new(client)
            .with_journal(journal::Journal::for_working_directory())
            .with_tag_policy(block.tag_policy());
        self.shared.set(Connection::Ready(Arc::new(kafka)));
        diagnostics
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(resource_topic::TopicResource::new(self.shared.clone())),
            Arc::new(resource_consumer_group::ConsumerGroupResource::new(
                self.shared.clone(),
            )),
            Arc::new(resource_sasl_user::SaslUserResource::new(
                self.shared.clone(),
            )),
            Arc::new(resource_sasl_acl::SaslAclResource::new(self.shared.clone())),
            Arc::new(resource_allowed_ip_attachment::AllowedIpResource::new(
                self.shared.clone(),
            )),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![
            Arc::new(data_source_instances::InstancesDataSource::new(
                self.shared.clone(),
            )),
            Arc::new(data_source_topics::TopicsDataSource::new(
                self.shared.clone(),
            )),
            Arc::new(data_source_consumer_groups::ConsumerGroupsDataSource::new(
                self.shared.clone(),
            )),
            Arc::new(data_source_topic_status::TopicStatusDataSource::new(
                self.shared.clone(),
            )),
            Arc::new(
                data_source_consumer_progress::ConsumerProgressDataSource::new(self.shared.clone()),
            ),
            Arc::new(data_source_sasl_users::SaslUsersDataSource::new(
                self.shared.clone(),
            )),
            Arc::new(data_source_sasl_acls::SaslAclsDataSource::new(
                self.shared.clone(),
            )),
            Arc::new(data_source_allowed_ips::AllowedIpsDataSource::new(
                self.shared.clone(),
            )),
        ]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::all()
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![
            list_topic::list_resource(self.shared.clone()),
            list_consumer_group::list_resource(self.shared.clone()),
            list_sasl_user::list_resource(self.shared.clone()),
            list_allowed_ip_attachment::list_resource(self.shared.clone()),
        ]
    }

    fn actions(&self) -> Vec<Arc<dyn Action>> {
        vec![Arc::new(
            action_consumer_offset_reset::ConsumerOffsetResetAction::new(self.shared.clone()),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::cty::Value;
    use crate::tfplugin::diagnostics::Severity;

    fn configure_with(attrs: &[(&str, Value)]) -> (AlikafkaProvider, Diagnostics) {
        let provider = AlikafkaProvider::new();
        let mut config = crate::provider::support::object_with(&provider.schema(), &[]);
        for (name, value) in attrs {
            config.set_attr(*name, value.clone());
        }
        let req = ConfigureRequest {
            config,
            terraform_version: "1.15.5".into(),
        };
        let diagnostics =
            futures::executor::block_on(provider.configure(&Context::detached(), &req));
        (provider, diagnostics)
    }

    fn keys() -> Vec<(&'static str, Value)> {
        vec![
            ("access_key", Value::from("ak")),
            ("secret_key", Value::from("sk")),
            ("region", Value::from("cn-hangzhou")),
        ]
    }

    #[test]
    fn a_configured_provider_shares_one_client() {
        let mut attrs = keys();
        attrs.push(("endpoint", Value::from("http://127.0.0.1:9120")));
        let (provider, diagnostics) = configure_with(&attrs);
        assert!(diagnostics.is_empty(), "{diagnostics}");
        let a = provider.shared.kafka().expect("configured");
        let b = provider.shared.clone().kafka().expect("configured");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.region(), "cn-hangzhou");
        assert_eq!(a.client().endpoint(), "http://127.0.0.1:9120");
    }

    #[test]
    fn plain_http_to_a_remote_host_needs_insecure_http_and_warns() {
        let mut attrs = keys();
        attrs.push(("endpoint", Value::from("http://10.1.2.3:9120")));
        let (_, refused) = configure_with(&attrs);
        assert!(refused.has_errors());
        assert!(
            refused.to_string().contains("insecure_http = true"),
            "{refused}"
        );
        attrs.push(("insecure_http", Value::from(true)));
        let (provider, warned) = configure_with(&attrs);
        assert!(!warned.has_errors(), "{warned}");
        let warning = warned.iter().next().expect("a warning");
        assert_eq!(warning.severity, Severity::Warning);
        assert!(warning.detail.contains("http://10.1.2.3:9120"), "{warning}");
        assert!(provider.shared.kafka().is_ok());
    }

    #[test]
    fn unknown_values_defer_until_a_call_needs_the_service() {
        let mut attrs = keys();
        attrs.push(("region", Value::Unknown));
        let (provider, diagnostics) = configure_with(&attrs);
        assert!(diagnostics.is_empty(), "plan must not fail: {diagnostics}");
        let err = provider.shared.kafka().err().expect("deferred");
        let d = err.iter().next().expect("one error");
        assert_eq!(d.summary, "Provider configuration not known yet");
        assert!(d.detail.contains("region"), "{}", d.detail);
    }

    #[test]
    fn an_invalid_region_names_the_attribute_to_fix() {
        let mut attrs = keys();
        attrs.push(("region", Value::from("CN Hangzhou")));
        let (_, diagnostics) = configure_with(&attrs);
        assert!(diagnostics.has_errors());
        assert!(
            diagnostics.to_string().contains("Set region"),
            "{diagnostics}"
        );
    }
}
