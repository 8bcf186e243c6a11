//! `terraform-provider-alikafka`: the provider binary Terraform starts.

use std::process::ExitCode;

use clap::Parser;

use alikafka::provider::{AlikafkaProvider, PROVIDER_ADDRESS};
use alikafka::tfplugin::logging::init_logging;
use alikafka::tfplugin::server::{serve, ServeOptions};
use alikafka::tfplugin::service::ProviderServer;

/// Terraform provider for Alibaba Cloud Message Queue for Apache Kafka. Terraform starts
/// it; run by hand it explains how to use it.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Serve without Terraform's handshake, printing a TF_REATTACH_PROVIDERS line to attach
    /// Terraform to this process (for debuggers); stops on Ctrl-C.
    #[arg(long)]
    debug: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("terraform-provider-alikafka: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut options = ServeOptions::new(PROVIDER_ADDRESS);
    options.debug = cli.debug;
    let server = ProviderServer::new(AlikafkaProvider::new());
    match runtime.block_on(serve(server, options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}
