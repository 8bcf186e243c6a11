//! `alikafka-emulator`: a local stand-in for the alikafka management API (signatures,
//! errors, rate limits, eventual consistency), persistent in SQLite, with a control API.
