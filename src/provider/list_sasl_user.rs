//! List resource `alikafka_sasl_user` (`terraform query`): the SASL users of an instance,
//! filtered by name, each with the state an import would write. Users carry no tags, so
//! there is no `tags` filter. No listing can know a password the configuration will give:
//! the generated block holds `instance_id`, `username` and `type` (and `mechanism` when the
//! service answers one), and nothing for the password. Add `password_wo` with
//! `password_wo_version` (or `password`) before applying it: the plan then shows the one
//! update the import needs, which sets the configured password, as after any import.

use std::sync::Arc;

use async_trait::async_trait;

use super::kafka::Kafka;
use super::list_common::{ListOf, Queryable};
use super::lists::SaslUsersOf;
use super::resource_sasl_user::{SaslUserResource, SaslUsers};
use super::Shared;
use crate::api::SaslUser;
use crate::tfplugin::framework::{Context, ListResource, Resource};

pub fn list_resource(shared: Shared) -> Arc<dyn ListResource> {
    let resource = SaslUserResource::new(shared.clone()).schema();
    ListOf::<SaslUsers>::new(shared, resource)
}

#[async_trait]
impl Queryable for SaslUsers {
    type Adoption = ();

    const PLURAL: &'static str = "SASL users";

    fn instance_list(instance_id: &str) -> SaslUsersOf {
        SaslUsersOf(instance_id.to_owned())
    }

    fn name(item: &SaslUser) -> &str {
        &item.username
    }

    async fn adoption(_: &Context, _: &Kafka, _: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::SecretString;
    use crate::provider::kafka::Scope;
    use crate::provider::support;
    use crate::tfplugin::cty::Value;
    use crate::tfplugin::framework::generate::config_from_state;

    #[test]
    fn listed_users_generate_no_password() {
        let schema = SaslUserResource::new(Shared::default()).schema();
        let base = support::object_with(&schema, &[("instance_id", Value::from("i-1"))]);
        let user = SaslUser {
            username: "app".into(),
            password: SecretString::new("listed-Passw0rd"),
            user_type: "SCRAM".into(),
            mechanism: None,
        };
        let state = SaslUsers::adopted_state(&base, &user, &Scope::new("cn-hangzhou"), &());
        state.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(state.attr("id"), &Value::from("i-1:app"));
        assert_eq!(state.attr("type"), &Value::from("scram"));
        assert!(state.attr("password").is_null());
        assert!(!format!("{state:?}").contains("listed-Passw0rd"));
        let config = config_from_state(&schema, &state);
        assert_eq!(config.attr("username"), &Value::from("app"));
        assert!(config.attr("password").is_null() && config.attr("password_wo").is_null());
    }
}
