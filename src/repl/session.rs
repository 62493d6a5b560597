//! `Session`: the program, the scenario runner over its CRM state, and the store that keeps
//! that state; `eval` answers one input.
//!
//! The program is the list of `.bp` paths given on the command line and by `:load`. At start,
//! files that cannot be read or that have errors are reported and the session goes on with
//! the files that compile together (SPEC §12); `:reload` and `:load` swap the program only when
//! the new one has no error, carrying the CRM state over by name (`store::remap`, as a state
//! file opened by another program version).

use std::path::{Path, PathBuf};

use super::{why, Evaluated, Reply, Stream, Style};
use crate::cli::load::{self, LoadedFile, ReadError};
use crate::diag::{human, suggest, Diagnostic};
use crate::model::Model;
use crate::runtime::{Engine, Value};
use crate::scenario::command::COMMAND_WORDS;
use crate::scenario::{CommandKind, Runner, ScenarioError};
use crate::span::{FileId, Span};
use crate::store::{self, Migrate, OpenError, Session as StoreSession, Store};
use crate::types::Type;
use crate::Compilation;

/// Reads a `.bp` file (the disk in the binary; tests may serve files from memory).
pub type Reader = Box<dyn Fn(&str) -> Result<LoadedFile, ReadError>>;

/// How a session starts (`bp repl [FILE…] [--state PATH]`).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub files: Vec<String>,
    /// A file-backed state (`.db` or `.json`), loaded at start and saved after each command.
    pub state: Option<PathBuf>,
    /// What to do with pending work of a state that names declarations the program lost.
    pub migrate: Option<Migrate>,
    /// Render diagnostics in colour.
    pub color: bool,
}

/// The state file could not be opened (exit 2): the message, and what was shown before.
#[derive(Debug)]
pub struct StartError {
    /// What was shown before the state was opened (diagnostics of the program).
    pub reply: Box<Reply>,
    pub message: String,
}

/// One REPL session. See the module documentation of `repl`.
pub struct Session {
    /// The program's files as asked for (command line, then `:load`), in order.
    pub(super) paths: Vec<String>,
    /// The files the program in use was compiled from.
    pub(super) loaded: Vec<String>,
    read: Reader,
    pub(super) compilation: Compilation,
    pub(super) runner: Runner,
    pub(super) store: StoreSession,
    state_path: Option<PathBuf>,
    migrate: Option<Migrate>,
    pub(super) color: bool,
    /// Inputs registered as sources so far (`input 1`, `input 2` …).
    inputs: usize,
}

/// The words that start a REPL command that is not a scenario command.
pub const REPL_WORDS: &[&str] = &["why"];

impl Session {
    /// Starts a session reading files from disk.
    pub fn start(options: Options) -> Result<(Session, Reply), StartError> {
        Session::start_with(options, Box::new(load::read))
    }

    /// Starts a session with a file reader of the caller's choice.
    pub fn start_with(options: Options, read: Reader) -> Result<(Session, Reply), StartError> {
        let mut reply = Reply::default();
        let files = read_files(&read, &options.files, &mut reply);
        // An unreadable file is reported once and is not part of the program (`:load` it
        // again when it exists).
        let paths: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
        let all = load::compile(&files);
        report_diagnostics(&all, options.color, &mut reply);
        let (kept, compilation) = if all.has_errors() { best_subset(&files) } else { (files, all) };
        let loaded: Vec<String> = kept.iter().map(|f| f.name.clone()).collect();
        if loaded.len() < options.files.len() {
            let names = quote_list(&loaded);
            let text = if loaded.is_empty() {
                "note: the session goes on with the standard library only".to_string()
            } else {
                format!("note: the session goes on with {names}")
            };
            reply.err(Style::Warning, text);
        }
        let opened = match &options.state {
            Some(path) => StoreSession::open(path, &compilation.model, options.migrate),
            None => Ok(StoreSession::in_memory(&compilation.model)),
        };
        let mut store = match opened {
            Ok(store) => store,
            Err(error) => {
                return Err(StartError { reply: Box::new(reply), message: error.to_string() })
            }
        };
        for note in &store.notes {
            reply.err(Style::Warning, format!("note: {note}"));
        }
        let runner = store.runner(&compilation);
        let session = Session {
            paths,
            loaded,
            read,
            compilation,
            runner,
            store,
            state_path: options.state,
            migrate: options.migrate,
            color: options.color,
            inputs: 0,
        };
        Ok((session, reply))
    }

    /// The scenario runner (its engine holds the CRM state).
    pub fn runner(&self) -> &Runner {
        &self.runner
    }

    pub fn model(&self) -> &Model {
        &self.compilation.model
    }

    /// The files of the program in use.
    pub fn loaded_files(&self) -> &[String] {
        &self.loaded
    }

    /// Whether `input` is unfinished (a `{`, `[` or `(` is still open): the terminal reads
    /// another line (SPEC §12).
    pub fn needs_more(input: &str) -> bool {
        crate::scenario::needs_more(input)
    }

    /// Answers one input: a `:` command, `why SEQ`, scenario commands or a bare expression.
    /// Never panics on user input; a failed input leaves the CRM state as it was.
    pub fn eval(&mut self, input: &str) -> Reply {
        let trimmed = input.trim();
        if trimmed.is_empty() || is_comment_only(trimmed) {
            return Reply::default();
        }
        if let Some(command) = trimmed.strip_prefix(':') {
            return self.colon_command(command.trim());
        }
        // The first line that is not a comment says what the input is.
        let head = trimmed
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))
            .unwrap_or("");
        let first = first_word(head);
        if first == "why" {
            return why::why(self, head["why".len()..].trim());
        }
        if COMMAND_WORDS.contains(&first) {
            return self.scenario(input);
        }
        self.expression(input)
    }

    // -- scenario commands --------------------------------------------------------------------

    /// Registers an input as a source named `input N`, so diagnostics can point into it.
    pub(super) fn register(&mut self, text: &str) -> FileId {
        self.inputs += 1;
        self.runner.add_source(format!("input {}", self.inputs), text.to_string())
    }

    /// Runs the scenario commands of an input, in order, stopping at the first that fails.
    fn scenario(&mut self, input: &str) -> Reply {
        let mut reply = Reply::default();
        let file = self.register(input);
        let number = self.inputs;
        for command in self.runner.parse(file) {
            let command = match command {
                Ok(command) => command,
                Err(diagnostic) => {
                    self.diagnostic(&mut reply, diagnostic);
                    return reply;
                }
            };
            let text = self.runner.sources().snippet(command.span).to_string();
            let origin = format!("input {number}: {}", one_line(&text));
            match self.runner.apply_with_origin(&command, Some(origin)) {
                Ok(done) => {
                    let engine = self.runner.engine();
                    for effect in engine.effects().get(done.effects.clone()).unwrap_or(&[]) {
                        reply.out(Style::Effect, engine.effect_text(effect));
                    }
                    if crate::scenario::run::is_inspection(&command.kind) {
                        if done.output.is_empty() {
                            reply.out(Style::Dim, "(none)");
                        }
                        for line in &done.output {
                            reply.out(Style::Plain, line.clone());
                        }
                    }
                    if let Some(passed) = &done.passed {
                        reply.out(Style::Ok, format!("ok: {passed}"));
                    }
                    if matches!(
                        command.kind,
                        CommandKind::Clock { .. }
                            | CommandKind::Advance(_)
                            | CommandKind::AdvanceTo(_)
                    ) {
                        reply.out(Style::Dim, clock_line(engine));
                    }
                    if changes_crm(&command.kind) {
                        self.save(&mut reply);
                    }
                }
                Err(error) => {
                    self.scenario_error(&mut reply, error);
                    return reply;
                }
            }
        }
        reply
    }

    /// After a command that changed the CRM state: SQLite commits it, a JSON state is
    /// rewritten atomically (SPEC §13); the in-memory store does nothing.
    fn save(&mut self, reply: &mut Reply) {
        let result = match self.state_path.as_deref().map(store::kind_of) {
            Some(Ok(store::Kind::Json)) => self.store.finish(&self.runner),
            Some(_) => self.store.command_done(&self.runner, None),
            None => Ok(()),
        };
        if let Err(error) = result {
            reply.err(Style::Error, format!("error: the state was not saved: {error}"));
        }
    }

    pub(super) fn scenario_error(&self, reply: &mut Reply, error: ScenarioError) {
        match error {
            ScenarioError::Invalid(diagnostics) => {
                for diagnostic in diagnostics {
                    self.diagnostic(reply, diagnostic);
                }
            }
            ScenarioError::ExpectFailed { message, details, .. } => {
                reply.fail(format!("expect failed: {message}"));
                for detail in details {
                    reply.err(Style::Plain, format!("  {detail}"));
                }
            }
        }
    }

    /// Renders a diagnostic about an input (or the program) on stderr.
    pub(super) fn diagnostic(&self, reply: &mut Reply, diagnostic: Diagnostic) {
        let text = human::render(&diagnostic, self.runner.sources(), self.color);
        reply.block(Stream::Err, Style::Error, &text);
        reply.failed |= diagnostic.is_error();
        reply.diagnostics.push(diagnostic);
    }

    // -- bare expressions ---------------------------------------------------------------------

    /// A bare expression (`d1.amount * 2`): its value and type. An input that does not parse
    /// as an expression but starts like a command (a misspelt command word) gets the scenario
    /// parser's diagnostic, with its suggestion.
    fn expression(&mut self, input: &str) -> Reply {
        let mut reply = Reply::default();
        let file = self.register(input);
        let span = trimmed_span(file, input);
        let parsed = crate::syntax::parse_expr(
            self.runner.sources(),
            file,
            span.start as usize,
            span.end as usize,
        );
        if let Err(diagnostics) = parsed {
            let first = first_word(input.trim());
            let words = COMMAND_WORDS.iter().chain(REPL_WORDS).copied();
            if suggest::closest(first, words).is_some() {
                return self.scenario(input);
            }
            for diagnostic in diagnostics {
                self.diagnostic(&mut reply, diagnostic);
            }
            return reply;
        }
        match self.runner.evaluate_expression(span) {
            Ok((value, ty)) => {
                let evaluated = Evaluated {
                    value: show_value(self.runner.engine(), &value),
                    ty: type_text(self.model(), &ty),
                };
                reply.out(Style::Value, format!("{} : {}", evaluated.value, evaluated.ty));
                reply.value = Some(evaluated);
            }
            Err(error) => self.scenario_error(&mut reply, error),
        }
        reply
    }

    /// `:type EXPR`: the expression's type, without evaluating it.
    pub(super) fn type_of(&mut self, text: &str) -> Reply {
        let mut reply = Reply::default();
        if text.trim().is_empty() {
            reply.fail("usage: :type EXPR");
            return reply;
        }
        let file = self.register(text);
        let span = trimmed_span(file, text);
        let sources = self.runner.sources();
        let parsed =
            crate::syntax::parse_expr(sources, file, span.start as usize, span.end as usize);
        let scope: Vec<(String, Type)> = self
            .runner
            .aliases()
            .iter()
            .map(|(alias, entity)| (alias.clone(), Type::Entity(entity.entity)))
            .collect();
        let checked = parsed
            .and_then(|ast| crate::check::check_expr(self.model(), sources, &ast, &scope, None));
        match checked {
            Ok(expr) => reply.out(Style::Value, type_text(self.model(), &expr.ty)),
            Err(diagnostics) => {
                for diagnostic in diagnostics {
                    self.diagnostic(&mut reply, diagnostic);
                }
            }
        }
        reply
    }

    // -- the program --------------------------------------------------------------------------

    /// `:reload`: reads the program's files again and, when they compile without error,
    /// swaps the program, keeping the CRM state. `extra` is a file `:load` adds.
    pub(super) fn reload(&mut self, extra: Option<&str>) -> Reply {
        let mut reply = Reply::default();
        let mut paths = self.paths.clone();
        if let Some(path) = extra {
            if let Err(error) = (self.read)(path) {
                reply.fail(error.to_string());
                return reply;
            }
            paths.push(path.to_string());
        }
        let files = read_files(&self.read, &paths, &mut reply);
        if reply.failed {
            reply.err(Style::Warning, "note: the program stays as it was");
            return reply;
        }
        let compilation = load::compile(&files);
        report_diagnostics(&compilation, self.color, &mut reply);
        if compilation.has_errors() {
            reply.failed = true;
            reply.err(Style::Warning, "note: the program has errors; it stays as it was");
            return reply;
        }
        match self.replace_program(compilation) {
            Ok(notes) => {
                for note in notes {
                    reply.err(Style::Warning, format!("note: {note}"));
                }
                self.paths = paths.clone();
                self.loaded = paths;
                let summary = program_summary(&self.compilation.model);
                reply.out(Style::Ok, format!("loaded {} ({summary})", quote_list(&self.loaded)));
            }
            Err(message) => {
                reply.fail(format!("error: {message}"));
                reply.err(Style::Warning, "note: the program stays as it was");
            }
        }
        reply
    }

    /// Swaps the program, carrying the CRM state over by name. Pending work of rules or
    /// processes the new program no longer has is dropped (and reported); an item in a stage
    /// it no longer declares refuses the swap.
    fn replace_program(&mut self, compilation: Compilation) -> Result<Vec<String>, String> {
        self.store.finish(&self.runner).map_err(|e| e.to_string())?;
        let model = &compilation.model;
        let mut store = match &self.state_path {
            Some(path) => {
                // SQLite holds its file exclusively: release it before opening it again.
                let old_model = self.compilation.model.clone();
                let _ = std::mem::replace(&mut self.store, StoreSession::in_memory(&old_model));
                match open_migrating(path, model, self.migrate) {
                    Ok(store) => store,
                    Err(error) => {
                        self.store = StoreSession::open(path, &old_model, self.migrate)
                            .map_err(|e| format!("{error}; reopening the state failed: {e}"))?;
                        self.runner = self.store.runner(&self.compilation);
                        return Err(error);
                    }
                }
            }
            None => {
                let mut memory = store::memory::MemoryStore::default();
                memory
                    .save_snapshot(self.store.meta(), self.runner.engine().state())
                    .map_err(|e| e.to_string())?;
                let memory = Box::new(memory);
                match StoreSession::with_store(memory, model, self.migrate) {
                    Err(OpenError::Migration { error, .. })
                        if self.migrate.is_none() && error.fatal.is_empty() =>
                    {
                        let mut memory = store::memory::MemoryStore::default();
                        memory
                            .save_snapshot(self.store.meta(), self.runner.engine().state())
                            .map_err(|e| e.to_string())?;
                        StoreSession::with_store(Box::new(memory), model, Some(Migrate::Drop))
                            .map_err(|e| e.to_string())?
                    }
                    other => other.map_err(|e| e.to_string())?,
                }
            }
        };
        let notes = std::mem::take(&mut store.notes);
        self.runner = store.runner(&compilation);
        self.store = store;
        self.compilation = compilation;
        Ok(notes)
    }

    /// `:check`: reads the program's files again and reports their diagnostics, without
    /// changing the session.
    pub(super) fn check(&mut self) -> Reply {
        let mut reply = Reply::default();
        let files = read_files(&self.read, &self.paths, &mut reply);
        let compilation = load::compile(&files);
        report_diagnostics(&compilation, self.color, &mut reply);
        if compilation.has_errors() {
            reply.failed = true;
        } else if compilation.diagnostics.is_empty() && !reply.failed {
            let what = if self.paths.is_empty() {
                "the standard library".to_string()
            } else {
                quote_list(&self.paths)
            };
            reply.out(Style::Ok, format!("ok: {what}: no problems"));
        }
        reply
    }

    /// `:save PATH`: the state (and aliases) written to a state file.
    pub(super) fn save_as(&mut self, path: &str) -> Reply {
        let mut reply = Reply::default();
        if path.is_empty() {
            reply.fail("usage: :save PATH (a .json or .db file)");
            return reply;
        }
        let target = Path::new(path);
        let result = if self.state_path.as_deref() == Some(target) {
            self.store.finish(&self.runner)
        } else {
            self.store.save_as(target, &self.runner)
        };
        match result {
            Ok(()) => {
                let count = self.runner.engine().effects().len();
                reply.out(Style::Ok, format!("saved the state to {path} ({count} effects)"));
            }
            Err(error) => reply.fail(format!("error: {error}")),
        }
        reply
    }

    /// The end of the session: a file-backed state is written durably.
    pub fn finish(&mut self) -> Result<(), String> {
        match self.state_path {
            Some(_) => self.store.finish(&self.runner).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
}

/// Opens a state file for `model`; pending work that names removed declarations is dropped
/// unless the user chose `--migrate`.
fn open_migrating(
    path: &Path,
    model: &std::sync::Arc<Model>,
    migrate: Option<Migrate>,
) -> Result<StoreSession, String> {
    match StoreSession::open(path, model, migrate) {
        Err(OpenError::Migration { error, .. }) if migrate.is_none() && error.fatal.is_empty() => {
            StoreSession::open(path, model, Some(Migrate::Drop)).map_err(|e| e.to_string())
        }
        other => other.map_err(|e| e.to_string()),
    }
}

/// Reads every path; each unreadable one is an error line.
fn read_files(read: &Reader, paths: &[String], reply: &mut Reply) -> Vec<LoadedFile> {
    let mut files = Vec::new();
    for path in paths {
        match read(path) {
            Ok(file) => files.push(file),
            Err(error) => reply.fail(error.to_string()),
        }
    }
    files
}

/// The program's diagnostics, rendered on stderr.
fn report_diagnostics(compilation: &Compilation, color: bool, reply: &mut Reply) {
    if compilation.diagnostics.is_empty() {
        return;
    }
    let text = human::render_all(&compilation.diagnostics, &compilation.sources, color);
    reply.block(Stream::Err, Style::Error, &text);
    reply.failed |= compilation.has_errors();
    reply.diagnostics.extend(compilation.diagnostics.iter().cloned());
}

/// The files that compile together without error, taken greedily in order (a file that adds
/// an error is left out), and their compilation.
fn best_subset(files: &[LoadedFile]) -> (Vec<LoadedFile>, Compilation) {
    let mut kept: Vec<LoadedFile> = Vec::new();
    let mut best = load::compile(&[]);
    for file in files {
        let mut candidate = kept.clone();
        candidate.push(file.clone());
        let compilation = load::compile(&candidate);
        if !compilation.has_errors() {
            kept = candidate;
            best = compilation;
        }
    }
    (kept, best)
}

/// `1 pipeline, 2 processes`.
pub(super) fn program_summary(model: &Model) -> String {
    let pipelines = model.pipelines.len();
    let processes = model.processes.len();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let processes =
        if processes == 1 { "1 process".to_string() } else { format!("{processes} processes") };
    format!("{}, {processes}", plural(pipelines, "pipeline"))
}

/// `a.bp, b.bp`, or `no file`.
fn quote_list(names: &[String]) -> String {
    if names.is_empty() {
        return "no file".to_string();
    }
    names.join(", ")
}

/// Commands after which a file-backed state is saved: every command that may change the CRM
/// state, `user`, `seed` and `clock` included (they are part of it, SPEC §13).
fn changes_crm(kind: &CommandKind) -> bool {
    kind.changes_state()
        || matches!(
            kind,
            CommandKind::User { .. } | CommandKind::Seed(_) | CommandKind::Clock { .. }
        )
}

/// `clock: 2026-03-03 09:00 Europe/Paris`.
fn clock_line(engine: &Engine) -> String {
    let now = crate::runtime::value::datetime_text(engine.now(), engine.timezone());
    format!("clock: {now} {}", engine.timezone().name())
}

/// Whether every line of the input is blank or a `#` comment.
fn is_comment_only(text: &str) -> bool {
    text.lines().all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
}

/// The leading word of an input (letters, digits and `_`).
pub(super) fn first_word(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// A command's text on one line (a block spanning lines joined with spaces).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The span of `text` without its surrounding whitespace, in a file holding exactly `text`.
fn trimmed_span(file: FileId, text: &str) -> Span {
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len().max(start);
    Span::new(file, start, end)
}

/// A type as written in source (`Money`, `Deal?`, `List(User)`).
pub(super) fn type_text(model: &Model, ty: &Type) -> String {
    model.type_name(ty)
}

/// A value as a scenario would write it: texts quoted, users `@alice`, stages and enum members
/// by id, entities by id (with their title), lists in brackets.
pub(super) fn show_value(engine: &Engine, value: &Value) -> String {
    match value {
        Value::Entity(entity) => {
            let id = entity.id(engine.model());
            let title = engine.render_value(value);
            if title.is_empty() || title == id {
                id
            } else {
                format!("{id} ({title})")
            }
        }
        other => literal(engine, other),
    }
}

fn literal(engine: &Engine, value: &Value) -> String {
    let model = engine.model();
    match value {
        Value::None => "none".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Text(text) => serde_json::to_string(text).unwrap_or_default(),
        Value::User(user) => format!("@{user}"),
        Value::Stage(stage) => {
            let pipeline = crate::runtime::value::pipeline_name(model, stage.pipeline);
            format!("{pipeline}.{}", crate::runtime::value::stage_id(model, *stage))
        }
        Value::Entity(entity) => entity.id(model),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|v| literal(engine, v)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Record(fields) => {
            let fields: Vec<String> =
                fields.iter().map(|(k, v)| format!("{k}: {}", literal(engine, v))).collect();
            format!("{{ {} }}", fields.join(", "))
        }
        other => engine.render_value(other),
    }
}

impl Session {
    /// What Tab completion needs to know now (the terminal refreshes it after each input).
    pub fn completion_index(&self) -> super::complete::Index {
        let engine = self.runner.engine();
        super::complete::Index {
            model: self.compilation.model.clone(),
            aliases: self.runner.aliases().iter().map(|(a, r)| (a.clone(), r.entity)).collect(),
            users: engine.state().users.keys().cloned().collect(),
        }
    }
}
