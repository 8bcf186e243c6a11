use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use super::*;
use crate::api::ratelimit::{limiter_for, open_sharing, RateLimitSharing, Throttled};

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;
const WITHIN: Duration = Duration::from_secs(10);

fn owner(pid: u32) -> Owner {
    Owner {
        pid,
        started: 1000 + u64::from(pid),
        pid_ns: 7,
    }
}

fn per_second(rate: f64) -> RateLimit {
    RateLimit::per_second(rate).expect("rate")
}

fn alive(_: &Owner) -> Liveness {
    Liveness::Alive
}

/// One look by `who` at `now`, everyone alive, leaving no place in the queue behind.
fn look(state: &mut SharedState, who: Owner, now: u64, limit: RateLimit) -> Look {
    let mut ticket = None;
    let look = state.look(who, now, limit, WITHIN, &mut ticket, &alive);
    if let Some(id) = ticket {
        state.forget_ticket(id);
    }
    look
}

fn taken(look: Look) -> u64 {
    match look {
        Look::Taken { id } => id,
        other => panic!("expected a slot, got {other:?}"),
    }
}

#[test]
fn processes_burst_as_the_window_allows_and_the_next_waits_for_an_answer() {
    let mut state = SharedState::new("boot".into());
    let limit = per_second(3.0);
    let (a, b) = (owner(10), owner(20));
    let t0 = 50 * S;
    let first = taken(look(&mut state, a, t0, limit));
    taken(look(&mut state, b, t0 + MS, limit));
    taken(look(&mut state, a, t0 + 2 * MS, limit));
    // The fourth waits for the answer to the first, then a window (+ margin) after it.
    assert_eq!(look(&mut state, b, t0 + 3 * MS, limit), Look::AwaitAnswer);
    state.record(first, t0 + 200 * MS, None);
    let free_at = t0 + 200 * MS + S + 10 * MS;
    assert_eq!(look(&mut state, b, t0 + 201 * MS, limit), Look::At(free_at));
    taken(look(&mut state, b, free_at, limit));
}

/// Dead-owner recovery, deterministically: the slot of a process that ended during its
/// call counts as answered when that is seen, and the next call leaves a window later.
#[test]
fn a_dead_owners_slot_counts_as_answered_when_its_death_is_seen() {
    let mut state = SharedState::new("boot".into());
    let limit = per_second(1.0);
    let (killed, other) = (owner(10), owner(20));
    let t0 = 50 * S;
    taken(look(&mut state, killed, t0, limit));
    let mut ticket = None;
    let dead = |o: &Owner| {
        if *o == killed {
            Liveness::Dead
        } else {
            Liveness::Alive
        }
    };
    // While the sender lives, its call is in flight however long it takes.
    assert_eq!(
        state.look(other, t0 + 5 * S, limit, WITHIN, &mut ticket, &alive),
        Look::AwaitAnswer
    );
    // Seen dead at t0 + 6 s: answered then, free a window later.
    let seen = t0 + 6 * S;
    assert_eq!(
        state.look(other, seen, limit, WITHIN, &mut ticket, &dead),
        Look::At(seen + S + 10 * MS)
    );
    assert_eq!(state.sent[0].answered_at, Some(seen));
    let id = taken(state.look(other, seen + S + 10 * MS, limit, WITHIN, &mut ticket, &dead));
    assert!(state.sent.iter().any(|e| e.id == id && e.owner == other));
    assert!(ticket.is_none(), "the place in the queue is given up");
}

#[test]
fn a_hung_owners_slot_counts_as_answered_once_its_timeout_has_passed() {
    let mut state = SharedState::new("boot".into());
    let limit = per_second(1.0);
    let (hung, other) = (owner(10), owner(20));
    let t0 = 50 * S;
    let id = taken(look(&mut state, hung, t0, limit));
    let unknown = |_: &Owner| Liveness::Unknown;
    let mut ticket = None;
    let expiry = t0 + ns(WITHIN + ANSWER_GRACE);
    assert_eq!(
        state.look(other, expiry - 1, limit, WITHIN, &mut ticket, &unknown),
        Look::AwaitAnswer
    );
    assert_eq!(
        state.look(other, expiry + 1, limit, WITHIN, &mut ticket, &unknown),
        Look::At(expiry + S + 10 * MS)
    );
    // Its real answer, later still, is the truth from then on.
    state.record(id, expiry + 2 * S, None);
    assert_eq!(state.sent[0].answered_at, Some(expiry + 2 * S));
}

#[test]
fn processes_take_turns_in_the_order_they_came_and_the_gone_are_passed_over() {
    let mut state = SharedState::new("boot".into());
    let limit = per_second(1.0);
    let (a, b, c) = (owner(10), owner(20), owner(30));
    let t0 = 50 * S;
    let first = taken(look(&mut state, a, t0, limit));
    state.record(first, t0 + 5 * MS, None);
    let (mut ticket_b, mut ticket_c) = (None, None);
    let free_at = t0 + 5 * MS + S + 10 * MS;
    // b came first, then c: at the free moment c is behind b, b goes.
    assert_eq!(
        state.look(b, t0 + 10 * MS, limit, WITHIN, &mut ticket_b, &alive),
        Look::At(free_at)
    );
    assert_eq!(
        state.look(c, t0 + 20 * MS, limit, WITHIN, &mut ticket_c, &alive),
        Look::Behind
    );
    // b keeps its place by looking again (as waiting processes do every poll).
    assert_eq!(
        state.look(b, free_at - 50 * MS, limit, WITHIN, &mut ticket_b, &alive),
        Look::At(free_at)
    );
    assert_eq!(
        state.look(c, free_at, limit, WITHIN, &mut ticket_c, &alive),
        Look::Behind
    );
    let id = taken(state.look(b, free_at, limit, WITHIN, &mut ticket_b, &alive));
    state.record(id, free_at + 5 * MS, None);
    // b waits again: behind c now.
    let mut ticket_b = None;
    state.look(b, free_at + MS, limit, WITHIN, &mut ticket_b, &alive);
    assert_eq!(
        state
            .waiting
            .iter()
            .map(|t| t.owner.pid)
            .collect::<Vec<_>>(),
        [30, 20]
    );
    // c stops looking (hung): after a second b passes it over; c's death removes it.
    let later = free_at + 3 * S;
    taken(state.look(b, later, limit, WITHIN, &mut ticket_b, &alive));
    assert!(state.waiting.iter().any(|t| t.owner == c));
    let c_dead = |o: &Owner| {
        if *o == c {
            Liveness::Dead
        } else {
            Liveness::Alive
        }
    };
    let mut ticket_a = None;
    state.look(a, later + MS, limit, WITHIN, &mut ticket_a, &c_dead);
    assert!(state.waiting.iter().all(|t| t.owner != c));
    // A dropped waiter gives its place up.
    state.forget_ticket(ticket_a.expect("a waits"));
    assert!(state.waiting.is_empty());
}

#[test]
fn a_throttled_answer_lowers_the_rate_for_every_sharer() {
    let mut state = SharedState::new("boot".into());
    let limit = per_second(3.0);
    let t0 = 50 * S;
    let id = taken(look(&mut state, owner(10), t0, limit));
    assert!(state.record(
        id,
        t0 + 10 * MS,
        Some(Throttled {
            retry_after: Some(Duration::from_millis(500))
        })
    ));
    // Held back by the service's hint, then at 1.5/s: one per 0.667 s, timed from the
    // throttled answer.
    let other = owner(20);
    assert_eq!(
        look(&mut state, other, t0 + 20 * MS, limit),
        Look::At(t0 + 510 * MS)
    );
    let window = state.adaptive.limit(limit, t0 + 510 * MS).window;
    assert_eq!(state.adaptive.limit(limit, t0 + 510 * MS).count, 1);
    let free_at = t0 + 10 * MS + ns(window) + 10 * MS;
    assert_eq!(
        look(&mut state, other, t0 + 510 * MS, limit),
        Look::At(free_at)
    );
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn the_files_hold_no_access_key_and_only_their_user_may_read_them() {
    let dir = temp_dir();
    let path = dir.path().join("limits");
    let shared = SharedDir::open(&path, true).expect("open");
    let access_key = "LTAI5tVerySpecificKeyId";
    let window = SharedWindow::open(
        &shared,
        access_key,
        "cn-hangzhou",
        "https://alikafka.cn-hangzhou.aliyuncs.com/",
        "CreateTopic",
    )
    .expect("window");
    window
        .update(|s| look(s, host::me(), host::now_ns(), per_second(1.0)))
        .expect("update");
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o700);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&path).expect("list") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).expect("read");
        for needle in [access_key, "LTAI", "cn-hangzhou", "aliyuncs"] {
            assert!(!name.contains(needle), "{name}");
            assert!(!text.contains(needle), "{name}: {text}");
        }
        assert_eq!(mode(&entry.path()), 0o600, "{name}");
        names.push(name);
    }
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[2], "salt");
    assert!(names[0].starts_with("CreateTopic-") && names[0].ends_with(".json"));
    assert!(names[1].ends_with(".lock"));
    // The same key under another salt (another directory) has another name.
    let elsewhere = SharedDir::open(&dir.path().join("other"), true).expect("open");
    let stem = |d: &SharedDir| d.file_stem(access_key, "cn-hangzhou", "e", "CreateTopic");
    assert_ne!(stem(&shared), stem(&elsewhere));
    assert_eq!(
        stem(&shared),
        stem(&SharedDir::open(&path, true).expect("again"))
    );
}

#[test]
fn a_default_directory_others_may_enter_or_own_is_refused() {
    let dir = temp_dir();
    let open = dir.path().join("open");
    std::fs::create_dir(&open).expect("mkdir");
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let refused = SharedDir::open(&open, true).expect_err("world-writable");
    assert!(
        refused.to_string().contains("others may enter"),
        "{refused}"
    );
    // A directory the user chose is theirs to decide on.
    SharedDir::open(&open, false).expect("chosen");
    // A chosen one is created with its parents; the default one's parent must exist.
    let deep = dir.path().join("a/b/c");
    assert!(SharedDir::open(&deep, true).is_err());
    SharedDir::open(&deep, false).expect("created with parents");
    let file = dir.path().join("file");
    std::fs::write(&file, "x").expect("write");
    assert!(SharedDir::open(&file, false).is_err());
}

#[test]
fn a_state_from_another_boot_or_a_broken_one_is_started_afresh() {
    let dir = temp_dir();
    let shared = SharedDir::open(dir.path(), false).expect("open");
    let window = SharedWindow::open(&shared, "ak", "r", "e", "GetTopicList").expect("window");
    let limit = per_second(1.0);
    // An unanswered call of a process of this boot holds the window.
    window
        .update(|s| taken(look(s, owner(10), host::now_ns(), limit)))
        .expect("take");
    let held = window
        .update(|s| look(s, owner(20), host::now_ns(), limit))
        .expect("look");
    assert_eq!(held, Look::AwaitAnswer);
    // The same state written under another boot: nothing of it holds.
    let text = std::fs::read_to_string(&window.state).expect("read");
    let boot = host::boot_id().expect("boot id");
    std::fs::write(&window.state, text.replace(&boot, "an-earlier-boot")).expect("write");
    let fresh = window
        .update(|s| look(s, owner(20), host::now_ns(), limit))
        .expect("look");
    assert!(matches!(fresh, Look::Taken { .. }), "{fresh:?}");
    std::fs::write(&window.state, "{ not json").expect("write");
    let fresh = window
        .update(|s| {
            assert!(s.sent.is_empty());
            look(s, owner(20), host::now_ns(), limit)
        })
        .expect("look");
    assert!(matches!(fresh, Look::Taken { .. }));
}

// --- several OS processes: the test binary runs itself as the other processes ---

const CHILD_ROLE: &str = "ALIKAFKA_TEST_LIMITER_CHILD";
const CHILD_DIR: &str = "ALIKAFKA_TEST_LIMITER_DIR";

fn spawn_self(test: &str, role: &str, dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ROLE, role)
        .env(CHILD_DIR, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the test binary")
}

fn shared_limiter(dir: &Path, action: &str) -> Arc<crate::api::ratelimit::WindowLimiter> {
    let sharing = RateLimitSharing::Directory {
        path: dir.to_path_buf(),
        chosen: true,
    };
    let opened = open_sharing(&sharing).expect("sharing directory");
    assert!(opened.is_some());
    limiter_for(
        "ak",
        "cn-hangzhou",
        "http://127.0.0.1:1/",
        action,
        opened.as_ref(),
    )
}

const BURST_LIMIT: RateLimit = RateLimit {
    count: 2,
    window: Duration::from_millis(300),
};
const PROCESSES: usize = 4;
const CALLS_PER_PROCESS: usize = 6;

/// The promise across processes: whatever the delays on either leg, a server counting
/// each call between its sending and its answer never sees more than the limit in a
/// window; and the processes, together, go no slower than the limit requires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_sharing_a_directory_never_exceed_the_limit() {
    let action = "SharedWindowTest";
    if let Some(dir) =
        std::env::var_os(CHILD_DIR).filter(|_| std::env::var_os(CHILD_ROLE).is_some())
    {
        let limiter = shared_limiter(Path::new(&dir), action);
        let calls: Vec<_> = (0..CALLS_PER_PROCESS)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    let permit = limiter
                        .acquire(BURST_LIMIT, None, WITHIN)
                        .await
                        .expect("permit");
                    let (to_server, to_us) = {
                        use rand::Rng;
                        let mut rng = rand::thread_rng();
                        (rng.gen_range(0..40u64), rng.gen_range(0..40u64))
                    };
                    tokio::time::sleep(Duration::from_millis(to_server)).await;
                    let counted = host::now_ns();
                    tokio::time::sleep(Duration::from_millis(to_us)).await;
                    permit.answered(None);
                    counted
                })
            })
            .collect();
        let mut counted = Vec::new();
        for call in calls {
            counted.push(call.await.expect("joined"));
        }
        let lines: Vec<String> = counted.iter().map(u64::to_string).collect();
        std::fs::write(
            Path::new(&dir).join(format!("counted.{}", std::process::id())),
            lines.join("\n"),
        )
        .expect("write counted");
        return;
    }
    let dir = temp_dir();
    let test =
        "api::ratelimit::shared::tests::processes_sharing_a_directory_never_exceed_the_limit";
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| spawn_self(test, "burst", dir.path()))
        .collect();
    for mut child in children {
        assert!(child.wait().expect("wait").success(), "a child failed");
    }
    let mut counted: Vec<(u64, String)> = Vec::new();
    for entry in std::fs::read_dir(dir.path()).expect("list") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("counted.") {
            let text = std::fs::read_to_string(entry.path()).expect("read");
            counted.extend(
                text.lines()
                    .map(|l| (l.parse::<u64>().expect("a time"), pid.to_owned())),
            );
        }
    }
    assert_eq!(counted.len(), PROCESSES * CALLS_PER_PROCESS);
    counted.sort();
    let window = ns(BURST_LIMIT.window);
    for (j, (end, _)) in counted.iter().enumerate() {
        let in_window = counted[..=j]
            .iter()
            .filter(|(t, _)| end - t < window)
            .count();
        assert!(
            in_window <= BURST_LIMIT.count,
            "{in_window} calls in one window: {counted:?}"
        );
    }
    // They shared the budget (took turns) rather than each using it whole: the span is
    // at least what the limit allows for all the calls together.
    let span = counted[counted.len() - 1].0 - counted[0].0;
    let windows = (PROCESSES * CALLS_PER_PROCESS / BURST_LIMIT.count - 1) as u64;
    assert!(span >= windows * window, "{span} ns for {windows} windows");
}

/// A process killed while its call is in flight delays the others by about a window
/// after its death is seen, not until its request timeout.
#[tokio::test]
async fn a_process_killed_holding_a_slot_delays_the_others_about_a_window() {
    let action = "KilledHolderTest";
    let limit = per_second(1.0);
    let long = Duration::from_secs(60);
    if let Some(dir) =
        std::env::var_os(CHILD_DIR).filter(|_| std::env::var_os(CHILD_ROLE).is_some())
    {
        let limiter = shared_limiter(Path::new(&dir), action);
        let _permit = limiter.acquire(limit, None, long).await.expect("permit");
        println!("holding");
        // Never answered: the parent kills this process first.
        tokio::time::sleep(long).await;
        return;
    }
    let dir = temp_dir();
    let test = "api::ratelimit::shared::tests::a_process_killed_holding_a_slot_delays_the_others_about_a_window";
    let mut child = spawn_self(test, "holder", dir.path());
    // The test harness prints its own words first, on the same line.
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let holding = lines.any(|line| line.is_ok_and(|l| l.trim_end().ends_with("holding")));
    assert!(holding, "the child never held a slot");
    let limiter = shared_limiter(dir.path(), action);
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    drop(lines);
    let killed = std::time::Instant::now();
    let permit = tokio::time::timeout(long, limiter.acquire(limit, None, long))
        .await
        .expect("not wedged until the holder's timeout")
        .expect("permit");
    let waited = killed.elapsed();
    drop(permit);
    // At least a window after the death (the service may have counted the call until
    // then); well under the holder's 60-s timeout, with room for a loaded machine.
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    println!("a killed holder delayed the next call by {waited:?}");
}
