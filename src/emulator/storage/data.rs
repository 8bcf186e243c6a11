//! Messages (as offset ranges with their append time) and committed consumer offsets,
//! from which GetTopicStatus and GetConsumerProgress compute their numbers.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

/// Per-partition log end offset and last append time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartitionStats {
    pub max_offset: i64,
    pub last_timestamp_ms: i64,
}

/// Appends `count` messages stamped `now_ms`; returns the new log end offset.
pub fn append(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    partition: i64,
    count: i64,
    now_ms: i64,
) -> rusqlite::Result<i64> {
    let start: i64 = conn.query_row(
        "SELECT COALESCE(MAX(end_offset), 0) FROM message_batches WHERE instance_id = ?1 AND topic = ?2 AND partition = ?3",
        params![instance_id, topic, partition],
        |r| r.get(0),
    )?;
    let end = start.saturating_add(count);
    conn.execute(
        "INSERT INTO message_batches (instance_id, topic, partition, start_offset, end_offset, timestamp_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![instance_id, topic, partition, start, end, now_ms],
    )?;
    Ok(end)
}

/// Stats of every partition that has messages.
pub fn partition_stats(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
) -> rusqlite::Result<HashMap<i64, PartitionStats>> {
    let mut stmt = conn.prepare_cached(
        "SELECT partition, MAX(end_offset), MAX(timestamp_ms) FROM message_batches
         WHERE instance_id = ?1 AND topic = ?2 GROUP BY partition",
    )?;
    let rows = stmt.query_map(params![instance_id, topic], |r| {
        Ok((
            r.get(0)?,
            PartitionStats {
                max_offset: r.get(1)?,
                last_timestamp_ms: r.get(2)?,
            },
        ))
    })?;
    rows.collect()
}

/// When the message at `offset` was appended, if it exists.
pub fn message_timestamp(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    partition: i64,
    offset: i64,
) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT timestamp_ms FROM message_batches
         WHERE instance_id = ?1 AND topic = ?2 AND partition = ?3 AND start_offset <= ?4 AND end_offset > ?4",
        params![instance_id, topic, partition, offset],
        |r| r.get(0),
    )
    .optional()
}

pub fn commit_offset(
    conn: &Connection,
    instance_id: &str,
    consumer_id: &str,
    topic: &str,
    partition: i64,
    offset: i64,
    now_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO consumer_offsets (instance_id, consumer_id, topic, partition, committed_offset, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (instance_id, consumer_id, topic, partition)
         DO UPDATE SET committed_offset = excluded.committed_offset, updated_ms = excluded.updated_ms",
        params![instance_id, consumer_id, topic, partition, offset, now_ms],
    )?;
    Ok(())
}

/// The group's committed offsets: topic → partition → offset.
pub fn group_offsets(
    conn: &Connection,
    instance_id: &str,
    consumer_id: &str,
) -> rusqlite::Result<Vec<(String, HashMap<i64, i64>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT topic, partition, committed_offset FROM consumer_offsets
         WHERE instance_id = ?1 AND consumer_id = ?2 ORDER BY topic, partition",
    )?;
    let rows = stmt.query_map(params![instance_id, consumer_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out: Vec<(String, HashMap<i64, i64>)> = Vec::new();
    for row in rows {
        let (topic, partition, offset) = row?;
        match out.last_mut() {
            Some((last, map)) if *last == topic => {
                map.insert(partition, offset);
            }
            _ => out.push((topic, HashMap::from([(partition, offset)]))),
        }
    }
    Ok(out)
}
