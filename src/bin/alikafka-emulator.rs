//! `alikafka-emulator`: a local stand-in for the alikafka management API.
//! Prints `alikafka-emulator listening on http://HOST:PORT` as its first stdout line, then
//! the URLs of the ECS metadata and credentials-URI stand-ins, then one
//! `alikafka-emulator kafka INSTANCE (REGION) bootstrap HOST:PORT` line per instance; logs go
//! to stderr. SIGINT/SIGTERM shut it down gracefully.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use alikafka::emulator::cli::Cli;
use alikafka::emulator::state::App;
use alikafka::emulator::{bind, kafka, serve};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let config = match Cli::parse().into_config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("alikafka-emulator: {error}");
            return ExitCode::from(2);
        }
    };
    // Open the state before announcing the address: the first line means "ready".
    let app = match App::new(config) {
        Ok(app) => Arc::new(app),
        Err(error) => {
            eprintln!("alikafka-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match bind(&app.config).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("alikafka-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => {
            eprintln!("alikafka-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let kafka_listeners = match kafka::bind(&app, addr).await {
        Ok(listeners) => listeners,
        Err(error) => {
            eprintln!("alikafka-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let standins = match alikafka::emulator::sts::standins::bind(&app.config).await {
        Ok(standins) => standins,
        Err(error) => {
            eprintln!("alikafka-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let standin_urls = match standins.urls() {
        Ok(urls) => urls,
        Err(error) => {
            eprintln!("alikafka-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    // Known to the control API before anyone can ask.
    app.sts.set_urls(standin_urls.clone());
    tracing::info!(
        data = ?app.config.data,
        accounts = app.config.accounts.len(),
        instances = app.instances.len(),
        "starting"
    );
    // One write for all lines: a reader that keeps only the first and closes the pipe
    // cannot make a later line fail.
    let mut announcement = format!(
        "alikafka-emulator listening on http://{addr}\n\
         alikafka-emulator ECS metadata stand-in on {}\n\
         alikafka-emulator credentials URI stand-in on {}\n",
        standin_urls.ecs_metadata, standin_urls.credentials_uri
    );
    for (instance_id, kafka_addr) in &kafka_listeners {
        let region = app.instance(instance_id).map_or("", |i| i.region());
        announcement.push_str(&format!(
            "alikafka-emulator kafka {instance_id} ({region}) bootstrap {kafka_addr}\n"
        ));
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(announcement.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    let (stop_standins, standins_stopped) = tokio::sync::oneshot::channel::<()>();
    let standins = tokio::spawn(standins.serve(Arc::clone(&app), async {
        let _ = standins_stopped.await;
    }));
    serve(app, listener, shutdown_signal()).await;
    let _ = stop_standins.send(());
    let _ = standins.await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
