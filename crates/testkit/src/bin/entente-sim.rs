//! Runs random fault schedules against a simulated consortium and prints the figures.
//!
//! ```sh
//! entente-sim --seed 17                  # replay one seed (RUST_LOG=info for the trace)
//! entente-sim --seeds 500 --first 1000   # a soak: seeds 1000..1500
//! ```
//!
//! Options: `--validators N` (default 4), `--steps K` (default 10). Exits non-zero if
//! any seed fails; each failure prints its plan and a one-line replay command.

use std::time::Instant;

use entente_testkit::sim::{Figures, run_seed};

struct Args {
    first: u64,
    seeds: u64,
    validators: usize,
    steps: usize,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        first: 1,
        seeds: 1,
        validators: 4,
        steps: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or(format!("{flag} needs a value"))?
                .parse::<u64>()
                .map_err(|err| format!("{flag}: {err}"))
        };
        match flag.as_str() {
            "--seed" => {
                args.first = value()?;
                args.seeds = 1;
            }
            "--first" => args.first = value()?,
            "--seeds" => args.seeds = value()?,
            "--validators" => args.validators = value()? as usize,
            "--steps" => args.steps = value()? as usize,
            "-h" | "--help" => {
                return Err(
                    "usage: entente-sim [--seed S | --seeds N [--first S]] [--validators N] [--steps K]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !(1..=10).contains(&args.validators) {
        return Err("--validators must be 1..=10".into());
    }
    Ok(args)
}

fn main() {
    let args = match parse() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("{err}");
            std::process::exit(2);
        }
    };
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let started = Instant::now();
    let mut total = Figures::default();
    for seed in args.first..args.first.saturating_add(args.seeds) {
        match run_seed(seed, args.validators, args.steps) {
            Ok(figures) => total.merge(&figures),
            Err(_) => {
                total.seeds += 1;
                total.failed_seeds.push(seed);
            }
        }
    }
    println!("{total}");
    println!(
        "wall time: {:.1} s for {} seeds",
        started.elapsed().as_secs_f64(),
        total.seeds
    );
    if !total.failed_seeds.is_empty() {
        std::process::exit(1);
    }
}
