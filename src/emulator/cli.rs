//! Command-line flags of `alikafka-emulator` and how they combine with the config file.

use std::path::PathBuf;

use clap::Parser;

use super::config::{ConfigError, ConfigFile, DataLocation, EmulatorConfig};

/// A local stand-in for the Alibaba Cloud alikafka management API.
#[derive(Debug, Parser)]
#[command(name = "alikafka-emulator", version, about)]
pub struct Cli {
    /// Address to listen on, HOST:PORT (port 0 picks a free port). Default 127.0.0.1:9120.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// SQLite state file, or `:memory:`. Default: <data dir>/alikafka-emulator/state.db.
    #[arg(long, value_name = "PATH")]
    pub data: Option<String>,
    /// TOML file with accounts, instances, rate limits and visibility delay.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Delay before created/deleted topics and groups show in reads.
    #[arg(long, value_name = "N")]
    pub visibility_delay_ms: Option<u64>,
    /// Requests per second allowed per account and action.
    #[arg(long, value_name = "N")]
    pub qps: Option<u32>,
    /// CreateTopic requests per second allowed per account.
    #[arg(long, value_name = "N")]
    pub create_topic_qps: Option<u32>,
    /// Kafka listener of the first instance, HOST:PORT; the next instances take the next
    /// ports (port 0: a free port each). Default: the HTTP host and port + 1.
    #[arg(long, value_name = "ADDR")]
    pub kafka_listen: Option<String>,
    /// Allow listening on a non-loopback address (the control API is unauthenticated).
    #[arg(long)]
    pub allow_remote: bool,
}

impl Cli {
    /// Embedded default, then the config file, then the flags.
    pub fn into_config(self) -> Result<EmulatorConfig, ConfigError> {
        let file = match &self.config {
            Some(path) => Some(ConfigFile::load(path)?),
            None => None,
        };
        let data_given = self.data.is_some() || file.as_ref().is_some_and(|f| f.data.is_some());
        let default_data = if data_given {
            DataLocation::Memory // replaced below
        } else {
            DataLocation::default_file().ok_or(ConfigError::NoDataDir)?
        };
        let mut config = EmulatorConfig::embedded(default_data);
        if let Some(file) = file {
            config.apply_file(file);
        }
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(data) = self.data {
            config.data = DataLocation::parse(&data);
        }
        if let Some(delay) = self.visibility_delay_ms {
            config.visibility_delay_ms = delay;
        }
        if let Some(qps) = self.qps {
            config.rate_limits.qps = qps;
        }
        if let Some(qps) = self.create_topic_qps {
            config.rate_limits.create_topic_qps = qps;
        }
        if let Some(kafka_listen) = self.kafka_listen {
            config.kafka_listen = Some(kafka_listen);
        }
        config.allow_remote |= self.allow_remote;
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn parse(args: &[&str]) -> Result<EmulatorConfig, ConfigError> {
        Cli::try_parse_from(std::iter::once("alikafka-emulator").chain(args.iter().copied()))
            .expect("valid flags")
            .into_config()
    }

    #[test]
    fn flags_override_file_which_overrides_default() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "visibility_delay_ms = 5\nlisten = \"127.0.0.1:7000\"\n[rate_limits]\nqps = 9"
        )
        .unwrap();
        let path = file.path().to_str().unwrap();
        let config = parse(&["--config", path, "--data", ":memory:", "--qps", "40"]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:7000");
        assert_eq!(config.visibility_delay_ms, 5);
        assert_eq!(config.rate_limits.qps, 40);
        assert_eq!(config.rate_limits.create_topic_qps, 1);
        assert_eq!(config.data, DataLocation::Memory);
        assert!(!config.allow_remote);
    }

    #[test]
    fn no_flags_means_embedded_default_with_default_data_file() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:9120");
        assert_eq!(config.visibility_delay_ms, 1000);
        assert_eq!(
            (config.rate_limits.qps, config.rate_limits.create_topic_qps),
            (3, 1)
        );
        match config.data {
            DataLocation::File(path) => assert!(path.ends_with("alikafka-emulator/state.db")),
            DataLocation::Memory => panic!("default must be a file"),
        }
    }

    #[test]
    fn zero_qps_is_rejected() {
        assert!(parse(&["--data", ":memory:", "--qps", "0"]).is_err());
    }
}
