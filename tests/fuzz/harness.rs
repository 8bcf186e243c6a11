//! The fuzz engine: a time-bounded loop over seed corpora with byte-level mutations and
//! fresh generated inputs, driven by a seeded RNG so that every input can be replayed.
//!
//! Stable Rust has no libFuzzer, so this is coverage-less: it relies on good seeds, a
//! per-target dictionary and structure-aware generators instead of coverage feedback.
//!
//! Environment:
//! - `FUZZ_SECONDS` (default 3): wall-clock budget per target, after the corpus replay.
//! - `FUZZ_SEED` (default: random): the run's seed, printed by every target.
//! - `FUZZ_ITERATION`: replay only this iteration of `FUZZ_SEED` (plus the corpus).
//! - `FUZZ_FINDINGS` (default `<target tmp dir>/fuzz-findings`): where failing inputs go.
//! - `FUZZ_HANG_MS` (default 5000): an input whose check takes longer is a finding (a hang).

use std::any::Any;
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Inputs are never grown beyond this (bytes).
pub const MAX_INPUT_LEN: usize = 64 * 1024;

/// The run's settings, read once per target from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub budget: Duration,
    pub seed: u64,
    pub only_iteration: Option<u64>,
    pub findings: PathBuf,
    pub hang: Duration,
}

impl Settings {
    pub fn from_env() -> Settings {
        let number = |name: &str| {
            std::env::var(name).ok().map(|v| {
                v.trim()
                    .parse::<u64>()
                    .unwrap_or_else(|_| panic!("{name} must be a whole number, got {v:?}"))
            })
        };
        let seconds = std::env::var("FUZZ_SECONDS")
            .ok()
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .unwrap_or_else(|| {
                        panic!("FUZZ_SECONDS must be a number of seconds, got {v:?}")
                    })
            })
            .unwrap_or(3.0);
        let findings = std::env::var_os("FUZZ_FINDINGS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-findings"));
        Settings {
            budget: Duration::from_secs_f64(seconds),
            seed: number("FUZZ_SEED").unwrap_or_else(|| rand::thread_rng().gen()),
            only_iteration: number("FUZZ_ITERATION"),
            findings,
            hang: Duration::from_millis(number("FUZZ_HANG_MS").unwrap_or(5000)),
        }
    }

    /// The RNG of one iteration: a function of the seed, the target and the iteration
    /// only, so `FUZZ_SEED` + `FUZZ_ITERATION` replays exactly that input.
    fn rng_for(&self, target: &str, iteration: u64) -> StdRng {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        target.hash(&mut hasher);
        // DefaultHasher::new() uses fixed keys, so this is stable across runs.
        StdRng::seed_from_u64(splitmix(self.seed ^ hasher.finish() ^ splitmix(iteration)))
    }

    /// Iterations to run: `(first, budgeted)`.
    fn iterations(&self) -> (u64, bool) {
        match self.only_iteration {
            Some(i) => (i, false),
            None => (0, true),
        }
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A byte-input target: seeds, a dictionary of interesting tokens, a generator of fresh
/// inputs and the property check (`Err` describes a violated property; a panic is a crash).
pub struct ByteTarget<'a> {
    pub name: &'static str,
    pub seeds: Vec<Vec<u8>>,
    pub dictionary: &'a [&'a [u8]],
    /// Chance (out of 100) that an iteration generates a fresh input instead of mutating.
    pub generate_percent: u32,
    pub generate: &'a mut dyn FnMut(&mut StdRng) -> Vec<u8>,
    pub check: &'a mut dyn FnMut(&[u8]) -> Result<(), String>,
}

/// Figures of one run, printed at the end and returned for tests of the harness.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub corpus: usize,
    pub generated: u64,
    pub mutated: u64,
    pub slowest: Duration,
}

/// Runs a byte target: every corpus file (`tests/fuzz_corpus/<name>/**`) and seed first,
/// then mutated and generated inputs until the budget is spent. Panics with the seed,
/// the iteration and the saved input on the first failure.
pub fn fuzz_bytes(target: ByteTarget<'_>) -> Report {
    let settings = Settings::from_env();
    let ByteTarget {
        name,
        seeds,
        dictionary,
        generate_percent,
        generate,
        check,
    } = target;
    let mut corpus: Vec<(String, Vec<u8>)> = seeds
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("built-in seed {i}"), s))
        .collect();
    corpus.extend(corpus_files(name));
    let mut report = Report {
        corpus: corpus.len(),
        ..Report::default()
    };
    for (label, input) in &corpus {
        let started = Instant::now();
        run_one(&settings, name, label, None, input, check);
        report.slowest = report.slowest.max(started.elapsed());
    }
    // Oversized corpus files (regressions for large inputs) are replayed, not mutated.
    corpus.retain(|(_, input)| input.len() <= MAX_INPUT_LEN);
    let started = Instant::now();
    let (mut iteration, budgeted) = settings.iterations();
    loop {
        if budgeted && started.elapsed() >= settings.budget {
            break;
        }
        let mut rng = settings.rng_for(name, iteration);
        let input = if corpus.is_empty() || rng.gen_range(0..100) < generate_percent {
            report.generated += 1;
            generate(&mut rng)
        } else {
            report.mutated += 1;
            let base = &corpus[rng.gen_range(0..corpus.len())].1;
            let other = &corpus[rng.gen_range(0..corpus.len())].1;
            mutate(base, other, dictionary, &mut rng)
        };
        let label = format!("iteration {iteration}");
        let one = Instant::now();
        run_one(&settings, name, &label, Some(iteration), &input, check);
        report.slowest = report.slowest.max(one.elapsed());
        if !budgeted {
            break;
        }
        iteration += 1;
    }
    print_report(name, &settings, &report, started.elapsed());
    report
}

/// A structured target: inputs are generated values (no corpus, no byte mutation).
/// Failures print the value's `Debug` form; replay with `FUZZ_SEED` + `FUZZ_ITERATION`.
pub fn fuzz_structured<T: Debug>(
    name: &'static str,
    generate: &mut dyn FnMut(&mut StdRng) -> T,
    check: &mut dyn FnMut(&T) -> Result<(), String>,
) -> Report {
    let settings = Settings::from_env();
    let mut report = Report::default();
    let started = Instant::now();
    let (mut iteration, budgeted) = settings.iterations();
    loop {
        if budgeted && started.elapsed() >= settings.budget {
            break;
        }
        let mut rng = settings.rng_for(name, iteration);
        let input = generate(&mut rng);
        report.generated += 1;
        let one = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&input)));
        report.slowest = report.slowest.max(one.elapsed());
        if let Some(problem) = failure(outcome).or_else(|| hung(&settings, one.elapsed())) {
            panic!(
                "fuzz target {name}: {problem}\n  seed {seed}, iteration {iteration} \
                 (replay: FUZZ_SEED={seed} FUZZ_ITERATION={iteration} cargo test --test fuzz {name})\n  input: {input:?}",
                seed = settings.seed
            );
        }
        if !budgeted {
            break;
        }
        iteration += 1;
    }
    print_report(name, &settings, &report, started.elapsed());
    report
}

fn print_report(name: &str, settings: &Settings, report: &Report, elapsed: Duration) {
    println!(
        "fuzz {name}: seed {} | {} iterations ({} mutated, {} generated) in {:.1}s + {} corpus inputs | slowest input {:.1} ms",
        settings.seed,
        report.mutated + report.generated,
        report.mutated,
        report.generated,
        elapsed.as_secs_f64(),
        report.corpus,
        report.slowest.as_secs_f64() * 1000.0,
    );
}

/// Runs one input; on failure saves it and panics with everything needed to replay it.
fn run_one(
    settings: &Settings,
    name: &str,
    label: &str,
    iteration: Option<u64>,
    input: &[u8],
    check: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| check(input)));
    let Some(problem) = failure(outcome).or_else(|| hung(settings, started.elapsed())) else {
        return;
    };
    let saved = save_finding(settings, name, label, input);
    let replay = match iteration {
        Some(i) => format!(
            "FUZZ_SEED={} FUZZ_ITERATION={i} cargo test --test fuzz {name}",
            settings.seed
        ),
        None => format!("cargo test --test fuzz {name} (the corpus runs first)"),
    };
    panic!(
        "fuzz target {name}: {problem}\n  {label} of seed {} (replay: {replay})\n  input ({} bytes) saved to {saved}\n  input: {}",
        settings.seed,
        input.len(),
        escape(input, 600),
    );
}

fn failure(outcome: Result<Result<(), String>, Box<dyn Any + Send>>) -> Option<String> {
    match outcome {
        Ok(Ok(())) => None,
        Ok(Err(violation)) => Some(format!("property violated: {violation}")),
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic payload".to_owned());
            Some(format!("PANIC: {message}"))
        }
    }
}

fn hung(settings: &Settings, took: Duration) -> Option<String> {
    (took > settings.hang).then(|| {
        format!(
            "HANG: one input took {:.1} s (limit FUZZ_HANG_MS={})",
            took.as_secs_f64(),
            settings.hang.as_millis()
        )
    })
}

fn save_finding(settings: &Settings, name: &str, label: &str, input: &[u8]) -> String {
    let dir = settings.findings.join(name);
    let file = dir.join(format!(
        "{}-{}.bin",
        settings.seed,
        label.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    ));
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, input)) {
        Ok(()) => file.display().to_string(),
        Err(e) => format!("(not saved: {e})"),
    }
}

/// Printable form of bytes: ASCII as is, the rest as `\xNN`, cut after `max` bytes.
pub fn escape(bytes: &[u8], max: usize) -> String {
    let mut out: String = bytes
        .iter()
        .take(max)
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect();
    if bytes.len() > max {
        out.push_str("...");
    }
    out
}

/// The files under `tests/fuzz_corpus/<target>/` (recursively), sorted by path.
pub fn corpus_files(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fuzz_corpus")
        .join(target);
    let mut paths = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            Some((format!("corpus file {}", p.display()), bytes))
        })
        .collect()
}

// ----- mutations -----

const INTERESTING_BYTES: &[u8] = &[
    0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0xc0, 0xc1, 0xf5, b'"', b'\\', b'{', b'}', b'[', b']',
    b',', b':', b'%', b'&', b'=', b'+', b'\n', b'\r', b' ', b'\t', b'0', b'9', b'-', b'.',
];

const INTERESTING_INTS: &[u64] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
];

const INTERESTING_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1e309",
    "-1e309",
    "1e-400",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "0.1",
    "1.5e3",
    "NaN",
    "Infinity",
    "00",
    "1.",
    ".5",
    "",
];

/// One to eight stacked mutations of `base` (`other` is the splice partner).
pub fn mutate(base: &[u8], other: &[u8], dictionary: &[&[u8]], rng: &mut StdRng) -> Vec<u8> {
    let mut data = base.to_vec();
    let rounds = 1 + rng.gen_range(0..8);
    for _ in 0..rounds {
        mutate_once(&mut data, other, dictionary, rng);
    }
    data.truncate(MAX_INPUT_LEN);
    data
}

fn mutate_once(data: &mut Vec<u8>, other: &[u8], dictionary: &[&[u8]], rng: &mut StdRng) {
    let pos = |rng: &mut StdRng, len: usize| rng.gen_range(0..=len);
    match rng.gen_range(0..13) {
        // flip one bit
        0 if !data.is_empty() => {
            let i = rng.gen_range(0..data.len());
            data[i] ^= 1 << rng.gen_range(0..8);
        }
        // an interesting byte
        1 if !data.is_empty() => {
            let i = rng.gen_range(0..data.len());
            data[i] = INTERESTING_BYTES[rng.gen_range(0..INTERESTING_BYTES.len())];
        }
        // a random byte inserted
        2 => {
            let i = pos(rng, data.len());
            data.insert(i, rng.gen());
        }
        // a range deleted
        3 if !data.is_empty() => {
            let start = rng.gen_range(0..data.len());
            let len = 1 + rng.gen_range(0..(data.len() - start).min(16));
            data.drain(start..start + len);
        }
        // a range duplicated
        4 if !data.is_empty() => {
            let start = rng.gen_range(0..data.len());
            let len = 1 + rng.gen_range(0..(data.len() - start).min(64));
            let copy = data[start..start + len].to_vec();
            let at = pos(rng, data.len());
            data.splice(at..at, copy);
        }
        // truncated
        5 if !data.is_empty() => {
            let len = rng.gen_range(0..data.len());
            data.truncate(len);
        }
        // splice: a prefix of this one and a suffix of the other
        6 if !other.is_empty() => {
            let keep = pos(rng, data.len());
            let from = rng.gen_range(0..other.len());
            data.truncate(keep);
            data.extend_from_slice(&other[from..]);
        }
        // a dictionary token inserted or overwriting
        7 | 8 if !dictionary.is_empty() => {
            let token = dictionary[rng.gen_range(0..dictionary.len())];
            let at = pos(rng, data.len());
            if rng.gen_bool(0.5) {
                data.splice(at..at, token.iter().copied());
            } else {
                let end = (at + token.len()).min(data.len());
                data.splice(at..end, token.iter().copied());
            }
        }
        // an interesting integer, 1/2/4/8 bytes, either endianness
        9 if !data.is_empty() => {
            let width = [1usize, 2, 4, 8][rng.gen_range(0..4)];
            let value = INTERESTING_INTS[rng.gen_range(0..INTERESTING_INTS.len())];
            let bytes = if rng.gen_bool(0.5) {
                value.to_be_bytes()
            } else {
                value.to_le_bytes()
            };
            let chunk = if rng.gen_bool(0.5) {
                &bytes[8 - width..]
            } else {
                &bytes[..width]
            };
            let at = rng.gen_range(0..data.len());
            let end = (at + width).min(data.len());
            data.splice(at..end, chunk.iter().copied());
        }
        // a run of ASCII digits replaced by an interesting number
        10 => {
            let digits: Vec<usize> = (0..data.len())
                .filter(|&i| data[i].is_ascii_digit())
                .collect();
            if let Some(&start) = digits.get(rng.gen_range(0..digits.len().max(1))) {
                let mut end = start;
                while end < data.len() && (data[end].is_ascii_digit() || data[end] == b'.') {
                    end += 1;
                }
                let number = INTERESTING_NUMBERS[rng.gen_range(0..INTERESTING_NUMBERS.len())];
                data.splice(start..end, number.bytes());
            }
        }
        // a byte range swapped with random bytes
        11 if !data.is_empty() => {
            let start = rng.gen_range(0..data.len());
            let len = 1 + rng.gen_range(0..(data.len() - start).min(8));
            for b in &mut data[start..start + len] {
                *b = rng.gen();
            }
        }
        // a range repeated many times (long inputs, deep nesting)
        12 if !data.is_empty() => {
            let start = rng.gen_range(0..data.len());
            let len = 1 + rng.gen_range(0..(data.len() - start).min(8));
            let copy = data[start..start + len].to_vec();
            let times = rng.gen_range(2..300);
            let repeated: Vec<u8> = copy.iter().copied().cycle().take(len * times).collect();
            data.splice(start..start, repeated);
        }
        _ => {
            let i = pos(rng, data.len());
            data.insert(
                i,
                INTERESTING_BYTES[rng.gen_range(0..INTERESTING_BYTES.len())],
            );
        }
    }
}

/// Random bytes biased towards the dictionary and printable ASCII.
pub fn random_bytes(rng: &mut StdRng, dictionary: &[&[u8]], max_len: usize) -> Vec<u8> {
    let target = rng.gen_range(0..=max_len);
    let mut out = Vec::with_capacity(target);
    while out.len() < target {
        match rng.gen_range(0..4) {
            0 if !dictionary.is_empty() => {
                out.extend_from_slice(dictionary[rng.gen_range(0..dictionary.len())])
            }
            1 => out.push(rng.gen()),
            _ => out.push(rng.gen_range(0x20..0x7f)),
        }
    }
    out
}

/// Text for property checks: a random string mixing ASCII, controls and multi-byte chars.
pub fn random_text(rng: &mut StdRng, max_chars: usize) -> String {
    const ODD: &[char] = &[
        '\0',
        '\n',
        '\r',
        '\t',
        '\u{7f}',
        '\u{85}',
        '\u{a0}',
        'é',
        'ß',
        '中',
        '\u{200b}',
        '\u{feff}',
        '\u{fffd}',
        '😀',
        '\u{10ffff}',
        ':',
        '%',
        '&',
        '=',
        '+',
        '"',
        '\\',
        '<',
        '>',
    ];
    let n = rng.gen_range(0..=max_chars);
    (0..n)
        .map(|_| match rng.gen_range(0..4) {
            0 => ODD[rng.gen_range(0..ODD.len())],
            1 => char::from_u32(rng.gen_range(0..0x11_0000)).unwrap_or('?'),
            _ => char::from(rng.gen_range(0x20u8..0x7f)),
        })
        .collect()
}

/// Every `len`-character window of `secret` (all of it when shorter).
pub fn windows(secret: &str, len: usize) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= len {
        return vec![secret.to_owned()];
    }
    chars
        .windows(len)
        .map(|w| w.iter().collect::<String>())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iteration_rngs_are_reproducible_and_distinct() {
        let settings = Settings {
            budget: Duration::ZERO,
            seed: 42,
            only_iteration: None,
            findings: PathBuf::new(),
            hang: Duration::ZERO,
        };
        let draw = |t: &str, i| settings.rng_for(t, i).gen::<u64>();
        assert_eq!(draw("a", 7), draw("a", 7));
        assert_ne!(draw("a", 7), draw("a", 8));
        assert_ne!(draw("a", 7), draw("b", 7));
    }

    #[test]
    fn mutations_stay_bounded_and_change_inputs() {
        let mut rng = StdRng::seed_from_u64(1);
        let base = b"{\"Code\":200,\"RequestId\":\"abc\"}".to_vec();
        let mut changed = 0;
        for _ in 0..2000 {
            let out = mutate(&base, b"other", &[b"null"], &mut rng);
            assert!(out.len() <= MAX_INPUT_LEN);
            if out != base {
                changed += 1;
            }
        }
        assert!(
            changed > 1800,
            "only {changed} of 2000 mutations changed the input"
        );
    }

    #[test]
    fn secret_windows() {
        assert_eq!(windows("abcd", 3), ["abc", "bcd"]);
        assert_eq!(windows("ab", 3), ["ab"]);
    }
}
