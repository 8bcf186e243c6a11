fn main() {
    eprintln!("alikafka-emulator: not implemented yet");
    std::process::exit(1);
}
