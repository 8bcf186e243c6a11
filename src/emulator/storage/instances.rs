//! Instance creation and expiry times, kept stable across restarts.

use rusqlite::{params, Connection, OptionalExtension};

/// Subscription length given to seeded instances.
const ONE_YEAR_MS: i64 = 365 * 24 * 60 * 60 * 1000;

/// Returns (create time, expiry time) in ms, recording them on first sight.
pub fn ensure(conn: &Connection, instance_id: &str, now_ms: i64) -> rusqlite::Result<(i64, i64)> {
    let existing = conn
        .query_row(
            "SELECT create_time_ms, expired_time_ms FROM instances WHERE instance_id = ?1",
            params![instance_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some(times) = existing {
        return Ok(times);
    }
    let times = (now_ms, now_ms + ONE_YEAR_MS);
    conn.execute(
        "INSERT INTO instances (instance_id, create_time_ms, expired_time_ms) VALUES (?1, ?2, ?3)",
        params![instance_id, times.0, times.1],
    )?;
    Ok(times)
}
