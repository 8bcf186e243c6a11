//! The API versions the listener advertises, and the ApiVersions answer.
//!
//! Chosen from what the tested clients send (kafka-python 3, librdkafka 2 in
//! confluent-kafka, kafkajs 2) and capped where a newer version would need what the
//! emulator does not have: Produce from v3 and Fetch from v4 (message format v2 only:
//! older formats would need offsets rewritten inside compressed wrappers and down-conversion
//! for old fetchers); Fetch up to v12 and Metadata up to v9 (no topic ids); OffsetFetch up
//! to v7 and FindCoordinator up to v3 (no batched groups). Roughly a Kafka 2.8 broker.

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};

use super::security::SecurityProtocol;

/// (api, lowest, highest) served on every listener.
pub const SUPPORTED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 9),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 0, 6),
    (ApiKey::Metadata, 0, 9),
    (ApiKey::OffsetCommit, 0, 8),
    (ApiKey::OffsetFetch, 0, 7),
    (ApiKey::FindCoordinator, 0, 3),
    (ApiKey::JoinGroup, 0, 7),
    (ApiKey::Heartbeat, 0, 4),
    (ApiKey::LeaveGroup, 0, 4),
    (ApiKey::SyncGroup, 0, 5),
    (ApiKey::DescribeGroups, 0, 5),
    (ApiKey::ListGroups, 0, 4),
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::CreateTopics, 0, 5),
    (ApiKey::InitProducerId, 0, 4),
];

/// Served on SASL_PLAINTEXT listeners only. SaslHandshake from v1: v0 would send the
/// mechanism's messages unframed, which no tested client needs.
pub const SASL_ONLY: &[(ApiKey, i16, i16)] = &[
    (ApiKey::SaslHandshake, 1, 1),
    (ApiKey::SaslAuthenticate, 0, 2),
];

fn table(protocol: SecurityProtocol) -> impl Iterator<Item = &'static (ApiKey, i16, i16)> {
    let sasl: &[(ApiKey, i16, i16)] = match protocol {
        SecurityProtocol::Plaintext => &[],
        SecurityProtocol::SaslPlaintext => SASL_ONLY,
    };
    SUPPORTED.iter().chain(sasl)
}

/// The advertised range of `key` on a listener, if served.
pub fn range(protocol: SecurityProtocol, key: ApiKey) -> Option<(i16, i16)> {
    table(protocol)
        .find(|(k, _, _)| *k == key)
        .map(|(_, min, max)| (*min, *max))
}

pub fn is_supported(protocol: SecurityProtocol, key: ApiKey, version: i16) -> bool {
    range(protocol, key).is_some_and(|(min, max)| (min..=max).contains(&version))
}

/// The ApiVersions answer (`error` 35 when the request's version is unknown; the caller
/// then encodes it as v0, which every client can read).
pub fn response(protocol: SecurityProtocol, error: i16) -> ApiVersionsResponse {
    let mut response = ApiVersionsResponse::default();
    response.error_code = error;
    response.api_keys = table(protocol)
        .map(|(key, min, max)| {
            let mut v = ApiVersion::default();
            v.api_key = *key as i16;
            v.min_version = *min;
            v.max_version = *max;
            v
        })
        .collect();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_ranges_are_within_what_the_crate_encodes() {
        for (key, min, max) in SUPPORTED.iter().chain(SASL_ONLY) {
            let crate_range = key.valid_versions();
            assert!(
                crate_range.min <= *min && *max <= crate_range.max,
                "{key:?}"
            );
        }
        let plain = SecurityProtocol::Plaintext;
        assert!(is_supported(plain, ApiKey::Produce, 9));
        assert!(
            !is_supported(plain, ApiKey::Produce, 2),
            "message format v2 only"
        );
        assert!(
            !is_supported(plain, ApiKey::SaslHandshake, 1),
            "no SASL on PLAINTEXT"
        );
        let sasl = SecurityProtocol::SaslPlaintext;
        assert!(is_supported(sasl, ApiKey::SaslHandshake, 1));
        assert!(is_supported(sasl, ApiKey::SaslAuthenticate, 2));
        assert!(is_supported(sasl, ApiKey::Fetch, 12));
    }
}
