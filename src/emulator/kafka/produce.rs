//! Produce and InitProducerId. A partition's batch is checked (format, CRC, idempotent
//! sequence), given the next offset, and stored as sent, in one SQLite transaction per
//! request: what a Produce answer acknowledges is on disk.

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{
    InitProducerIdRequest, InitProducerIdResponse, ProduceRequest, ProduceResponse, ProducerId,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::batch::{self, BatchError};
use super::conn::Ctx;
use super::metadata::live_topic;
use super::producers::{LogKey, Verdict};
use super::security::{Operation, Resource};
use crate::emulator::state::now_ms;
use crate::emulator::storage::kafka_log::{self, NewBatch};

/// Largest batch accepted (the service's `max.message.bytes` upper bound, 10 MiB).
pub const MAX_BATCH_BYTES: usize = 10 * 1024 * 1024;

/// One partition's outcome.
struct Written {
    partition: i32,
    error: i16,
    message: Option<String>,
    base_offset: i64,
    log_start: i64,
}

fn refused(partition: i32, error: ResponseError, message: Option<String>) -> Written {
    Written {
        partition,
        error: error.code(),
        message,
        base_offset: -1,
        log_start: -1,
    }
}

/// Answers `None` for `acks=0` (no response goes back, as Kafka does).
pub async fn produce(ctx: &Ctx, request: ProduceRequest) -> Option<ProduceResponse> {
    let acks = request.acks;
    let transactional = request.transactional_id.is_some();
    let instance_id = ctx.instance_id().to_string();
    // Per topic: may write, may write idempotently, and each partition's records.
    type Work = Vec<(String, bool, bool, Vec<(i32, Option<Bytes>)>)>;
    let work: Work = request
        .topic_data
        .into_iter()
        .map(|t| {
            let name = t.name.0.to_string();
            let may_write = ctx.allowed(Operation::Write, Resource::Topic(&name));
            let may_idempotent =
                ctx.allowed(Operation::IdempotentWrite, Resource::Cluster) || may_write;
            let partitions = t
                .partition_data
                .into_iter()
                .map(|p| (p.index, p.records))
                .collect();
            (name, may_write, may_idempotent, partitions)
        })
        .collect();
    let app = Arc::clone(&ctx.app);
    let results = ctx
        .app
        .db
        .run(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            let mut producers = app
                .kafka
                .producers
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let mut out = Vec::new();
            for (topic, may_write, may_idempotent, partitions) in work {
                let record = live_topic(&tx, &instance_id, &topic, now)?;
                let mut written = Vec::new();
                for (partition, records) in partitions {
                    let Some(record) = record.as_ref().filter(|_| may_write) else {
                        let error = if may_write {
                            ResponseError::UnknownTopicOrPartition
                        } else {
                            ResponseError::TopicAuthorizationFailed
                        };
                        written.push(refused(partition, error, None));
                        continue;
                    };
                    if !(0..record.partition_num).contains(&i64::from(partition)) {
                        written.push(refused(
                            partition,
                            ResponseError::UnknownTopicOrPartition,
                            None,
                        ));
                        continue;
                    }
                    if !matches!(acks, -1..=1) {
                        written.push(refused(partition, ResponseError::InvalidRequiredAcks, None));
                        continue;
                    }
                    if transactional {
                        written.push(refused(
                            partition,
                            ResponseError::TransactionalIdAuthorizationFailed,
                            Some(BatchError::Transactional.to_string()),
                        ));
                        continue;
                    }
                    let Some(records) = records.filter(|r| !r.is_empty()) else {
                        written.push(refused(partition, ResponseError::CorruptMessage, None));
                        continue;
                    };
                    if records.len() > MAX_BATCH_BYTES {
                        written.push(refused(partition, ResponseError::MessageTooLarge, None));
                        continue;
                    }
                    let header = match batch::parse_single(&records) {
                        Ok(header) => header,
                        Err(error) => {
                            tracing::debug!(%topic, partition, %error, "produce refused");
                            written.push(Written {
                                partition,
                                error: error.code(),
                                message: Some(error.to_string()),
                                base_offset: -1,
                                log_start: -1,
                            });
                            continue;
                        }
                    };
                    let partition_index = i64::from(partition);
                    let key = LogKey {
                        instance_id: instance_id.clone(),
                        topic: topic.clone(),
                        topic_created_ms: record.create_time_ms,
                        partition: partition_index,
                    };
                    let bounds = kafka_log::bounds(&tx, &instance_id, &topic, partition_index)?;
                    if header.is_idempotent() {
                        if !may_idempotent {
                            written.push(refused(
                                partition,
                                ResponseError::ClusterAuthorizationFailed,
                                None,
                            ));
                            continue;
                        }
                        match producers.check(&tx, &key, &header)? {
                            Verdict::Append => {}
                            Verdict::Duplicate(base_offset) => {
                                written.push(Written {
                                    partition,
                                    error: 0,
                                    message: None,
                                    base_offset,
                                    log_start: bounds.start,
                                });
                                continue;
                            }
                            Verdict::Refuse(code) => {
                                written.push(Written {
                                    partition,
                                    error: code,
                                    message: None,
                                    base_offset: -1,
                                    log_start: -1,
                                });
                                continue;
                            }
                        }
                    }
                    let mut bytes = records.to_vec();
                    batch::assign_base_offset(&mut bytes, bounds.end);
                    let new = NewBatch {
                        base_offset: bounds.end,
                        record_count: i64::from(header.record_count),
                        max_timestamp_ms: header.max_timestamp,
                        producer_id: header.producer_id,
                        producer_epoch: header.producer_epoch,
                        base_sequence: header.base_sequence,
                        bytes: &bytes,
                    };
                    kafka_log::append(&tx, &instance_id, &topic, partition_index, &new, now)?;
                    if header.is_idempotent() {
                        producers.appended(&key, &header, bounds.end);
                    }
                    written.push(Written {
                        partition,
                        error: 0,
                        message: None,
                        base_offset: bounds.end,
                        log_start: bounds.start,
                    });
                }
                out.push((topic, written));
            }
            drop(producers);
            tx.commit()?;
            Ok(out)
        })
        .await;
    let results = match results {
        Ok(results) => {
            ctx.app.kafka.notify_appended();
            results
        }
        Err(error) => {
            tracing::warn!(code = %error.code, "produce failed in storage");
            Vec::new()
        }
    };
    if acks == 0 {
        return None;
    }
    let mut response = ProduceResponse::default();
    response.responses = results
        .into_iter()
        .map(|(topic, written)| {
            let mut t = TopicProduceResponse::default();
            t.name = kafka_protocol::messages::TopicName(StrBytes::from_string(topic));
            t.partition_responses = written
                .into_iter()
                .map(|w| {
                    let mut p = PartitionProduceResponse::default();
                    p.index = w.partition;
                    p.error_code = w.error;
                    p.base_offset = w.base_offset;
                    p.log_append_time_ms = -1;
                    p.log_start_offset = w.log_start;
                    p.error_message = w.message.map(StrBytes::from_string);
                    p
                })
                .collect();
            t
        })
        .collect();
    Some(response)
}

/// InitProducerId: a fresh producer id (epoch 0) for an idempotent producer; transactional
/// ids are refused (the emulator has no transaction coordinator).
pub async fn init_producer_id(ctx: &Ctx, request: InitProducerIdRequest) -> InitProducerIdResponse {
    let mut response = InitProducerIdResponse::default();
    response.producer_id = ProducerId(-1);
    response.producer_epoch = -1;
    if request.transactional_id.is_some() {
        response.error_code = ResponseError::TransactionalIdAuthorizationFailed.code();
        return response;
    }
    if !ctx.allowed(Operation::IdempotentWrite, Resource::Cluster)
        && !ctx.allowed(Operation::Write, Resource::Cluster)
    {
        response.error_code = ResponseError::ClusterAuthorizationFailed.code();
        return response;
    }
    match ctx
        .app
        .db
        .run(|conn| kafka_log::new_producer_id(conn, now_ms()).map_err(Into::into))
        .await
    {
        Ok(id) => {
            response.producer_id = ProducerId(id);
            response.producer_epoch = 0;
        }
        Err(_) => response.error_code = ResponseError::CoordinatorNotAvailable.code(),
    }
    response
}
