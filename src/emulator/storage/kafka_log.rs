//! The Kafka listener's partition logs and committed offsets.
//!
//! A partition's log is its rows of `message_batches` (offset ranges, append times: what
//! GetTopicStatus and GetConsumerProgress count) joined with `record_batches` (the batch
//! bytes as the producer sent them, and its producer fields). Ranges seeded through the
//! control API have no bytes; readers make null records for them.

use rusqlite::{params, Connection, OptionalExtension};

/// The first offset still in the log and the next offset to be written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogBounds {
    pub start: i64,
    pub end: i64,
}

/// One stored range: `[start, end)`, appended at `append_ms`, with the batch bytes when a
/// Kafka client wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBatch {
    pub start: i64,
    pub end: i64,
    pub append_ms: i64,
    pub max_timestamp_ms: i64,
    pub bytes: Option<Vec<u8>>,
}

/// A batch to append (its base offset already set to `bounds.end`).
pub struct NewBatch<'a> {
    pub base_offset: i64,
    pub record_count: i64,
    pub max_timestamp_ms: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub bytes: &'a [u8],
}

/// What an idempotent producer last wrote to a partition (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    pub epoch: i16,
    pub first_sequence: i32,
    pub last_sequence: i32,
    pub base_offset: i64,
}

pub fn bounds(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    partition: i64,
) -> rusqlite::Result<LogBounds> {
    let first: Option<i64> = conn
        .query_row(
            "SELECT start_offset FROM message_batches WHERE instance_id = ?1 AND topic = ?2 AND partition = ?3
             ORDER BY start_offset ASC LIMIT 1",
            params![instance_id, topic, partition],
            |r| r.get(0),
        )
        .optional()?;
    let last: Option<i64> = conn
        .query_row(
            "SELECT end_offset FROM message_batches WHERE instance_id = ?1 AND topic = ?2 AND partition = ?3
             ORDER BY start_offset DESC LIMIT 1",
            params![instance_id, topic, partition],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match (first, last) {
        (Some(start), Some(end)) => LogBounds { start, end },
        _ => LogBounds::default(),
    })
}

/// Appends one batch stamped `now_ms`.
pub fn append(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    partition: i64,
    batch: &NewBatch<'_>,
    now_ms: i64,
) -> rusqlite::Result<()> {
    let end = batch.base_offset.saturating_add(batch.record_count);
    conn.prepare_cached(
        "INSERT INTO message_batches (instance_id, topic, partition, start_offset, end_offset, timestamp_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![instance_id, topic, partition, batch.base_offset, end, now_ms])?;
    conn.prepare_cached(
        "INSERT INTO record_batches (instance_id, topic, partition, base_offset, max_timestamp_ms,
                                     producer_id, producer_epoch, base_sequence, batch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        instance_id,
        topic,
        partition,
        batch.base_offset,
        batch.max_timestamp_ms,
        batch.producer_id,
        batch.producer_epoch,
        batch.base_sequence,
        batch.bytes
    ])?;
    Ok(())
}

/// The ranges from the one holding `offset` on, in order, until `max_bytes` of batch bytes
/// are gathered (always at least one range, however large).
pub fn read_from(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    partition: i64,
    offset: i64,
    max_bytes: usize,
) -> rusqlite::Result<Vec<StoredBatch>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.start_offset, m.end_offset, m.timestamp_ms, COALESCE(r.max_timestamp_ms, m.timestamp_ms), r.batch
         FROM message_batches m LEFT JOIN record_batches r
           ON r.instance_id = m.instance_id AND r.topic = m.topic AND r.partition = m.partition
              AND r.base_offset = m.start_offset
         WHERE m.instance_id = ?1 AND m.topic = ?2 AND m.partition = ?3
           AND m.start_offset >= COALESCE((SELECT MAX(start_offset) FROM message_batches
                 WHERE instance_id = ?1 AND topic = ?2 AND partition = ?3 AND start_offset <= ?4), 0)
           AND m.end_offset > ?4
         ORDER BY m.start_offset LIMIT 500",
    )?;
    let mut rows = stmt.query(params![instance_id, topic, partition, offset])?;
    let mut out = Vec::new();
    let mut total = 0usize;
    while let Some(row) = rows.next()? {
        let batch = StoredBatch {
            start: row.get(0)?,
            end: row.get(1)?,
            append_ms: row.get(2)?,
            max_timestamp_ms: row.get(3)?,
            bytes: row.get(4)?,
        };
        let size = batch.bytes.as_ref().map_or(0, Vec::len);
        if !out.is_empty() && total.saturating_add(size) > max_bytes {
            break;
        }
        total = total.saturating_add(size);
        out.push(batch);
        if total >= max_bytes {
            break;
        }
    }
    Ok(out)
}

/// The first range whose newest record time is at least `timestamp_ms`.
pub fn first_batch_at_or_after(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    partition: i64,
    timestamp_ms: i64,
) -> rusqlite::Result<Option<StoredBatch>> {
    conn.query_row(
        "SELECT m.start_offset, m.end_offset, m.timestamp_ms, COALESCE(r.max_timestamp_ms, m.timestamp_ms), r.batch
         FROM message_batches m LEFT JOIN record_batches r
           ON r.instance_id = m.instance_id AND r.topic = m.topic AND r.partition = m.partition
              AND r.base_offset = m.start_offset
         WHERE m.instance_id = ?1 AND m.topic = ?2 AND m.partition = ?3
           AND COALESCE(r.max_timestamp_ms, m.timestamp_ms) >= ?4
         ORDER BY m.start_offset LIMIT 1",
        params![instance_id, topic, partition, timestamp_ms],
        |row| {
            Ok(StoredBatch {
                start: row.get(0)?,
                end: row.get(1)?,
                append_ms: row.get(2)?,
                max_timestamp_ms: row.get(3)?,
                bytes: row.get(4)?,
            })
        },
    )
    .optional()
}

/// The producer's last (up to) `limit` batches on the partition, newest first.
pub fn producer_history(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    partition: i64,
    producer_id: i64,
    limit: usize,
) -> rusqlite::Result<Vec<ProducerBatch>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.producer_epoch, r.base_sequence, m.end_offset - m.start_offset, r.base_offset
         FROM record_batches r JOIN message_batches m
           ON m.instance_id = r.instance_id AND m.topic = r.topic AND m.partition = r.partition
              AND m.start_offset = r.base_offset
         WHERE r.instance_id = ?1 AND r.topic = ?2 AND r.partition = ?3 AND r.producer_id = ?4
         ORDER BY r.base_offset DESC LIMIT ?5",
    )?;
    let rows = stmt.query_map(
        params![instance_id, topic, partition, producer_id, limit as i64],
        |r| {
            let first: i32 = r.get(1)?;
            let count: i64 = r.get(2)?;
            Ok(ProducerBatch {
                epoch: r.get(0)?,
                first_sequence: first,
                last_sequence: add_sequence(first, count - 1),
                base_offset: r.get(3)?,
            })
        },
    )?;
    rows.collect()
}

/// Sequence numbers wrap from `i32::MAX` to 0.
pub fn add_sequence(sequence: i32, delta: i64) -> i32 {
    let wrapped = (i64::from(sequence) + delta).rem_euclid(i64::from(i32::MAX) + 1);
    i32::try_from(wrapped).unwrap_or(0)
}

/// A producer id never handed out before (also across restarts).
pub fn new_producer_id(conn: &Connection, now_ms: i64) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO kafka_producer_ids (created_ms) VALUES (?1)",
        params![now_ms],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Drops the oldest ranges of `topic` whose newest record is older than `cutoff_ms`, as
/// Kafka's time retention deletes segments: from the log start, while the next range has
/// expired, never the newest range of a partition (it carries the log end offset, as Kafka
/// keeps its active segment). A range's time is its batch's largest record timestamp, or
/// its append time when it has no stored batch (control API seeds) or no timestamp.
pub fn delete_expired(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    cutoff_ms: i64,
) -> rusqlite::Result<usize> {
    let boundaries: Vec<(i64, i64)> = conn
        .prepare_cached(
            "SELECT m.partition,
                    COALESCE(MIN(CASE WHEN (CASE WHEN r.max_timestamp_ms >= 0 THEN r.max_timestamp_ms
                                                 ELSE m.timestamp_ms END) >= ?3
                                      THEN m.start_offset END),
                             MAX(m.start_offset))
             FROM message_batches m
             LEFT JOIN record_batches r ON r.instance_id = m.instance_id AND r.topic = m.topic
                                       AND r.partition = m.partition AND r.base_offset = m.start_offset
             WHERE m.instance_id = ?1 AND m.topic = ?2
             GROUP BY m.partition",
        )?
        .query_map(params![instance_id, topic, cutoff_ms], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut deleted = 0;
    for (partition, keep_from) in boundaries {
        deleted += conn
            .prepare_cached(
                "DELETE FROM message_batches
                 WHERE instance_id = ?1 AND topic = ?2 AND partition = ?3 AND start_offset < ?4",
            )?
            .execute(params![instance_id, topic, partition, keep_from])?;
    }
    Ok(deleted)
}

/// Commits a group's offset with its client metadata.
#[allow(clippy::too_many_arguments)]
pub fn commit_offset(
    conn: &Connection,
    instance_id: &str,
    group: &str,
    topic: &str,
    partition: i64,
    offset: i64,
    metadata: &str,
    now_ms: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO consumer_offsets (instance_id, consumer_id, topic, partition, committed_offset, updated_ms, metadata)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (instance_id, consumer_id, topic, partition)
         DO UPDATE SET committed_offset = excluded.committed_offset, updated_ms = excluded.updated_ms,
                       metadata = excluded.metadata",
    )?
    .execute(params![instance_id, group, topic, partition, offset, now_ms, metadata])?;
    Ok(())
}

/// One committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub topic: String,
    pub partition: i64,
    pub offset: i64,
    pub metadata: String,
}

/// The group's committed offsets, by topic and partition.
pub fn committed(
    conn: &Connection,
    instance_id: &str,
    group: &str,
) -> rusqlite::Result<Vec<Committed>> {
    let mut stmt = conn.prepare_cached(
        "SELECT topic, partition, committed_offset, metadata FROM consumer_offsets
         WHERE instance_id = ?1 AND consumer_id = ?2 ORDER BY topic, partition",
    )?;
    let rows = stmt.query_map(params![instance_id, group], |r| {
        Ok(Committed {
            topic: r.get(0)?,
            partition: r.get(1)?,
            offset: r.get(2)?,
            metadata: r.get(3)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::config::DataLocation;
    use crate::emulator::storage::{clear_state, data, Db};

    fn batch(base: i64, count: i64, bytes: &[u8]) -> NewBatch<'_> {
        NewBatch {
            base_offset: base,
            record_count: count,
            max_timestamp_ms: 1000 + base,
            producer_id: 7,
            producer_epoch: 0,
            base_sequence: i32::try_from(base).unwrap(),
            bytes,
        }
    }

    #[test]
    fn appends_reads_and_expires_in_order() {
        let db = Db::open(&DataLocation::Memory).unwrap();
        db.run_blocking(|c| {
            assert_eq!(bounds(c, "i", "t", 0).unwrap(), LogBounds::default());
            append(c, "i", "t", 0, &batch(0, 3, b"aaa"), 10).unwrap();
            append(c, "i", "t", 0, &batch(3, 2, b"bb"), 20).unwrap();
            // The control API's seeds continue the same log, without bytes.
            assert_eq!(data::append(c, "i", "t", 0, 5, 30).unwrap(), 10);
            assert_eq!(
                bounds(c, "i", "t", 0).unwrap(),
                LogBounds { start: 0, end: 10 }
            );
            let from_4 = read_from(c, "i", "t", 0, 4, 1 << 20).unwrap();
            assert_eq!(
                from_4.len(),
                2,
                "the batch holding offset 4, then the seeded range"
            );
            assert_eq!(
                (from_4[0].start, from_4[0].bytes.as_deref()),
                (3, Some(&b"bb"[..]))
            );
            assert_eq!(
                (from_4[1].start, from_4[1].end, from_4[1].bytes.clone()),
                (5, 10, None)
            );
            // At least one batch even past the byte limit, then stop at the limit.
            assert_eq!(read_from(c, "i", "t", 0, 0, 1).unwrap().len(), 1);
            assert_eq!(read_from(c, "i", "t", 0, 0, 4).unwrap().len(), 1);
            let at = first_batch_at_or_after(c, "i", "t", 0, 1002)
                .unwrap()
                .unwrap();
            assert_eq!(at.start, 3);
            let history = producer_history(c, "i", "t", 0, 7, 5).unwrap();
            assert_eq!(
                history[0],
                ProducerBatch {
                    epoch: 0,
                    first_sequence: 3,
                    last_sequence: 4,
                    base_offset: 3
                }
            );
            // By record time, the first batch is not older than 1000.
            assert_eq!(delete_expired(c, "i", "t", 1_000).unwrap(), 0);
            // Everything is old, but the newest range stays and keeps the end offset.
            assert_eq!(delete_expired(c, "i", "t", 1_004).unwrap(), 2);
            assert_eq!(
                bounds(c, "i", "t", 0).unwrap(),
                LogBounds { start: 5, end: 10 }
            );
            assert!(
                producer_history(c, "i", "t", 0, 7, 5).unwrap().is_empty(),
                "bytes follow their ranges"
            );
            clear_state(c).unwrap();
            let left: i64 = c
                .query_row("SELECT COUNT(*) FROM record_batches", [], |r| r.get(0))
                .unwrap();
            assert_eq!(left, 0);
        });
    }

    #[test]
    fn retention_deletes_only_from_the_log_start() {
        let db = Db::open(&DataLocation::Memory).unwrap();
        db.run_blocking(|c| {
            // A recent batch, then one a producer stamped long ago, then a recent one.
            for (base, stamped) in [(0, 5_000), (1, 1_000), (2, 6_000)] {
                let new = NewBatch {
                    max_timestamp_ms: stamped,
                    ..batch(base, 1, b"x")
                };
                append(c, "i", "t", 0, &new, 7_000).unwrap();
            }
            assert_eq!(delete_expired(c, "i", "t", 2_000).unwrap(), 0);
            assert_eq!(delete_expired(c, "i", "other", 9_000).unwrap(), 0);
            assert_eq!(delete_expired(c, "i", "t", 5_500).unwrap(), 2);
            assert_eq!(
                bounds(c, "i", "t", 0).unwrap(),
                LogBounds { start: 2, end: 3 }
            );
        });
    }

    #[test]
    fn sequences_wrap_and_producer_ids_are_fresh() {
        assert_eq!(add_sequence(i32::MAX, 1), 0);
        assert_eq!(add_sequence(5, 4), 9);
        let db = Db::open(&DataLocation::Memory).unwrap();
        db.run_blocking(|c| {
            let a = new_producer_id(c, 1).unwrap();
            let b = new_producer_id(c, 1).unwrap();
            assert!(b > a);
        });
    }

    #[test]
    fn commits_keep_metadata() {
        let db = Db::open(&DataLocation::Memory).unwrap();
        db.run_blocking(|c| {
            commit_offset(c, "i", "g", "t", 1, 5, "m1", 1).unwrap();
            commit_offset(c, "i", "g", "t", 1, 6, "m2", 2).unwrap();
            assert_eq!(
                committed(c, "i", "g").unwrap(),
                vec![Committed {
                    topic: "t".into(),
                    partition: 1,
                    offset: 6,
                    metadata: "m2".into()
                }]
            );
        });
    }
}
