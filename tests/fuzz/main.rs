//! Bounded, in-tree fuzzing of every parser that takes outside input (issue 8).
//!
//! Each `#[test]` without a `harness::` or helper prefix is one target: it replays its
//! corpus (`tests/fuzz_corpus/<target>/`), then mutates and generates inputs for
//! `FUZZ_SECONDS` (default 3) and prints its seed and iteration count. See
//! `docs/fuzzing.md` for long runs and reproducing findings.

mod api_response;
mod cty;
mod emulator;
#[path = "../emulator_support/mod.rs"]
mod emulator_support;
mod harness;
mod names;
mod profile;

#[test]
fn api_response() {
    api_response::run();
}

#[test]
fn emulator_params() {
    emulator::run_params();
}

#[test]
fn emulator_auth() {
    emulator::run_auth();
}

#[test]
fn emulator_auth_tamper() {
    emulator::run_tamper();
}

#[test]
fn emulator_router() {
    emulator::run_router();
}

#[test]
fn cty_msgpack() {
    cty::run_msgpack();
}

#[test]
fn cty_json() {
    cty::run_json();
}

#[test]
fn cty_round_trip() {
    cty::run_round_trip();
}

#[test]
fn import_ids() {
    names::run();
}

#[test]
fn profile_file() {
    profile::run_profile_file();
}

#[test]
fn credentials_resolver() {
    profile::run_resolver();
}
