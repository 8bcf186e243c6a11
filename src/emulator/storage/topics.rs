//! Topic rows. A row is "gone" once `gone_at_ms <= now`; until then it exists in the true
//! state (even if deleted) and blocks its name. It is visible to reads while
//! `visible_at_ms <= now < gone_at_ms`.

use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRecord {
    pub topic: String,
    pub remark: String,
    pub partition_num: i64,
    pub local_topic: bool,
    pub compact_topic: bool,
    pub status: i64,
    /// The settings a client set (the answer adds the defaults and the service's own keys).
    pub config: std::collections::BTreeMap<String, String>,
    pub replication_factor: i64,
    pub min_insync_replicas: i64,
    pub auto_create: bool,
    pub create_time_ms: i64,
    pub visible_at_ms: i64,
    pub deleted_at_ms: Option<i64>,
    pub gone_at_ms: Option<i64>,
}

impl TopicRecord {
    pub fn is_visible(&self, now_ms: i64) -> bool {
        self.visible_at_ms <= now_ms && self.gone_at_ms.is_none_or(|gone| gone > now_ms)
    }
    pub fn is_deleted(&self) -> bool {
        self.deleted_at_ms.is_some()
    }
}

/// A topic to create.
pub struct NewTopic<'a> {
    pub topic: &'a str,
    pub remark: &'a str,
    pub partition_num: i64,
    pub local_topic: bool,
    pub compact_topic: bool,
    pub config: &'a std::collections::BTreeMap<String, String>,
    pub replication_factor: i64,
    pub min_insync_replicas: i64,
}

const COLUMNS: &str =
    "topic, remark, partition_num, local_topic, compact_topic, status, create_time_ms, \
                       visible_at_ms, deleted_at_ms, gone_at_ms, config, replication_factor, \
                       min_insync_replicas, auto_create";
const NOT_GONE: &str = "(gone_at_ms IS NULL OR gone_at_ms > ?2)";
const VISIBLE: &str = "visible_at_ms <= ?2 AND (gone_at_ms IS NULL OR gone_at_ms > ?2)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<TopicRecord> {
    Ok(TopicRecord {
        topic: r.get(0)?,
        remark: r.get(1)?,
        partition_num: r.get(2)?,
        local_topic: r.get(3)?,
        compact_topic: r.get(4)?,
        status: r.get(5)?,
        create_time_ms: r.get(6)?,
        visible_at_ms: r.get(7)?,
        deleted_at_ms: r.get(8)?,
        gone_at_ms: r.get(9)?,
        // Written only by this module, so always an object of strings; anything else reads
        // as no settings rather than failing the whole list.
        config: serde_json::from_str(&r.get::<_, String>(10)?).unwrap_or_default(),
        replication_factor: r.get(11)?,
        min_insync_replicas: r.get(12)?,
        auto_create: r.get(13)?,
    })
}

/// The topic in the true state (deleted-but-not-gone included), if any.
pub fn find(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    now_ms: i64,
) -> rusqlite::Result<Option<TopicRecord>> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM topics WHERE instance_id = ?1 AND {NOT_GONE} AND topic = ?3"
        ),
        params![instance_id, now_ms, topic],
        from_row,
    )
    .optional()
}

/// Topics counting against the quota (not gone).
pub fn count(conn: &Connection, instance_id: &str, now_ms: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        &format!("SELECT COUNT(*) FROM topics WHERE instance_id = ?1 AND {NOT_GONE}"),
        params![instance_id, now_ms],
        |r| r.get(0),
    )
}

pub fn insert(
    conn: &Connection,
    instance_id: &str,
    new: &NewTopic<'_>,
    now_ms: i64,
    visible_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO topics (instance_id, topic, remark, partition_num, local_topic, compact_topic, status,
                             create_time_ms, visible_at_ms, config, replication_factor, min_insync_replicas)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10, ?11)",
        params![
            instance_id,
            new.topic,
            new.remark,
            new.partition_num,
            new.local_topic,
            new.compact_topic,
            now_ms,
            visible_at_ms,
            config_text(new.config),
            new.replication_factor,
            new.min_insync_replicas
        ],
    )?;
    Ok(())
}

pub fn mark_deleted(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    now_ms: i64,
    gone_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE topics SET deleted_at_ms = ?3, gone_at_ms = ?4 WHERE instance_id = ?1 AND topic = ?2",
        params![instance_id, topic, now_ms, gone_at_ms],
    )?;
    Ok(())
}

pub fn set_remark(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    remark: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE topics SET remark = ?3 WHERE instance_id = ?1 AND topic = ?2",
        params![instance_id, topic, remark],
    )?;
    Ok(())
}

fn config_text(config: &std::collections::BTreeMap<String, String>) -> String {
    // A map of strings always serializes.
    serde_json::to_string(config).unwrap_or_else(|_| "{}".to_owned())
}

/// Replaces the settings a client set.
pub fn set_config(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    config: &std::collections::BTreeMap<String, String>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE topics SET config = ?3 WHERE instance_id = ?1 AND topic = ?2",
        params![instance_id, topic, config_text(config)],
    )?;
    Ok(())
}

pub fn set_partition_num(
    conn: &Connection,
    instance_id: &str,
    topic: &str,
    partitions: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE topics SET partition_num = ?3 WHERE instance_id = ?1 AND topic = ?2",
        params![instance_id, topic, partitions],
    )?;
    Ok(())
}

/// One page of visible topics (creation order) whose name contains `filter`, with the total.
pub fn list_visible(
    conn: &Connection,
    instance_id: &str,
    filter: Option<&str>,
    offset: i64,
    limit: i64,
    now_ms: i64,
) -> rusqlite::Result<(i64, Vec<TopicRecord>)> {
    let filter = filter.unwrap_or("");
    let condition = format!("instance_id = ?1 AND {VISIBLE} AND instr(topic, ?3) > 0");
    let total = conn.query_row(
        &format!("SELECT COUNT(*) FROM topics WHERE {condition}"),
        params![instance_id, now_ms, filter],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM topics WHERE {condition} ORDER BY id LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = stmt.query_map(
        params![instance_id, now_ms, filter, limit, offset],
        from_row,
    )?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

/// Every topic of the true state (deleted-but-not-gone included), creation order.
pub fn list_all(
    conn: &Connection,
    instance_id: &str,
    now_ms: i64,
) -> rusqlite::Result<Vec<TopicRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM topics WHERE instance_id = ?1 AND {NOT_GONE} ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![instance_id, now_ms], from_row)?;
    rows.collect()
}
