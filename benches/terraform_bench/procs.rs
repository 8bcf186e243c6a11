//! Watching the provider process: peak RSS while Terraform runs, and the time from its
//! start to its handshake line.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const SAMPLE_EVERY: Duration = Duration::from_millis(20);
const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Samples `VmHWM` (the kernel's own peak-RSS mark) of every process running `binary`
/// until stopped. VmHWM only grows, so the last sample of a process is its peak up to
/// at most one sampling interval before it exited.
pub struct PeakRss {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<PeakReport>,
}

/// What the sampler saw: the largest peak of any one process, how many processes, and
/// their CPU time (user + system) as last seen.
#[derive(Debug, Clone, Copy, Default)]
pub struct PeakReport {
    pub peak_kib: u64,
    pub processes: usize,
    pub cpu_ms: u64,
}

impl PeakRss {
    pub fn watch(binary: &Path) -> PeakRss {
        let binary = binary
            .canonicalize()
            .unwrap_or_else(|_| binary.to_path_buf());
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut peaks: std::collections::HashMap<u32, u64> = Default::default();
            let mut cpu: std::collections::HashMap<u32, u64> = Default::default();
            loop {
                let last_round = flag.load(Ordering::SeqCst);
                for pid in pids_running(&binary) {
                    if let Some(kib) = vm_hwm_kib(pid) {
                        let peak = peaks.entry(pid).or_default();
                        *peak = (*peak).max(kib);
                    }
                    if let Some(ms) = cpu_ms(pid) {
                        cpu.insert(pid, ms);
                    }
                }
                if last_round {
                    break;
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
            PeakReport {
                peak_kib: peaks.values().copied().max().unwrap_or(0),
                processes: peaks.len(),
                cpu_ms: cpu.values().sum(),
            }
        });
        PeakRss { stop, handle }
    }

    pub fn finish(self) -> PeakReport {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap_or_default()
    }
}

fn pids_running(binary: &PathBuf) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| &exe == binary)
        })
        .collect()
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User + system CPU time of `pid` so far, in milliseconds (clock ticks of 10 ms).
fn cpu_ms(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    Some((ticks(11)? + ticks(12)?) * 10)
}

/// Starts `binary` as Terraform does (cookie, protocol versions, a go-plugin-shaped P-521
/// client certificate) and returns the time until its first stdout line, and that line.
pub fn time_to_handshake(binary: &Path, client_cert_pem: &str) -> (Duration, String) {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", client_cert_pem)
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the provider");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("provider stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the handshake line");
    let elapsed = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    (elapsed, line.trim().to_string())
}
