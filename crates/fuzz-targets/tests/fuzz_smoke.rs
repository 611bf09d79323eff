//! The fuzzing CI runs: for each fuzz target, replay every file of
//! `fuzz/corpus/<target>/`, then mutate the corpus for a bounded time and number of
//! executions, with no instrumentation (no coverage feedback: a seeded random search
//! around the corpus; `scripts/fuzz-smoke` runs the coverage-guided cargo-fuzz build).
//!
//! - `FUZZ_SMOKE_SECS` (default 10) and `FUZZ_SMOKE_EXECS` (default 200,000): the bound
//!   of each target's mutation loop, whichever comes first.
//! - `FUZZ_SMOKE_SEED`: the seed of the mutations (default: a fixed seed, printed).
//! - `FUZZ_SMOKE_REPLAY=<file>`: run only that input (no corpus, no loop), with the
//!   panic and its backtrace as usual; pick the target with the test name, e.g.
//!   `FUZZ_SMOKE_REPLAY=target/fuzz-smoke/module_call/crash-… cargo test -p
//!   entente-fuzz-targets --test fuzz_smoke -- module_call --exact`.
//!
//! A panic fails the test with the seed, the iteration, the input (length and hex
//! prefix), the panic message, the file the input was written to
//! (`target/fuzz-smoke/<target>/crash-<first 8 bytes of its SHA-256>`) and the command
//! that replays it. Each test prints one summary line (executions, seconds, corpus size).
//!
//! Mutations, stacked 1 to 8 deep (1 or 2 for JSON) on a corpus input or on a recent
//! mutant: bit flips,
//! random and interesting bytes (0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff), small arithmetic,
//! interesting 16/32/64-bit values (boundaries, the input's length) little- and
//! big-endian, inserted random bytes, deleted, duplicated and copied ranges, splices and
//! inserts from another corpus input, truncation, and dictionary tokens (module
//! selectors and ABI words, JSON-RPC method names and JSON fragments, RLP headers).
//! Two targets also get structure-aware mutations: `module_call` edits its call frames
//! (module, caller, height and selector, keeping lengths consistent; frames dropped,
//! duplicated or swapped) and `rpc_request` replaces a value of the request's JSON.
//!
//! Limits: an abort (stack overflow, out of memory) ends the test process instead of
//! failing with a report; `rpc_request` shares one chain and pool across inputs, so a
//! crash may depend on earlier inputs (the report says so when a replay alone passes).

use std::{
    cell::{Cell, RefCell},
    panic::{self, AssertUnwindSafe},
    path::{Path, PathBuf},
    sync::Once,
    time::{Duration, Instant},
};

use entente_fuzz_targets::{TARGETS, module_call, rpc_request};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use sha2::{Digest as _, Sha256};

const DEFAULT_SECS: f64 = 10.0;
const DEFAULT_EXECS: u64 = 200_000;
/// Longest input the mutators make (at least; twice the longest seed if larger).
const MAX_LEN: usize = 4096;
/// Recent mutants kept as bases for further mutation.
const RECENT: usize = 64;

#[test]
fn tx_decode() {
    fuzz("tx_decode");
}

#[test]
fn block_decode() {
    fuzz("block_decode");
}

#[test]
fn rpc_request() {
    fuzz("rpc_request");
}

#[test]
fn module_call() {
    fuzz("module_call");
}

/// Writes the seed corpora (`entente_fuzz_targets::seeds`) to `fuzz/corpus/<target>/`.
#[test]
#[ignore = "writes fuzz/corpus; run by hand after changing the seeds"]
fn write_corpus() {
    for seed in entente_fuzz_targets::seeds::all() {
        let dir = corpus_dir(seed.target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&seed.name), &seed.bytes).unwrap();
    }
    println!("corpus written to {}", root().join("fuzz/corpus").display());
}

/// The machinery itself: a panic is caught with its message, and a report names the
/// seed, the iteration and the replay command, and writes the input.
#[test]
fn panics_are_caught_and_reported() {
    fn boom(data: &[u8]) {
        if data.first() == Some(&7) {
            panic!("boom with {} bytes", data.len());
        }
    }
    fn reported(data: &[u8]) {
        report("selftest", 42, Some(3), data, "boom")
    }
    install_hook();
    assert_eq!(attempt(boom, &[1]), Ok(()));
    let message = attempt(boom, &[7, 7]).unwrap_err();
    assert!(message.contains("boom with 2 bytes"), "{message}");
    let report = attempt(reported, &[7, 7]).unwrap_err();
    for part in [
        "fuzz-smoke selftest: PANIC at mutation 3 (FUZZ_SMOKE_SEED=42)",
        "input: 2 bytes, 0x0707",
        "panic: boom",
        "replay: FUZZ_SMOKE_REPLAY=",
        "-- selftest --exact",
    ] {
        assert!(report.contains(part), "{part:?} not in {report}");
    }
    let file = root().join("target/fuzz-smoke/selftest").join(format!(
        "crash-{}",
        hex::encode(&Sha256::digest([7, 7])[..8])
    ));
    assert_eq!(std::fs::read(&file).unwrap(), [7, 7]);
    std::fs::remove_file(file).unwrap();
}

// -------------------------------------------------------------------------------------
// The loop.

struct Config {
    secs: f64,
    execs: u64,
    seed: u64,
    replay: Option<PathBuf>,
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} does not parse")),
    )
}

/// The seed when none is given: fixed, so that a CI run explores the same inputs for
/// the same code and a failure is never an accident of the clock (`FUZZ_SMOKE_SEED`
/// explores others).
const DEFAULT_SEED: u64 = 0x454e_5445_4e54_4500;

fn config() -> Config {
    Config {
        secs: env("FUZZ_SMOKE_SECS").unwrap_or(DEFAULT_SECS),
        execs: env("FUZZ_SMOKE_EXECS").unwrap_or(DEFAULT_EXECS),
        seed: env("FUZZ_SMOKE_SEED").unwrap_or(DEFAULT_SEED),
        replay: std::env::var_os("FUZZ_SMOKE_REPLAY").map(PathBuf::from),
    }
}

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus_dir(target: &str) -> PathBuf {
    root().join("fuzz/corpus").join(target)
}

/// The corpus of `target`, sorted by file name.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("corpus {}: {err}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).expect("corpus file");
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

fn function(target: &str) -> fn(&[u8]) {
    TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, run)| *run)
        .expect("a fuzz target")
}

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A panic hook that, while this thread runs inputs, keeps the message instead of
/// printing it; other threads' panics print as usual.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.get() {
                PANIC.set(Some(info.to_string()));
            } else {
                default(info);
            }
        }));
    });
}

/// Runs one input; the panic message if it panicked.
fn attempt(run: fn(&[u8]), input: &[u8]) -> Result<(), String> {
    CAPTURING.set(true);
    let result = panic::catch_unwind(AssertUnwindSafe(|| run(input)));
    CAPTURING.set(false);
    result.map_err(|payload| {
        PANIC.take().unwrap_or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into())
        })
    })
}

fn hex_prefix(input: &[u8]) -> String {
    let shown = &input[..input.len().min(64)];
    let more = if input.len() > shown.len() { "…" } else { "" };
    format!("{}{more}", hex::encode(shown))
}

/// Writes a crashing input and fails with everything needed to reproduce it.
fn report(target: &str, seed: u64, iteration: Option<u64>, input: &[u8], message: &str) -> ! {
    let dir = root().join("target/fuzz-smoke").join(target);
    let digest = Sha256::digest(input);
    let file = dir.join(format!("crash-{}", hex::encode(&digest[..8])));
    let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, input));
    let file = file.canonicalize().unwrap_or(file);
    let written = match written {
        Ok(()) => format!("input written to {}", file.display()),
        Err(err) => format!("could not write the input to {}: {err}", file.display()),
    };
    let at = match iteration {
        Some(i) => format!("mutation {i} (FUZZ_SMOKE_SEED={seed})"),
        None => "replaying the corpus".into(),
    };
    let replay_alone = if iteration.is_some() && target == "rpc_request" {
        "\n(rpc_request shares one chain across inputs: if the replay passes, rerun with \
         the same FUZZ_SMOKE_SEED and FUZZ_SMOKE_EXECS)"
    } else {
        ""
    };
    panic!(
        "fuzz-smoke {target}: PANIC at {at}\n\
         input: {} bytes, 0x{}\n\
         panic: {message}\n\
         {written}\n\
         replay: FUZZ_SMOKE_REPLAY={} cargo test -p entente-fuzz-targets --test fuzz_smoke \
         -- {target} --exact --nocapture{replay_alone}",
        input.len(),
        hex_prefix(input),
        file.display(),
    );
}

fn fuzz(target: &str) {
    let config = config();
    let run = function(target);
    if let Some(file) = &config.replay {
        let input = std::fs::read(file)
            .unwrap_or_else(|err| panic!("FUZZ_SMOKE_REPLAY {}: {err}", file.display()));
        println!(
            "fuzz-smoke {target}: replaying {} ({} bytes)",
            file.display(),
            input.len()
        );
        run(&input);
        return;
    }
    install_hook();
    let corpus = corpus(target);
    assert!(
        !corpus.is_empty(),
        "the corpus {} is empty",
        corpus_dir(target).display()
    );

    // (a) Every corpus input.
    let started = Instant::now();
    for (name, input) in &corpus {
        if let Err(message) = attempt(run, input) {
            report(
                target,
                config.seed,
                None,
                input,
                &format!("{name}: {message}"),
            );
        }
    }
    let replay_secs = started.elapsed().as_secs_f64();

    // (b) Mutations of it.
    let inputs: Vec<Vec<u8>> = corpus.iter().map(|(_, bytes)| bytes.clone()).collect();
    let longest = inputs.iter().map(Vec::len).max().unwrap_or(0);
    let mut mutator = Mutator {
        rng: StdRng::seed_from_u64(config.seed ^ fnv(target)),
        max_len: MAX_LEN.max(2 * longest),
        dictionary: dictionary(target),
        kind: Kind::of(target),
        recent: Vec::with_capacity(RECENT),
        corpus: inputs,
    };
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(config.secs);
    let mut execs = 0u64;
    let mut slowest = Duration::ZERO;
    while execs < config.execs && Instant::now() < deadline {
        let input = mutator.next();
        let before = Instant::now();
        if let Err(message) = attempt(run, &input) {
            report(target, config.seed, Some(execs), &input, &message);
        }
        slowest = slowest.max(before.elapsed());
        execs += 1;
        mutator.keep(input);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fuzz-smoke {target}: {execs} executions in {secs:.1} s ({:.0}/s), corpus {} files \
         replayed in {replay_secs:.2} s, slowest input {:.1} ms, FUZZ_SMOKE_SEED={}",
        execs as f64 / secs.max(1e-9),
        corpus.len(),
        slowest.as_secs_f64() * 1e3,
        config.seed,
    );
}

/// FNV-1a, to give each target its own stream from one seed.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

// -------------------------------------------------------------------------------------
// Mutations.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bytes,
    ModuleFrames,
    Json,
}

impl Kind {
    fn of(target: &str) -> Self {
        match target {
            "module_call" => Self::ModuleFrames,
            "rpc_request" => Self::Json,
            _ => Self::Bytes,
        }
    }
}

/// Tokens worth inserting, per target.
fn dictionary(target: &str) -> Vec<Vec<u8>> {
    let mut words: Vec<Vec<u8>> = Vec::new();
    match target {
        "module_call" => {
            words.extend(module_call::selectors().iter().map(|s| s.to_vec()));
            // ABI words: zero, small offsets and lengths, all ones, an address.
            for value in [0u64, 1, 0x20, 0x40, 0x60, 0xffff_ffff] {
                let mut word = [0u8; 32];
                word[24..].copy_from_slice(&value.to_be_bytes());
                words.push(word.to_vec());
            }
            words.push([0xff; 32].to_vec());
            let mut address = [0u8; 32];
            address[12..]
                .copy_from_slice(entente_testkit::fixtures::account(0).address().as_slice());
            words.push(address.to_vec());
        }
        "rpc_request" => {
            words.extend(
                rpc_request::method_names()
                    .into_iter()
                    .map(|m| format!("\"{m}\"").into_bytes()),
            );
            for token in [
                "null",
                "true",
                "false",
                "[]",
                "{}",
                "0",
                "-1",
                "1e400",
                "\"\"",
                "\"0x\"",
                "\"0x0\"",
                "\"0x1\"",
                "\"latest\"",
                "\"pending\"",
                "\"earliest\"",
                "\"safe\"",
                "\"finalized\"",
                "\"0xffffffffffffffff\"",
                "18446744073709551616",
                "\"0x0000000000000000000000000000000000e17e01\"",
                "\\u0000",
                "\\ud800",
                "\"jsonrpc\":\"2.0\"",
                "\"id\":",
                "\"method\":",
                "\"params\":",
                "\"blockHash\"",
                "\"fromBlock\"",
                "\"toBlock\"",
                "\"topics\"",
                "\"data\"",
                "\"input\"",
                "\"gas\"",
                "\"value\"",
                "\"to\"",
                "\"from\"",
            ] {
                words.push(token.as_bytes().to_vec());
            }
        }
        "tx_decode" | "block_decode" => {
            // RLP headers and EIP-2718 type bytes, the chain id.
            for token in [
                &[0x80][..],
                &[0xc0],
                &[0xb7],
                &[0xb8, 0x20],
                &[0xb9, 0x01, 0x00],
                &[0xf7],
                &[0xf8, 0x40],
                &[0xf9, 0x01, 0x00],
                &[0x01],
                &[0x02],
                &[0x03],
                &[0x04],
                &[0x82, 0x10, 0x92],
            ] {
                words.push(token.to_vec());
            }
        }
        _ => {}
    }
    words
}

struct Mutator {
    rng: StdRng,
    corpus: Vec<Vec<u8>>,
    recent: Vec<Vec<u8>>,
    dictionary: Vec<Vec<u8>>,
    kind: Kind,
    max_len: usize,
}

const INTERESTING_BYTES: [u8; 6] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

impl Mutator {
    /// The next input: a corpus input or a recent mutant, mutated 1 to 8 times.
    fn next(&mut self) -> Vec<u8> {
        let mut data = if !self.recent.is_empty() && self.rng.gen_ratio(1, 4) {
            self.recent.choose(&mut self.rng).unwrap().clone()
        } else {
            self.corpus.choose(&mut self.rng).unwrap().clone()
        };
        // JSON survives few byte-level edits: stack fewer, and edit its structure more.
        let (depth, structured) = match self.kind {
            Kind::Json => (2, (2, 3)),
            Kind::ModuleFrames => (4, (1, 3)),
            Kind::Bytes => (4, (0, 1)),
        };
        let rounds = 1 << self.rng.gen_range(0..depth);
        for _ in 0..rounds {
            let structured = self.rng.gen_ratio(structured.0, structured.1);
            match (structured, self.kind) {
                (true, Kind::ModuleFrames) => self.mutate_frames(&mut data),
                (true, Kind::Json) => self.mutate_json(&mut data),
                _ => self.mutate_bytes(&mut data),
            }
        }
        data.truncate(self.max_len);
        data
    }

    /// Keeps `input` as a possible base for later mutations.
    fn keep(&mut self, input: Vec<u8>) {
        if self.recent.len() < RECENT {
            self.recent.push(input);
        } else {
            let i = self.rng.gen_range(0..RECENT);
            self.recent[i] = input;
        }
    }

    fn pos(&mut self, len: usize) -> usize {
        self.rng.gen_range(0..=len)
    }

    /// A range `start..end` of `data`, non-empty unless `data` is.
    fn range(&mut self, len: usize) -> (usize, usize) {
        if len == 0 {
            return (0, 0);
        }
        let start = self.rng.gen_range(0..len);
        let max = (len - start).min(if self.rng.gen_ratio(1, 4) { len } else { 32 });
        (start, start + self.rng.gen_range(1..=max))
    }

    fn interesting_value(&mut self, len: usize) -> u64 {
        const VALUES: [u64; 16] = [
            0,
            1,
            2,
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
            i64::MAX as u64,
            u64::MAX,
        ];
        match self.rng.gen_range(0..4) {
            0 => len as u64,
            1 => (len as u64)
                .wrapping_add(self.rng.gen_range(0..3))
                .wrapping_sub(1),
            _ => *VALUES.choose(&mut self.rng).unwrap(),
        }
    }

    fn other(&mut self) -> Vec<u8> {
        self.corpus.choose(&mut self.rng).unwrap().clone()
    }

    fn mutate_bytes(&mut self, data: &mut Vec<u8>) {
        let len = data.len();
        match self.rng.gen_range(0..14) {
            // Flip a bit.
            0 if len > 0 => {
                let i = self.rng.gen_range(0..len);
                data[i] ^= 1 << self.rng.gen_range(0..8);
            }
            // A random byte.
            1 if len > 0 => {
                let i = self.rng.gen_range(0..len);
                data[i] = self.rng.r#gen();
            }
            // An interesting byte.
            2 if len > 0 => {
                let i = self.rng.gen_range(0..len);
                data[i] = *INTERESTING_BYTES.choose(&mut self.rng).unwrap();
            }
            // Small arithmetic on a byte.
            3 if len > 0 => {
                let i = self.rng.gen_range(0..len);
                let delta = self.rng.gen_range(1..=35u8);
                data[i] = if self.rng.r#gen() {
                    data[i].wrapping_add(delta)
                } else {
                    data[i].wrapping_sub(delta)
                };
            }
            // An interesting 16/32/64-bit value, little- or big-endian (lengths, bounds).
            4 => {
                let width = *[2usize, 4, 8].choose(&mut self.rng).unwrap();
                let value = self.interesting_value(len);
                let bytes = if self.rng.r#gen() {
                    value.to_le_bytes()[..width].to_vec()
                } else {
                    value.to_be_bytes()[8 - width..].to_vec()
                };
                let at = self.pos(len.saturating_sub(width));
                overwrite(data, at, &bytes);
            }
            // Insert random bytes.
            5 => {
                let n = self.rng.gen_range(1..=16);
                let bytes: Vec<u8> = (0..n).map(|_| self.rng.r#gen()).collect();
                let at = self.pos(len);
                data.splice(at..at, bytes);
            }
            // Delete a range.
            6 if len > 0 => {
                let (start, end) = self.range(len);
                data.drain(start..end);
            }
            // Duplicate a range in place.
            7 if len > 0 => {
                let (start, end) = self.range(len);
                let copy = data[start..end].to_vec();
                let at = self.pos(len);
                data.splice(at..at, copy);
            }
            // Copy a range over another place.
            8 if len > 1 => {
                let (start, end) = self.range(len);
                let copy = data[start..end].to_vec();
                let at = self.pos(len - copy.len());
                overwrite(data, at, &copy);
            }
            // Splice: a prefix of this input and a suffix of another.
            9 => {
                let other = self.other();
                let cut = self.pos(len);
                let from = self.pos(other.len());
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            // Insert a range of another input.
            10 => {
                let other = self.other();
                let (start, end) = self.range(other.len());
                let at = self.pos(len);
                data.splice(at..at, other[start..end].iter().copied());
            }
            // Truncate.
            11 => {
                let at = self.pos(len);
                data.truncate(at);
            }
            // A dictionary token, inserted or written over.
            12 | 13 if !self.dictionary.is_empty() => {
                let token = self.dictionary.choose(&mut self.rng).unwrap().clone();
                if self.rng.r#gen() {
                    let at = self.pos(len);
                    data.splice(at..at, token);
                } else {
                    let at = self.pos(len.saturating_sub(token.len()));
                    overwrite(data, at, &token);
                }
            }
            _ => {
                let at = self.pos(len);
                data.insert(at, *INTERESTING_BYTES.choose(&mut self.rng).unwrap());
            }
        }
    }

    /// Edits `module_call` frames, re-encoding them so lengths stay consistent.
    fn mutate_frames(&mut self, data: &mut Vec<u8>) {
        let mut frames: Vec<(u8, u8, u8, Vec<u8>)> = module_call::frames(data)
            .into_iter()
            .map(|f| (f.module, f.caller, f.height, f.calldata.to_vec()))
            .collect();
        if frames.is_empty() {
            self.mutate_bytes(data);
            return;
        }
        let i = self.rng.gen_range(0..frames.len());
        match self.rng.gen_range(0..10) {
            0 => frames[i].0 = self.rng.gen_range(0..8) | (self.rng.r#gen::<u8>() & 0xf8),
            1 => frames[i].0 = (frames[i].0 & 0x07) | (self.rng.r#gen::<u8>() & 0xf8),
            2 => frames[i].1 = self.rng.gen_range(0..20),
            3 => frames[i].1 = self.rng.r#gen(),
            4 => frames[i].2 = *[0u8, 1, 2, 0x40, 0x41, 0xff].choose(&mut self.rng).unwrap(),
            // Another selector on the same arguments.
            5 if !self.dictionary.is_empty() => {
                let selector = self.dictionary.choose(&mut self.rng).unwrap().clone();
                let calldata = &mut frames[i].3;
                if selector.len() == 4 && calldata.len() >= 4 {
                    calldata[..4].copy_from_slice(&selector);
                } else {
                    calldata.splice(0..0, selector);
                }
            }
            6 => {
                let copy = frames[i].clone();
                let at = self.rng.gen_range(0..=frames.len());
                frames.insert(at, copy);
            }
            7 if frames.len() > 1 => {
                frames.remove(i);
            }
            8 if frames.len() > 1 => {
                let j = self.rng.gen_range(0..frames.len());
                frames.swap(i, j);
            }
            _ => {
                let mut calldata = std::mem::take(&mut frames[i].3);
                self.mutate_bytes(&mut calldata);
                frames[i].3 = calldata;
            }
        }
        data.clear();
        for (module, caller, height, calldata) in frames.iter().take(module_call::CALLS_MAX) {
            data.extend_from_slice(&module_call::frame(*module, *caller, *height, calldata));
        }
    }

    /// Replaces one value of a JSON request (method names included).
    fn mutate_json(&mut self, data: &mut Vec<u8>) {
        let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(data) else {
            self.mutate_bytes(data);
            return;
        };
        let replacement = self.json_value();
        let mut node = &mut value;
        // Walk down a random path; stop at a random depth.
        loop {
            let children = match node {
                serde_json::Value::Array(items) => items.len(),
                serde_json::Value::Object(map) => map.len(),
                _ => 0,
            };
            if children == 0 || self.rng.gen_ratio(1, 3) {
                break;
            }
            let i = self.rng.gen_range(0..children);
            node = match node {
                serde_json::Value::Array(items) => &mut items[i],
                serde_json::Value::Object(map) => map.values_mut().nth(i).unwrap(),
                _ => unreachable!(),
            };
        }
        *node = replacement;
        *data = serde_json::to_vec(&value).expect("JSON serialises");
    }

    fn json_value(&mut self) -> serde_json::Value {
        use serde_json::{Value, json};
        match self.rng.gen_range(0..12) {
            0 => Value::Null,
            1 => json!(self.rng.r#gen::<bool>()),
            2 => json!(self.interesting_value(0)),
            3 => json!(-(self.rng.gen_range(0..1_000_000i64))),
            4 => json!(1e300),
            5 => json!(format!("0x{:x}", self.interesting_value(0))),
            6 => json!(format!("0x{}", "f".repeat(self.rng.gen_range(0..80)))),
            7 => json!(
                *[
                    "latest",
                    "pending",
                    "earliest",
                    "safe",
                    "finalized",
                    "",
                    "0x"
                ]
                .choose(&mut self.rng)
                .unwrap()
            ),
            8 => {
                let dictionary = self.dictionary.clone();
                let token = dictionary.choose(&mut self.rng).unwrap();
                serde_json::from_slice(token)
                    .unwrap_or_else(|_| json!(String::from_utf8_lossy(token)))
            }
            9 => json!([]),
            10 => json!({}),
            _ => Value::Array(
                (0..self.rng.gen_range(1..200))
                    .map(|_| json!(self.rng.gen_range(0..101)))
                    .collect(),
            ),
        }
    }
}

/// Writes `bytes` at `at`, growing `data` if needed.
fn overwrite(data: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    let end = at + bytes.len();
    if data.len() < end {
        data.resize(end, 0);
    }
    data[at..end].copy_from_slice(bytes);
}
