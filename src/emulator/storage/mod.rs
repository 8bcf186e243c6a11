//! SQLite persistence (WAL, versioned migrations). One connection behind a mutex: every
//! action runs as one transaction on it, which makes concurrent writers serialize and
//! leaves exactly one winner for conflicting creates.

pub mod access;
pub mod data;
pub mod groups;
pub mod instances;
pub mod kafka_log;
pub mod tags;
pub mod topics;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::config::DataLocation;
use super::errors::ApiError;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE instances (
    instance_id     TEXT PRIMARY KEY,
    create_time_ms  INTEGER NOT NULL,
    expired_time_ms INTEGER NOT NULL
);
CREATE TABLE topics (
    id             INTEGER PRIMARY KEY,
    instance_id    TEXT NOT NULL,
    topic          TEXT NOT NULL,
    remark         TEXT NOT NULL,
    partition_num  INTEGER NOT NULL,
    local_topic    INTEGER NOT NULL,
    compact_topic  INTEGER NOT NULL,
    status         INTEGER NOT NULL DEFAULT 0,
    create_time_ms INTEGER NOT NULL,
    visible_at_ms  INTEGER NOT NULL,
    deleted_at_ms  INTEGER,
    gone_at_ms     INTEGER,
    UNIQUE (instance_id, topic)
);
CREATE INDEX topics_gone ON topics (instance_id, gone_at_ms);
CREATE TABLE consumer_groups (
    id             INTEGER PRIMARY KEY,
    instance_id    TEXT NOT NULL,
    consumer_id    TEXT NOT NULL,
    remark         TEXT NOT NULL,
    create_time_ms INTEGER NOT NULL,
    visible_at_ms  INTEGER NOT NULL,
    deleted_at_ms  INTEGER,
    gone_at_ms     INTEGER,
    UNIQUE (instance_id, consumer_id)
);
CREATE INDEX consumer_groups_gone ON consumer_groups (instance_id, gone_at_ms);
CREATE TABLE message_batches (
    instance_id  TEXT NOT NULL,
    topic        TEXT NOT NULL,
    partition    INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    end_offset   INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    PRIMARY KEY (instance_id, topic, partition, start_offset)
) WITHOUT ROWID;
CREATE TABLE consumer_offsets (
    instance_id      TEXT NOT NULL,
    consumer_id      TEXT NOT NULL,
    topic            TEXT NOT NULL,
    partition        INTEGER NOT NULL,
    committed_offset INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL,
    PRIMARY KEY (instance_id, consumer_id, topic, partition)
) WITHOUT ROWID;
"#,
    // API version 2019-09-16: topic settings and replication, tags, SASL users, ACLs and
    // IP allowlists. `config` holds only the keys a client set (JSON object, string values).
    r#"
ALTER TABLE topics ADD COLUMN config TEXT NOT NULL DEFAULT '{}';
ALTER TABLE topics ADD COLUMN replication_factor INTEGER NOT NULL DEFAULT 3;
ALTER TABLE topics ADD COLUMN min_insync_replicas INTEGER NOT NULL DEFAULT 2;
ALTER TABLE topics ADD COLUMN auto_create INTEGER NOT NULL DEFAULT 0;
ALTER TABLE consumer_groups ADD COLUMN auto_created INTEGER NOT NULL DEFAULT 0;
CREATE TABLE tags (
    id            INTEGER PRIMARY KEY,
    instance_id   TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    name          TEXT NOT NULL,
    tag_key       TEXT NOT NULL,
    tag_value     TEXT NOT NULL,
    UNIQUE (instance_id, resource_type, name, tag_key)
);
CREATE TABLE sasl_users (
    id             INTEGER PRIMARY KEY,
    instance_id    TEXT NOT NULL,
    username       TEXT NOT NULL,
    user_type      TEXT NOT NULL,
    password       TEXT NOT NULL,
    create_time_ms INTEGER NOT NULL,
    visible_at_ms  INTEGER NOT NULL,
    deleted_at_ms  INTEGER,
    gone_at_ms     INTEGER,
    UNIQUE (instance_id, username, user_type)
);
CREATE TABLE acls (
    id              INTEGER PRIMARY KEY,
    instance_id     TEXT NOT NULL,
    username        TEXT NOT NULL,
    resource_type   TEXT NOT NULL,
    resource_name   TEXT NOT NULL,
    pattern_type    TEXT NOT NULL,
    operation_type  TEXT NOT NULL,
    permission_type TEXT NOT NULL,
    host            TEXT NOT NULL,
    create_time_ms  INTEGER NOT NULL,
    visible_at_ms   INTEGER NOT NULL,
    deleted_at_ms   INTEGER,
    gone_at_ms      INTEGER
);
CREATE INDEX acls_lookup ON acls (instance_id, username, resource_type, resource_name);
CREATE TABLE allowed_ips (
    id             INTEGER PRIMARY KEY,
    instance_id    TEXT NOT NULL,
    list_type      TEXT NOT NULL,
    port_range     TEXT NOT NULL,
    entry          TEXT NOT NULL,
    description    TEXT NOT NULL,
    create_time_ms INTEGER NOT NULL,
    visible_at_ms  INTEGER NOT NULL,
    deleted_at_ms  INTEGER,
    gone_at_ms     INTEGER
);
CREATE INDEX allowed_ips_lookup ON allowed_ips (instance_id, list_type, port_range);
"#,
    r#"
-- The Kafka listener's logs: each produced batch as the producer sent it, beside its offset
-- range in message_batches (which GetTopicStatus and GetConsumerProgress read). Ranges
-- seeded through the control API have no row here.
CREATE TABLE record_batches (
    instance_id      TEXT NOT NULL,
    topic            TEXT NOT NULL,
    partition        INTEGER NOT NULL,
    base_offset      INTEGER NOT NULL,
    max_timestamp_ms INTEGER NOT NULL,
    producer_id      INTEGER NOT NULL,
    producer_epoch   INTEGER NOT NULL,
    base_sequence    INTEGER NOT NULL,
    batch            BLOB NOT NULL,
    PRIMARY KEY (instance_id, topic, partition, base_offset)
);
CREATE INDEX record_batches_producer
    ON record_batches (instance_id, topic, partition, producer_id, base_offset);
CREATE TRIGGER record_batches_follow_ranges AFTER DELETE ON message_batches BEGIN
    DELETE FROM record_batches WHERE instance_id = OLD.instance_id AND topic = OLD.topic
        AND partition = OLD.partition AND base_offset = OLD.start_offset;
END;
CREATE TABLE kafka_producer_ids (
    producer_id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_ms  INTEGER NOT NULL
);
ALTER TABLE consumer_offsets ADD COLUMN metadata TEXT NOT NULL DEFAULT '';
"#,
];

/// Storage that cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot create data directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database schema version {found} is newer than this emulator understands ({known})")]
    NewerSchema { found: i64, known: i64 },
}

/// The database handle shared by every request.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (creating if needed) and migrates the database.
    pub fn open(location: &DataLocation) -> Result<Db, StorageError> {
        let mut conn = match location {
            DataLocation::Memory => Connection::open_in_memory()?,
            DataLocation::File(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| StorageError::CreateDir {
                        path: dir.display().to_string(),
                        source,
                    })?;
                }
                open_file(path)?
            }
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection off the async threads.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        match tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard)
        })
        .await
        {
            Ok(result) => result,
            Err(join_error) => {
                tracing::error!(%join_error, "storage task failed");
                Err(ApiError::internal())
            }
        }
    }

    /// Runs `f` on the current thread (startup and tests).
    pub fn run_blocking<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }
}

fn open_file(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    // WAL: readers never block the writer; NORMAL sync is durable across process crashes.
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(StorageError::NewerSchema {
            found: current,
            known,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Removes every topic, group, message and offset (instances keep their times).
pub fn clear_state(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DELETE FROM topics; DELETE FROM consumer_groups; DELETE FROM message_batches; DELETE FROM consumer_offsets;
         DELETE FROM tags; DELETE FROM sasl_users; DELETE FROM acls; DELETE FROM allowed_ips;",
    )
}

/// Drops objects whose disappearance delay has passed, with their messages and offsets.
pub fn purge_gone(conn: &Connection, instance_id: &str, now_ms: i64) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM message_batches WHERE instance_id = ?1 AND topic IN
           (SELECT topic FROM topics WHERE instance_id = ?1 AND gone_at_ms <= ?2)",
        rusqlite::params![instance_id, now_ms],
    )?;
    conn.execute(
        "DELETE FROM consumer_offsets WHERE instance_id = ?1 AND (
           topic IN (SELECT topic FROM topics WHERE instance_id = ?1 AND gone_at_ms <= ?2)
           OR consumer_id IN (SELECT consumer_id FROM consumer_groups WHERE instance_id = ?1 AND gone_at_ms <= ?2))",
        rusqlite::params![instance_id, now_ms],
    )?;
    conn.execute(
        "DELETE FROM tags WHERE instance_id = ?1 AND (
           (resource_type = 'TOPIC' AND name IN (SELECT topic FROM topics WHERE instance_id = ?1 AND gone_at_ms <= ?2))
           OR (resource_type = 'CONSUMERGROUP' AND name IN (SELECT consumer_id FROM consumer_groups WHERE instance_id = ?1 AND gone_at_ms <= ?2)))",
        rusqlite::params![instance_id, now_ms],
    )?;
    for table in ["sasl_users", "acls", "allowed_ips"] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE instance_id = ?1 AND gone_at_ms <= ?2"),
            rusqlite::params![instance_id, now_ms],
        )?;
    }
    conn.execute(
        "DELETE FROM topics WHERE instance_id = ?1 AND gone_at_ms <= ?2",
        rusqlite::params![instance_id, now_ms],
    )?;
    conn.execute(
        "DELETE FROM consumer_groups WHERE instance_id = ?1 AND gone_at_ms <= ?2",
        rusqlite::params![instance_id, now_ms],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("state.db");
        let location = DataLocation::File(path.clone());
        let db = Db::open(&location).unwrap();
        db.run_blocking(|c| {
            instances::ensure(c, "i-1", 5).unwrap();
        });
        drop(db);
        let db = Db::open(&location).unwrap();
        let version: i64 = db.run_blocking(|c| {
            c.query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap()
        });
        assert_eq!(version, MIGRATIONS.len() as i64);
        let times = db.run_blocking(|c| instances::ensure(c, "i-1", 99).unwrap());
        assert_eq!(times.0, 5, "create time is kept across restarts");
    }

    /// A database written before the Kafka listener's migration (the 2019-09-16 schema)
    /// gains the log tables and keeps its committed offsets.
    #[test]
    fn a_database_without_the_kafka_tables_migrates_forward() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut conn = Connection::open(&path).unwrap();
        for (index, sql) in MIGRATIONS[..2].iter().enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", index as i64 + 1)
                .unwrap();
        }
        conn.execute(
            "INSERT INTO consumer_offsets (instance_id, consumer_id, topic, partition, committed_offset, updated_ms)
             VALUES ('i-1', 'g', 't', 0, 7, 1)",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (offset, metadata): (i64, String) = conn
            .query_row(
                "SELECT committed_offset, metadata FROM consumer_offsets WHERE consumer_id = 'g'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((offset, metadata.as_str()), (7, ""));
        let batches: i64 = conn
            .query_row("SELECT COUNT(*) FROM record_batches", [], |r| r.get(0))
            .unwrap();
        assert_eq!(batches, 0);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(
            Db::open(&DataLocation::File(path)),
            Err(StorageError::NewerSchema { .. })
        ));
    }
}
