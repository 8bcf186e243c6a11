//! The go-plugin handshake: what Terraform tells the provider through the environment,
//! and the single line the provider answers with on stdout.

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;

/// Terraform sets this variable to [`MAGIC_COOKIE_VALUE`] when it launches a provider.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value shared by every Terraform release since 0.12.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's own protocol version, the first field of the handshake line.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The only plugin protocol this provider speaks.
pub const PROTOCOL_VERSION: u32 = 6;

/// Environment variable that forces TCP instead of a unix socket (handy for tests).
pub const FORCE_TCP_KEY: &str = "ALIKAFKA_PLUGIN_TCP";

/// What Terraform (via go-plugin) tells a freshly started provider. Read from the process
/// environment by [`PluginEnv::from_process`]; tests build it directly instead of
/// mutating the environment.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PluginEnv {
    /// `TF_PLUGIN_MAGIC_COOKIE`.
    pub magic_cookie: Option<String>,
    /// `PLUGIN_PROTOCOL_VERSIONS`, a comma list such as `5,6`.
    pub protocol_versions: Option<String>,
    /// `PLUGIN_CLIENT_CERT`: the PEM certificate Terraform will present (AutoMTLS).
    /// Absent when Terraform runs with `TF_DISABLE_PLUGIN_TLS`.
    pub client_cert_pem: Option<String>,
    /// `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT`: the TCP port range when TCP is used.
    pub min_port: Option<u16>,
    pub max_port: Option<u16>,
    /// `PLUGIN_UNIX_SOCKET_DIR`: where to create the socket directory (else the temp dir).
    pub unix_socket_dir: Option<PathBuf>,
    /// `ALIKAFKA_PLUGIN_TCP=1`: listen on TCP even where unix sockets work.
    pub force_tcp: bool,
}

impl PluginEnv {
    /// Reads the handshake variables of the current process.
    pub fn from_process() -> Self {
        let var = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
        let port = |key: &str| var(key).and_then(|v| v.trim().parse().ok());
        Self {
            magic_cookie: var(MAGIC_COOKIE_KEY),
            protocol_versions: var("PLUGIN_PROTOCOL_VERSIONS"),
            client_cert_pem: var("PLUGIN_CLIENT_CERT"),
            min_port: port("PLUGIN_MIN_PORT"),
            max_port: port("PLUGIN_MAX_PORT"),
            unix_socket_dir: var("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from),
            force_tcp: var(FORCE_TCP_KEY).is_some_and(|v| is_truthy(&v)),
        }
    }

    /// A well-formed environment as Terraform would pass it, for in-process tests.
    pub fn launched_by_terraform(client_cert_pem: Option<String>) -> Self {
        Self {
            magic_cookie: Some(MAGIC_COOKIE_VALUE.to_string()),
            protocol_versions: Some("5,6".to_string()),
            client_cert_pem,
            ..Self::default()
        }
    }

    /// True when Terraform started us (the cookie matches).
    pub fn has_magic_cookie(&self) -> bool {
        self.magic_cookie.as_deref() == Some(MAGIC_COOKIE_VALUE)
    }

    /// Picks protocol 6 from what Terraform offers. Without the variable (a very old
    /// go-plugin, or a hand-made reattach) we assume 6, as go-plugin does.
    pub fn negotiate_protocol(&self) -> Result<u32, HandshakeError> {
        let Some(offered) = self.protocol_versions.as_deref() else {
            return Ok(PROTOCOL_VERSION);
        };
        let speaks_ours = offered
            .split(',')
            .any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION));
        if speaks_ours {
            Ok(PROTOCOL_VERSION)
        } else {
            Err(HandshakeError::UnsupportedProtocol {
                offered: offered.to_string(),
            })
        }
    }

    /// The TCP port range to try, go-plugin's defaults filling the gaps.
    pub fn port_range(&self) -> std::ops::RangeInclusive<u16> {
        let min = self.min_port.unwrap_or(10000);
        let max = self.max_port.unwrap_or(25000).max(min);
        min..=max
    }
}

// The client certificate is public, but keep Debug short and free of PEM noise.
impl fmt::Debug for PluginEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginEnv")
            .field("has_magic_cookie", &self.has_magic_cookie())
            .field("protocol_versions", &self.protocol_versions)
            .field(
                "client_cert",
                &self.client_cert_pem.as_ref().map(|_| "<pem>"),
            )
            .field("min_port", &self.min_port)
            .field("max_port", &self.max_port)
            .field("unix_socket_dir", &self.unix_socket_dir)
            .field("force_tcp", &self.force_tcp)
            .finish()
    }
}

fn is_truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// Handshake failures, each explaining itself to the person who reads it.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("{}", not_launched_by_terraform_message())]
    NotLaunchedByTerraform,
    #[error(
        "Terraform offered plugin protocol version(s) {offered}, but this provider speaks \
         only protocol {PROTOCOL_VERSION}; use Terraform 1.0 or newer"
    )]
    UnsupportedProtocol { offered: String },
}

/// Where the server listens, as written in the handshake line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    Unix(PathBuf),
    Tcp(std::net::SocketAddr),
}

impl ListenAddr {
    /// go-plugin's network name: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self {
            ListenAddr::Unix(_) => "unix",
            ListenAddr::Tcp(_) => "tcp",
        }
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Unix(path) => write!(f, "{}", path.display()),
            ListenAddr::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

/// The line go-plugin reads from our stdout:
/// `CORE|APP|NETWORK|ADDRESS|grpc|SERVER-CERT`. The certificate is the server's DER in
/// standard base64 without padding, empty when serving plaintext (as go-plugin prints it).
pub fn handshake_line(protocol: u32, addr: &ListenAddr, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!(
        "{CORE_PROTOCOL_VERSION}|{protocol}|{}|{addr}|grpc|{cert}",
        addr.network()
    )
}

/// The shell line a person pastes to make Terraform attach to a provider started with
/// `--debug`, as `TF_REATTACH_PROVIDERS='{...}'`.
pub fn reattach_line(provider_address: &str, addr: &ListenAddr, pid: u32) -> String {
    let config = serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": addr.network(), "String": addr.to_string() },
        }
    });
    format!("TF_REATTACH_PROVIDERS='{config}'")
}

/// What a person sees when they run the binary by hand.
pub fn not_launched_by_terraform_message() -> String {
    let binary = "terraform-provider-alikafka";
    format!(
        "This binary is a plugin for Terraform ({binary}); it is not meant to be run directly.\n\
         Terraform starts it itself. To use a local build, point Terraform at the directory\n\
         holding it with a CLI config file (then `export TF_CLI_CONFIG_FILE=/path/to/dev.tfrc`):\n\
         \n\
         provider_installation {{\n\
         \x20 dev_overrides {{\n\
         \x20   \"registry.terraform.io/alikafka/alikafka\" = \"/path/to/dir/holding/{binary}\"\n\
         \x20 }}\n\
         \x20 direct {{}}\n\
         }}\n\
         \n\
         or install it in a filesystem mirror as\n\
         HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/{binary}_vVERSION and use `filesystem_mirror`.\n\
         To debug it, run it with --debug and export the TF_REATTACH_PROVIDERS line it prints."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_must_match_exactly() {
        let mut env = PluginEnv::default();
        assert!(!env.has_magic_cookie());
        env.magic_cookie = Some("d602bf8f".into());
        assert!(!env.has_magic_cookie());
        env.magic_cookie = Some(MAGIC_COOKIE_VALUE.into());
        assert!(env.has_magic_cookie());
    }

    #[test]
    fn negotiates_six_or_explains() {
        let offer = |v: Option<&str>| PluginEnv {
            protocol_versions: v.map(str::to_string),
            ..PluginEnv::default()
        };
        assert_eq!(offer(Some("5,6")).negotiate_protocol().ok(), Some(6));
        assert_eq!(offer(Some(" 6 ")).negotiate_protocol().ok(), Some(6));
        assert_eq!(offer(None).negotiate_protocol().ok(), Some(6));
        let err = offer(Some("4,5"))
            .negotiate_protocol()
            .expect_err("5 only must fail");
        assert!(err
            .to_string()
            .contains("offered plugin protocol version(s) 4,5"));
        assert!(offer(Some("16")).negotiate_protocol().is_err());
    }

    #[test]
    fn handshake_line_matches_go_plugin_format() {
        let unix = ListenAddr::Unix("/tmp/plugin123/provider.sock".into());
        assert_eq!(
            handshake_line(6, &unix, None),
            "1|6|unix|/tmp/plugin123/provider.sock|grpc|"
        );
        let tcp = ListenAddr::Tcp("127.0.0.1:10001".parse().expect("literal address"));
        // 3 bytes encode to 4 chars and 4 bytes to 6 chars: no '=' padding.
        assert_eq!(
            handshake_line(6, &tcp, Some(&[0xde, 0xad, 0xbe, 0xef])),
            "1|6|tcp|127.0.0.1:10001|grpc|3q2+7w"
        );
    }

    #[test]
    fn reattach_line_is_valid_json_in_quotes() {
        let addr = ListenAddr::Unix("/tmp/pluginX/provider.sock".into());
        let line = reattach_line("registry.terraform.io/alikafka/alikafka", &addr, 4242);
        let json = line
            .strip_prefix("TF_REATTACH_PROVIDERS='")
            .and_then(|rest| rest.strip_suffix('\''))
            .expect("quoted");
        let value: serde_json::Value = serde_json::from_str(json).expect("json");
        let entry = &value["registry.terraform.io/alikafka/alikafka"];
        assert_eq!(entry["Protocol"], "grpc");
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Pid"], 4242);
        assert_eq!(entry["Test"], true);
        assert_eq!(entry["Addr"]["Network"], "unix");
        assert_eq!(entry["Addr"]["String"], "/tmp/pluginX/provider.sock");
    }

    #[test]
    fn explanation_shows_dev_overrides() {
        let text = HandshakeError::NotLaunchedByTerraform.to_string();
        assert!(text.contains("not meant to be run directly"));
        assert!(text.contains("dev_overrides"));
        assert!(text.contains("\"registry.terraform.io/alikafka/alikafka\" = "));
        assert!(text.contains("filesystem_mirror"));
    }

    #[test]
    fn port_range_defaults_and_clamps() {
        assert_eq!(PluginEnv::default().port_range(), 10000..=25000);
        let env = PluginEnv {
            min_port: Some(30000),
            max_port: Some(20000),
            ..PluginEnv::default()
        };
        assert_eq!(env.port_range(), 30000..=30000);
    }
}
