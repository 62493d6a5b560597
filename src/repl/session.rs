//! `Session`: the program, the scenario runner over its CRM state, and the store that keeps
//! that state; `eval` answers one input.
//!
//! The program is the list of `.bp` paths given on the command line and by `:load`; how it is
//! loaded and reloaded is in `program.rs`. An input is classified by its first word (`eval`):
//! a `:` command, `why`, a scenario command word, else a bare expression.

use std::path::PathBuf;

use super::program::{best_subset, quote_list, read_files, report_diagnostics};
use super::{why, Evaluated, Reply, Stream, Style};
use crate::cli::load::{self, LoadedFile, ReadError};
use crate::diag::{human, suggest, Diagnostic};
use crate::model::Model;
use crate::runtime::{Engine, Value};
use crate::scenario::command::COMMAND_WORDS;
use crate::scenario::{CommandKind, Runner, ScenarioError};
use crate::span::{FileId, Span};
use crate::store::{self, Migrate, Session as StoreSession};
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
    pub(super) read: Reader,
    pub(super) compilation: Compilation,
    pub(super) runner: Runner,
    pub(super) store: StoreSession,
    pub(super) state_path: Option<PathBuf>,
    pub(super) migrate: Option<Migrate>,
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
                Ok(done) => self.applied(&command.kind, &done, &mut reply),
                Err(error) => {
                    self.scenario_error(&mut reply, error);
                    return reply;
                }
            }
        }
        reply
    }

    /// What a command that was applied shows: its effects, inspection output, a passed
    /// `expect`, the clock after `clock`/`advance`; a command that changed the CRM is saved.
    fn applied(&mut self, kind: &CommandKind, done: &crate::scenario::Reply, reply: &mut Reply) {
        let engine = self.runner.engine();
        for effect in engine.effects().get(done.effects.clone()).unwrap_or(&[]) {
            reply.out(Style::Effect, engine.effect_text(effect));
        }
        if crate::scenario::run::is_inspection(kind) {
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
            kind,
            CommandKind::Clock { .. } | CommandKind::Advance(_) | CommandKind::AdvanceTo(_)
        ) {
            reply.out(Style::Dim, clock_line(engine));
        }
        if changes_crm(kind) {
            self.save(reply);
        }
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
        let first = first_word(input.trim());
        let misspelt_command = !self.runner.aliases().contains_key(first)
            && suggest::closest(first, COMMAND_WORDS.iter().chain(REPL_WORDS).copied()).is_some();
        if let Err(diagnostics) = parsed {
            if misspelt_command {
                return self.scenario(input);
            }
            for diagnostic in diagnostics {
                self.diagnostic(&mut reply, diagnostic);
            }
            return reply;
        }
        match self.runner.evaluate_expression(span) {
            // `shw` alone parses as a name; an unknown name close to a command word is a
            // misspelt command.
            Err(ScenarioError::Invalid(diagnostics))
                if misspelt_command
                    && diagnostics.first().is_some_and(|d| {
                        d.code == crate::diag::Code::E0101 && d.span().start == span.start
                    }) =>
            {
                return self.scenario(input);
            }
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
