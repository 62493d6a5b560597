//! `bp graph FILE… [--pipeline P] [--format mermaid|dot]` (SPEC §11): draw the pipelines and
//! processes of a program (`crate::graph`, docs/style.md) on stdout.
//!
//! The files are compiled together with the stdlib first; a program with errors is not drawn:
//! its diagnostics go to stderr and the exit status is 1. Warnings do not stop the drawing.
//! Exit 2 for an unreadable file or a `--pipeline` that names no pipeline.

use std::io::{IsTerminal, Write};

use clap::ValueEnum;

use super::{color_allowed, emit, load, FAILURE, SUCCESS, USAGE};
use crate::diag::{human, Diagnostic};
use crate::graph;

/// Arguments of `bp graph`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The .bp files of the program
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
    /// Draw only this pipeline (and the processes of its kind)
    #[arg(long, value_name = "P")]
    pub pipeline: Option<String>,
    /// Output language
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    pub format: Format,
}

/// The output languages of `bp graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A Mermaid `flowchart`
    Mermaid,
    /// A Graphviz `digraph`
    Dot,
}

/// Runs `bp graph`.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let files = match load::read_all(&args.files) {
        Ok(files) => files,
        Err(errors) => {
            for error in errors {
                emit(err, &format!("{error}\n"));
            }
            return USAGE;
        }
    };
    let compilation = load::compile(&files);
    if compilation.has_errors() {
        let color = color_allowed(err_is_terminal(), std::env::var_os("NO_COLOR").is_some());
        let errors: Vec<Diagnostic> =
            compilation.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
        emit(err, &human::render_all(&errors, &compilation.sources, color));
        return FAILURE;
    }
    let user_modules = user_modules(&compilation.program.modules, files.len());
    match graph::build(user_modules, args.pipeline.as_deref()) {
        Ok(diagram) => {
            let text = match args.format {
                Format::Mermaid => graph::mermaid(&diagram),
                Format::Dot => graph::dot(&diagram),
            };
            emit(out, &text);
            SUCCESS
        }
        Err(error) => {
            emit(err, &format!("error: {error}\n"));
            USAGE
        }
    }
}

/// The modules of the user's files: the last `count` (the stdlib comes first).
fn user_modules(modules: &[crate::ast::Module], count: usize) -> &[crate::ast::Module] {
    &modules[modules.len().saturating_sub(count)..]
}

fn err_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}
