//! The shared state of a running emulator.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::auth::Authenticator;
use super::config::{EmulatorConfig, InstanceConfig};
use super::errors::ApiError;
use super::faults::Faults;
use super::kafka::KafkaState;
use super::limits::RateLimiter;
use super::metrics::Metrics;
use super::storage::{self, Db, StorageError};
use super::sts::Sts;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Knobs that can change at run time (`/_emulator/settings`).
pub struct Settings {
    visibility_delay_ms: AtomicU64,
    qps: AtomicU32,
    create_topic_qps: AtomicU32,
}

/// The settings document (every field optional on `PUT`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SettingsView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility_delay_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qps: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_topic_qps: Option<u32>,
}

impl Settings {
    fn from_config(config: &EmulatorConfig) -> Self {
        Settings {
            visibility_delay_ms: AtomicU64::new(config.visibility_delay_ms),
            qps: AtomicU32::new(config.rate_limits.qps),
            create_topic_qps: AtomicU32::new(config.rate_limits.create_topic_qps),
        }
    }

    pub fn visibility_delay_ms(&self) -> i64 {
        i64::try_from(self.visibility_delay_ms.load(Ordering::Relaxed)).unwrap_or(i64::MAX / 4)
    }

    pub fn qps(&self) -> u32 {
        self.qps.load(Ordering::Relaxed)
    }

    pub fn create_topic_qps(&self) -> u32 {
        self.create_topic_qps.load(Ordering::Relaxed)
    }

    pub fn view(&self) -> SettingsView {
        SettingsView {
            visibility_delay_ms: Some(self.visibility_delay_ms.load(Ordering::Relaxed)),
            qps: Some(self.qps()),
            create_topic_qps: Some(self.create_topic_qps()),
        }
    }

    /// Applies the given fields; rate limits must be at least 1.
    pub fn update(&self, change: SettingsView) -> Result<(), String> {
        if change.qps == Some(0) || change.create_topic_qps == Some(0) {
            return Err("rate limits must be at least 1 request per second".into());
        }
        if change
            .visibility_delay_ms
            .is_some_and(|d| d > 24 * 3600 * 1000)
        {
            return Err("visibility_delay_ms must be at most one day".into());
        }
        if let Some(v) = change.visibility_delay_ms {
            self.visibility_delay_ms.store(v, Ordering::Relaxed);
        }
        if let Some(v) = change.qps {
            self.qps.store(v, Ordering::Relaxed);
        }
        if let Some(v) = change.create_topic_qps {
            self.create_topic_qps.store(v, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// A configured instance with its persisted times.
pub struct Instance {
    pub config: InstanceConfig,
    pub create_time_ms: i64,
    pub expired_time_ms: i64,
}

impl Instance {
    pub fn id(&self) -> &str {
        &self.config.instance_id
    }
    pub fn region(&self) -> &str {
        &self.config.region_id
    }
    pub fn is_running(&self) -> bool {
        self.config.service_status == 5
    }
    /// Message retention in hours: the default `retention.ms` of its topics.
    pub fn msg_retain_hours(&self) -> i64 {
        self.config.msg_retain_hours
    }
}

/// Everything requests share.
pub struct App {
    pub config: EmulatorConfig,
    pub db: Db,
    pub auth: Authenticator,
    pub instances: Vec<Instance>,
    instance_index: HashMap<String, usize>,
    pub limiter: RateLimiter,
    pub metrics: Metrics,
    pub faults: Faults,
    pub settings: Settings,
    /// The Kafka listeners' shared state (groups, producers, endpoints).
    pub kafka: KafkaState,
    pub sts: Sts,
}

impl App {
    /// Opens storage and records instance times.
    pub fn new(config: EmulatorConfig) -> Result<App, StorageError> {
        let db = Db::open(&config.data)?;
        let now = now_ms();
        let mut instances = Vec::with_capacity(config.instances.len());
        for instance in &config.instances {
            let (create, expired) =
                db.run_blocking(|c| storage::instances::ensure(c, &instance.instance_id, now))?;
            instances.push(Instance {
                config: instance.clone(),
                create_time_ms: create,
                expired_time_ms: expired,
            });
        }
        let instance_index = instances
            .iter()
            .enumerate()
            .map(|(i, inst)| (inst.id().to_string(), i))
            .collect();
        let sts = Sts::new(&config);
        Ok(App {
            auth: Authenticator::new(&config.accounts).with_sessions(sts.sessions.clone()),
            sts,
            settings: Settings::from_config(&config),
            config,
            db,
            instances,
            instance_index,
            limiter: RateLimiter::default(),
            metrics: Metrics::default(),
            faults: Faults::default(),
            kafka: KafkaState::default(),
        })
    }

    /// Any instance by id (control API: no tenancy).
    pub fn instance(&self, instance_id: &str) -> Option<&Instance> {
        self.instance_index
            .get(instance_id)
            .map(|i| &self.instances[*i])
    }

    /// The caller's instance in the region asked for. Unknown, foreign and other-region
    /// instances all answer the same not-found error, so nothing leaks across tenants.
    pub fn resolve_instance(
        &self,
        caller: &str,
        instance_id: &str,
        region: Option<&str>,
    ) -> Result<&Instance, ApiError> {
        self.instance(instance_id)
            .filter(|i| i.config.account == caller && region.is_none_or(|r| r == i.region()))
            .ok_or_else(|| ApiError::instance_not_found(instance_id))
    }

    /// Back to the configured initial state.
    pub async fn reset(&self) -> Result<(), ApiError> {
        self.db
            .run(|c| storage::clear_state(c).map_err(ApiError::from))
            .await?;
        self.metrics.reset();
        self.faults.clear();
        self.auth.clear_nonces();
        self.sts.sessions.clear();
        self.limiter.clear();
        self.kafka.clear();
        // Cannot fail: the configured values were validated at startup.
        let _ = self.settings.update(SettingsView {
            visibility_delay_ms: Some(self.config.visibility_delay_ms),
            qps: Some(self.config.rate_limits.qps),
            create_topic_qps: Some(self.config.rate_limits.create_topic_qps),
        });
        Ok(())
    }
}
