//! Consumer group rows, with the same visibility rules as topics.

use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub consumer_id: String,
    pub remark: String,
    pub auto_created: bool,
    pub create_time_ms: i64,
    pub visible_at_ms: i64,
    pub deleted_at_ms: Option<i64>,
    pub gone_at_ms: Option<i64>,
}

impl GroupRecord {
    pub fn is_visible(&self, now_ms: i64) -> bool {
        self.visible_at_ms <= now_ms && self.gone_at_ms.is_none_or(|gone| gone > now_ms)
    }
    pub fn is_deleted(&self) -> bool {
        self.deleted_at_ms.is_some()
    }
}

const COLUMNS: &str =
    "consumer_id, remark, create_time_ms, visible_at_ms, deleted_at_ms, gone_at_ms, auto_created";
const NOT_GONE: &str = "(gone_at_ms IS NULL OR gone_at_ms > ?2)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<GroupRecord> {
    Ok(GroupRecord {
        consumer_id: r.get(0)?,
        remark: r.get(1)?,
        create_time_ms: r.get(2)?,
        visible_at_ms: r.get(3)?,
        deleted_at_ms: r.get(4)?,
        gone_at_ms: r.get(5)?,
        auto_created: r.get(6)?,
    })
}

pub fn find(
    conn: &Connection,
    instance_id: &str,
    consumer_id: &str,
    now_ms: i64,
) -> rusqlite::Result<Option<GroupRecord>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM consumer_groups WHERE instance_id = ?1 AND {NOT_GONE} AND consumer_id = ?3"),
        params![instance_id, now_ms, consumer_id],
        from_row,
    )
    .optional()
}

pub fn count(conn: &Connection, instance_id: &str, now_ms: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        &format!("SELECT COUNT(*) FROM consumer_groups WHERE instance_id = ?1 AND {NOT_GONE}"),
        params![instance_id, now_ms],
        |r| r.get(0),
    )
}

pub fn insert(
    conn: &Connection,
    instance_id: &str,
    consumer_id: &str,
    remark: &str,
    now_ms: i64,
    visible_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO consumer_groups (instance_id, consumer_id, remark, create_time_ms, visible_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![instance_id, consumer_id, remark, now_ms, visible_at_ms],
    )?;
    Ok(())
}

pub fn mark_deleted(
    conn: &Connection,
    instance_id: &str,
    consumer_id: &str,
    now_ms: i64,
    gone_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE consumer_groups SET deleted_at_ms = ?3, gone_at_ms = ?4 WHERE instance_id = ?1 AND consumer_id = ?2",
        params![instance_id, consumer_id, now_ms, gone_at_ms],
    )?;
    Ok(())
}

/// Visible groups, creation order.
pub fn list_visible(
    conn: &Connection,
    instance_id: &str,
    now_ms: i64,
) -> rusqlite::Result<Vec<GroupRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM consumer_groups WHERE instance_id = ?1 AND visible_at_ms <= ?2 AND {NOT_GONE} ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![instance_id, now_ms], from_row)?;
    rows.collect()
}

/// Every group of the true state, creation order.
pub fn list_all(
    conn: &Connection,
    instance_id: &str,
    now_ms: i64,
) -> rusqlite::Result<Vec<GroupRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM consumer_groups WHERE instance_id = ?1 AND {NOT_GONE} ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![instance_id, now_ms], from_row)?;
    rows.collect()
}
