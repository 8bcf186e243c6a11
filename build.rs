//! Compiles the plugin protocol contract in `proto/` into Rust with protox (pure Rust, so
//! no system `protoc` is needed) feeding tonic-build.

use std::error::Error;
use std::path::PathBuf;

use prost::Message as _;

const PROTO_FILES: &[&str] = &[
    "proto/tfplugin6.proto",
    "proto/plugin/grpc_controller.proto",
    "proto/plugin/grpc_stdio.proto",
    "proto/plugin/grpc_broker.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-changed=build.rs");

    let descriptors = protox::compile(PROTO_FILES, ["proto"])?;
    // Kept for the test that checks the contract against Terraform's own descriptors.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("plugin_descriptors.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_build::configure()
        // Integration tests drive the server through the generated clients.
        .build_client(true)
        .build_server(true)
        // Every RPC gets a default body returning `Unimplemented`, so a provider
        // implements only the calls it supports, as Terraform expects.
        .generate_default_stubs(true)
        // Values and raw state may carry secrets: proto.rs gives them a redacting Debug.
        .skip_debug(".tfplugin6.DynamicValue")
        .skip_debug(".tfplugin6.RawState")
        .compile_fds(descriptors)?;
    Ok(())
}
