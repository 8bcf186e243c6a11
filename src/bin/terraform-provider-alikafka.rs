fn main() {
    println!("terraform-provider-alikafka {}", env!("CARGO_PKG_VERSION"));
}
