//! What processes of one machine agree on: a clock, the identity of the boot, and who a
//! process is (so that one that died can be told from one still running).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Nanoseconds on a clock every process of this boot shares and that never goes back:
/// `CLOCK_BOOTTIME` (it also counts time suspended, as the service's window does).
#[cfg(target_os = "linux")]
pub fn now_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(t.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

/// Elsewhere, a clock of this process only (sharing across processes is Linux-only).
#[cfg(not(target_os = "linux"))]
pub fn now_ns() -> u64 {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX) + 1
}

pub fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The running kernel's boot: clock values written under another boot mean nothing now.
#[cfg(target_os = "linux")]
pub fn boot_id() -> std::io::Result<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")?;
    Ok(id.trim().to_owned())
}

#[cfg(not(target_os = "linux"))]
pub fn boot_id() -> std::io::Result<String> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "sharing rate limits across processes needs Linux",
    ))
}

/// A process, told apart from a later one that reuses its pid by its start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub pid: u32,
    /// Clock ticks after boot at which the process started (`/proc/<pid>/stat`, field 22).
    pub started: u64,
    /// The pid namespace the pid belongs to: a pid from another one says nothing here.
    pub pid_ns: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    Dead,
    /// Another pid namespace: only time can tell.
    Unknown,
}

/// This process.
pub fn me() -> Owner {
    use std::sync::OnceLock;
    static ME: OnceLock<Owner> = OnceLock::new();
    *ME.get_or_init(|| {
        let pid = std::process::id();
        Owner {
            pid,
            started: process_start(pid).map_or(0, |(started, _)| started),
            pid_ns: pid_namespace(),
        }
    })
}

/// Whether `owner` is still running. A zombie has ended (its calls too), whoever has yet
/// to reap it.
pub fn liveness(owner: &Owner) -> Liveness {
    if owner.pid_ns != me().pid_ns {
        return Liveness::Unknown;
    }
    match process_start(owner.pid) {
        Some((started, state)) if started == owner.started && !matches!(state, 'Z' | 'X') => {
            Liveness::Alive
        }
        _ => Liveness::Dead,
    }
}

/// Start time and state of a process, from `/proc/<pid>/stat`. Hand-parsed: two fields
/// do not justify a /proc crate. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted from the last `)`.
fn process_start(pid: u32) -> Option<(u64, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

fn parse_stat(stat: &str) -> Option<(u64, char)> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // Field 3 is the state; field 22 the start time: the 20th after the name.
    let state = fields.next()?.chars().next()?;
    let started = fields.nth(18)?.parse().ok()?;
    Some((started, state))
}

/// The inode of this process's pid namespace (`/proc/self/ns/pid` reads `pid:[N]`).
fn pid_namespace() -> u64 {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .and_then(|link| {
            let text = link.to_string_lossy().into_owned();
            text.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        let tail = "S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 20 21";
        assert_eq!(
            parse_stat(&format!("123 (terraform-prov) {tail}")),
            Some((4242, 'S'))
        );
        assert_eq!(
            parse_stat(&format!("123 (a) b (c)) {tail}")),
            Some((4242, 'S'))
        );
        assert_eq!(parse_stat("123 (short) S 1 2"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_alive_and_a_finished_one_is_not() {
        assert_eq!(liveness(&me()), Liveness::Alive);
        assert!(me().started > 0);
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id();
        let started = process_start(pid).map_or(0, |(s, _)| s);
        child.wait().expect("wait");
        let gone = Owner {
            pid,
            started,
            pid_ns: me().pid_ns,
        };
        assert_eq!(liveness(&gone), Liveness::Dead);
        // A live pid with another start time is a different process.
        let reused = Owner {
            started: me().started + 1,
            ..me()
        };
        assert_eq!(liveness(&reused), Liveness::Dead);
        let elsewhere = Owner {
            pid_ns: me().pid_ns + 1,
            ..gone
        };
        assert_eq!(liveness(&elsewhere), Liveness::Unknown);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_clock_is_shared_and_the_boot_is_known() {
        let a = now_ns();
        let b = now_ns();
        assert!(b >= a && a > 0);
        let id = boot_id().expect("boot id");
        assert_eq!(id.len(), 36, "{id}");
    }
}
