//! The per-request context handed to resources: cancellation (StopProvider), the request's
//! tracing span, extra diagnostics (warnings) and the private state to return.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tracing::Span;

use super::model;
use crate::tfplugin::cty::Value;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::schema::Schema;

/// Cheap to clone; clones share the diagnostics and private state.
#[derive(Clone, Debug)]
pub struct Context {
    cancel: CancellationToken,
    span: Span,
    shared: Arc<Mutex<Shared>>,
}

#[derive(Debug, Default)]
struct Shared {
    diagnostics: Diagnostics,
    private: Option<Vec<u8>>,
}

impl Context {
    pub fn new(cancel: CancellationToken, span: Span) -> Context {
        Context {
            cancel,
            span,
            shared: Arc::default(),
        }
    }

    /// A context that is never cancelled from outside (tests, tools).
    pub fn detached() -> Context {
        Context::new(CancellationToken::new(), Span::none())
    }

    /// Cancelled when Terraform asks the provider to stop (Ctrl-C).
    pub fn cancellation_token(&self) -> &CancellationToken {
        &self.cancel
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Completes when the operation should stop.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }

    /// Waits, or fails early with a "cancelled" diagnostic when Terraform stops us.
    pub async fn sleep(&self, duration: Duration) -> Result<(), Diagnostics> {
        self.run(tokio::time::sleep(duration)).await
    }

    /// Runs a future unless cancellation comes first.
    pub async fn run<F: Future>(&self, future: F) -> Result<F::Output, Diagnostics> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(cancelled()),
            out = future => Ok(out),
        }
    }

    /// The request's tracing span (already entered while resource code runs).
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Adds a diagnostic (typically a warning) to the response, whatever the outcome.
    pub fn report(&self, diagnostic: Diagnostic) {
        self.lock().diagnostics.push(diagnostic);
    }

    /// Replaces the private state Terraform stores beside the resource (plan, apply,
    /// read and import responses); otherwise the request's private state is passed on.
    pub fn set_private(&self, private: Vec<u8>) {
        self.lock().private = Some(private);
    }

    /// Reads a value into a model (see [`model`]).
    pub fn decode<T: DeserializeOwned>(&self, value: &Value) -> Result<T, Diagnostics> {
        model::decode(value)
    }

    /// Turns a model into a value of the schema's type (see [`model`]).
    pub fn encode<T: Serialize>(&self, model: &T, schema: &Schema) -> Result<Value, Diagnostics> {
        model::encode(model, schema)
    }

    pub(crate) fn take_reported(&self) -> Diagnostics {
        std::mem::take(&mut self.lock().diagnostics)
    }

    pub(crate) fn take_private(&self) -> Option<Vec<u8>> {
        self.lock().private.take()
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The diagnostic for an operation stopped by Terraform.
pub fn cancelled() -> Diagnostics {
    Diagnostics::error(
        "Operation cancelled",
        "Terraform asked the provider to stop before the operation finished.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sleep_ends_early_on_cancel() {
        let ctx = Context::detached();
        let token = ctx.cancellation_token().clone();
        let started = std::time::Instant::now();
        let sleeper = tokio::spawn({
            let ctx = ctx.clone();
            async move { ctx.sleep(Duration::from_secs(30)).await }
        });
        token.cancel();
        let result = sleeper.await.expect("task");
        assert!(result.unwrap_err().has_errors());
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(ctx.is_cancelled());
    }

    #[tokio::test]
    async fn reports_and_private_state_are_collected() {
        let ctx = Context::detached();
        ctx.clone().report(Diagnostic::warning("w", ""));
        ctx.set_private(b"p".to_vec());
        assert_eq!(ctx.take_reported().len(), 1);
        assert_eq!(ctx.take_private(), Some(b"p".to_vec()));
        assert!(ctx.take_reported().is_empty());
        assert_eq!(ctx.run(async { 5 }).await, Ok(5));
    }
}
