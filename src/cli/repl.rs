//! `bp repl [FILE…] [--state PATH]` (SPEC §12): the interactive session. The session itself
//! is `repl::Session`; the terminal (or the pipe) is `repl::terminal`.

use std::io::Write;
use std::path::PathBuf;

/// Arguments of `bp repl`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The .bp files of the program (files with errors are reported and left out)
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// Keep the CRM state in this file (`.db`: SQLite, `.json`: JSON), saved after each command
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Pending work of a state whose rules, stages or processes the program no longer has
    #[arg(long, value_enum, value_name = "drop|keep", requires = "state")]
    pub migrate: Option<crate::store::Migrate>,
}

/// Runs `bp repl`: 0 when the session ends, 2 when the state file cannot be opened.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let options = crate::repl::Options {
        files: args.files,
        state: args.state,
        migrate: args.migrate,
        color: false,
    };
    crate::repl::terminal::run(options, out, err)
}
