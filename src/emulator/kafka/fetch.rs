//! Fetch and ListOffsets. A fetch returns whole stored batches from the one holding the
//! requested offset (clients skip the records before it), at least one batch even past
//! the byte limits (KIP-74), and waits up to `max_wait_ms` for `min_bytes`. No fetch
//! sessions: every answer is a full one (session id 0, which clients accept as "no
//! session"), and there are no transactions, so the last stable offset is the high
//! watermark.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{
    FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::batch;
use super::conn::Ctx;
use super::metadata::live_topic;
use super::security::{Operation, Resource};
use crate::emulator::state::now_ms;
use crate::emulator::storage::kafka_log;

/// Longest wait honoured, whatever the client asks.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// Null records made at most per seeded range in one fetch.
const MAX_SEEDED_RECORDS: i64 = 1000;

/// One partition of a fetch, as read.
struct PartitionRead {
    partition: i32,
    /// None: no error.
    error: Option<ResponseError>,
    high_watermark: i64,
    log_start: i64,
    records: Bytes,
}

/// Per topic, the partitions asked for: (partition, fetch offset, partition byte limit).
type Wanted = Vec<(String, Vec<(i32, i64, usize)>)>;

fn wanted_of(request: &FetchRequest) -> Wanted {
    request
        .topics
        .iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let max = usize::try_from(p.partition_max_bytes).unwrap_or(0);
                    (p.partition, p.fetch_offset, max)
                })
                .collect();
            (t.topic.0.to_string(), partitions)
        })
        .collect()
}

/// Reads every requested partition once; returns the reads and the record bytes found.
async fn read_once(
    ctx: &Ctx,
    wanted: Wanted,
    max_bytes: usize,
) -> Result<(Vec<(String, Vec<PartitionRead>)>, usize), ()> {
    let instance_id = ctx.instance_id().to_string();
    let allowed: Vec<bool> = wanted
        .iter()
        .map(|(topic, _)| ctx.allowed(Operation::Read, Resource::Topic(topic)))
        .collect();
    ctx.app
        .db
        .run(move |conn| {
            let now = now_ms();
            let mut budget = max_bytes;
            let mut total = 0usize;
            let mut out = Vec::new();
            for ((topic, partitions), may_read) in wanted.into_iter().zip(allowed) {
                let record = live_topic(conn, &instance_id, &topic, now)?;
                let mut reads = Vec::new();
                for (partition, offset, partition_max) in partitions {
                    let mut read = PartitionRead {
                        partition,
                        error: Some(ResponseError::UnknownTopicOrPartition),
                        high_watermark: -1,
                        log_start: -1,
                        records: Bytes::new(),
                    };
                    if !may_read {
                        read.error = Some(ResponseError::TopicAuthorizationFailed);
                        reads.push(read);
                        continue;
                    }
                    let Some(record) = record
                        .as_ref()
                        .filter(|r| (0..r.partition_num).contains(&i64::from(partition)))
                    else {
                        reads.push(read);
                        continue;
                    };
                    let partition_index = i64::from(partition);
                    let bounds =
                        kafka_log::bounds(conn, &instance_id, &record.topic, partition_index)?;
                    read.high_watermark = bounds.end;
                    read.log_start = bounds.start;
                    if offset < bounds.start || offset > bounds.end {
                        read.error = Some(ResponseError::OffsetOutOfRange);
                        reads.push(read);
                        continue;
                    }
                    read.error = None;
                    let limit = partition_max.min(budget);
                    if offset < bounds.end && (limit > 0 || total == 0) {
                        let stored = kafka_log::read_from(
                            conn,
                            &instance_id,
                            &record.topic,
                            partition_index,
                            offset,
                            limit,
                        )?;
                        let mut bytes = BytesMut::new();
                        for batch in stored {
                            match batch.bytes {
                                Some(b) => bytes.extend_from_slice(&b),
                                None => {
                                    let first = offset.max(batch.start);
                                    let count = (batch.end - first).min(MAX_SEEDED_RECORDS);
                                    if let Some(b) =
                                        batch::null_records(first, count, batch.append_ms)
                                    {
                                        bytes.extend_from_slice(&b);
                                    }
                                }
                            }
                            // Past the limit only for the first batch of the response.
                            if bytes.len() >= limit {
                                break;
                            }
                        }
                        budget = budget.saturating_sub(bytes.len());
                        total += bytes.len();
                        read.records = bytes.freeze();
                    }
                    reads.push(read);
                }
                out.push((topic, reads));
            }
            Ok((out, total))
        })
        .await
        .map_err(|_| ())
}

pub async fn fetch(ctx: &Ctx, version: i16, request: FetchRequest) -> FetchResponse {
    let deadline = tokio::time::Instant::now()
        + Duration::from_millis(u64::try_from(request.max_wait_ms).unwrap_or(0)).min(MAX_WAIT);
    let min_bytes = usize::try_from(request.min_bytes).unwrap_or(0);
    let max_bytes = if version >= 3 {
        usize::try_from(request.max_bytes).unwrap_or(0)
    } else {
        usize::MAX
    };
    let wanted = wanted_of(&request);
    let mut appends = ctx.app.kafka.watch_appends();
    let reads = loop {
        appends.borrow_and_update();
        let Ok((reads, bytes)) = read_once(ctx, wanted.clone(), max_bytes).await else {
            let mut response = FetchResponse::default();
            response.error_code = ResponseError::UnknownServerError.code();
            return response;
        };
        let any_error = reads.iter().flat_map(|(_, r)| r).any(|r| r.error.is_some());
        if bytes >= min_bytes.max(1) || any_error || tokio::time::Instant::now() >= deadline {
            break reads;
        }
        tokio::select! {
            changed = appends.changed() => if changed.is_err() { break reads },
            () = tokio::time::sleep_until(deadline) => {}
            () = ctx.stop.cancelled() => break reads,
        }
    };
    let mut response = FetchResponse::default();
    response.session_id = 0;
    response.responses = reads
        .into_iter()
        .map(|(topic, partitions)| {
            let mut t = FetchableTopicResponse::default();
            t.topic = TopicName(StrBytes::from_string(topic));
            t.partitions = partitions
                .into_iter()
                .map(|r| {
                    let mut p = PartitionData::default();
                    p.partition_index = r.partition;
                    p.error_code = r.error.map_or(0, |e| e.code());
                    p.high_watermark = r.high_watermark;
                    p.last_stable_offset = r.high_watermark;
                    p.log_start_offset = r.log_start;
                    p.records = Some(r.records);
                    p
                })
                .collect();
            t
        })
        .collect();
    response
}

/// ListOffsets: -1 the log end, -2 the log start, else the first record at or after the
/// timestamp (found inside its batch, as Kafka does).
pub async fn list_offsets(
    ctx: &Ctx,
    version: i16,
    request: ListOffsetsRequest,
) -> ListOffsetsResponse {
    let instance_id = ctx.instance_id().to_string();
    // Per topic: may describe, and (partition, timestamp) pairs.
    type Asked = Vec<(String, bool, Vec<(i32, i64)>)>;
    let wanted: Asked = request
        .topics
        .iter()
        .map(|t| {
            let name = t.name.0.to_string();
            let may = ctx.allowed(Operation::Describe, Resource::Topic(&name));
            let partitions = t
                .partitions
                .iter()
                .map(|p| (p.partition_index, p.timestamp))
                .collect();
            (name, may, partitions)
        })
        .collect();
    let answers =
        ctx.app
            .db
            .run(move |conn| {
                let now = now_ms();
                let mut out = Vec::new();
                for (topic, may, partitions) in wanted {
                    let record = live_topic(conn, &instance_id, &topic, now)?;
                    let mut answers = Vec::new();
                    for (partition, timestamp) in partitions {
                        let Some(record) = record.as_ref().filter(|r| {
                            may && (0..r.partition_num).contains(&i64::from(partition))
                        }) else {
                            let error = if may {
                                ResponseError::UnknownTopicOrPartition
                            } else {
                                ResponseError::TopicAuthorizationFailed
                            };
                            answers.push((partition, error.code(), -1, -1));
                            continue;
                        };
                        let index = i64::from(partition);
                        let bounds = kafka_log::bounds(conn, &instance_id, &record.topic, index)?;
                        let (offset, at) = match timestamp {
                            -1 => (bounds.end, -1),
                            -2 => (bounds.start, -1),
                            ts => match kafka_log::first_batch_at_or_after(
                                conn,
                                &instance_id,
                                &record.topic,
                                index,
                                ts,
                            )? {
                                None => (-1, -1),
                                Some(found) => match found.bytes {
                                    Some(bytes) => batch::first_record_at_or_after(&bytes, ts)
                                        .unwrap_or((found.start, found.max_timestamp_ms)),
                                    None => (found.start, found.append_ms),
                                },
                            },
                        };
                        answers.push((partition, 0, offset, at));
                    }
                    out.push((topic, answers));
                }
                Ok(out)
            })
            .await
            .unwrap_or_default();
    let mut response = ListOffsetsResponse::default();
    response.topics = answers
        .into_iter()
        .map(|(topic, partitions)| {
            let mut t = ListOffsetsTopicResponse::default();
            t.name = TopicName(StrBytes::from_string(topic));
            t.partitions = partitions
                .into_iter()
                .map(|(partition, error, offset, timestamp)| {
                    let mut p = ListOffsetsPartitionResponse::default();
                    p.partition_index = partition;
                    p.error_code = error;
                    if version == 0 {
                        p.old_style_offsets = if offset >= 0 {
                            vec![offset]
                        } else {
                            Vec::new()
                        };
                    } else {
                        p.offset = offset;
                        p.timestamp = timestamp;
                        if version >= 4 {
                            p.leader_epoch = 0;
                        }
                    }
                    p
                })
                .collect();
            t
        })
        .collect();
    response
}
