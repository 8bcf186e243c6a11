//! The `Provider` RPCs.

use async_trait::async_trait;
use tonic::{Request, Response, Status};

use super::guard::WithDiagnostics;
use super::{decode_dynamic, encode_dynamic, require_known, server_capabilities, ProviderServer};
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::{path_to_proto, Diagnostics};
use crate::tfplugin::framework::plan::{check_plan, plan_resource, replacement_paths};
use crate::tfplugin::framework::validate::validate_config;
use crate::tfplugin::framework::{
    ConfigureRequest, Context, CreateRequest, DeleteRequest, PlanRequest, ProviderDef, ReadRequest,
    UpdateRequest,
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
        type_name: &str,
        config: Option<&pb::DynamicValue>,
    ) -> Diagnostics {
        let run = async {
            let resource = self.resource(type_name)?;
            let config = decode_dynamic(config, &resource.value_type, "resource configuration")?;
            let mut diagnostics = validate_config(&resource.schema.block, &config);
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
        let json: serde_json::Value = serde_json::from_slice(&raw.json).map_err(|e| {
            Diagnostics::error(
                "Invalid stored state",
                format!("The stored state is not JSON: {e}."),
            )
        })?;
        let upgraded = resource
            .implementation
            .upgrade_state(ctx, req.version, &json)
            .await?;
        resp.upgraded_state = Some(encode_dynamic(
            &upgraded,
            &resource.value_type,
            "upgraded state",
        )?);
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
        resp.private = req.private.clone();
        let resource = self.resource(&req.type_name)?;
        let ty = &resource.value_type;
        let current_state = decode_dynamic(req.current_state.as_ref(), ty, "current state")?;
        if current_state.is_null() {
            return Ok(());
        }
        let read = ReadRequest {
            current_state,
            private: req.private,
        };
        let new_state = resource.implementation.read(ctx, &read).await?;
        let mut new_state = new_state.unwrap_or(Value::Null);
        let unknown = require_known(&mut new_state, "state");
        resp.new_state = Some(encode_dynamic(&new_state, ty, "state")?);
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
        let plan_request = PlanRequest {
            prior_state: decode_dynamic(req.prior_state.as_ref(), ty, "prior state")?,
            proposed_new_state: decode_dynamic(
                req.proposed_new_state.as_ref(),
                ty,
                "proposed new state",
            )?,
            config: decode_dynamic(req.config.as_ref(), ty, "configuration")?,
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
        let planned_state = decode_dynamic(req.planned_state.take().as_ref(), ty, "planned state")?;
        let config = decode_dynamic(req.config.take().as_ref(), ty, "configuration")?;
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
        diagnostics.extend(require_known(&mut new_state, "new state"));
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
        if req.id.is_empty() {
            return Err(Diagnostics::error(
                "Import needs an ID",
                "This provider imports by ID only; resource identities are not supported.",
            ));
        }
        let state = resource.implementation.import(ctx, &req.id).await?;
        if !matches!(state, Value::Object(_)) {
            return Err(Diagnostics::error(
                "Internal provider error (this is a bug)",
                "Import produced no resource object.",
            ));
        }
        resp.imported_resources
            .push(pb::import_resource_state::ImportedResource {
                type_name: req.type_name.clone(),
                state: Some(encode_dynamic(
                    &state,
                    &resource.value_type,
                    "imported state",
                )?),
                private: ctx.take_private().unwrap_or_default(),
                identity: None,
            });
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
        self.guarded("GetMetadata", "", Default::default, |_ctx| async {
            pb::get_metadata::Response {
                server_capabilities: Some(server_capabilities()),
                diagnostics: Vec::new(),
                resources: self
                    .resources
                    .keys()
                    .map(|name| pb::get_metadata::ResourceMetadata {
                        type_name: name.clone(),
                    })
                    .collect(),
                data_sources: self
                    .data_sources
                    .keys()
                    .map(|name| pb::get_metadata::DataSourceMetadata {
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
            |_ctx| async { pb::get_resource_identity_schemas::Response::default() },
        )
        .await
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
                    diagnostics: self
                        .validate_resource(&ctx, &req.type_name, req.config.as_ref())
                        .await
                        .to_proto(),
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
            pb::get_functions::Response::default()
        })
        .await
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> RpcResult<pb::call_function::Response> {
        let name = request.into_inner().name;
        Ok(Response::new(pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text: format!("This provider has no function {name:?}."),
                function_argument: None,
            }),
        }))
    }

    unsupported_rpc!(
        upgrade_resource_identity,
        upgrade_resource_identity,
        "Resource identity"
    );
    unsupported_rpc!(
        move_resource_state,
        move_resource_state,
        "Moving state between resource types"
    );
    unsupported_rpc!(
        generate_resource_config,
        generate_resource_config,
        "Generating configuration"
    );
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
        validate_list_resource_config,
        validate_list_resource_config,
        "List resources"
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
    unsupported_rpc!(plan_action, plan_action, "Actions");
    unsupported_rpc!(validate_action_config, validate_action_config, "Actions");
}
