//! The window of one (access key, region, endpoint, action), shared by the processes of
//! one machine through two small files in a per-user directory: no daemon to start.
//!
//! `<action>-<digest>.lock` is only ever locked (`flock`, through `fs4`): whoever holds it
//! reads `<action>-<digest>.json`, changes it and replaces it whole (write aside, rename),
//! so a process killed at any moment leaves either the old state or the new one. The state
//! holds the latest calls that left (who sent each, when, and when its answer came), the
//! processes waiting for their turn, and the adaptive rate. `<digest>` is an HMAC-SHA256 of
//! the key under a random salt kept in the directory: the files never hold the access key
//! (and never any secret), and do not let anyone tell which access key they belong to.
//!
//! What must not wedge the others:
//! - a process that dies while its call is in flight: entries carry the pid and the start
//!   time of their process; an entry whose process is gone counts as answered when that is
//!   seen (the service counted the call before the process died, or never will);
//! - a process that hangs (stopped, or in another pid namespace): an entry counts as
//!   answered at the latest when its sender's own request timeout (plus a second) has passed;
//! - a waiting process that dies or hangs: waiting processes refresh their place every
//!   [`POLL`]; one that has not for a second is passed over;
//! - a file from an earlier boot: its clock values mean nothing now, it is started afresh.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::adaptive::Adaptive;
use super::host::{self, ns, Liveness, Owner};
use super::{lock, RateLimit, Throttled, WINDOW_MARGIN};

/// How often a waiting process looks again (and shows it is still waiting).
pub const POLL: Duration = Duration::from_millis(100);
/// A waiting process that has not looked for this long is passed over...
const TICKET_STALE: Duration = Duration::from_secs(1);
/// ... and forgotten after this long.
const TICKET_FORGOTTEN: Duration = Duration::from_secs(10);
/// Added to the sender's request timeout before its unanswered call counts as answered.
const ANSWER_GRACE: Duration = Duration::from_secs(1);
/// How long to try for the lock before giving up on sharing (its holder is stuck).
const LOCK_PATIENCE: Duration = Duration::from_secs(2);
/// More entries than this are not kept (a rate of thousands per second needs no window).
const MAX_KEPT: usize = 4096;
const FORMAT: u32 = 1;
const SALT_FILE: &str = "salt";

/// Where the shared files live.
#[derive(Debug)]
pub struct SharedDir {
    path: PathBuf,
    salt: Vec<u8>,
}

/// The per-user default: `$XDG_RUNTIME_DIR/alikafka-rate-limits` (a tmpfs only its user can
/// enter, emptied at logout and reboot), else `alikafka-rate-limits-<uid>` in the temporary
/// directory.
pub fn default_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    match env("XDG_RUNTIME_DIR").filter(|d| Path::new(d).is_absolute()) {
        Some(runtime) => Path::new(&runtime).join("alikafka-rate-limits"),
        None => std::env::temp_dir().join(format!(
            "alikafka-rate-limits-{}",
            rustix::process::getuid().as_raw()
        )),
    }
}

impl SharedDir {
    /// Opens (creating it if needed, mode 0700) the directory. `strict` (the default
    /// directory, in a place others can write) also refuses one that is not ours or that
    /// others may enter: they could read or forge the state.
    pub fn open(path: &Path, strict: bool) -> io::Result<SharedDir> {
        host::boot_id()?;
        match std::fs::DirBuilder::new().mode(0o700).create(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound && !strict => {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(path)?;
            }
            Err(e) => return Err(e),
        }
        let meta = std::fs::symlink_metadata(path)?;
        if !meta.is_dir() {
            return Err(io::Error::other("not a directory"));
        }
        if strict {
            let uid = rustix::process::getuid().as_raw();
            if meta.uid() != uid {
                return Err(io::Error::other(format!(
                    "owned by uid {}, not by this user ({uid})",
                    meta.uid()
                )));
            }
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(io::Error::other(format!(
                    "mode {:o}: others may enter it",
                    meta.permissions().mode() & 0o777
                )));
            }
        }
        let salt = read_or_create_salt(path)?;
        Ok(SharedDir {
            path: path.to_path_buf(),
            salt,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `<action>-<32 hex digits>`: the action in clear (it is a public API name), the rest
    /// a salted one-way digest of the whole key.
    fn file_stem(&self, access_key_id: &str, region: &str, endpoint: &str, action: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.salt)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for part in [
            "alikafka-rate-limit-v1",
            access_key_id,
            region,
            endpoint,
            action,
        ] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        let digest = hex::encode(mac.finalize().into_bytes());
        let action: String = action
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(64)
            .collect();
        format!("{action}-{}", &digest[..32])
    }
}

/// 32 random bytes, written once per directory (aside, then linked into place: whoever
/// comes second reads the first one's).
fn read_or_create_salt(dir: &Path) -> io::Result<Vec<u8>> {
    let path = dir.join(SALT_FILE);
    let read = |path: &Path| -> io::Result<Vec<u8>> {
        let text = std::fs::read_to_string(path)?;
        hex::decode(text.trim())
            .ok()
            .filter(|salt| salt.len() >= 16)
            .ok_or_else(|| io::Error::other(format!("{} is not a salt", path.display())))
    };
    match read(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    let aside = dir.join(format!(
        "{SALT_FILE}.{}.{}",
        std::process::id(),
        host::now_ns()
    ));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&aside)?;
    let salt: [u8; 32] = rand::random();
    file.write_all(hex::encode(salt).as_bytes())?;
    drop(file);
    let linked = std::fs::hard_link(&aside, &path);
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => Ok(salt.to_vec()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read(&path),
        Err(e) => Err(e),
    }
}

/// The files of one key.
#[derive(Debug)]
pub struct SharedWindow {
    /// Held while the state is read and replaced. The std mutex keeps this process's
    /// threads apart: `flock` excludes other open files, not other threads of ours.
    lock: Mutex<File>,
    state: PathBuf,
    aside: PathBuf,
}

impl SharedWindow {
    pub fn open(
        dir: &SharedDir,
        access_key_id: &str,
        region: &str,
        endpoint: &str,
        action: &str,
    ) -> io::Result<SharedWindow> {
        let stem = dir.file_stem(access_key_id, region, endpoint, action);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(dir.path.join(format!("{stem}.lock")))?;
        Ok(SharedWindow {
            lock: Mutex::new(lock),
            state: dir.path.join(format!("{stem}.json")),
            aside: dir.path.join(format!("{stem}.json.new")),
        })
    }

    /// Runs `change` on the state under the lock, and writes the state back.
    pub fn update<R>(&self, change: impl FnOnce(&mut SharedState) -> R) -> io::Result<R> {
        let file = lock(&self.lock);
        let started = std::time::Instant::now();
        loop {
            match fs4::FileExt::try_lock(&*file) {
                Ok(()) => break,
                Err(fs4::TryLockError::WouldBlock) if started.elapsed() < LOCK_PATIENCE => {
                    // Holders keep it for microseconds: a short nap, not an async wait.
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the lock was held for more than 2 s",
                    ))
                }
                Err(fs4::TryLockError::Error(e)) => return Err(e),
            }
        }
        let result = self.locked_update(change);
        let unlocked = fs4::FileExt::unlock(&*file);
        let result = result?;
        unlocked?;
        Ok(result)
    }

    fn locked_update<R>(&self, change: impl FnOnce(&mut SharedState) -> R) -> io::Result<R> {
        let boot_id = host::boot_id()?;
        let mut state = match File::open(&self.state) {
            Ok(mut file) => {
                let mut text = String::new();
                file.read_to_string(&mut text)?;
                serde_json::from_str::<SharedState>(&text)
                    .ok()
                    .filter(|s| s.format == FORMAT && s.boot_id == boot_id)
                    .unwrap_or_else(|| SharedState::new(boot_id))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => SharedState::new(boot_id),
            Err(e) => return Err(e),
        };
        let result = change(&mut state);
        let text = serde_json::to_vec(&state).map_err(io::Error::other)?;
        let mut aside = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&self.aside)?;
        aside.write_all(&text)?;
        drop(aside);
        std::fs::rename(&self.aside, &self.state)?;
        Ok(result)
    }
}

/// One call that left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentEntry {
    pub id: u64,
    pub owner: Owner,
    pub sent_at: u64,
    /// Counts as answered then at the latest (the sender's request timeout has passed).
    pub expires_at: u64,
    pub answered_at: Option<u64>,
}

/// A process waiting for its turn (one per process: its other callers queue behind it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: u64,
    pub owner: Owner,
    pub seen_at: u64,
}

/// What the files hold. Times are nanoseconds on the machine clock of `boot_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedState {
    format: u32,
    boot_id: String,
    next_id: u64,
    /// How many of the latest calls are kept: the largest count any sharer's limit has.
    keep: usize,
    pub sent: VecDeque<SentEntry>,
    pub waiting: Vec<Ticket>,
    pub adaptive: Adaptive,
}

/// What a waiting process is to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// The call may leave now; it was entered as `id`.
    Taken { id: u64 },
    /// Look again at this moment (the window opens then).
    At(u64),
    /// A call is not answered yet: look again after a while.
    AwaitAnswer,
    /// Another process was waiting first.
    Behind,
}

impl SharedState {
    pub fn new(boot_id: String) -> SharedState {
        SharedState {
            format: FORMAT,
            boot_id,
            next_id: 1,
            keep: 0,
            sent: VecDeque::new(),
            waiting: Vec::new(),
            adaptive: Adaptive::default(),
        }
    }

    /// One look by `me` at `now`: recovers the slots of processes that ended, keeps `me`'s
    /// place in the queue (`ticket`), and takes a slot when the window and the queue allow.
    pub fn look(
        &mut self,
        me: Owner,
        now: u64,
        limit: RateLimit,
        answer_within: Duration,
        ticket: &mut Option<u64>,
        liveness: &dyn Fn(&Owner) -> Liveness,
    ) -> Look {
        self.recover(me, now, liveness);
        let stale = now.saturating_sub(ns(TICKET_STALE));
        let forgotten = now.saturating_sub(ns(TICKET_FORGOTTEN));
        self.waiting.retain(|t| {
            Some(t.id) == *ticket
                || (t.seen_at >= forgotten
                    && (t.owner == me || liveness(&t.owner) != Liveness::Dead))
        });
        let mine = match ticket.and_then(|id| self.waiting.iter_mut().find(|t| t.id == id)) {
            Some(t) => {
                t.seen_at = now;
                t.id
            }
            None => {
                let id = self.take_id();
                self.waiting.push(Ticket {
                    id,
                    owner: me,
                    seen_at: now,
                });
                *ticket = Some(id);
                id
            }
        };
        if self
            .waiting
            .iter()
            .any(|t| t.id < mine && t.seen_at >= stale)
        {
            return Look::Behind;
        }
        if let Some(until) = self.adaptive.held_until(now) {
            return Look::At(until);
        }
        let effective = self.adaptive.limit(limit, now);
        if let Some(index) = self.sent.len().checked_sub(effective.count) {
            match self.sent[index].answered_at {
                None => return Look::AwaitAnswer,
                Some(answered) => {
                    let free_at = answered + ns(effective.window + WINDOW_MARGIN);
                    if now < free_at {
                        return Look::At(free_at);
                    }
                }
            }
        }
        self.waiting.retain(|t| t.id != mine);
        *ticket = None;
        let id = self.take_id();
        self.sent.push_back(SentEntry {
            id,
            owner: me,
            sent_at: now,
            expires_at: now.saturating_add(ns(answer_within + ANSWER_GRACE)),
            answered_at: None,
        });
        self.keep = self.keep.max(limit.count).min(MAX_KEPT);
        while self.sent.len() > self.keep {
            self.sent.pop_front();
        }
        Look::Taken { id }
    }

    /// Unanswered calls of processes that ended count as answered now; those past their
    /// sender's timeout, as answered when it passed. Returns the pids recovered from.
    pub fn recover(
        &mut self,
        me: Owner,
        now: u64,
        liveness: &dyn Fn(&Owner) -> Liveness,
    ) -> Vec<u32> {
        let mut recovered = Vec::new();
        for entry in self.sent.iter_mut().filter(|e| e.answered_at.is_none()) {
            if entry.owner != me && liveness(&entry.owner) == Liveness::Dead {
                entry.answered_at = Some(now);
                recovered.push(entry.owner.pid);
                tracing::info!(
                    target: "alikafka::api::ratelimit",
                    pid = entry.owner.pid,
                    "a process sharing the rate limit ended during its call: its slot counts as answered now"
                );
            } else if now >= entry.expires_at {
                entry.answered_at = Some(entry.expires_at);
            }
        }
        recovered
    }

    /// The answer to call `id` came at `now`. Returns whether a throttled answer lowered
    /// the rate.
    pub fn record(&mut self, id: u64, now: u64, throttled: Option<Throttled>) -> bool {
        let Some(entry) = self.sent.iter_mut().rev().find(|e| e.id == id) else {
            return false;
        };
        // Later than a recovery guessed is the truth (and the safer side).
        entry.answered_at = Some(entry.answered_at.map_or(now, |a| a.max(now)));
        let sent_at = entry.sent_at;
        match throttled {
            Some(Throttled { retry_after }) => self.adaptive.throttled(sent_at, now, retry_after),
            None => false,
        }
    }

    pub fn forget_ticket(&mut self, id: u64) {
        self.waiting.retain(|t| t.id != id);
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

#[cfg(test)]
mod tests;
