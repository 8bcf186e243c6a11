//! Idempotent producers: per partition, each producer's epoch and its last five batches'
//! sequence ranges (as Kafka keeps them), so that a retried batch is answered with its first
//! offset instead of being written twice, and a gap in the sequence is refused.
//!
//! The state is a cache of the log: on first sight of a producer on a partition (also after
//! a restart) it is rebuilt from the producer fields stored with each batch.

use std::collections::{HashMap, VecDeque};

use kafka_protocol::ResponseError;
use rusqlite::Connection;

use super::batch::BatchHeader;
use crate::emulator::storage::kafka_log::{self, add_sequence, ProducerBatch};

/// How many batches per producer and partition are remembered for duplicate detection.
const REMEMBERED: usize = 5;

/// A partition log, told apart from a later topic of the same name by its creation time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogKey {
    pub instance_id: String,
    pub topic: String,
    pub topic_created_ms: i64,
    pub partition: i64,
}

#[derive(Debug, Default)]
struct ProducerEntry {
    epoch: i16,
    /// Newest first.
    recent: VecDeque<ProducerBatch>,
}

/// What to do with an incoming batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Append,
    /// Already written: answer success with the batch's original base offset.
    Duplicate(i64),
    Refuse(i16),
}

#[derive(Default)]
pub struct ProducerStates {
    entries: HashMap<(LogKey, i64), ProducerEntry>,
}

impl ProducerStates {
    /// Checks a batch of an idempotent producer against what the partition has seen.
    pub fn check(
        &mut self,
        conn: &Connection,
        key: &LogKey,
        header: &BatchHeader,
    ) -> rusqlite::Result<Verdict> {
        let entry = self.entry(conn, key, header.producer_id)?;
        let Some(latest) = entry.recent.front().copied() else {
            // Unknown producer (new, or its batches are gone with retention): accepted.
            return Ok(Verdict::Append);
        };
        if header.producer_epoch < entry.epoch {
            return Ok(Verdict::Refuse(ResponseError::InvalidProducerEpoch.code()));
        }
        if header.producer_epoch > entry.epoch {
            return Ok(if header.base_sequence == 0 {
                Verdict::Append
            } else {
                Verdict::Refuse(ResponseError::OutOfOrderSequenceNumber.code())
            });
        }
        let last = header.last_sequence();
        if let Some(seen) = entry
            .recent
            .iter()
            .find(|b| b.first_sequence == header.base_sequence && b.last_sequence == last)
        {
            return Ok(Verdict::Duplicate(seen.base_offset));
        }
        if header.base_sequence != add_sequence(latest.last_sequence, 1) {
            return Ok(Verdict::Refuse(
                ResponseError::OutOfOrderSequenceNumber.code(),
            ));
        }
        Ok(Verdict::Append)
    }

    /// Records an appended batch.
    pub fn appended(&mut self, key: &LogKey, header: &BatchHeader, base_offset: i64) {
        let entry = self
            .entries
            .entry((key.clone(), header.producer_id))
            .or_default();
        if header.producer_epoch != entry.epoch {
            entry.recent.clear();
            entry.epoch = header.producer_epoch;
        }
        entry.recent.push_front(ProducerBatch {
            epoch: header.producer_epoch,
            first_sequence: header.base_sequence,
            last_sequence: header.last_sequence(),
            base_offset,
        });
        entry.recent.truncate(REMEMBERED);
    }

    fn entry(
        &mut self,
        conn: &Connection,
        key: &LogKey,
        producer_id: i64,
    ) -> rusqlite::Result<&ProducerEntry> {
        let map_key = (key.clone(), producer_id);
        if !self.entries.contains_key(&map_key) {
            let history = kafka_log::producer_history(
                conn,
                &key.instance_id,
                &key.topic,
                key.partition,
                producer_id,
                REMEMBERED,
            )?;
            let epoch = history.first().map_or(0, |b| b.epoch);
            let recent = history.into_iter().filter(|b| b.epoch == epoch).collect();
            self.entries
                .insert(map_key.clone(), ProducerEntry { epoch, recent });
        }
        Ok(&self.entries[&map_key])
    }

    /// Forgets everything (the control API's reset).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(epoch: i16, first: i32, count: i32) -> BatchHeader {
        BatchHeader {
            attributes: 0,
            last_offset_delta: count - 1,
            max_timestamp: 0,
            producer_id: 9,
            producer_epoch: epoch,
            base_sequence: first,
            record_count: count,
        }
    }

    #[test]
    fn duplicates_gaps_and_epochs() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE message_batches (instance_id, topic, partition, start_offset, end_offset, timestamp_ms);
             CREATE TABLE record_batches (instance_id, topic, partition, base_offset, max_timestamp_ms,
                                          producer_id, producer_epoch, base_sequence, batch);",
        )
        .unwrap();
        let key = LogKey {
            instance_id: "i".into(),
            topic: "t".into(),
            topic_created_ms: 1,
            partition: 0,
        };
        let mut states = ProducerStates::default();
        assert_eq!(
            states.check(&conn, &key, &header(0, 0, 3)).unwrap(),
            Verdict::Append
        );
        states.appended(&key, &header(0, 0, 3), 0);
        assert_eq!(
            states.check(&conn, &key, &header(0, 0, 3)).unwrap(),
            Verdict::Duplicate(0),
            "a retried batch"
        );
        assert_eq!(
            states.check(&conn, &key, &header(0, 3, 2)).unwrap(),
            Verdict::Append
        );
        assert_eq!(
            states.check(&conn, &key, &header(0, 5, 2)).unwrap(),
            Verdict::Refuse(ResponseError::OutOfOrderSequenceNumber.code()),
            "a gap"
        );
        states.appended(&key, &header(1, 0, 1), 3);
        assert_eq!(
            states.check(&conn, &key, &header(0, 1, 1)).unwrap(),
            Verdict::Refuse(ResponseError::InvalidProducerEpoch.code()),
            "a fenced epoch"
        );
    }
}
