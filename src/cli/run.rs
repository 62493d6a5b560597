//! `bp run FILE… --scenario S.bps [--format text|json] [--until DATETIME]` (SPEC §10, §11).
//!
//! stdout carries the effect log and nothing else (`json`: one §9 object per line; `text`: one
//! line per effect), written as each command logs it, so the effects before a failure stay
//! printed. Everything else goes to stderr: the program's warnings, inspection output (with the
//! scenario line), scenario errors and failed `expect`s (`S.bps:12: expect failed: …`).
//! Exit: 0; 1 when the program has errors (nothing runs), a line is invalid or an `expect`
//! fails; 2 for unreadable files and unreadable or incompatible state. `--state PATH`
//! (`--resume`, `--migrate drop|keep`) runs on a file-backed state (`store::Session`): loaded
//! before the first command, saved after each one through the `Observer::applied` hook, and
//! snapshotted at the end whatever the outcome.

use std::io::{IsTerminal, Write};
use std::ops::Range;

use chrono::NaiveDateTime;
use clap::ValueEnum;

use super::{emit, load, FAILURE, SUCCESS, USAGE};
use crate::diag::{human, Code, Diagnostic};
use crate::scenario::{Command, Observer, RunStop, Runner};
use crate::span::Span;
use crate::store::Session;

/// Arguments of `bp run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The .bp files of the program
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
    /// The scenario to run (.bps)
    #[arg(long, value_name = "S.bps")]
    pub scenario: String,
    /// Output format of the effect log
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// After the last line, advance the clock to this moment (`2026-03-05 10:00`)
    #[arg(long, value_name = "DATETIME", value_parser = parse_moment)]
    pub until: Option<NaiveDateTime>,
    /// Keep the CRM state in this file across runs (`.db`: SQLite, `.json`: JSON)
    #[arg(long, value_name = "PATH")]
    pub state: Option<std::path::PathBuf>,
    /// Skip the commands of this scenario that the state has already applied
    #[arg(long, requires = "state")]
    pub resume: bool,
    /// Pending work of a state whose rules, stages or processes the program no longer has
    #[arg(long, value_enum, value_name = "drop|keep", requires = "state")]
    pub migrate: Option<crate::store::Migrate>,
}

/// The effect log formats of SPEC §9.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `--until` accepts `2026-03-05 10:00`, `2026-03-05T10:00` or `2026-03-05`.
fn parse_moment(text: &str) -> Result<NaiveDateTime, String> {
    crate::scenario::parse_datetime_text(text)
        .ok_or_else(|| format!("expected a moment such as `2026-03-05 10:00`, found `{text}`"))
}

/// Runs `bp run`.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let color = super::color_allowed(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").is_some(),
    );
    let (files, scenario) = match (load::read_all(&args.files), load::read(&args.scenario)) {
        (Ok(files), Ok(scenario)) => (files, scenario),
        (files, scenario) => {
            for error in files.err().into_iter().flatten().chain(scenario.err()) {
                emit(err, &format!("{error}\n"));
            }
            return USAGE;
        }
    };
    let compilation = load::compile(&files);
    if !compilation.diagnostics.is_empty() {
        emit(err, &human::render_all(&compilation.diagnostics, &compilation.sources, color));
    }
    if compilation.has_errors() {
        return FAILURE;
    }
    // --state: the state file's engine and aliases (store/session.rs), else a fresh engine.
    let mut session = match &args.state {
        Some(path) => match Session::open(path, &compilation.model, args.migrate) {
            Ok(session) => Some(session),
            Err(error) => {
                emit(err, &format!("error: {error}\n"));
                return USAGE;
            }
        },
        None => None,
    };
    for note in session.iter().flat_map(|s| &s.notes) {
        emit(err, &format!("note: {note}\n"));
    }
    let mut runner = match &mut session {
        Some(session) => session.runner(&compilation),
        None => Runner::new(&compilation),
    };
    let file = runner.add_source(scenario.name.clone(), scenario.text.clone());
    if let Some(at) = scenario.invalid_utf8_at {
        let span = Span::new(file, at, at + char::REPLACEMENT_CHARACTER.len_utf8());
        let diagnostic = Diagnostic::new(Code::E0001, "invalid UTF-8 in scenario", span, "here")
            .with_help("save the scenario with the UTF-8 encoding");
        let error = crate::scenario::ScenarioError::Invalid(vec![diagnostic]);
        emit(err, &error.render(runner.sources()));
        return FAILURE;
    }
    let commands = runner.parse(file);
    let skip = session.as_mut().map_or(0, |s| s.begin_scenario(&scenario.text, args.resume));
    let mut printer = Printer { out, err, format: args.format, session: session.as_mut() };
    let status = run_commands(&mut runner, &commands, skip, args.until, &mut printer);
    // SPEC §13: the state keeps every command that completed, even when a later one failed.
    match printer.session.take().map(|session| session.finish(&runner)) {
        Some(Err(error)) => {
            emit(printer.err, &format!("error: {error}\n"));
            USAGE
        }
        _ => status,
    }
}

/// The run loop and `--until`; returns the exit status.
fn run_commands(
    runner: &mut Runner,
    commands: &[Result<Command, Diagnostic>],
    skip: usize,
    until: Option<NaiveDateTime>,
    printer: &mut Printer,
) -> u8 {
    if let Err(stop) = runner.run_all(commands, skip, printer) {
        match stop {
            RunStop::Scenario(error) => emit(printer.err, &error.render(runner.sources())),
            RunStop::Observer(message) => {
                emit(printer.err, &format!("error: {message}\n"));
                return USAGE;
            }
        }
        return FAILURE;
    }
    if let Some(until) = until {
        match runner.advance_until(until) {
            Ok(range) => {
                printer.effects(runner, range);
                if let Err(message) = printer.applied_outside(runner) {
                    emit(printer.err, &format!("error: {message}\n"));
                    return USAGE;
                }
            }
            Err(message) => {
                emit(printer.err, &format!("error: --until: {message}\n"));
                return FAILURE;
            }
        }
    }
    SUCCESS
}

/// Prints the effect log on stdout and inspection output on stderr, as the run goes.
struct Printer<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    format: Format,
    /// `--state`: saved after each command.
    session: Option<&'a mut Session>,
}

impl Printer<'_> {
    /// Saves work done outside the scenario's commands (`--until`).
    fn applied_outside(&mut self, runner: &Runner) -> Result<(), String> {
        match &mut self.session {
            Some(session) => session.command_done(runner, None).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
}

impl Observer for Printer<'_> {
    fn applied(&mut self, runner: &Runner, index: usize) -> Result<(), String> {
        match &mut self.session {
            Some(session) => session.command_done(runner, Some(index)).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    fn effects(&mut self, runner: &Runner, range: Range<usize>) {
        let engine = runner.engine();
        let mut text = String::new();
        for effect in engine.effects().get(range).unwrap_or(&[]) {
            match self.format {
                Format::Json => text.push_str(&engine.effect_json(effect)),
                Format::Text => text.push_str(&engine.effect_text(effect)),
            }
            text.push('\n');
        }
        emit(self.out, &text);
        let _ = self.out.flush();
    }

    fn inspection(&mut self, runner: &Runner, command: &Command, lines: &[String]) {
        let map = runner.sources();
        let header = map.snippet(command.span).lines().next().unwrap_or("");
        let mut text = format!("{}: {header}\n", crate::scenario::run::location(map, command.span));
        if lines.is_empty() {
            text.push_str("  (none)\n");
        }
        for line in lines {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
        emit(self.err, &text);
    }
}
