//! A stand-in for the alicloud provider (`registry.terraform.io/aliyun/alicloud`), for
//! tests only.
//!
//! Why it exists: `moved { from = alicloud_alikafka_topic.x  to = alikafka_topic.x }` is
//! tested on a Terraform state that the alicloud provider wrote. Terraform holds, shows
//! and moves such a state only while the provider named in it serves the schemas of its
//! resource types, and the real alicloud provider (a Go binary from the public registry)
//! cannot be had here. This stand-in serves those schemas exactly as
//! aliyun/terraform-provider-alicloud declares them in `alicloud/resource_alicloud_alikafka_*.go`
//! (terraform-plugin-sdk v1): the attribute names, types and flags, the `id` attribute and
//! the `timeouts` block the SDK adds, and the schema version, for every release where a
//! schema changed. It never talks to any API: a refresh returns the state as stored, and
//! create, update, delete and import refuse. `tests/fixtures/alicloud/` holds states shaped
//! exactly as the provider writes them (see its README), one per release where a schema
//! changed.
//!
//! It is served in the test process and attached with TF_REATTACH_PROVIDERS, which
//! Terraform accepts for any provider address: nothing to build or install, and it cannot
//! leave the test suite. Tests on our provider (installed through dev_overrides) set
//! `TF_REATTACH_PROVIDERS` to [`StandIn::reattach`] beside it.

#![allow(dead_code)] // each test file uses its own part

use std::sync::Arc;

use alikafka::tfplugin::cty::{Type, Value};
use alikafka::tfplugin::diagnostics::Diagnostics;
use alikafka::tfplugin::framework::{
    ApplyError, ConfigureRequest, Context, CreateRequest, DataSource, DeleteRequest, ProviderDef,
    ReadRequest, Resource, UpdateRequest,
};
use alikafka::tfplugin::handshake::{ListenAddr, PluginEnv};
use alikafka::tfplugin::schema::{Attribute, Block, BlockNesting, NestedBlock, Schema};
use alikafka::tfplugin::server::{start, ServeOptions};
use alikafka::tfplugin::service::ProviderServer;
use async_trait::async_trait;

/// The source address the alicloud provider is published under.
pub const ALICLOUD: &str = "registry.terraform.io/aliyun/alicloud";

/// The newest alicloud release read (aliyun/terraform-provider-alicloud v1.289.0).
pub const LATEST: &str = "1.289.0";

/// One shape of a resource type's schema: from release `since` until the next era.
/// Attributes are `(name, spec)`, spec words: a type (`string`, `number` for TypeInt,
/// `bool`, `map` for TypeMap of strings), `required` / `optional` / `computed`, and the
/// SDK flags `force_new`, `sensitive`, `deprecated`, `default=...`. `default` is
/// documentation: the SDK applies it while planning and never puts it on the wire.
/// `timeouts` are the operations of the SDK's `timeouts` block with their defaults.
pub struct Era {
    pub since: &'static str,
    pub attributes: &'static [(&'static str, &'static str)],
    pub timeouts: &'static [(&'static str, &'static str)],
}

/// A resource type and every schema it has had. All are schema version 0: no alikafka
/// resource of the alicloud provider ever set `SchemaVersion` or a state upgrader.
pub struct ResourceType {
    pub name: &'static str,
    pub schema_version: i64,
    pub eras: &'static [Era],
}

const REQUIRED_NEW: &str = "string required force_new";
const TIMEOUTS_5M: &[(&str, &str)] = &[("create", "5m"), ("update", "5m"), ("delete", "5m")];

pub const TOPIC: ResourceType = ResourceType {
    name: "alicloud_alikafka_topic",
    schema_version: 0,
    eras: &[
        Era {
            since: "1.56.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("topic", REQUIRED_NEW),
                ("local_topic", "bool optional force_new"),
                ("compact_topic", "bool optional force_new"),
                ("partition_num", "number optional force_new"),
                ("remark", REQUIRED_NEW),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.63.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("topic", REQUIRED_NEW),
                ("local_topic", "bool optional force_new default=false"),
                ("compact_topic", "bool optional force_new default=false"),
                ("partition_num", "number optional force_new default=12"),
                ("remark", REQUIRED_NEW),
                ("tags", "map optional"),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.70.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("topic", REQUIRED_NEW),
                ("local_topic", "bool optional force_new default=false"),
                ("compact_topic", "bool optional force_new default=false"),
                ("partition_num", "number optional default=12"),
                ("remark", "string required"),
                ("tags", "map optional"),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.119.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("topic", REQUIRED_NEW),
                ("local_topic", "bool optional force_new default=false"),
                ("compact_topic", "bool optional force_new default=false"),
                ("partition_num", "number optional default=12"),
                ("remark", "string required"),
                ("tags", "map optional"),
            ],
            timeouts: &[("create", "10m")],
        },
        Era {
            since: "1.262.1",
            attributes: &[
                ("compact_topic", "bool optional force_new"),
                ("configs", "string optional computed"),
                ("create_time", "number computed"),
                ("instance_id", REQUIRED_NEW),
                ("local_topic", "bool optional force_new"),
                ("partition_num", "number optional computed"),
                ("region_id", "string computed"),
                ("remark", "string required"),
                ("status", "string computed"),
                ("tags", "map optional"),
                ("topic", REQUIRED_NEW),
            ],
            timeouts: &[("create", "5m"), ("update", "5m"), ("delete", "16m")],
        },
    ],
};

pub const CONSUMER_GROUP: ResourceType = ResourceType {
    name: "alicloud_alikafka_consumer_group",
    schema_version: 0,
    eras: &[
        Era {
            since: "1.56.0",
            attributes: &[("instance_id", REQUIRED_NEW), ("consumer_id", REQUIRED_NEW)],
            timeouts: &[],
        },
        Era {
            since: "1.63.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("consumer_id", REQUIRED_NEW),
                ("tags", "map optional"),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.157.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("consumer_id", REQUIRED_NEW),
                ("description", "string optional force_new"),
                ("tags", "map optional"),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.268.0",
            attributes: &[
                ("consumer_id", REQUIRED_NEW),
                ("create_time", "number computed"),
                ("instance_id", REQUIRED_NEW),
                ("region_id", "string computed"),
                ("remark", "string optional computed force_new"),
                ("tags", "map optional"),
                (
                    "description",
                    "string optional computed force_new deprecated",
                ),
            ],
            timeouts: TIMEOUTS_5M,
        },
    ],
};

pub const SASL_USER: ResourceType = ResourceType {
    name: "alicloud_alikafka_sasl_user",
    schema_version: 0,
    eras: &[
        Era {
            since: "1.66.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("username", REQUIRED_NEW),
                ("password", "string optional force_new sensitive"),
                ("kms_encrypted_password", "string optional force_new"),
                ("kms_encryption_context", "map optional force_new"),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.68.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("username", REQUIRED_NEW),
                ("password", "string optional sensitive"),
                ("kms_encrypted_password", "string optional"),
                ("kms_encryption_context", "map optional"),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.159.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("username", REQUIRED_NEW),
                ("password", "string optional sensitive"),
                ("kms_encrypted_password", "string optional"),
                ("kms_encryption_context", "map optional"),
                ("type", "string optional force_new"),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.190.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("username", REQUIRED_NEW),
                ("password", "string optional sensitive"),
                ("kms_encrypted_password", "string optional"),
                ("kms_encryption_context", "map optional"),
                ("type", "string optional"),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.216.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("username", REQUIRED_NEW),
                ("type", "string optional computed force_new"),
                ("password", "string optional sensitive"),
                ("kms_encrypted_password", "string optional"),
                ("kms_encryption_context", "map optional"),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.266.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("mechanism", "string optional computed force_new"),
                ("password", "string optional computed sensitive"),
                ("type", "string optional computed force_new"),
                ("username", REQUIRED_NEW),
                ("kms_encrypted_password", "string optional"),
                ("kms_encryption_context", "map optional"),
            ],
            timeouts: TIMEOUTS_5M,
        },
    ],
};

pub const SASL_ACL: ResourceType = ResourceType {
    name: "alicloud_alikafka_sasl_acl",
    schema_version: 0,
    eras: &[
        Era {
            since: "1.66.0",
            attributes: &[
                ("instance_id", REQUIRED_NEW),
                ("username", REQUIRED_NEW),
                ("acl_resource_type", REQUIRED_NEW),
                ("acl_resource_name", REQUIRED_NEW),
                ("acl_resource_pattern_type", REQUIRED_NEW),
                ("acl_operation_type", REQUIRED_NEW),
                ("host", "string computed"),
            ],
            timeouts: &[],
        },
        Era {
            since: "1.270.0",
            attributes: &[
                ("acl_operation_type", REQUIRED_NEW),
                ("acl_operation_types", "string optional"),
                ("acl_permission_type", "string optional computed force_new"),
                ("acl_resource_name", REQUIRED_NEW),
                ("acl_resource_pattern_type", REQUIRED_NEW),
                ("acl_resource_type", REQUIRED_NEW),
                ("host", "string optional computed force_new"),
                ("instance_id", REQUIRED_NEW),
                ("username", REQUIRED_NEW),
            ],
            timeouts: TIMEOUTS_5M,
        },
    ],
};

pub const ALLOWED_IP_ATTACHMENT: ResourceType = ResourceType {
    name: "alicloud_alikafka_instance_allowed_ip_attachment",
    schema_version: 0,
    eras: &[Era {
        since: "1.163.0",
        attributes: &[
            ("instance_id", REQUIRED_NEW),
            ("allowed_type", REQUIRED_NEW),
            ("port_range", REQUIRED_NEW),
            ("allowed_ip", REQUIRED_NEW),
        ],
        timeouts: &[("create", "1m"), ("delete", "1m")],
    }],
};

pub const RESOURCE_TYPES: [&ResourceType; 5] = [
    &TOPIC,
    &CONSUMER_GROUP,
    &SASL_USER,
    &SASL_ACL,
    &ALLOWED_IP_ATTACHMENT,
];

fn release_key(release: &str) -> Vec<u32> {
    release
        .split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

impl ResourceType {
    /// The schema shape in force at `release`; `None` before the type existed.
    pub fn era_at(&self, release: &str) -> Option<&Era> {
        let at = release_key(release);
        self.eras.iter().rfind(|era| release_key(era.since) <= at)
    }

    /// The schema as Terraform sees it from the SDK: the declared attributes, plus the
    /// `id` attribute and the `timeouts` block the SDK adds.
    pub fn schema_at(&self, release: &str) -> Option<Schema> {
        let era = self.era_at(release)?;
        let mut attributes: Vec<Attribute> = era.attributes.iter().map(attribute).collect();
        attributes.push(Attribute::string("id").optional().computed());
        let mut schema = Schema::new(attributes).version(self.schema_version);
        if !era.timeouts.is_empty() {
            let operations = era
                .timeouts
                .iter()
                .map(|(op, _)| Attribute::string(*op).optional())
                .collect();
            schema = schema.with_block(NestedBlock::new(
                "timeouts",
                BlockNesting::Single,
                Block::new(operations),
            ));
        }
        Some(schema)
    }
}

fn attribute((name, spec): &(&'static str, &'static str)) -> Attribute {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let ty = match words.first().copied() {
        Some("string") => Type::String,
        Some("number") => Type::Number,
        Some("bool") => Type::Bool,
        Some("map") => Type::map(Type::String),
        other => panic!("{name}: unknown type {other:?}"),
    };
    let mut a = Attribute::new(*name, ty);
    for word in &words[1..] {
        a = match *word {
            "required" => a.required(),
            "optional" => a.optional(),
            "computed" => a.computed(),
            "force_new" => a.requires_replace(),
            "sensitive" => a.sensitive(),
            "deprecated" => a.deprecated(format!("{name} is deprecated by the alicloud provider")),
            default if default.starts_with("default=") => a,
            other => panic!("{name}: unknown flag {other}"),
        };
    }
    a
}

// ------------------------------------------------------------------ the provider

struct StandInResource {
    type_name: &'static str,
    schema: Schema,
}

fn refuse(type_name: &str, what: &str) -> Diagnostics {
    Diagnostics::error(
        "The alicloud stand-in changes nothing",
        format!(
            "The alicloud stand-in of the test suite only holds {type_name} state; it cannot \
             {what}."
        ),
    )
}

#[async_trait]
impl Resource for StandInResource {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn schema(&self) -> Schema {
        self.schema.clone()
    }

    async fn create(&self, _: &Context, _: &CreateRequest) -> Result<Value, ApplyError> {
        Err(refuse(self.type_name, "create one").into())
    }

    async fn read(&self, _: &Context, req: &ReadRequest) -> Result<Option<Value>, Diagnostics> {
        Ok(Some(req.current_state.clone()))
    }

    async fn update(&self, _: &Context, _: &UpdateRequest) -> Result<Value, ApplyError> {
        Err(refuse(self.type_name, "change one").into())
    }

    async fn delete(&self, _: &Context, _: &DeleteRequest) -> Result<(), Diagnostics> {
        Err(refuse(self.type_name, "delete one"))
    }
}

struct StandInProvider {
    release: String,
}

#[async_trait]
impl ProviderDef for StandInProvider {
    fn type_name(&self) -> &'static str {
        "alicloud"
    }

    /// A few of the alicloud provider's settings (it has many more), so that a
    /// `provider "alicloud" { region = "..." }` block in a test configuration is valid.
    fn schema(&self) -> Schema {
        Schema::new(vec![
            Attribute::string("region").optional(),
            Attribute::string("access_key").optional().sensitive(),
            Attribute::string("secret_key").optional().sensitive(),
            Attribute::string("security_token").optional().sensitive(),
            Attribute::string("profile").optional(),
            Attribute::string("shared_credentials_file").optional(),
        ])
    }

    async fn configure(&self, _: &Context, _: &ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        RESOURCE_TYPES
            .iter()
            .filter_map(|t| {
                let schema = t.schema_at(&self.release)?;
                Some(Arc::new(StandInResource {
                    type_name: t.name,
                    schema,
                }) as Arc<dyn Resource>)
            })
            .collect()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

// ------------------------------------------------------------------ serving

/// The stand-in, serving in a thread of its own (usable from synchronous and async
/// tests alike); stops when dropped.
pub struct StandIn {
    /// `TF_REATTACH_PROVIDERS` entry for [`ALICLOUD`]: `{"Protocol": ..., "Addr": ...}`.
    pub entry: serde_json::Value,
    stop: tokio_util::sync::CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StandIn {
    /// Serves the schemas of alicloud `release` (e.g. `"1.119.0"`, or [`LATEST`]).
    pub fn start(release: &str) -> StandIn {
        let provider = StandInProvider {
            release: release.to_owned(),
        };
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("stand-in runtime");
            runtime.block_on(async move {
                let mut opts = ServeOptions::new(ALICLOUD);
                opts.debug = true;
                opts.env = PluginEnv::default();
                let running = start(ProviderServer::new(provider), opts)
                    .await
                    .expect("the stand-in serves");
                let ListenAddr::Unix(socket) = running.addr().clone() else {
                    panic!("debug mode listens on a unix socket");
                };
                let entry = serde_json::json!({
                    "Protocol": "grpc",
                    "ProtocolVersion": 6,
                    "Pid": std::process::id(),
                    "Test": true,
                    "Addr": {"Network": "unix", "String": socket.display().to_string()},
                });
                let stop = running.stop_token();
                let _ = ready_tx.send((entry, stop));
                let _ = running.wait().await;
            });
        });
        let (entry, stop) = ready_rx.recv().expect("the stand-in started");
        StandIn {
            entry,
            stop,
            thread: Some(thread),
        }
    }

    /// `TF_REATTACH_PROVIDERS` with the stand-in alone.
    pub fn reattach(&self) -> String {
        serde_json::json!({ ALICLOUD: self.entry }).to_string()
    }

    /// `TF_REATTACH_PROVIDERS` with the stand-in beside other reattached providers.
    pub fn reattach_with(&self, others: &serde_json::Value) -> String {
        let mut all = others.clone();
        all[ALICLOUD] = self.entry.clone();
        all.to_string()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The fixture states, by file name (`alikafka_topic-v1.119.0.tfstate`): the alicloud
/// release that wrote each is in its name.
pub fn fixtures() -> Vec<(String, std::path::PathBuf)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/alicloud");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tfstate"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

/// The alicloud release in a fixture's name: `alikafka_topic-v1.119.0.tfstate` → `1.119.0`.
pub fn fixture_release(name: &str) -> &str {
    name.rsplit_once("-v")
        .map(|(_, rest)| rest.trim_end_matches(".tfstate"))
        .unwrap_or(LATEST)
}
