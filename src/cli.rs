//! The command line (SPEC §11): the subcommand enum, the exit-code policy and the IO edge.
//!
//! Each command lives in `cli/<name>.rs` with an `Args` struct (clap derive) and a
//! `run(args, out, err) -> u8` function that writes through the writers it is given, so tests
//! can capture its output. Adding a command is two lines here: a variant of `Command` and an
//! arm of `Command::run` (plus its `pub mod`).
//!
//! Exit codes, every command: `SUCCESS` (0), `FAILURE` (1: errors in the program, a failed
//! expectation or test), `USAGE` (2: bad arguments, unreadable files or state). clap's own
//! usage errors exit 2 as well; `--help` and `--version` exit 0.

pub mod bench;
pub mod check;
pub mod fmt;
pub mod graph;
pub mod load;
pub mod repl;
pub mod run;
pub mod state;
pub mod test;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Success; warnings allowed unless `--deny-warnings`.
pub const SUCCESS: u8 = 0;
/// Errors in the program, a failed `expect` or test, files `fmt --check` would change.
pub const FAILURE: u8 = 1;
/// Usage errors, unreadable files, unreadable or incompatible state.
pub const USAGE: u8 = 2;

/// bp: business processes as code — check, run and test CRM pipelines and processes.
#[derive(Debug, Parser)]
#[command(name = "bp", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand. Keep the variants in SPEC §11 order.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and type-check .bp files; diagnostics go to stdout
    Check(check::Args),
    /// Run a scenario against the program; the effect log goes to stdout
    Run(run::Args),
    /// Run every scenario (.bps) given or found under the given folders
    Test(test::Args),
    /// Explore the program interactively: scenario commands, expressions, :help
    Repl(repl::Args),
    /// Rewrite .bp files in the canonical layout, keeping comments (`-`: stdin to stdout)
    Fmt(fmt::Args),
    /// Draw the pipelines and processes as a Mermaid or Graphviz diagram
    Graph(graph::Args),
    /// Export a state file as JSON, or import a JSON state into a file (.db or .json)
    State(state::Args),
    /// Measure the compiler or the runtime on a generated workload; prints one JSON line
    Bench(bench::Args),
}

impl Command {
    /// Runs the command with the process's stdout and stderr.
    pub fn run(self, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
        match self {
            Command::Check(args) => check::run(args, out, err),
            Command::Run(args) => run::run(args, out, err),
            Command::Test(args) => test::run(args, out, err),
            Command::Repl(args) => repl::run(args, out, err),
            Command::Fmt(args) => fmt::run(args, out, err),
            Command::Graph(args) => graph::run(args, out, err),
            Command::State(args) => state::run(args, out, err),
            Command::Bench(args) => bench::run(args, out, err),
        }
    }
}

/// The entry point of the binary: parses the arguments, runs the command, flushes.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Prints usage errors on stderr (exit 2) and --help/--version on stdout (exit 0).
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { USAGE } else { SUCCESS });
        }
    };
    let stdout = io::stdout();
    let stderr = io::stderr();
    // Line-buffered (std's own), so interactive commands show each line as it is written.
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let status = cli.command.run(&mut out, &mut err);
    // A closed pipe (`bp check … | head`) is not worth a panic or a different exit code.
    let _ = out.flush();
    ExitCode::from(status)
}

/// Whether output to stdout may use colour: only on a terminal and never when `NO_COLOR` is
/// set, whatever its value (SPEC §11).
pub fn stdout_color() -> bool {
    color_allowed(io::stdout().is_terminal(), std::env::var_os("NO_COLOR").is_some())
}

/// The same policy for diagnostics written to stderr (`bp run` on a program with errors).
pub fn stderr_color() -> bool {
    color_allowed(io::stderr().is_terminal(), std::env::var_os("NO_COLOR").is_some())
}

/// The colour policy as a pure function of its two inputs.
pub fn color_allowed(is_terminal: bool, no_color_set: bool) -> bool {
    is_terminal && !no_color_set
}

/// Writes a line to a writer, ignoring failure (a closed stdout or stderr must not panic).
pub fn emit(writer: &mut dyn Write, text: &str) {
    let _ = writer.write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let cases = [((true, false), true), ((true, true), false), ((false, false), false)];
        for ((is_terminal, no_color), expected) in cases {
            assert_eq!(color_allowed(is_terminal, no_color), expected);
        }
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
