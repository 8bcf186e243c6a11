//! MoveResourceState: `moved {}` from another resource type, possibly of another
//! provider. Terraform asks only the target provider, before configuring it, with the
//! source's state as stored; the answer must be wholly known.

use super::identity::{derive_identity, encode_identity};
use super::{encode_dynamic, parse_json, require_known, ProviderServer};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::write_only::null_write_only;
use crate::tfplugin::framework::{Context, MoveStateRequest, ProviderAddress, ProviderDef};
use crate::tfplugin::proto::tfplugin6 as pb;

impl<P: ProviderDef> ProviderServer<P> {
    pub(super) async fn move_state(
        &self,
        ctx: &Context,
        req: pb::move_resource_state::Request,
        resp: &mut pb::move_resource_state::Response,
    ) -> Result<(), Diagnostics> {
        let resource = self.resource(&req.target_type_name)?;
        let raw = req.source_state.map(|s| s.json).unwrap_or_default();
        if raw.is_empty() {
            return Err(Diagnostics::error(
                "Unsupported state format",
                format!(
                    "The state of {} has no JSON attributes (a state written before Terraform \
                     0.12); refresh it with its own provider first.",
                    req.source_type_name
                ),
            ));
        }
        let source_identity = match req.source_identity {
            Some(raw) if !raw.json.is_empty() => Some(parse_json(&raw.json, "source identity")?),
            _ => None,
        };
        let move_request = MoveStateRequest {
            source_provider: ProviderAddress::parse(&req.source_provider_address),
            source_type_name: req.source_type_name,
            source_schema_version: req.source_schema_version,
            source_state: parse_json(&raw, "source state")?,
            source_private: req.source_private,
            source_identity,
            source_identity_schema_version: req.source_identity_schema_version,
        };
        let moved = resource
            .implementation
            .move_state(ctx, &move_request)
            .await?;
        let Some(mut state) = moved else {
            return Err(Diagnostics::error(
                "Unsupported move",
                format!(
                    "{} cannot take the state of {} from provider {} (schema version {}): it \
                     is not a resource type {} can be moved from. Remove the moved block, or \
                     import the object instead.",
                    req.target_type_name,
                    move_request.source_type_name,
                    move_request.source_provider,
                    move_request.source_schema_version,
                    req.target_type_name,
                ),
            ));
        };
        if !matches!(state, Value::Object(_)) {
            return Err(Diagnostics::error(
                "Internal provider error (this is a bug)",
                "Moving produced no resource object.",
            ));
        }
        if resource.has_write_only {
            null_write_only(&resource.schema.block, &mut state);
        }
        require_known(&mut state, "moved state").into_result()?;
        if let Some(identity) = &resource.identity {
            let derived = derive_identity(&*resource.implementation, identity, &state, true)?;
            resp.target_identity = Some(encode_identity(&derived, identity, "moved identity")?);
        }
        resp.target_state = Some(encode_dynamic(&state, &resource.value_type, "moved state")?);
        resp.target_private = ctx.take_private().unwrap_or_default();
        Ok(())
    }
}
