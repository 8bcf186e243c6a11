//! Tags of instances, topics and groups: one row per (resource, key). A resource is its
//! instance, a type (`INSTANCE`, `TOPIC`, `CONSUMERGROUP`) and a name (empty for the
//! instance itself). Tags of a topic or group go when the object is gone.

use std::collections::HashMap;

use rusqlite::{params, Connection};

/// (key, value) pairs, in the order the keys were first set.
pub type Tags = Vec<(String, String)>;

/// Sets each key (adding it, or changing its value).
pub fn set(
    conn: &Connection,
    instance_id: &str,
    resource_type: &str,
    name: &str,
    tags: &[(String, String)],
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO tags (instance_id, resource_type, name, tag_key, tag_value) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (instance_id, resource_type, name, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
    )?;
    for (key, value) in tags {
        stmt.execute(params![instance_id, resource_type, name, key, value])?;
    }
    Ok(())
}

/// Removes these keys (absent keys are no change); `None` removes every tag.
pub fn remove(
    conn: &Connection,
    instance_id: &str,
    resource_type: &str,
    name: &str,
    keys: Option<&[String]>,
) -> rusqlite::Result<()> {
    match keys {
        None => {
            conn.execute(
                "DELETE FROM tags WHERE instance_id = ?1 AND resource_type = ?2 AND name = ?3",
                params![instance_id, resource_type, name],
            )?;
        }
        Some(keys) => {
            let mut stmt = conn.prepare_cached(
                "DELETE FROM tags WHERE instance_id = ?1 AND resource_type = ?2 AND name = ?3 AND tag_key = ?4",
            )?;
            for key in keys {
                stmt.execute(params![instance_id, resource_type, name, key])?;
            }
        }
    }
    Ok(())
}

/// One resource's tags.
pub fn of(
    conn: &Connection,
    instance_id: &str,
    resource_type: &str,
    name: &str,
) -> rusqlite::Result<Tags> {
    let mut stmt = conn.prepare_cached(
        "SELECT tag_key, tag_value FROM tags WHERE instance_id = ?1 AND resource_type = ?2 AND name = ?3 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![instance_id, resource_type, name], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    rows.collect()
}

/// Every resource of a type in an instance: name → tags.
pub fn of_type(
    conn: &Connection,
    instance_id: &str,
    resource_type: &str,
) -> rusqlite::Result<HashMap<String, Tags>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, tag_key, tag_value FROM tags WHERE instance_id = ?1 AND resource_type = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![instance_id, resource_type], |r| {
        Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
    })?;
    let mut out: HashMap<String, Tags> = HashMap::new();
    for row in rows {
        let (name, key, value) = row?;
        out.entry(name).or_default().push((key, value));
    }
    Ok(out)
}
