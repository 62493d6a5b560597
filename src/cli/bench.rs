//! `bp bench KIND …`: measure one workload and print one JSON line on stdout.
//!
//! - `bp bench deals --n N [--state PATH]`: the reference runtime workload (SPEC §11,
//!   `bench::deals`) and the line the peer engines print (shared/bench/peers):
//!   `{"engine":"bp","engine_version":…,"runtime":"rust","n":…,"timers_fired":…,
//!   "timers_cancelled":…,"run_s":…,"instances_per_s":…,"peak_rss_mib":…,` then
//!   `"notifications","effects","compile_s","state","virtual_end"}`. A run whose counts do not
//!   add up prints what is wrong on stderr and exits 1; an unusable state file exits 2.
//! - `bp bench check [--lines N]`: parse and check a generated program of about N lines
//!   (`bench::generate_program`) and print
//!   `{"bench":"check","lines":…,"bytes":…,"parse_check_s":…,"mb_per_s":…,"peak_rss_mib":…,
//!   "diagnostics":…}`. The time covers `compile()` (stdlib included), not the generation.
//! - `bp bench template [--n N]` and `bp bench workhours [--n N]`: micro-benchmarks
//!   (`bench::micro`), `{"bench":…,"n":…,"seconds":…,"ns_per_op":…,"ops_per_s":…,
//!   "checksum":…}`.
//!
//! Another workload is another variant of `Kind` and an arm in `run`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Subcommand;
use serde_json::json;

use super::{emit, FAILURE, SUCCESS, USAGE};
use crate::bench;
use crate::bench::deals::{self, Failure, Options};

/// Arguments of `bp bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub kind: Kind,
}

/// The workloads.
#[derive(Debug, Subcommand)]
pub enum Kind {
    /// The reference runtime workload: N deals wait one day unless moved (half are moved)
    Deals(DealsArgs),
    /// Parse and check a generated program
    Check(CheckArgs),
    /// Render the reference workload's notification template N times
    Template(MicroArgs),
    /// Add N working-time delays with a calendar that has breaks and holidays
    Workhours(MicroArgs),
}

/// Arguments of `bp bench deals`.
#[derive(Debug, clap::Args)]
pub struct DealsArgs {
    /// How many deals enter the stage
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub n: u64,
    /// Keep the state in this file (`.db`: SQLite, `.json`: JSON), saved after each command;
    /// it must not exist yet
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Virtual milliseconds between two deals entering the stage
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=86_400_000))]
    pub spacing_ms: u64,
    /// Virtual seconds after which the even deals are moved on
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(0..=8_640_000))]
    pub move_after_s: u64,
}

/// Arguments of `bp bench check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// About how many lines the generated program has
    #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub lines: u32,
}

/// Arguments of the micro-benchmarks.
#[derive(Debug, clap::Args)]
pub struct MicroArgs {
    /// How many operations
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub n: u64,
}

/// Runs the chosen workload.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match args.kind {
        Kind::Deals(args) => run_deals(args, out, err),
        Kind::Check(args) => run_check(args, out, err),
        Kind::Template(args) => run_micro("template", bench::micro::template(args.n), out, err),
        Kind::Workhours(args) => run_micro("workhours", bench::micro::workhours(args.n), out, err),
    }
}

fn run_deals(args: DealsArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let options = Options {
        n: args.n,
        spacing_ms: args.spacing_ms as i64,
        move_after_ms: args.move_after_s as i64 * 1000,
    };
    let store = match &args.state {
        None => None,
        Some(path) => match open_new_store(path) {
            Ok(store) => Some(store),
            Err(message) => {
                emit(err, &format!("error: {message}\n"));
                return USAGE;
            }
        },
    };
    let state_kind = match &args.state {
        None => "memory",
        Some(path) => match crate::store::kind_of(path) {
            Ok(crate::store::Kind::Sqlite) => "sqlite",
            _ => "json",
        },
    };
    let report = match deals::run(options, store) {
        Ok(report) => report,
        Err(failure) => {
            emit(err, &format!("error: bench deals: {failure}\n"));
            return match failure {
                Failure::Store(_) => USAGE,
                Failure::Program(_) | Failure::Check(_) => FAILURE,
            };
        }
    };
    let line = json!({
        "engine": "bp",
        "engine_version": env!("CARGO_PKG_VERSION"),
        "runtime": "rust",
        "n": report.n,
        "timers_fired": report.timers_fired,
        "timers_cancelled": report.timers_cancelled,
        "run_s": round(report.run_s, 4),
        "instances_per_s": round(report.n as f64 / report.run_s.max(1e-9), 1),
        "peak_rss_mib": bench::peak_rss_mib().map(|m| round(m, 1)),
        "notifications": report.notifications,
        "effects": report.effects,
        "compile_s": round(report.compile_s, 4),
        "state": state_kind,
        "virtual_end": report.virtual_end.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    emit(out, &format!("{line}\n"));
    SUCCESS
}

/// The store of a state file that does not exist yet (a benchmark never overwrites a state).
fn open_new_store(path: &std::path::Path) -> Result<Box<dyn crate::store::Store>, String> {
    crate::store::check_kind(path).map_err(|e| e.to_string())?;
    if path.exists() {
        return Err(format!(
            "state file `{}` already exists: `bp bench deals` writes a new state",
            path.display()
        ));
    }
    crate::store::open(path).map_err(|e| e.to_string())
}

fn run_check(args: CheckArgs, out: &mut dyn Write, _err: &mut dyn Write) -> u8 {
    let text = bench::generate_program(args.lines as usize);
    let lines = text.lines().count();
    let bytes = text.len();
    let start = Instant::now();
    let compilation = crate::compile(&[("bench.bp".to_string(), text)]);
    let seconds = start.elapsed().as_secs_f64();
    let line = json!({
        "bench": "check",
        "lines": lines,
        "bytes": bytes,
        "parse_check_s": round(seconds, 4),
        "mb_per_s": round(bytes as f64 / 1e6 / seconds.max(1e-9), 2),
        "peak_rss_mib": bench::peak_rss_mib().map(|m| round(m, 1)),
        "diagnostics": compilation.diagnostics.len(),
    });
    emit(out, &format!("{line}\n"));
    SUCCESS
}

fn run_micro(
    name: &str,
    measured: Result<bench::micro::Measured, String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let measured = match measured {
        Ok(m) => m,
        Err(message) => {
            emit(err, &format!("error: bench {name}: {message}\n"));
            return FAILURE;
        }
    };
    let seconds = measured.seconds.max(1e-9);
    let line = json!({
        "bench": name,
        "n": measured.ops,
        "seconds": round(measured.seconds, 4),
        "ns_per_op": round(seconds * 1e9 / measured.ops as f64, 1),
        "ops_per_s": round(measured.ops as f64 / seconds, 0),
        "checksum": measured.checksum,
    });
    emit(out, &format!("{line}\n"));
    SUCCESS
}

fn round(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn run_line(args: &[&str]) -> (u8, String, String) {
        use clap::Parser;
        let argv = std::iter::once("bp").chain(args.iter().copied());
        let cli = crate::cli::Cli::try_parse_from(argv).expect("valid arguments");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = cli.command.run(&mut out, &mut err);
        (
            status,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    }

    fn keys(value: &Value) -> Vec<&str> {
        value.as_object().expect("an object").keys().map(String::as_str).collect()
    }

    #[test]
    fn deals_prints_the_peer_line_with_checked_counts() {
        let (status, out, err) = run_line(&["bench", "deals", "--n", "1000"]);
        assert_eq!(status, SUCCESS, "{err}");
        assert_eq!(out.lines().count(), 1);
        let value: Value = serde_json::from_str(&out).expect("one json line");
        assert_eq!(
            keys(&value),
            [
                "engine",
                "engine_version",
                "runtime",
                "n",
                "timers_fired",
                "timers_cancelled",
                "run_s",
                "instances_per_s",
                "peak_rss_mib",
                "notifications",
                "effects",
                "compile_s",
                "state",
                "virtual_end"
            ]
        );
        assert_eq!(value["engine"], "bp");
        assert_eq!(value["runtime"], "rust");
        assert_eq!(value["n"], 1000);
        assert_eq!(value["timers_fired"], 500);
        assert_eq!(value["timers_cancelled"], 500);
        assert_eq!(value["notifications"], 500);
        assert_eq!(value["effects"], 1000 * 2 + 500 * 2 + 500);
        assert_eq!(value["state"], "memory");
        // The last deal entered at T0 + 999 ms; its timer fired a day later.
        assert_eq!(value["virtual_end"], "2025-01-07T09:00:00.999Z");
        assert!(value["run_s"].as_f64().is_some_and(|s| s >= 0.0));
        assert!(value["instances_per_s"].as_f64().is_some_and(|s| s > 0.0));
    }

    #[test]
    fn deals_through_a_state_file_gives_the_same_counts_and_keeps_the_state() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        for name in ["bench.db", "bench.json"] {
            let path = dir.path().join(name);
            let path_text = path.to_string_lossy().into_owned();
            let (status, out, err) =
                run_line(&["bench", "deals", "--n", "40", "--state", &path_text]);
            assert_eq!(status, SUCCESS, "{name}: {err}");
            let value: Value = serde_json::from_str(&out).expect("one json line");
            assert_eq!(
                (value["timers_fired"].as_u64(), value["timers_cancelled"].as_u64()),
                (Some(20), Some(20))
            );
            assert!(path.exists(), "{name}");
            // A second run refuses to overwrite the state (exit 2).
            let (status, out, err) =
                run_line(&["bench", "deals", "--n", "40", "--state", &path_text]);
            assert_eq!(status, USAGE);
            assert!(out.is_empty() && err.contains("already exists"), "{err}");
        }
    }

    #[test]
    fn deals_refuses_an_unknown_state_format() {
        let (status, out, err) = run_line(&["bench", "deals", "--n", "4", "--state", "x.txt"]);
        assert_eq!(status, USAGE);
        assert!(out.is_empty() && err.contains("unknown state format"), "{err}");
    }

    #[test]
    fn micro_benchmarks_print_one_line_each() {
        for kind in ["template", "workhours"] {
            let (status, out, err) = run_line(&["bench", kind, "--n", "200"]);
            assert_eq!(status, SUCCESS, "{kind}: {err}");
            let value: Value = serde_json::from_str(&out).expect("one json line");
            assert_eq!(
                keys(&value),
                ["bench", "n", "seconds", "ns_per_op", "ops_per_s", "checksum"]
            );
            assert_eq!(value["bench"], kind);
            assert_eq!(value["n"], 200);
            assert!(value["checksum"].as_u64().is_some_and(|c| c > 0), "{kind}");
        }
    }
}
