//! `bp fmt [--check] FILE…` and `bp fmt -` (SPEC §11): rewrite files in the canonical layout
//! (`crate::fmt`, docs/style.md), keeping every comment.
//!
//! - `bp fmt FILE…` rewrites each file that changes, atomically (a temporary file in the same
//!   folder, flushed, then renamed over the original, keeping its permissions); it prints
//!   nothing.
//! - `bp fmt --check FILE…` changes nothing and prints, on stdout, the name of each file that
//!   would change, one per line.
//! - `bp fmt -` reads stdin and writes the formatted text on stdout (`--check -` prints `-`
//!   instead when it would change).
//!
//! A file with syntax errors is not rewritten: its diagnostics go to stderr. Exit: 2 when a
//! file cannot be read or written (or `-` is mixed with files), else 1 when a file has syntax
//! errors or `--check` found a file to change, else 0. Every file is handled, whatever happens
//! to the others.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use super::{color_allowed, emit, load, FAILURE, SUCCESS, USAGE};
use crate::diag::human;
use crate::fmt::{format_source, FormatError};

/// Arguments of `bp fmt`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The .bp files to format, or `-` to read stdin and write stdout
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
    /// Change nothing; list the files that would change and exit 1 if there are any
    #[arg(long)]
    pub check: bool,
}

/// What happened to one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Unchanged,
    /// Rewritten, or printed on stdout for `-`.
    Formatted,
    /// `--check`: the input would change.
    WouldChange,
    /// Syntax errors or an internal refusal: reported, not rewritten.
    Failed,
    /// Unreadable or unwritable.
    Unusable,
}

/// Runs `bp fmt`.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    if args.files.iter().any(|f| f == "-") {
        if args.files.len() > 1 {
            emit(err, "error: `-` (stdin) cannot be combined with files\n");
            return USAGE;
        }
        return exit_status([run_stdin(args.check, out, err)]);
    }
    let outcomes: Vec<Outcome> =
        args.files.iter().map(|path| run_file(path, args.check, out, err)).collect();
    exit_status(outcomes)
}

fn run_file(path: &str, check: bool, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
    let file = match load::read(path) {
        Ok(file) => file,
        Err(error) => {
            emit(err, &format!("{error}\n"));
            return Outcome::Unusable;
        }
    };
    let Some(formatted) = format_checked(&file, err) else { return Outcome::Failed };
    if formatted == file.text {
        return Outcome::Unchanged;
    }
    if check {
        emit(out, &format!("{path}\n"));
        return Outcome::WouldChange;
    }
    match write_atomically(Path::new(path), &formatted) {
        Ok(()) => Outcome::Formatted,
        Err(error) => {
            emit(err, &format!("error: cannot write `{path}`: {error}\n"));
            Outcome::Unusable
        }
    }
}

fn run_stdin(check: bool, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
    let mut bytes = Vec::new();
    if let Err(error) = std::io::stdin().lock().read_to_end(&mut bytes) {
        emit(err, &format!("error: cannot read stdin: {error}\n"));
        return Outcome::Unusable;
    }
    let file = load::decode("-", bytes);
    let Some(formatted) = format_checked(&file, err) else { return Outcome::Failed };
    if check {
        if formatted == file.text {
            return Outcome::Unchanged;
        }
        emit(out, "-\n");
        return Outcome::WouldChange;
    }
    emit(out, &formatted);
    Outcome::Formatted
}

/// The formatted text, or `None` after reporting why there is none on `err`.
fn format_checked(file: &load::LoadedFile, err: &mut dyn Write) -> Option<String> {
    if file.invalid_utf8_at.is_some() {
        // The load module words this diagnostic; compiling the file gives it with its span.
        let compilation = load::compile(std::slice::from_ref(file));
        let invalid: Vec<_> =
            compilation.diagnostics.into_iter().filter(|d| d.message.contains("UTF-8")).collect();
        emit(err, &human::render_all(&invalid, &compilation.sources, stderr_color()));
        return None;
    }
    match format_source(&file.name, &file.text) {
        Ok(formatted) => Some(formatted),
        Err(FormatError::Syntax { sources, diagnostics }) => {
            emit(err, &human::render_all(&diagnostics, &sources, stderr_color()));
            None
        }
        Err(FormatError::Unsafe { reason }) => {
            emit(
                err,
                &format!(
                    "error: `{}` was left unchanged: {reason} (this is a bug in `bp fmt`)\n",
                    file.name
                ),
            );
            None
        }
    }
}

/// Replaces `path` by `text` through a temporary file in the same folder, so a reader (or a
/// crash) sees the old or the new content, never a mix.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = folder.join(format!(".{name}.bp-fmt-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(metadata) = std::fs::metadata(path) {
            std::fs::set_permissions(&temporary, metadata.permissions())?;
        }
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// 2 for an unusable input, else 1 for a failure or a file `--check` would change, else 0.
fn exit_status(outcomes: impl IntoIterator<Item = Outcome>) -> u8 {
    match outcomes.into_iter().max() {
        Some(Outcome::Unusable) => USAGE,
        Some(Outcome::Failed | Outcome::WouldChange) => FAILURE,
        _ => SUCCESS,
    }
}

fn stderr_color() -> bool {
    color_allowed(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_outcome_chooses_the_exit_code() {
        use Outcome::*;
        let cases: [(&[Outcome], u8); 5] = [
            (&[], SUCCESS),
            (&[Unchanged, Formatted], SUCCESS),
            (&[Formatted, WouldChange], FAILURE),
            (&[Failed, Unchanged], FAILURE),
            (&[Failed, Unusable, WouldChange], USAGE),
        ];
        for (outcomes, expected) in cases {
            assert_eq!(exit_status(outcomes.iter().copied()), expected, "{outcomes:?}");
        }
    }

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_temporary_file() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let path = folder.path().join("a.bp");
        std::fs::write(&path, "old").expect("write");
        write_atomically(&path, "new\n").expect("atomic write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new\n");
        let names: Vec<_> = std::fs::read_dir(folder.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.bp")]);
    }
}
