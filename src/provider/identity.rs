//! Resource identity (Terraform 1.12+) of every listed kind, from its [`Listed`] parts: the
//! identity is the instance and what names the object there
//! ([`Listed::identity_attributes`]: `instance_id` + `topic`, `instance_id` + `consumer_id`,
//! or all the attributes of a composite key), each a string required for import, described
//! as the resource describes the attribute of that name. A resource plugs in with
//! [`schema`] in `identity_schema` and [`import_state`] in `import_by_identity`; the
//! framework derives the identity from the state, returns it on create, read, update,
//! import and move, and takes states written before identities existed without a diff.

use super::lifecycle::Listed;
use super::support;
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::schema::{IdentityAttribute, IdentitySchema, Schema};

/// The identity schema of kind `L`, whose resource schema is `resource`.
pub fn schema<L: Listed>(resource: &Schema) -> IdentitySchema {
    let described = |name: &str| {
        let description = resource
            .attribute(name)
            .map(|a| a.description.text.clone())
            .unwrap_or_default();
        IdentityAttribute::string(name).description(description)
    };
    let required = L::identity_attributes()
        .into_iter()
        .map(|name| described(name).required_for_import());
    let optional = L::identity_optional_attributes()
        .into_iter()
        .map(|name| described(name).optional_for_import());
    IdentitySchema::new(required.chain(optional).collect())
}

/// The import ID an identity stands for, for kinds whose import by ID does more than set
/// the key (it asks the service which type a user has, or checks the ID's fields): their
/// `import_by_identity` is then their import of this ID. When the identity does not
/// locate an object (a required attribute missing or invalid): an error saying so.
pub fn import_id<L: Listed>(resource: &Schema, identity: &Value) -> Result<String, Diagnostics> {
    let mut state = support::object_with(resource, &[]);
    for name in L::identity_attributes()
        .into_iter()
        .chain(L::identity_optional_attributes())
    {
        state.set_attr(name, identity.attr(name).clone());
    }
    L::key(&state)
        .map(|key| L::id(&key))
        .ok_or_else(incomplete::<L>)
}

/// The error of an identity that locates no object.
pub fn incomplete<L: Listed>() -> Diagnostics {
    Diagnostic::error(
        "Invalid import identity",
        format!(
            "The identity does not locate {}: it needs {}, each valid.",
            L::KIND.noun,
            L::identity_attributes().join(", ")
        ),
    )
    .into()
}

/// The state `import { to = ..., identity = {...} }` starts from: the identity's attributes
/// and the `id` they make, the rest null (the read that follows fills it), exactly as an
/// import by ID starts.
pub fn import_state<L: Listed>(resource: &Schema, identity: &Value) -> Value {
    let mut state = support::object_with(resource, &[]);
    for name in L::identity_attributes() {
        state.set_attr(name, identity.attr(name).clone());
    }
    if let Some(key) = L::key(&state) {
        state.set_attr("id", Value::from(key.id()));
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::resource_consumer_group::{ConsumerGroupResource, Groups};
    use crate::provider::resource_topic::{TopicResource, Topics};
    use crate::provider::Shared;
    use crate::tfplugin::framework::Resource;

    #[test]
    fn identities_name_the_instance_and_the_object() {
        let topics = TopicResource::new(Shared::default()).schema();
        let identity = schema::<Topics>(&topics);
        let names: Vec<&str> = identity
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["instance_id", "topic"]);
        assert!(identity.problems().is_empty(), "{:?}", identity.problems());
        assert!(identity
            .attributes
            .iter()
            .all(|a| a.required_for_import && !a.description.is_empty()));
        let groups = ConsumerGroupResource::new(Shared::default()).schema();
        let names: Vec<String> = schema::<Groups>(&groups)
            .attributes
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["instance_id", "consumer_id"]);
    }

    #[test]
    fn an_import_by_identity_starts_where_an_import_by_id_does() {
        let resource = TopicResource::new(Shared::default()).schema();
        let identity = Value::object([("instance_id", "i-1".into()), ("topic", "orders".into())]);
        let state = import_state::<Topics>(&resource, &identity);
        let by_id = support::import_named(&resource, "i-1:orders", "topic").unwrap();
        assert_eq!(state, by_id);
        state.conforms_to(&resource.value_type()).unwrap();
    }
}
