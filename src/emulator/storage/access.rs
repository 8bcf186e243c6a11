//! Access objects per instance: SASL users, ACLs and IP allowlist entries. Each row has the
//! topics' visibility rules: visible while `visible_at_ms <= now < gone_at_ms`; a deleted
//! row (`deleted_at_ms` set) stays until it is gone but no longer counts as existing.

use rusqlite::{params, Connection, OptionalExtension, Row};

const VISIBLE: &str = "visible_at_ms <= ?2 AND (gone_at_ms IS NULL OR gone_at_ms > ?2)";

/// A SASL user. The password is kept as given: DescribeSaslUsers answers it.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub username: String,
    pub user_type: String,
    pub password: String,
    pub visible: bool,
    pub deleted: bool,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("username", &self.username)
            .field("user_type", &self.user_type)
            .field("password", &"***")
            .finish_non_exhaustive()
    }
}

/// The live (not deleted) user of that name and type, if any: its row id.
pub fn live_user(
    conn: &Connection,
    instance_id: &str,
    username: &str,
    user_type: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT id FROM sasl_users WHERE instance_id = ?1 AND username = ?2 AND user_type = ?3 AND deleted_at_ms IS NULL",
        params![instance_id, username, user_type],
        |r| r.get(0),
    )
    .optional()
}

/// Creates the user, or sets its password. A deleted user not yet gone comes back (it
/// never stopped being listed).
pub fn put_user(
    conn: &Connection,
    instance_id: &str,
    username: &str,
    user_type: &str,
    password: &str,
    now_ms: i64,
    visible_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sasl_users (instance_id, username, user_type, password, create_time_ms, visible_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (instance_id, username, user_type) DO UPDATE SET
           password = excluded.password, deleted_at_ms = NULL, gone_at_ms = NULL",
        params![instance_id, username, user_type, password, now_ms, visible_at_ms],
    )?;
    Ok(())
}

pub fn delete_user(
    conn: &Connection,
    id: i64,
    now_ms: i64,
    gone_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sasl_users SET deleted_at_ms = ?2, gone_at_ms = ?3 WHERE id = ?1",
        params![id, now_ms, gone_at_ms],
    )?;
    Ok(())
}

/// Users of an instance, creation order; `visible_only` for the API's answers.
pub fn users(
    conn: &Connection,
    instance_id: &str,
    now_ms: i64,
    visible_only: bool,
) -> rusqlite::Result<Vec<UserRecord>> {
    let filter = if visible_only {
        VISIBLE
    } else {
        "(gone_at_ms IS NULL OR gone_at_ms > ?2)"
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT username, user_type, password, {VISIBLE}, deleted_at_ms IS NOT NULL FROM sasl_users
         WHERE instance_id = ?1 AND {filter} ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![instance_id, now_ms], |r| {
        Ok(UserRecord {
            username: r.get(0)?,
            user_type: r.get(1)?,
            password: r.get(2)?,
            visible: r.get(3)?,
            deleted: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// Every field of one ACL, spelled as the API answers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    pub username: String,
    pub resource_type: String,
    pub resource_name: String,
    pub pattern_type: String,
    pub operation_type: String,
    pub permission_type: String,
    pub host: String,
}

/// An ACL row with its visibility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclRecord {
    pub acl: Acl,
    pub visible: bool,
    pub deleted: bool,
}

const ACL_MATCH: &str =
    "instance_id = ?1 AND username = ?2 AND resource_type = ?3 AND resource_name = ?4
    AND pattern_type = ?5 AND operation_type = ?6 AND permission_type = ?7 AND host = ?8";

/// The live ACL with exactly these fields: its row id.
pub fn live_acl(conn: &Connection, instance_id: &str, acl: &Acl) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        &format!("SELECT id FROM acls WHERE {ACL_MATCH} AND deleted_at_ms IS NULL"),
        params![
            instance_id,
            acl.username,
            acl.resource_type,
            acl.resource_name,
            acl.pattern_type,
            acl.operation_type,
            acl.permission_type,
            acl.host
        ],
        |r| r.get(0),
    )
    .optional()
}

pub fn insert_acl(
    conn: &Connection,
    instance_id: &str,
    acl: &Acl,
    now_ms: i64,
    visible_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO acls (instance_id, username, resource_type, resource_name, pattern_type, operation_type,
                           permission_type, host, create_time_ms, visible_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            instance_id,
            acl.username,
            acl.resource_type,
            acl.resource_name,
            acl.pattern_type,
            acl.operation_type,
            acl.permission_type,
            acl.host,
            now_ms,
            visible_at_ms
        ],
    )?;
    Ok(())
}

pub fn delete_acl(
    conn: &Connection,
    id: i64,
    now_ms: i64,
    gone_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE acls SET deleted_at_ms = ?2, gone_at_ms = ?3 WHERE id = ?1",
        params![id, now_ms, gone_at_ms],
    )?;
    Ok(())
}

fn acl_from_row(r: &Row<'_>) -> rusqlite::Result<AclRecord> {
    Ok(AclRecord {
        acl: Acl {
            username: r.get(0)?,
            resource_type: r.get(1)?,
            resource_name: r.get(2)?,
            pattern_type: r.get(3)?,
            operation_type: r.get(4)?,
            permission_type: r.get(5)?,
            host: r.get(6)?,
        },
        visible: r.get(7)?,
        deleted: r.get(8)?,
    })
}

const ACL_COLUMNS: &str =
    "username, resource_type, resource_name, pattern_type, operation_type, permission_type, host";

/// Visible ACLs of one user on one resource name (both matched literally).
pub fn visible_acls_of(
    conn: &Connection,
    instance_id: &str,
    now_ms: i64,
    username: &str,
    resource_type: &str,
    resource_name: &str,
) -> rusqlite::Result<Vec<Acl>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACL_COLUMNS}, 1, 0 FROM acls WHERE instance_id = ?1 AND {VISIBLE}
           AND username = ?3 AND resource_type = ?4 AND resource_name = ?5 ORDER BY id"
    ))?;
    let rows = stmt.query_map(
        params![instance_id, now_ms, username, resource_type, resource_name],
        acl_from_row,
    )?;
    rows.map(|r| r.map(|rec| rec.acl)).collect()
}

/// Every ACL of an instance not yet gone (control API).
pub fn all_acls(
    conn: &Connection,
    instance_id: &str,
    now_ms: i64,
) -> rusqlite::Result<Vec<AclRecord>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ACL_COLUMNS}, {VISIBLE}, deleted_at_ms IS NOT NULL FROM acls
         WHERE instance_id = ?1 AND (gone_at_ms IS NULL OR gone_at_ms > ?2) ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![instance_id, now_ms], acl_from_row)?;
    rows.collect()
}

/// One allowlist entry as stored: possibly several comma-separated addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedIpRecord {
    pub id: i64,
    pub list_type: String,
    pub port_range: String,
    pub entry: String,
    pub description: String,
    pub visible: bool,
    pub deleted: bool,
}

impl AllowedIpRecord {
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.entry
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
    }
}

/// Entries of an instance not yet gone, creation order.
pub fn allowed_ips(
    conn: &Connection,
    instance_id: &str,
    now_ms: i64,
) -> rusqlite::Result<Vec<AllowedIpRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, list_type, port_range, entry, description, {VISIBLE}, deleted_at_ms IS NOT NULL
         FROM allowed_ips WHERE instance_id = ?1 AND (gone_at_ms IS NULL OR gone_at_ms > ?2) ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![instance_id, now_ms], |r| {
        Ok(AllowedIpRecord {
            id: r.get(0)?,
            list_type: r.get(1)?,
            port_range: r.get(2)?,
            entry: r.get(3)?,
            description: r.get(4)?,
            visible: r.get(5)?,
            deleted: r.get(6)?,
        })
    })?;
    rows.collect()
}

#[allow(clippy::too_many_arguments)]
pub fn insert_allowed_ip(
    conn: &Connection,
    instance_id: &str,
    list_type: &str,
    port_range: &str,
    entry: &str,
    description: &str,
    now_ms: i64,
    visible_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO allowed_ips (instance_id, list_type, port_range, entry, description, create_time_ms, visible_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![instance_id, list_type, port_range, entry, description, now_ms, visible_at_ms],
    )?;
    Ok(())
}

pub fn delete_allowed_ip(
    conn: &Connection,
    id: i64,
    now_ms: i64,
    gone_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE allowed_ips SET deleted_at_ms = ?2, gone_at_ms = ?3 WHERE id = ?1",
        params![id, now_ms, gone_at_ms],
    )?;
    Ok(())
}
