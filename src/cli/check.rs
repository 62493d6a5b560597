//! `bp check FILE… [--format human|json|sarif|github] [--deny-warnings]` (SPEC §11): parse and
//! type-check, print the diagnostics on stdout, choose the exit code.
//!
//! Output: `human` is miette reports then a summary line (`error: 1 error, 2 warnings`), nothing
//! at all for a clean program; `json`, `sarif` and `github` are exactly `diag::machine`'s.
//! Exit: 0 clean or warnings only; 1 an error, or a warning with `--deny-warnings`; 2 an
//! unreadable file (named on stderr; nothing is checked then).

use std::io::Write;

use clap::ValueEnum;

use super::{emit, load, FAILURE, SUCCESS, USAGE};
use crate::diag::{human, machine, Diagnostic};
use crate::source::SourceMap;

/// Arguments of `bp check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The .bp files to check together, as one program
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
    /// Output format of the diagnostics
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 1 when there are warnings
    #[arg(long)]
    pub deny_warnings: bool,
}

/// The diagnostic output formats of SPEC §11.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

/// Runs `bp check`; colour follows `cli::stdout_color`.
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
    let color = args.format == Format::Human && super::stdout_color();
    emit(out, &render(args.format, &compilation.diagnostics, &compilation.sources, color));
    exit_status(&compilation.diagnostics, args.deny_warnings)
}

/// The diagnostics in the chosen format.
pub fn render(format: Format, diagnostics: &[Diagnostic], map: &SourceMap, color: bool) -> String {
    match format {
        Format::Human => human::render_all(diagnostics, map, color),
        Format::Json => machine::json(diagnostics, map),
        Format::Sarif => machine::sarif(diagnostics, map),
        Format::Github => machine::github(diagnostics, map),
    }
}

/// 1 for any error, or any warning under `--deny-warnings`; else 0.
pub fn exit_status(diagnostics: &[Diagnostic], deny_warnings: bool) -> u8 {
    let failing = diagnostics.iter().any(|d| d.is_error() || deny_warnings);
    if failing {
        FAILURE
    } else {
        SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;
    use crate::span::Span;

    #[test]
    fn exit_status_follows_errors_and_deny_warnings() {
        let span = Span::default();
        let error = Diagnostic::new(Code::E0101, "unknown name", span, "");
        let warning = Diagnostic::new(Code::W0204, "no success stage", span, "");
        let cases: &[(&[Diagnostic], bool, u8)] = &[
            (&[], false, SUCCESS),
            (&[], true, SUCCESS),
            (std::slice::from_ref(&warning), false, SUCCESS),
            (std::slice::from_ref(&warning), true, FAILURE),
            (std::slice::from_ref(&error), false, FAILURE),
            (&[warning.clone(), error.clone()], true, FAILURE),
        ];
        for (diagnostics, deny_warnings, expected) in cases {
            assert_eq!(exit_status(diagnostics, *deny_warnings), *expected);
        }
    }
}
