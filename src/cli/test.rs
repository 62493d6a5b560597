//! `bp test [PATH…]` (SPEC §10, §11): runs every scenario given, or found under the given
//! folders (default `.`), each independently, in sorted path order.
//!
//! A scenario's program is the `.bp` files named by its first line, `# uses: a.bp, b.bp`
//! (relative to the scenario), or else the `.bp` files of its folder (sorted). stdout gets one
//! line per scenario, `PASS path` or `FAIL path: reason`, and last `N passed, N failed`;
//! stderr gets the details of each failure (diagnostics, the failed `expect`). Folders are
//! searched recursively, skipping hidden folders and `target`. Exit: 0 when every scenario
//! passes, 1 when one fails, 2 when a given path does not exist.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{emit, load, FAILURE, SUCCESS, USAGE};
use crate::diag::human;
use crate::scenario::{uses_line, Observer, RunStop, Runner};

/// Arguments of `bp test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (.bps) or folders to search; default: the current folder
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
}

/// Runs `bp test`.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let roots = if args.paths.is_empty() { vec![".".to_string()] } else { args.paths };
    let mut scenarios = Vec::new();
    for root in &roots {
        let path = Path::new(root);
        if path.is_file() {
            scenarios.push(path.to_path_buf());
        } else if path.is_dir() {
            find_scenarios(path, &mut scenarios);
        } else {
            emit(err, &format!("error: cannot read `{root}`: no such file or folder\n"));
            return USAGE;
        }
    }
    scenarios.sort();
    scenarios.dedup();
    let (mut passed, mut failed) = (0, 0);
    for scenario in &scenarios {
        let shown = display(scenario);
        match run_one(scenario, err) {
            Ok(()) => {
                passed += 1;
                emit(out, &format!("PASS {shown}\n"));
            }
            Err(reason) => {
                failed += 1;
                emit(out, &format!("FAIL {shown}: {reason}\n"));
            }
        }
    }
    emit(out, &format!("{passed} passed, {failed} failed\n"));
    if failed > 0 {
        FAILURE
    } else {
        SUCCESS
    }
}

/// `./a/b.bps` → `a/b.bps`.
fn display(path: &Path) -> String {
    let text = path.to_string_lossy();
    text.strip_prefix("./").unwrap_or(&text).to_string()
}

/// Every `*.bps` under `folder`, skipping hidden folders and `target`.
fn find_scenarios(folder: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                find_scenarios(&path, found);
            }
        } else if name.ends_with(".bps") {
            found.push(path);
        }
    }
}

/// The program files of a scenario: its `# uses:` line, or the `.bp` files of its folder.
fn program_files(scenario: &Path, text: &str) -> Vec<String> {
    let folder = scenario.parent().unwrap_or(Path::new(""));
    if let Some(uses) = uses_line(text) {
        return uses.iter().map(|name| display(&folder.join(name))).collect();
    }
    let listing = if folder.as_os_str().is_empty() { Path::new(".") } else { folder };
    let mut files: Vec<String> = std::fs::read_dir(listing)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "bp"))
                .map(|p| display(&folder.join(p.file_name().unwrap_or_default())))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs one scenario quietly; `Err` is the reason shown after `FAIL path:`. Details go to
/// `err`.
fn run_one(scenario: &Path, err: &mut dyn Write) -> Result<(), String> {
    let name = display(scenario);
    let loaded =
        load::read(&name).map_err(|e| format!("cannot read the scenario: {}", e.reason))?;
    let paths = program_files(scenario, &loaded.text);
    let files = load::read_all(&paths).map_err(|errors| {
        let first = &errors[0];
        format!("cannot read `{}`: {}", first.path, first.reason)
    })?;
    let compilation = load::compile(&files);
    if compilation.has_errors() {
        emit(err, &human::render_all(&compilation.diagnostics, &compilation.sources, false));
        let count = compilation.diagnostics.iter().filter(|d| d.is_error()).count();
        let noun = if count == 1 { "error" } else { "errors" };
        return Err(format!("the program has {count} {noun}"));
    }
    if loaded.invalid_utf8_at.is_some() {
        return Err("the scenario is not valid UTF-8".to_string());
    }
    let mut runner = Runner::new(&compilation);
    let file = runner.add_source(name, loaded.text);
    let commands = runner.parse(file);
    match runner.run_all(&commands, 0, &mut Quiet) {
        Ok(()) => Ok(()),
        Err(RunStop::Scenario(error)) => {
            emit(err, &error.render(runner.sources()));
            Err(error.summary(runner.sources()))
        }
        Err(RunStop::Observer(message)) => Err(message),
    }
}

/// `bp test` prints no effects.
struct Quiet;

impl Observer for Quiet {}
