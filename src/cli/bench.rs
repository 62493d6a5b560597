//! `bp bench KIND …`: measure one workload and print one JSON line on stdout.
//!
//! - `bp bench check [--lines N]`: parse and check a generated program of about N lines
//!   (`bench::generate_program`) and print
//!   `{"bench":"check","lines":…,"bytes":…,"parse_check_s":…,"mb_per_s":…,"peak_rss_mib":…,
//!   "diagnostics":…}`. The time covers `compile()` (stdlib included), not the generation.
//!
//! Another workload is another variant of `Kind` and an arm in `run`.

use std::io::Write;
use std::time::Instant;

use clap::Subcommand;
use serde_json::json;

use super::{emit, SUCCESS};
use crate::bench;

/// Arguments of `bp bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub kind: Kind,
}

/// The workloads.
#[derive(Debug, Subcommand)]
pub enum Kind {
    /// Parse and check a generated program
    Check(CheckArgs),
}

/// Arguments of `bp bench check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// About how many lines the generated program has
    #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub lines: u32,
}

/// Runs the chosen workload.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match args.kind {
        Kind::Check(args) => run_check(args, out, err),
    }
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

fn round(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}
