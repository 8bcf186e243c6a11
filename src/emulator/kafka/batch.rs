//! Record batches (message format v2) as they arrive in a Produce request: the fixed
//! 61-byte header is read in place and the CRC checked, without decoding or re-encoding the
//! records (compressed batches pass through untouched). Records are decoded only to answer
//! a timestamp lookup ([`first_record_at_or_after`]).
//!
//! Hand-written header parsing: `kafka-protocol` decodes a batch only whole (decompressing
//! it), which would cost every produce a decompression the broker does not need.

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::compression::{Decompressor, Gzip, Lz4, Snappy, Zstd};
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use kafka_protocol::ResponseError;

/// Size of the v2 batch header, up to and including the record count.
pub const HEADER_LEN: usize = 61;
const MAGIC_AT: usize = 16;
const CRC_AT: usize = 17;
const CRC_FROM: usize = 21;

const ATTR_COMPRESSION_MASK: i16 = 0x07;
const ATTR_TRANSACTIONAL: i16 = 0x10;
const ATTR_CONTROL: i16 = 0x20;

/// The header fields a broker reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
}

impl BatchHeader {
    pub fn is_idempotent(&self) -> bool {
        self.producer_id >= 0
    }
    pub fn last_sequence(&self) -> i32 {
        crate::emulator::storage::kafka_log::add_sequence(
            self.base_sequence,
            i64::from(self.record_count) - 1,
        )
    }
}

/// Why a batch is refused, with the Kafka error the broker answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("corrupt record batch: {0}")]
    Corrupt(&'static str),
    #[error("message format v{0} is not supported: use a client that writes v2 (Kafka 0.11+)")]
    OldFormat(i8),
    #[error("invalid record batch: {0}")]
    Invalid(&'static str),
    #[error("transactions are not supported by the emulator")]
    Transactional,
}

impl BatchError {
    pub fn code(&self) -> i16 {
        match self {
            BatchError::Corrupt(_) => ResponseError::CorruptMessage,
            BatchError::OldFormat(_) => ResponseError::UnsupportedForMessageFormat,
            BatchError::Invalid(_) => ResponseError::InvalidRecord,
            BatchError::Transactional => ResponseError::TransactionalIdAuthorizationFailed,
        }
        .code()
    }
}

fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}
fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(eight)
}

/// Checks that `bytes` is exactly one well-formed v2 batch (as Kafka requires of a
/// partition's records in a Produce request) and returns its header.
pub fn parse_single(bytes: &[u8]) -> Result<BatchHeader, BatchError> {
    if bytes.len() <= MAGIC_AT {
        return Err(BatchError::Corrupt("shorter than a batch header"));
    }
    let magic = bytes[MAGIC_AT] as i8;
    if magic != 2 {
        return Err(BatchError::OldFormat(magic));
    }
    if bytes.len() < HEADER_LEN {
        return Err(BatchError::Corrupt("shorter than a batch header"));
    }
    let length = usize::try_from(be_i32(bytes, 8))
        .map_err(|_| BatchError::Corrupt("negative batch length"))?;
    let total = length.saturating_add(12);
    if total > bytes.len() {
        return Err(BatchError::Corrupt(
            "batch length past the end of the records",
        ));
    }
    if total < bytes.len() {
        return Err(BatchError::Invalid(
            "more than one record batch for a partition",
        ));
    }
    let crc = u32::from_be_bytes([
        bytes[CRC_AT],
        bytes[CRC_AT + 1],
        bytes[CRC_AT + 2],
        bytes[CRC_AT + 3],
    ]);
    if crc32c::crc32c(&bytes[CRC_FROM..]) != crc {
        return Err(BatchError::Corrupt("CRC mismatch"));
    }
    let header = BatchHeader {
        attributes: be_i16(bytes, 21),
        last_offset_delta: be_i32(bytes, 23),
        max_timestamp: be_i64(bytes, 35),
        producer_id: be_i64(bytes, 43),
        producer_epoch: be_i16(bytes, 51),
        base_sequence: be_i32(bytes, 53),
        record_count: be_i32(bytes, 57),
    };
    if header.attributes & ATTR_COMPRESSION_MASK > 4 {
        return Err(BatchError::Invalid("unknown compression codec"));
    }
    if header.attributes & ATTR_CONTROL != 0 {
        return Err(BatchError::Invalid(
            "control batches come only from brokers",
        ));
    }
    if header.attributes & ATTR_TRANSACTIONAL != 0 {
        return Err(BatchError::Transactional);
    }
    if header.record_count < 1 || header.last_offset_delta != header.record_count - 1 {
        return Err(BatchError::Invalid(
            "record count and last offset delta disagree",
        ));
    }
    Ok(header)
}

/// Sets the broker-assigned fields (base offset, partition leader epoch); neither is
/// covered by the CRC, so the batch stays valid and otherwise byte for byte as sent.
pub fn assign_base_offset(bytes: &mut [u8], base_offset: i64) {
    bytes[0..8].copy_from_slice(&base_offset.to_be_bytes());
    bytes[12..16].copy_from_slice(&0i32.to_be_bytes());
}

/// A batch of `count` records with null key and value starting at `first_offset`: what a
/// fetch returns for messages seeded through the control API (which have no bytes).
pub fn null_records(first_offset: i64, count: i64, timestamp_ms: i64) -> Option<Bytes> {
    let records: Vec<Record> = (0..count)
        .map(|i| Record {
            transactional: false,
            control: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: first_offset + i,
            // The encoder keeps records in one batch while offset - sequence is constant;
            // this makes the batch's base sequence -1 (no producer), as Kafka writes it.
            sequence: i32::try_from(i).unwrap_or(i32::MAX).wrapping_sub(1),
            timestamp: timestamp_ms,
            key: None,
            value: None,
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut buf, records.iter(), &options).ok()?;
    Some(buf.freeze())
}

/// Decompresses a batch's records; snappy comes raw (librdkafka, kafkajs) or in xerial
/// framing (the Java client, kafka-python), so both are read.
fn decompress(buf: &mut Bytes, compression: Compression) -> anyhow::Result<Bytes> {
    fn whole<B: Buf>(b: &mut B) -> anyhow::Result<Bytes> {
        Ok(b.copy_to_bytes(b.remaining()))
    }
    match compression {
        Compression::None => whole(buf),
        Compression::Gzip => Gzip::decompress(buf, whole),
        Compression::Lz4 => Lz4::decompress(buf, whole),
        Compression::Zstd => Zstd::decompress(buf, whole),
        Compression::Snappy => {
            const XERIAL: &[u8] = b"\x82SNAPPY\x00";
            if !buf.starts_with(XERIAL) || buf.len() < 16 {
                return Snappy::decompress(buf, whole);
            }
            let mut framed = buf.slice(16..);
            let mut out = BytesMut::new();
            while framed.remaining() >= 4 {
                let len = usize::try_from(framed.get_i32())?;
                anyhow::ensure!(len <= framed.remaining(), "truncated xerial block");
                let mut block = framed.split_to(len);
                out.extend_from_slice(&Snappy::decompress(&mut block, whole)?);
            }
            Ok(out.freeze())
        }
    }
}

/// The offset and time of the first record at or after `timestamp_ms` in a stored batch.
pub fn first_record_at_or_after(batch: &[u8], timestamp_ms: i64) -> Option<(i64, i64)> {
    let mut buf = Bytes::copy_from_slice(batch);
    let set =
        RecordBatchDecoder::decode_with_custom_compression(&mut buf, Some(decompress)).ok()?;
    set.records
        .iter()
        .find(|r| r.timestamp >= timestamp_ms)
        .map(|r| (r.offset, r.timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(compression: Compression, timestamps: &[i64]) -> Vec<u8> {
        let records: Vec<Record> = timestamps
            .iter()
            .enumerate()
            .map(|(i, ts)| Record {
                transactional: false,
                control: false,
                partition_leader_epoch: 0,
                producer_id: 4,
                producer_epoch: 0,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                sequence: i as i32,
                timestamp: *ts,
                key: None,
                value: Some(Bytes::from(vec![b'x'; 100])),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            records.iter(),
            &RecordEncodeOptions {
                version: 2,
                compression,
            },
        )
        .unwrap();
        buf.to_vec()
    }

    #[test]
    fn header_is_read_and_checked_without_touching_the_records() {
        let mut bytes = encoded(Compression::Gzip, &[10, 20, 30]);
        let header = parse_single(&bytes).unwrap();
        assert_eq!(header.record_count, 3);
        assert_eq!(header.producer_id, 4);
        assert_eq!(header.max_timestamp, 30);
        assert_eq!(header.last_sequence(), 2);
        let before = bytes.clone();
        assign_base_offset(&mut bytes, 42);
        assert_eq!(bytes[16..], before[16..], "only the broker's fields change");
        assert!(parse_single(&bytes).is_ok(), "CRC still holds");
        let decoded = RecordBatchDecoder::decode(&mut Bytes::from(bytes.clone())).unwrap();
        assert_eq!(decoded.records[2].offset, 44);

        let mut corrupt = bytes.clone();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 1;
        assert_eq!(
            parse_single(&corrupt),
            Err(BatchError::Corrupt("CRC mismatch"))
        );
        let mut two = bytes.clone();
        two.extend_from_slice(&bytes);
        assert!(matches!(parse_single(&two), Err(BatchError::Invalid(_))));
        assert!(matches!(
            parse_single(&bytes[..bytes.len() - 1]),
            Err(BatchError::Corrupt(_))
        ));
        let mut old = bytes.clone();
        old[MAGIC_AT] = 1;
        assert_eq!(parse_single(&old), Err(BatchError::OldFormat(1)));
    }

    #[test]
    fn timestamp_lookup_reads_every_codec_and_both_snappy_framings() {
        for compression in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let bytes = encoded(compression, &[10, 20, 30]);
            assert_eq!(
                first_record_at_or_after(&bytes, 15),
                Some((1, 20)),
                "{compression:?}"
            );
            assert_eq!(
                first_record_at_or_after(&bytes, 31),
                None,
                "{compression:?}"
            );
        }
        // xerial framing: the raw snappy payload of a batch re-wrapped in xerial blocks.
        let raw = encoded(Compression::Snappy, &[10, 20, 30]);
        let payload = &raw[HEADER_LEN..];
        let mut xerial = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01".to_vec();
        xerial.extend_from_slice(&(payload.len() as i32).to_be_bytes());
        xerial.extend_from_slice(payload);
        let mut framed = raw[..HEADER_LEN].to_vec();
        framed.extend_from_slice(&xerial);
        let length = (framed.len() - 12) as i32;
        framed[8..12].copy_from_slice(&length.to_be_bytes());
        let crc = crc32c::crc32c(&framed[CRC_FROM..]);
        framed[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
        assert!(parse_single(&framed).is_ok());
        assert_eq!(first_record_at_or_after(&framed, 11), Some((1, 20)));
    }

    #[test]
    fn seeded_ranges_read_as_null_records() {
        let bytes = null_records(5, 3, 77).unwrap();
        let header = parse_single(&bytes).unwrap();
        assert_eq!(header.record_count, 3);
        let decoded = RecordBatchDecoder::decode(&mut bytes.clone()).unwrap();
        assert_eq!(decoded.records[0].offset, 5);
        assert!(decoded
            .records
            .iter()
            .all(|r| r.value.is_none() && r.timestamp == 77));
    }
}
