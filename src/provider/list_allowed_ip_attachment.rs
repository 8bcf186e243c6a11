//! List resource `alikafka_instance_allowed_ip_attachment` (`terraform query`): every entry
//! of an instance's IP allowlists (one per address, port range and list), filtered by
//! address, each with the state an import would write. Entries carry no tags, so there is
//! no `tags` filter. Each is shown by its address; the generated block holds the four key
//! attributes and the entry's description when the service keeps one.

use std::sync::Arc;

use async_trait::async_trait;

use super::kafka::{Kafka, Scope};
use super::lifecycle::Listed;
use super::list_common::{ListOf, Queryable};
use super::lists::AllowedIpsOf;
use super::resource_allowed_ip_attachment::{AllowedIpResource, AllowedIps};
use super::Shared;
use crate::api::AllowedIpEntry;
use crate::tfplugin::cty::Value;
use crate::tfplugin::framework::{Context, ListResource, Resource};

pub fn list_resource(shared: Shared) -> Arc<dyn ListResource> {
    let resource = AllowedIpResource::new(shared.clone()).schema();
    ListOf::<AllowedIps>::new(shared, resource)
}

#[async_trait]
impl Queryable for AllowedIps {
    type Adoption = ();

    const PLURAL: &'static str = "allowlist entries";

    fn instance_list(instance_id: &str) -> AllowedIpsOf {
        AllowedIpsOf(instance_id.to_owned())
    }

    fn name(item: &AllowedIpEntry) -> &str {
        &item.address
    }

    async fn adoption(_: &Context, _: &Kafka, _: &str) {}

    /// The entry's key goes into the state first: [`Listed::state_from`] takes it from
    /// the state it is given, as after an import.
    fn adopted_state(base: &Value, item: &AllowedIpEntry, scope: &Scope, _: &()) -> Value {
        let mut keyed = base.clone();
        keyed.set_attr("allowed_type", Value::from(item.list_type.as_str()));
        keyed.set_attr("port_range", Value::from(item.port_range.as_str()));
        keyed.set_attr("allowed_ip", Value::from(item.address.as_str()));
        AllowedIps::state_from(&keyed, item, scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::AllowedListType;
    use crate::provider::support;
    use crate::tfplugin::framework::generate::config_from_state;

    #[test]
    fn listed_entries_carry_their_key() {
        let schema = AllowedIpResource::new(Shared::default()).schema();
        let base = support::object_with(&schema, &[("instance_id", Value::from("i-1"))]);
        let entry = AllowedIpEntry {
            list_type: AllowedListType::Vpc,
            port_range: "9092/9092".into(),
            address: "10.0.0.0/8".into(),
            description: Some("apps".into()),
        };
        let state = AllowedIps::adopted_state(&base, &entry, &Scope::new("cn-hangzhou"), &());
        state.conforms_to(&schema.value_type()).unwrap();
        assert_eq!(
            state.attr("id"),
            &Value::from("i-1:vpc:9092/9092:10.0.0.0/8")
        );
        assert_eq!(state.attr("description"), &Value::from("apps"));
        let config = config_from_state(&schema, &state);
        assert_eq!(config.attr("allowed_ip"), &Value::from("10.0.0.0/8"));
        assert!(config.attr("id").is_null());
    }
}
