//! Resource identities on the wire: decoding what Terraform holds, deriving the identity of
//! a state through the resource, and the checks Terraform (and users) rely on: wholly
//! known where it must be, never changed once set.

use super::{decode_dynamic, encode_dynamic, require_known, Identity};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::identity::{change_error, changed_attributes, is_unset};
use crate::tfplugin::framework::Resource;
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::schema::IdentitySchema;

/// An identity Terraform sent: null when absent (states from before identities, or from
/// Terraform before 1.12).
pub(super) fn decode_identity(
    data: Option<&pb::ResourceIdentityData>,
    identity: &Identity,
    what: &str,
) -> Result<Value, Diagnostics> {
    decode_dynamic(
        data.and_then(|d| d.identity_data.as_ref()),
        &identity.value_type,
        what,
    )
}

pub(super) fn encode_identity(
    value: &Value,
    identity: &Identity,
    what: &str,
) -> Result<pb::ResourceIdentityData, Diagnostics> {
    Ok(pb::ResourceIdentityData {
        identity_data: Some(encode_dynamic(value, &identity.value_type, what)?),
    })
}

/// The identity of `state` as the resource derives it, fitting the identity schema; with
/// `known`, every unknown is an error (after create, read, update, import, move).
pub(super) fn derive_identity(
    resource: &dyn Resource,
    identity: &Identity,
    state: &Value,
    known: bool,
) -> Result<Value, Diagnostics> {
    let mut derived = resource.identity(&identity.schema, state)?;
    if let Err(e) = derived.conforms_to(&identity.value_type) {
        return Err(Diagnostics::error(
            "Internal provider error (this is a bug)",
            format!("The provider produced an identity that does not fit its schema: {e}."),
        ));
    }
    if known {
        require_known(&mut derived, "resource identity").into_result()?;
    }
    Ok(derived)
}

/// Refuses `after` when it changes an attribute `before` has set (an all-null `before`,
/// from a state written before identities, accepts anything).
pub(super) fn check_unchanged(
    type_name: &str,
    during: &str,
    identity: &Identity,
    before: &Value,
    after: &Value,
) -> Result<(), Diagnostics> {
    if is_unset(before) || changed_attributes(&identity.schema, before, after).is_empty() {
        return Ok(());
    }
    Err(change_error(
        type_name,
        during,
        &identity.schema,
        before,
        after,
    ))
}

/// `held` with its null attributes filled from `derived` (an identity is completed, never
/// changed).
pub(super) fn complete_identity(schema: &IdentitySchema, held: &Value, derived: &Value) -> Value {
    if held.is_null() {
        return derived.clone();
    }
    Value::object(schema.attributes.iter().map(|a| {
        let kept = held.attr(&a.name);
        let value = if kept.is_null() {
            derived.attr(&a.name)
        } else {
            kept
        };
        (a.name.clone(), value.clone())
    }))
}
