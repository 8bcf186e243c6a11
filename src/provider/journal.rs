//! A journal of creations in flight, on disk in Terraform's data directory.
//!
//! If the provider dies (SIGKILL, OOM, power) after the service created an object but
//! before Terraform heard of it, the next apply finds it existing: the service answers the
//! create "already exists" (topics, groups), or the look the provider takes first shows it
//! (SASL users, ACLs and allowlist entries, whose creates succeed on an existing object).
//! Without more to go on, the provider must then assume someone else's object and ask
//! for an import. An entry written before each create tells the next run that an earlier
//! run of this working directory sent that very create: the existing object then counts as
//! a create whose answer was lost, and it is adopted when it matches the configuration.
//! The entry is removed once a refresh reads the object from a state (Terraform has it),
//! when the object is deleted, or when its create surely made nothing; not when the create
//! returns, for the provider may die before its answer reaches Terraform, and a create
//! that failed not knowing whether the object was made may be followed by the object.
//!
//! Best effort: when the directory cannot be written, creates go on without a journal
//! (and a dead provider's objects need an import, as without one).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Entries older than this are ignored: by then the object may be anyone's.
pub const MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
/// Below Terraform's data directory (`TF_DATA_DIR`, default `.terraform`).
const SUBDIRECTORY: &str = "alikafka-pending-creates";

/// What kind of object an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Topic,
    ConsumerGroup,
    SaslUser,
    Acl,
    AllowedIp,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Topic => "topic",
            Kind::ConsumerGroup => "group",
            Kind::SaslUser => "sasl-user",
            Kind::Acl => "acl",
            Kind::AllowedIp => "allowed-ip",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    kind: String,
    instance_id: String,
    name: String,
    /// Seconds since the Unix epoch.
    started_at: u64,
}

pub struct Journal {
    dir: Option<PathBuf>,
    /// Keys of creates this process has in flight: their entries are not leftovers.
    in_flight: Mutex<HashSet<String>>,
}

impl Journal {
    /// The journal of the working directory Terraform started us in.
    pub fn for_working_directory() -> Journal {
        let data_dir = std::env::var_os("TF_DATA_DIR")
            .filter(|d| !d.is_empty())
            .map_or_else(|| PathBuf::from(".terraform"), PathBuf::from);
        Journal::at(data_dir.join(SUBDIRECTORY))
    }

    pub fn at(dir: impl Into<PathBuf>) -> Journal {
        Journal {
            dir: Some(dir.into()),
            in_flight: Mutex::default(),
        }
    }

    /// A journal that records nothing.
    pub fn disabled() -> Journal {
        Journal {
            dir: None,
            in_flight: Mutex::default(),
        }
    }

    /// Records that a create of `name` is about to be sent. Returns whether an earlier
    /// process left an entry for it (its create may have been carried out unreported).
    pub fn begin(&self, kind: Kind, instance_id: &str, name: &str) -> bool {
        let Some(dir) = &self.dir else {
            return false;
        };
        let key = key(kind, instance_id, name);
        let mine = !self.lock().insert(key.clone());
        let path = dir.join(&key);
        let leftover = !mine && read_entry(&path, kind, instance_id, name);
        let entry = Entry {
            kind: kind.as_str().to_string(),
            instance_id: instance_id.to_string(),
            name: name.to_string(),
            started_at: now_secs(),
        };
        if let Err(e) = write_entry(dir, &path, &entry) {
            tracing::debug!(error = %e, dir = %dir.display(), "cannot write the creation journal");
        }
        leftover
    }

    /// Forgets the create of `name`: Terraform has the object, it is deleted, or its
    /// create made nothing.
    pub fn finish(&self, kind: Kind, instance_id: &str, name: &str) {
        let Some(dir) = &self.dir else {
            return;
        };
        let key = key(kind, instance_id, name);
        self.lock().remove(&key);
        if let Err(e) = std::fs::remove_file(dir.join(&key)) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::debug!(error = %e, "cannot clear a creation journal entry");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A file name for the object: a hash, so that no name can escape the directory.
fn key(kind: Kind, instance_id: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{instance_id}\0{name}").as_bytes());
    format!("{}-{}.json", kind.as_str(), &hex::encode(digest)[..32])
}

/// Whether `path` holds a recent entry for exactly this object.
fn read_entry(path: &Path, kind: Kind, instance_id: &str, name: &str) -> bool {
    let Ok(text) = std::fs::read(path) else {
        return false;
    };
    let Ok(entry) = serde_json::from_slice::<Entry>(&text) else {
        return false;
    };
    let age = now_secs().saturating_sub(entry.started_at);
    entry.kind == kind.as_str()
        && entry.instance_id == instance_id
        && entry.name == name
        && age <= MAX_AGE.as_secs()
}

/// Writes through a temporary file and a rename, so a crash leaves no half entry.
fn write_entry(dir: &Path, path: &Path, entry: &Entry) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    let body = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    std::fs::write(&temp, body)?;
    std::fs::rename(&temp, path)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_left_by_a_dead_process_is_seen_once() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("j");
        // A process begins and dies without finishing.
        assert!(!Journal::at(&path).begin(Kind::Topic, "i-1", "orders"));
        // The next process sees the leftover, for exactly that object.
        let next = Journal::at(&path);
        assert!(!next.begin(Kind::Topic, "i-1", "other"));
        assert!(!next.begin(Kind::ConsumerGroup, "i-1", "orders"));
        assert!(!next.begin(Kind::Topic, "i-2", "orders"));
        assert!(next.begin(Kind::Topic, "i-1", "orders"));
        next.finish(Kind::Topic, "i-1", "orders");
        assert!(!Journal::at(&path).begin(Kind::Topic, "i-1", "orders"));
    }

    #[test]
    fn creates_of_this_process_are_not_leftovers() {
        let dir = tempfile::tempdir().expect("dir");
        let journal = Journal::at(dir.path());
        assert!(!journal.begin(Kind::Topic, "i-1", "orders"));
        // The same name again while the first is in flight (two resources, one name).
        assert!(!journal.begin(Kind::Topic, "i-1", "orders"));
        journal.finish(Kind::Topic, "i-1", "orders");
        assert!(!journal.begin(Kind::Topic, "i-1", "orders"));
    }

    #[test]
    fn old_or_foreign_entries_are_ignored() {
        let dir = tempfile::tempdir().expect("dir");
        let key = key(Kind::Topic, "i-1", "orders");
        let old = Entry {
            kind: "topic".into(),
            instance_id: "i-1".into(),
            name: "orders".into(),
            started_at: now_secs() - MAX_AGE.as_secs() - 10,
        };
        write_entry(dir.path(), &dir.path().join(&key), &old).expect("write");
        assert!(!Journal::at(dir.path()).begin(Kind::Topic, "i-1", "orders"));
        std::fs::write(dir.path().join(&key), b"not json").expect("write");
        assert!(!Journal::at(dir.path()).begin(Kind::Topic, "i-1", "orders"));
    }

    #[test]
    fn an_unwritable_directory_or_none_is_harmless() {
        let file = tempfile::NamedTempFile::new().expect("file");
        // A directory below a regular file cannot be created.
        let journal = Journal::at(file.path().join("sub"));
        assert!(!journal.begin(Kind::Topic, "i-1", "orders"));
        journal.finish(Kind::Topic, "i-1", "orders");
        let off = Journal::disabled();
        assert!(!off.begin(Kind::Topic, "i-1", "orders"));
        off.finish(Kind::Topic, "i-1", "orders");
    }

    #[test]
    fn keys_cannot_escape_the_directory() {
        let k = key(Kind::Topic, "../../etc", "/passwd");
        assert!(k.starts_with("topic-") && k.ends_with(".json"));
        assert!(!k.contains('/') && !k.contains(".."));
    }
}
