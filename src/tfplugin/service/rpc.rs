//! The `Provider` RPCs.

use async_trait::async_trait;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use super::guard::WithDiagnostics;
use super::identity::{
    check_unchanged, complete_identity, decode_identity, derive_identity, encode_identity,
};
use super::{
    decode_dynamic, encode_dynamic, parse_json, require_known, server_capabilities, ProviderServer,
    Registered,
};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::{path_to_proto, Diagnostics};
use crate::tfplugin::framework::identity::is_unset;
use crate::tfplugin::framework::plan::{check_plan, plan_resource, replacement_paths};
use crate::tfplugin::framework::validate::validate_config;
use crate::tfplugin::framework::write_only::{
    configured_write_only, fill_write_only, null_write_only, unsupported_write_only,
};
use crate::tfplugin::framework::{
    ConfigureRequest, Context, CreateRequest, DeleteRequest, PlanRequest, ProviderDef, ReadRequest,
    Resource, UpdateRequest,
};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::proto::tfplugin6::provider_server::Provider;

type RpcResult<R> = Result<Response<R>, Status>;

/// Adds a handler's failure to its response.
fn finish<R: WithDiagnostics>(mut response: R, outcome: Result<(), Diagnostics>) -> R {
    if let Err(diagnostics) = outcome {
        response.diagnostics_mut().extend(diagnostics.to_proto());
    }
    response
}

fn unsupported(what: &str) -> Diagnostics {
    Diagnostics::error(
        format!("{what} not supported"),
        format!("This provider does not support {what}."),
    )
}

/// True when Terraform announced write-only support (1.11+); older versions send no
/// capabilities at all.
fn write_only_allowed(capabilities: Option<&pb::ClientCapabilities>) -> bool {
    capabilities.is_some_and(|c| c.write_only_attributes_allowed)
}

impl<P: ProviderDef> ProviderServer<P> {
    async fn validate_provider(
        &self,
        ctx: &Context,
        config: Option<&pb::DynamicValue>,
    ) -> Diagnostics {
        let config = match decode_dynamic(config, &self.provider_type, "provider configuration") {
            Ok(config) => config,
            Err(d) => return d,
        };
        let mut diagnostics = validate_config(&self.provider_schema.block, &config);
        diagnostics.extend(self.provider.validate(ctx, &config).await);
        diagnostics
    }

    async fn validate_resource(
        &self,
        ctx: &Context,
        req: &pb::validate_resource_config::Request,
    ) -> Diagnostics {
        let run = async {
            let resource = self.resource(&req.type_name)?;
            let config = decode_dynamic(
                req.config.as_ref(),
                &resource.value_type,
                "resource configuration",
            )?;
            let mut diagnostics = validate_config(&resource.schema.block, &config);
            if resource.has_write_only && !write_only_allowed(req.client_capabilities.as_ref()) {
                let paths = configured_write_only(&resource.schema.block, &config);
                diagnostics.extend(unsupported_write_only(&paths));
            }
            diagnostics.extend(resource.implementation.validate(ctx, &config).await);
            Ok::<_, Diagnostics>(diagnostics)
        };
        run.await.unwrap_or_else(|d| d)
    }

    async fn validate_data_source(
        &self,
        ctx: &Context,
        type_name: &str,
        config: Option<&pb::DynamicValue>,
    ) -> Diagnostics {
        let run = async {
            let data_source = self.data_source(type_name)?;
            let config =
                decode_dynamic(config, &data_source.value_type, "data source configuration")?;
            let mut diagnostics = validate_config(&data_source.schema.block, &config);
            diagnostics.extend(data_source.implementation.validate(ctx, &config).await);
            Ok::<_, Diagnostics>(diagnostics)
        };
        run.await.unwrap_or_else(|d| d)
    }

    async fn upgrade(
        &self,
        ctx: &Context,
        req: &pb::upgrade_resource_state::Request,
        resp: &mut pb::upgrade_resource_state::Response,
    ) -> Result<(), Diagnostics> {
        let resource = self.resource(&req.type_name)?;
        let raw = req.raw_state.clone().unwrap_or_default();
        if raw.json.is_empty() {
            if !raw.flatmap.is_empty() {
                return Err(Diagnostics::error(
                    "Unsupported state format",
                    "The stored state uses the legacy flatmap format, which this provider \
                     never wrote.",
                ));
            }
            resp.upgraded_state =
                Some(encode_dynamic(&Value::Null, &resource.value_type, "state")?);
            return Ok(());
        }
        let json = parse_json(&raw.json, "stored state")?;
        let mut upgraded = resource
            .implementation
            .upgrade_state(ctx, req.version, &json)
            .await?;
        if resource.has_write_only {
            null_write_only(&resource.schema.block, &mut upgraded);
        }
        resp.upgraded_state = Some(encode_dynamic(
            &upgraded,
            &resource.value_type,
            "upgraded state",
        )?);
        Ok(())
    }

    async fn upgrade_identity(
        &self,
        ctx: &Context,
        req: &pb::upgrade_resource_identity::Request,
        resp: &mut pb::upgrade_resource_identity::Response,
    ) -> Result<(), Diagnostics> {
        let resource = self.resource(&req.type_name)?;
        let identity = resource.identity.as_ref().ok_or_else(|| {
            Diagnostics::error(
                "Resource type has no identity",
                format!("Resource type {} declares no identity.", req.type_name),
            )
        })?;
        let raw = req.raw_identity.as_ref().map(|r| r.json.as_slice());
        let raw = raw.filter(|json| !json.is_empty()).ok_or_else(|| {
            Diagnostics::error(
                "Invalid stored identity",
                "Terraform sent no stored identity to upgrade.",
            )
        })?;
        let json = parse_json(raw, "stored identity")?;
        let mut upgraded = resource
            .implementation
            .upgrade_identity(ctx, &identity.schema, req.version, &json)
            .await?;
        require_known(&mut upgraded, "upgraded identity").into_result()?;
        resp.upgraded_identity = Some(encode_identity(&upgraded, identity, "upgraded identity")?);
        Ok(())
    }

    async fn read(
        &self,
        ctx: &Context,
        req: pb::read_resource::Request,
        resp: &mut pb::read_resource::Response,
    ) -> Result<(), Diagnostics> {
        // Until a new state is known, Terraform keeps the current one.
        resp.new_state = req.current_state.clone();
        resp.new_identity = req.current_identity.clone();
        resp.private = req.private.clone();
        let resource = self.resource(&req.type_name)?;
        let ty = &resource.value_type;
        let current_state = decode_dynamic(req.current_state.as_ref(), ty, "current state")?;
        if current_state.is_null() {
            return Ok(());
        }
        let current_identity = match &resource.identity {
            Some(identity) => {
                decode_identity(req.current_identity.as_ref(), identity, "current identity")?
            }
            None => Value::Null,
        };
        let read = ReadRequest {
            current_state,
            private: req.private,
        };
        let new_state = resource.implementation.read(ctx, &read).await?;
        let mut new_state = new_state.unwrap_or(Value::Null);
        if resource.has_write_only {
            null_write_only(&resource.schema.block, &mut new_state);
        }
        let unknown = require_known(&mut new_state, "state");
        let new_identity = match &resource.identity {
            Some(identity) if !new_state.is_null() => {
                let derived =
                    derive_identity(&*resource.implementation, identity, &new_state, true)?;
                check_unchanged(
                    &req.type_name,
                    "refresh",
                    identity,
                    &current_identity,
                    &derived,
                )?;
                Some(encode_identity(&derived, identity, "new identity")?)
            }
            _ => None,
        };
        resp.new_state = Some(encode_dynamic(&new_state, ty, "state")?);
        resp.new_identity = new_identity;
        if let Some(private) = ctx.take_private() {
            resp.private = private;
        }
        unknown.into_result()
    }

    async fn plan(
        &self,
        ctx: &Context,
        req: pb::plan_resource_change::Request,
        resp: &mut pb::plan_resource_change::Response,
    ) -> Result<(), Diagnostics> {
        let resource = self.resource(&req.type_name)?;
        let (schema, ty) = (&resource.schema, &resource.value_type);
        let config = decode_dynamic(req.config.as_ref(), ty, "configuration")?;
        let mut proposed_new_state =
            decode_dynamic(req.proposed_new_state.as_ref(), ty, "proposed new state")?;
        if resource.has_write_only {
            if !write_only_allowed(req.client_capabilities.as_ref()) {
                let paths = configured_write_only(&schema.block, &config);
                if !paths.is_empty() {
                    return Err(unsupported_write_only(&paths));
                }
            }
            // The proposal carries the configured values; planned they are null.
            null_write_only(&schema.block, &mut proposed_new_state);
        }
        let plan_request = PlanRequest {
            prior_state: decode_dynamic(req.prior_state.as_ref(), ty, "prior state")?,
            proposed_new_state,
            config,
            prior_private: req.prior_private,
        };
        let mut plan = plan_resource(schema, &plan_request);
        // Pre-filled so the hook knows whether the resource is being replaced.
        plan.requires_replace =
            replacement_paths(schema, &plan_request.prior_state, &plan.planned_state);
        resource
            .implementation
            .modify_plan(ctx, &plan_request, &mut plan)
            .await?;
        if resource.has_write_only {
            null_write_only(&schema.block, &mut plan.planned_state);
        }
        check_plan(
            schema,
            &plan_request.prior_state,
            &plan_request.config,
            &plan.planned_state,
        )
        .into_result()?;
        let mut replace = replacement_paths(schema, &plan_request.prior_state, &plan.planned_state);
        for path in plan.requires_replace {
            if !replace.contains(&path) {
                replace.push(path);
            }
        }
        if let Some(identity) = &resource.identity {
            let prior = decode_identity(req.prior_identity.as_ref(), identity, "prior identity")?;
            let planned = if plan.planned_state.is_null() {
                prior // destroying: the identity stays what it was
            } else {
                let derived = derive_identity(
                    &*resource.implementation,
                    identity,
                    &plan.planned_state,
                    false,
                )?;
                if plan_request.prior_state.is_null() || !replace.is_empty() {
                    // A new object: its identity may be known only after apply. Terraform
                    // 1.15 cannot show a plan holding an unknown identity (`show -json`:
                    // "value is not known"), so one not wholly known is left to apply.
                    if derived.is_wholly_known() {
                        derived
                    } else {
                        Value::Null
                    }
                } else {
                    check_unchanged(&req.type_name, "planning", identity, &prior, &derived)?;
                    let completed = complete_identity(&identity.schema, &prior, &derived);
                    // An update needs a known identity; an unknown one (a state from before
                    // identities, planned without refresh) is left to apply.
                    if completed.is_wholly_known() {
                        completed
                    } else {
                        Value::Null
                    }
                }
            };
            if !planned.is_null() {
                resp.planned_identity =
                    Some(encode_identity(&planned, identity, "planned identity")?);
            }
        }
        resp.planned_state = Some(encode_dynamic(&plan.planned_state, ty, "planned state")?);
        resp.requires_replace = replace.iter().map(path_to_proto).collect();
        resp.planned_private = ctx.take_private().unwrap_or(plan_request.prior_private);
        Ok(())
    }

    async fn apply(
        &self,
        ctx: &Context,
        mut req: pb::apply_resource_change::Request,
        resp: &mut pb::apply_resource_change::Response,
    ) -> Result<(), Diagnostics> {
        // If anything fails before the resource code runs, nothing changed.
        resp.new_state = req.prior_state.clone();
        resp.private = req.planned_private.clone();
        let resource = self.resource(&req.type_name)?;
        let ty = &resource.value_type;
        // Taken out of the request so that the encoded copies are freed before the resource
        // code waits (with -parallelism=1000, a thousand operations wait at once).
        let prior_state = decode_dynamic(req.prior_state.take().as_ref(), ty, "prior state")?;
        let mut planned_state =
            decode_dynamic(req.planned_state.take().as_ref(), ty, "planned state")?;
        let config = decode_dynamic(req.config.take().as_ref(), ty, "configuration")?;
        let planned_identity = match &resource.identity {
            Some(identity) => {
                decode_identity(req.planned_identity.as_ref(), identity, "planned identity")?
            }
            None => Value::Null,
        };
        if resource.has_write_only && !planned_state.is_null() {
            fill_write_only(&resource.schema.block, &config, &mut planned_state);
        }
        let planned_private = req.planned_private;
        let implementation = &resource.implementation;

        // The prior state is moved into the request, not copied, and taken back on failure.
        let (new_state, mut diagnostics) = if planned_state.is_null() {
            let delete = DeleteRequest {
                prior_state,
                planned_private,
            };
            match implementation.delete(ctx, &delete).await {
                Ok(()) => (Value::Null, Diagnostics::new()),
                Err(d) => (delete.prior_state, d),
            }
        } else if prior_state.is_null() {
            let create = CreateRequest {
                config,
                planned_state,
                planned_private,
            };
            match implementation.create(ctx, &create).await {
                Ok(state) => (state, Diagnostics::new()),
                Err(e) => (e.state.unwrap_or(Value::Null), e.diagnostics),
            }
        } else {
            let update = UpdateRequest {
                config,
                prior_state,
                planned_state,
                planned_private,
            };
            match implementation.update(ctx, &update).await {
                Ok(state) => (state, Diagnostics::new()),
                Err(e) => (e.state.unwrap_or(update.prior_state), e.diagnostics),
            }
        };
        let mut new_state = new_state;
        if resource.has_write_only {
            null_write_only(&resource.schema.block, &mut new_state);
        }
        diagnostics.extend(require_known(&mut new_state, "new state"));
        // The state is recorded whatever happens to the identity: a created object must
        // never be forgotten.
        if let (Some(identity), false) = (&resource.identity, new_state.is_null()) {
            let checked = derive_identity(&*resource.implementation, identity, &new_state, true)
                .and_then(|new| {
                    check_unchanged(&req.type_name, "apply", identity, &planned_identity, &new)?;
                    encode_identity(&new, identity, "new identity")
                });
            match checked {
                Ok(new_identity) => resp.new_identity = Some(new_identity),
                Err(d) => diagnostics.extend(d),
            }
        }
        resp.new_state = Some(encode_dynamic(&new_state, ty, "new state")?);
        if let Some(private) = ctx.take_private() {
            resp.private = private;
        }
        resp.diagnostics.extend(diagnostics.to_proto());
        Ok(())
    }

    async fn import(
        &self,
        ctx: &Context,
        req: pb::import_resource_state::Request,
        resp: &mut pb::import_resource_state::Response,
    ) -> Result<(), Diagnostics> {
        let resource = self.resource(&req.type_name)?;
        let (mut state, imported_identity) = if req.id.is_empty() {
            self.import_by_identity(ctx, resource, &req).await?
        } else {
            let state = resource.implementation.import(ctx, &req.id).await?;
            // Kept only when complete; otherwise the refresh that follows supplies it.
            let identity = match &resource.identity {
                Some(identity) => {
                    let derived =
                        derive_identity(&*resource.implementation, identity, &state, true)?;
                    let complete = identity
                        .schema
                        .attributes
                        .iter()
                        .all(|a| !a.required_for_import || derived.attr(&a.name).is_present());
                    complete.then_some(derived)
                }
                None => None,
            };
            (state, identity)
        };
        if !matches!(state, Value::Object(_)) {
            return Err(Diagnostics::error(
                "Internal provider error (this is a bug)",
                "Import produced no resource object.",
            ));
        }
        if resource.has_write_only {
            null_write_only(&resource.schema.block, &mut state);
        }
        let identity = match (&resource.identity, imported_identity) {
            (Some(schema), Some(value)) => {
                Some(encode_identity(&value, schema, "imported identity")?)
            }
            _ => None,
        };
        resp.imported_resources
            .push(pb::import_resource_state::ImportedResource {
                type_name: req.type_name.clone(),
                state: Some(encode_dynamic(
                    &state,
                    &resource.value_type,
                    "imported state",
                )?),
                private: ctx.take_private().unwrap_or_default(),
                identity,
            });
        Ok(())
    }

    /// `import { identity = {...} }`: the state and the identity to record.
    async fn import_by_identity(
        &self,
        ctx: &Context,
        resource: &Registered<dyn Resource>,
        req: &pb::import_resource_state::Request,
    ) -> Result<(Value, Option<Value>), Diagnostics> {
        let Some(identity) = &resource.identity else {
            return Err(Diagnostics::error(
                "Import needs an ID",
                format!(
                    "Resource type {} has no identity: import it by ID.",
                    req.type_name
                ),
            ));
        };
        let requested = decode_identity(req.identity.as_ref(), identity, "identity")?;
        if is_unset(&requested) {
            return Err(Diagnostics::error(
                "Import needs an ID or an identity",
                format!(
                    "Terraform sent neither an ID nor an identity to import {}.",
                    req.type_name
                ),
            ));
        }
        let missing: Vec<&str> = identity
            .schema
            .attributes
            .iter()
            .filter(|a| a.required_for_import && requested.attr(&a.name).is_null())
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Diagnostics::error(
                "Incomplete identity",
                format!(
                    "Importing {} by identity needs {} in the identity.",
                    req.type_name,
                    missing.join(", ")
                ),
            ));
        }
        let state = resource
            .implementation
            .import_by_identity(ctx, &identity.schema, &requested)
            .await?;
        let derived = derive_identity(&*resource.implementation, identity, &state, true)?;
        check_unchanged(&req.type_name, "import", identity, &requested, &derived)?;
        Ok((
            state,
            Some(complete_identity(&identity.schema, &requested, &derived)),
        ))
    }

    async fn generate_config(
        &self,
        req: pb::generate_resource_config::Request,
        resp: &mut pb::generate_resource_config::Response,
    ) -> Result<(), Diagnostics> {
        let resource = self.resource(&req.type_name)?;
        let ty = &resource.value_type;
        let state = decode_dynamic(req.state.as_ref(), ty, "state")?;
        let mut config = resource
            .implementation
            .generate_config(&resource.schema, &state)?;
        if resource.has_write_only {
            null_write_only(&resource.schema.block, &mut config);
        }
        resp.config = Some(encode_dynamic(&config, ty, "generated configuration")?);
        Ok(())
    }

    async fn read_data(
        &self,
        ctx: &Context,
        req: pb::read_data_source::Request,
        resp: &mut pb::read_data_source::Response,
    ) -> Result<(), Diagnostics> {
        let data_source = self.data_source(&req.type_name)?;
        let ty = &data_source.value_type;
        let config = decode_dynamic(req.config.as_ref(), ty, "configuration")?;
        let mut state = data_source.implementation.read(ctx, &config).await?;
        let unknown = require_known(&mut state, "data source result");
        resp.state = Some(encode_dynamic(&state, ty, "data source result")?);
        unknown.into_result()
    }
}

/// An RPC this provider does not support: an error diagnostic. Written in the shape
/// `async_trait` expands to, because that attribute does not see into macro output.
macro_rules! unsupported_rpc {
    ($method:ident, $module:ident, $what:literal) => {
        fn $method<'life0, 'async_trait>(
            &'life0 self,
            _request: Request<pb::$module::Request>,
        ) -> std::pin::Pin<
            Box<
                dyn std::future::Future<Output = RpcResult<pb::$module::Response>>
                    + Send
                    + 'async_trait,
            >,
        >
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            Box::pin(async move {
                self.guarded(stringify!($method), "", Default::default, |_ctx| async {
                    finish(pb::$module::Response::default(), Err(unsupported($what)))
                })
                .await
            })
        }
    };
}

#[async_trait]
impl<P: ProviderDef> Provider for ProviderServer<P> {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        use pb::get_metadata as meta;
        self.guarded("GetMetadata", "", Default::default, |_ctx| async {
            meta::Response {
                server_capabilities: Some(server_capabilities()),
                diagnostics: Vec::new(),
                resources: self
                    .resources
                    .keys()
                    .map(|name| meta::ResourceMetadata {
                        type_name: name.clone(),
                    })
                    .collect(),
                data_sources: self
                    .data_sources
                    .keys()
                    .map(|name| meta::DataSourceMetadata {
                        type_name: name.clone(),
                    })
                    .collect(),
                functions: self
                    .functions
                    .keys()
                    .map(|name| meta::FunctionMetadata { name: name.clone() })
                    .collect(),
                list_resources: self
                    .list_resources
                    .keys()
                    .map(|name| meta::ListResourceMetadata {
                        type_name: name.clone(),
                    })
                    .collect(),
                actions: self
                    .actions
                    .keys()
                    .map(|name| meta::ActionMetadata {
                        type_name: name.clone(),
                    })
                    .collect(),
                ..Default::default()
            }
        })
        .await
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        self.guarded("GetProviderSchema", "", Default::default, |_ctx| async {
            self.schema_response.clone()
        })
        .await
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        self.guarded(
            "GetResourceIdentitySchemas",
            "",
            Default::default,
            |_ctx| async { self.identity_response.clone() },
        )
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> RpcResult<pb::upgrade_resource_identity::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        self.guarded(
            "UpgradeResourceIdentity",
            &type_name,
            Default::default,
            |ctx| async move {
                let mut resp = Default::default();
                let outcome = self.upgrade_identity(&ctx, &req, &mut resp).await;
                finish(resp, outcome)
            },
        )
        .await
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        let req = request.into_inner();
        let type_name = req.target_type_name.clone();
        self.guarded(
            "MoveResourceState",
            &type_name,
            Default::default,
            |ctx| async move {
                let mut resp = Default::default();
                let outcome = self.move_state(&ctx, req, &mut resp).await;
                finish(resp, outcome)
            },
        )
        .await
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> RpcResult<pb::generate_resource_config::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        self.guarded(
            "GenerateResourceConfig",
            &type_name,
            Default::default,
            |_ctx| async move {
                let mut resp = Default::default();
                let outcome = self.generate_config(req, &mut resp).await;
                finish(resp, outcome)
            },
        )
        .await
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> RpcResult<pb::validate_list_resource_config::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        self.guarded(
            "ValidateListResourceConfig",
            &type_name,
            Default::default,
            |ctx| async move {
                let diagnostics = self.validate_list(&ctx, &req).await.unwrap_or_else(|d| d);
                pb::validate_list_resource_config::Response {
                    diagnostics: diagnostics.to_proto(),
                }
            },
        )
        .await
    }

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> RpcResult<BoxStream<pb::list_resource::Event>> {
        Ok(Response::new(self.list(request.into_inner())))
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> RpcResult<pb::validate_action_config::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        self.guarded(
            "ValidateActionConfig",
            &type_name,
            Default::default,
            |ctx| async move {
                let diagnostics = self.validate_action(&ctx, &req).await.unwrap_or_else(|d| d);
                pb::validate_action_config::Response {
                    diagnostics: diagnostics.to_proto(),
                }
            },
        )
        .await
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> RpcResult<pb::plan_action::Response> {
        let req = request.into_inner();
        let type_name = req.action_type.clone();
        self.guarded(
            "PlanAction",
            &type_name,
            Default::default,
            |ctx| async move {
                let diagnostics = self
                    .plan_action_config(&ctx, &req)
                    .await
                    .unwrap_or_else(|d| d);
                // Deferral is never allowed for actions.
                pb::plan_action::Response {
                    diagnostics: diagnostics.to_proto(),
                    deferred: None,
                }
            },
        )
        .await
    }

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> RpcResult<BoxStream<pb::invoke_action::Event>> {
        Ok(Response::new(self.invoke(request.into_inner())))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let req = request.into_inner();
        self.guarded(
            "ValidateProviderConfig",
            "",
            Default::default,
            |ctx| async move {
                pb::validate_provider_config::Response {
                    diagnostics: self
                        .validate_provider(&ctx, req.config.as_ref())
                        .await
                        .to_proto(),
                }
            },
        )
        .await
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        let req = request.into_inner();
        self.guarded(
            "ConfigureProvider",
            "",
            Default::default,
            |ctx| async move {
                let outcome = async {
                    let config = decode_dynamic(
                        req.config.as_ref(),
                        &self.provider_type,
                        "provider configuration",
                    )?;
                    let configure = ConfigureRequest {
                        config,
                        terraform_version: req.terraform_version,
                    };
                    Ok::<_, Diagnostics>(self.provider.configure(&ctx, &configure).await)
                }
                .await;
                pb::configure_provider::Response {
                    diagnostics: outcome.unwrap_or_else(|d| d).to_proto(),
                }
            },
        )
        .await
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        self.guarded(
            "ValidateResourceConfig",
            &type_name,
            Default::default,
            |ctx| async move {
                pb::validate_resource_config::Response {
                    diagnostics: self.validate_resource(&ctx, &req).await.to_proto(),
                }
            },
        )
        .await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        self.guarded(
            "ValidateDataResourceConfig",
            &type_name,
            Default::default,
            |ctx| async move {
                pb::validate_data_resource_config::Response {
                    diagnostics: self
                        .validate_data_source(&ctx, &req.type_name, req.config.as_ref())
                        .await
                        .to_proto(),
                }
            },
        )
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        self.guarded(
            "UpgradeResourceState",
            &type_name,
            Default::default,
            |ctx| async move {
                {
                    let mut resp = Default::default();
                    let outcome = self.upgrade(&ctx, &req, &mut resp).await;
                    finish(resp, outcome)
                }
            },
        )
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        let on_panic = {
            let (state, private) = (req.current_state.clone(), req.private.clone());
            move || pb::read_resource::Response {
                new_state: state,
                private,
                ..Default::default()
            }
        };
        self.guarded("ReadResource", &type_name, on_panic, |ctx| async move {
            {
                let mut resp = Default::default();
                let outcome = self.read(&ctx, req, &mut resp).await;
                finish(resp, outcome)
            }
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        self.guarded(
            "PlanResourceChange",
            &type_name,
            Default::default,
            |ctx| async move {
                {
                    let mut resp = Default::default();
                    let outcome = self.plan(&ctx, req, &mut resp).await;
                    finish(resp, outcome)
                }
            },
        )
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        // After a panic the remote object's fate is unknown; keeping the prior state lets
        // Terraform refresh it next time instead of forgetting it.
        let on_panic = {
            let (state, private) = (req.prior_state.clone(), req.planned_private.clone());
            move || pb::apply_resource_change::Response {
                new_state: state,
                private,
                ..Default::default()
            }
        };
        self.guarded(
            "ApplyResourceChange",
            &type_name,
            on_panic,
            |ctx| async move {
                {
                    let mut resp = Default::default();
                    let outcome = self.apply(&ctx, req, &mut resp).await;
                    finish(resp, outcome)
                }
            },
        )
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        self.guarded(
            "ImportResourceState",
            &type_name,
            Default::default,
            |ctx| async move {
                {
                    let mut resp = Default::default();
                    let outcome = self.import(&ctx, req, &mut resp).await;
                    finish(resp, outcome)
                }
            },
        )
        .await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        self.guarded(
            "ReadDataSource",
            &type_name,
            Default::default,
            |ctx| async move {
                {
                    let mut resp = Default::default();
                    let outcome = self.read_data(&ctx, req, &mut resp).await;
                    finish(resp, outcome)
                }
            },
        )
        .await
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> RpcResult<pb::stop_provider::Response> {
        tracing::debug!(rpc = "StopProvider", "cancelling in-flight operations");
        self.stop_in_flight();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> RpcResult<pb::get_functions::Response> {
        self.guarded("GetFunctions", "", Default::default, |_ctx| async {
            self.function_signatures()
        })
        .await
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> RpcResult<pb::call_function::Response> {
        Ok(Response::new(self.call(&request.into_inner())))
    }

    unsupported_rpc!(
        validate_ephemeral_resource_config,
        validate_ephemeral_resource_config,
        "Ephemeral resources"
    );
    unsupported_rpc!(
        open_ephemeral_resource,
        open_ephemeral_resource,
        "Ephemeral resources"
    );
    unsupported_rpc!(
        renew_ephemeral_resource,
        renew_ephemeral_resource,
        "Ephemeral resources"
    );
    unsupported_rpc!(
        close_ephemeral_resource,
        close_ephemeral_resource,
        "Ephemeral resources"
    );
    unsupported_rpc!(
        validate_state_store_config,
        validate_state_store,
        "State stores"
    );
    unsupported_rpc!(configure_state_store, configure_state_store, "State stores");
    unsupported_rpc!(lock_state, lock_state, "State stores");
    unsupported_rpc!(unlock_state, unlock_state, "State stores");
    unsupported_rpc!(get_states, get_states, "State stores");
    unsupported_rpc!(delete_state, delete_state, "State stores");
}
