//! `Runner`: the one scenario command interpreter, shared by `bp run`, `bp test` and the REPL.
//!
//! A runner owns the engine, the source map (program files plus every scenario text it was
//! given, so diagnostics point at the scenario line) and the aliases bound by `create`. Each
//! command is resolved against the model (kinds, fields, stages, events, processes) and the
//! aliases, then applied through the public `runtime::Engine` API only. `apply` returns a
//! `Reply` (the range of effects the command logged, inspection lines) or a `ScenarioError`
//! (an invalid line or a failed `expect`); the callers decide what to print and whether to
//! stop. `run_all` is the loop `bp run` and `bp test` share.

use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

use chrono_tz::Tz;
use indexmap::IndexMap;

use super::command::*;
use super::parse;
use crate::diag::{suggest, Code, Diagnostic};
use crate::model::Model;
use crate::runtime::{CommandError, Engine, EntityRef, UserSpec};
use crate::source::SourceMap;
use crate::span::{FileId, Span};
use crate::Compilation;

/// The scenario interpreter: an engine, the aliases, and the sources diagnostics point into.
pub struct Runner {
    pub(super) sources: SourceMap,
    pub(super) model: Arc<Model>,
    pub(super) engine: Engine,
    /// `d1` → `deal:1`, in binding order.
    pub(super) aliases: IndexMap<String, EntityRef>,
    /// A command that changes the state has run (after it, `clock` is refused).
    pub(super) started: bool,
}

/// What a successful command produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// The effects the command logged: indices into `Engine::effects()`.
    pub effects: Range<usize>,
    /// Inspection output (`show`, `timeline`, `tasks`, `pending`, `effects`), one line each.
    pub output: Vec<String>,
    /// A passed `expect`: what it checked, for the REPL (`ok: …`).
    pub passed: Option<String>,
}

/// Why a command stopped the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScenarioError {
    /// An invalid line: a syntax error, an unknown alias, kind, field, stage or event, a value
    /// of the wrong type, or a change the engine refused. Each diagnostic points into the
    /// scenario.
    Invalid(Vec<Diagnostic>),
    /// A failed `expect`: what failed, and details (the closest effect, the values compared).
    ExpectFailed { span: Span, message: String, details: Vec<String> },
}

impl ScenarioError {
    pub(super) fn invalid(diagnostic: Diagnostic) -> ScenarioError {
        ScenarioError::Invalid(vec![diagnostic])
    }

    /// Where the error is (the first diagnostic's span for an invalid line).
    pub fn span(&self) -> Option<Span> {
        match self {
            ScenarioError::Invalid(diagnostics) => diagnostics.first().map(Diagnostic::span),
            ScenarioError::ExpectFailed { span, .. } => Some(*span),
        }
    }

    /// The text `bp run` prints on stderr: `S.bps:12: expect failed: …` or
    /// `S.bps:12: error[E0101]: unknown alias `d9``, then indented help and details.
    pub fn render(&self, map: &SourceMap) -> String {
        let mut out = String::new();
        match self {
            ScenarioError::Invalid(diagnostics) => {
                for diagnostic in diagnostics {
                    let at = location(map, diagnostic.span());
                    let severity = diagnostic.severity.as_str();
                    out.push_str(&format!(
                        "{at}: {severity}[{}]: {}\n",
                        diagnostic.code, diagnostic.message
                    ));
                    for note in &diagnostic.notes {
                        out.push_str(&format!("  note: {note}\n"));
                    }
                    if let Some(help) = &diagnostic.help {
                        out.push_str(&format!("  help: {help}\n"));
                    }
                }
            }
            ScenarioError::ExpectFailed { span, message, details } => {
                out.push_str(&format!("{}: expect failed: {message}\n", location(map, *span)));
                for detail in details {
                    out.push_str(&format!("  {detail}\n"));
                }
            }
        }
        out
    }

    /// One line for `bp test`: `line 12: expect failed: …`.
    pub fn summary(&self, map: &SourceMap) -> String {
        let line = self.span().map_or(0, |span| map.start_of(span).0);
        match self {
            ScenarioError::Invalid(diagnostics) => {
                let message = diagnostics.first().map_or("invalid line", |d| d.message.as_str());
                format!("line {line}: {message}")
            }
            ScenarioError::ExpectFailed { message, .. } => {
                format!("line {line}: expect failed: {message}")
            }
        }
    }
}

/// `S.bps:12`: the file and 1-based line of a span.
pub fn location(map: &SourceMap, span: Span) -> String {
    format!("{}:{}", map.get(span.file).name, map.start_of(span).0)
}

/// What `run_all` reports to its caller as the scenario runs (the CLI prints; `bp test`
/// stays quiet). The store hook of `--state` goes in `applied`.
pub trait Observer {
    /// A command logged these effects.
    fn effects(&mut self, _runner: &Runner, _range: Range<usize>) {}
    /// An inspection command's output, with the command that asked for it.
    fn inspection(&mut self, _runner: &Runner, _command: &Command, _lines: &[String]) {}
    /// A command was applied (index in the scenario, from 0). An `Err` stops the run with
    /// that message (a state file that cannot be written).
    fn applied(&mut self, _runner: &Runner, _index: usize) -> Result<(), String> {
        Ok(())
    }
}

/// Why `run_all` stopped early.
#[derive(Debug)]
pub enum RunStop {
    Scenario(ScenarioError),
    /// The observer refused to go on (its message).
    Observer(String),
}

impl Runner {
    /// A runner over a fresh engine for a compiled program.
    pub fn new(compilation: &Compilation) -> Runner {
        let engine = Engine::new(compilation.model.clone());
        Runner::with_engine(compilation.sources.clone(), engine)
    }

    /// A runner over an existing engine (a loaded state). `sources` must hold the program.
    pub fn with_engine(sources: SourceMap, mut engine: Engine) -> Runner {
        engine.set_sources(Arc::new(sources.clone()));
        let model = engine.model().clone();
        let started = !engine.effects().is_empty();
        Runner { sources, model, engine, aliases: IndexMap::new(), started }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn into_engine(self) -> Engine {
        self.engine
    }

    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The aliases bound so far, in binding order (for completion and for state files).
    pub fn aliases(&self) -> &IndexMap<String, EntityRef> {
        &self.aliases
    }

    /// Binds an alias without creating anything (restoring a saved session).
    pub fn bind_alias(&mut self, alias: impl Into<String>, entity: EntityRef) {
        self.aliases.insert(alias.into(), entity);
    }

    /// Registers a scenario text (a `.bps` file, a REPL input) so diagnostics can point at it.
    pub fn add_source(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let file = self.sources.add(name, text);
        self.engine.set_sources(Arc::new(self.sources.clone()));
        file
    }

    /// Parses a registered scenario text into commands (one result per command).
    pub fn parse(&self, file: FileId) -> Vec<Result<Command, Diagnostic>> {
        parse::parse_scenario(&self.sources, file)
    }

    /// Applies every command in order, reporting to `observer`; stops at the first invalid
    /// line, failed `expect` or observer error. `skip` commands are passed over (a resumed
    /// state already applied them).
    pub fn run_all(
        &mut self,
        commands: &[Result<Command, Diagnostic>],
        skip: usize,
        observer: &mut dyn Observer,
    ) -> Result<(), RunStop> {
        for (index, command) in commands.iter().enumerate().skip(skip) {
            let command = match command {
                Ok(command) => command,
                Err(diagnostic) => {
                    return Err(RunStop::Scenario(ScenarioError::invalid(diagnostic.clone())))
                }
            };
            let reply = self.apply(command).map_err(RunStop::Scenario)?;
            if !reply.effects.is_empty() {
                observer.effects(self, reply.effects.clone());
            }
            if is_inspection(&command.kind) {
                observer.inspection(self, command, &reply.output);
            }
            observer.applied(self, index).map_err(RunStop::Observer)?;
        }
        Ok(())
    }

    /// `--until T`: advances to T (local time) after the last line.
    pub fn advance_until(&mut self, local: chrono::NaiveDateTime) -> Result<Range<usize>, String> {
        let before = self.engine.effects().len();
        self.engine.advance_to(local).map_err(|e| e.message)?;
        Ok(before..self.engine.effects().len())
    }

    /// Applies one command. On error the CRM state is unchanged.
    pub fn apply(&mut self, command: &Command) -> Result<Reply, ScenarioError> {
        self.apply_with_origin(command, None)
    }

    /// Applies one command; `origin` is the text `why` shows for the command (the REPL gives
    /// its input number), instead of the default `line N: TEXT`.
    pub fn apply_with_origin(
        &mut self,
        command: &Command,
        origin: Option<String>,
    ) -> Result<Reply, ScenarioError> {
        let before = self.engine.effects().len();
        if command.kind.changes_state() {
            let origin = origin.unwrap_or_else(|| {
                let line = self.sources.start_of(command.span).0;
                let text = self.sources.snippet(command.span).lines().next().unwrap_or("");
                format!("line {line}: {text}")
            });
            self.engine.set_origin(origin);
        }
        let mut reply = Reply::default();
        self.dispatch(command, &mut reply)?;
        if command.kind.changes_state() {
            self.started = true;
        }
        reply.effects = before..self.engine.effects().len();
        Ok(reply)
    }

    fn dispatch(&mut self, command: &Command, reply: &mut Reply) -> Result<(), ScenarioError> {
        let span = command.span;
        match &command.kind {
            CommandKind::Clock { at, timezone } => self.clock(span, *at, timezone.as_ref()),
            CommandKind::Seed(seed) => {
                self.engine.set_seed(*seed);
                Ok(())
            }
            CommandKind::User { id, name, fields } => self.user(span, id, name, fields.as_ref()),
            CommandKind::Create { kind, alias, fields } => {
                self.create(span, kind, alias, fields.as_ref())
            }
            CommandKind::Set { target, path, value } => self.set(span, target, path, value),
            CommandKind::Move { item, stage, by } => self.move_item(span, item, stage, by.as_ref()),
            CommandKind::Act { action, target, fields } => {
                self.act(span, *action, target, fields.as_ref())
            }
            CommandKind::Emit { words, item, payload } => {
                self.emit(span, words, item, payload.as_ref())
            }
            CommandKind::StartProcess { process, item } => self.start_process(span, process, item),
            CommandKind::Advance(duration) => {
                let result = self.engine.advance_by(*duration);
                self.engine_result(span, result)
            }
            CommandKind::AdvanceTo(at) => {
                let result = self.engine.advance_to(*at);
                self.engine_result(span, result)
            }
            CommandKind::Show(r) => {
                let entity = self.resolve_ref(r)?;
                reply.output = self.engine.describe(entity).lines().map(String::from).collect();
                Ok(())
            }
            CommandKind::Timeline(r) => {
                let entity = self.resolve_ref(r)?;
                let effects = self.engine.timeline(entity);
                reply.output = effects.iter().map(|e| self.engine.effect_text(e)).collect();
                Ok(())
            }
            CommandKind::Tasks(r) => {
                let entity = r.as_ref().map(|r| self.resolve_ref(r)).transpose()?;
                reply.output = self.engine.tasks(entity);
                Ok(())
            }
            CommandKind::Pending(r) => {
                let entity = r.as_ref().map(|r| self.resolve_ref(r)).transpose()?;
                reply.output = self.engine.pending(entity);
                Ok(())
            }
            CommandKind::Effects => {
                let effects = self.engine.effects();
                reply.output = effects.iter().map(|e| self.engine.effect_text(e)).collect();
                Ok(())
            }
            CommandKind::ExpectEffect { negated, kind, patterns } => {
                reply.passed = Some(self.expect_effect(span, *negated, kind, patterns)?);
                Ok(())
            }
            CommandKind::ExpectExpr { expr } => {
                reply.passed = Some(self.expect_expr(*expr)?);
                Ok(())
            }
        }
    }

    /// An engine refusal as an invalid line.
    pub(super) fn engine_result(
        &self,
        span: Span,
        result: Result<(), CommandError>,
    ) -> Result<(), ScenarioError> {
        result.map_err(|error| {
            ScenarioError::invalid(
                Diagnostic::new(Code::E0105, error.message, span, "refused")
                    .with_help_opt(error.help),
            )
        })
    }

    // -- setup --------------------------------------------------------------------------------

    fn clock(
        &mut self,
        span: Span,
        at: chrono::NaiveDateTime,
        timezone: Option<&crate::span::Ident>,
    ) -> Result<(), ScenarioError> {
        if self.started {
            return Err(ScenarioError::invalid(
                Diagnostic::new(
                    Code::E0105,
                    "`clock` after a command that changed the state",
                    span,
                    "too late to set the clock",
                )
                .with_note(
                    "`clock` may appear only before the first command that changes the state",
                )
                .with_help("move `clock` to the top of the scenario, or use `advance`"),
            ));
        }
        let tz = match timezone {
            None => None,
            Some(name) => Some(Tz::from_str(&name.text).map_err(|_| {
                ScenarioError::invalid(
                    Diagnostic::new(
                        Code::E0101,
                        format!("unknown timezone `{}`", name.text),
                        name.span,
                        "not an IANA timezone",
                    )
                    .with_help("use an IANA name such as `Europe/Paris` or `UTC`"),
                )
            })?),
        };
        let result = self.engine.set_clock(at, tz);
        self.engine_result(span, result)
    }

    fn user(
        &mut self,
        span: Span,
        id: &crate::span::Ident,
        name: &str,
        fields: Option<&Record>,
    ) -> Result<(), ScenarioError> {
        let mut user =
            UserSpec { id: id.text.clone(), name: name.to_string(), ..UserSpec::default() };
        for entry in fields.map_or(&[][..], |r| &r.entries[..]) {
            match entry.key.as_str() {
                "supervisor" => user.supervisor = Some(self.user_value(&entry.value)?),
                "email" => user.email = self.optional_text(&entry.value)?,
                "phone" => user.phone = self.optional_text(&entry.value)?,
                "absent" => user.absent = self.bool_value(&entry.value)?,
                "calendar" => user.calendar = Some(self.calendar_value(&entry.value)?),
                other => {
                    return Err(unknown_key(
                        entry,
                        &format!("unknown user field `{other}`"),
                        &["supervisor", "email", "phone", "absent", "calendar"],
                    ))
                }
            }
        }
        let result = self.engine.add_user(user);
        self.engine_result(span, result)
    }

    fn create(
        &mut self,
        span: Span,
        kind: &crate::span::Ident,
        alias: &crate::span::Ident,
        fields: Option<&Record>,
    ) -> Result<(), ScenarioError> {
        let entity = self.resolve_kind(kind)?;
        if let Some(bound) = self.aliases.get(&alias.text) {
            return Err(ScenarioError::invalid(
                Diagnostic::new(
                    Code::E0106,
                    format!("alias `{}` is already bound to {}", alias.text, self.id_text(*bound)),
                    alias.span,
                    "bound again here",
                )
                .with_note("aliases are bound once")
                .with_help("choose another alias"),
            ));
        }
        let (values, pipeline, stage) = self.creation_fields(span, entity, fields)?;
        match self.engine.create(entity, values, pipeline, stage) {
            Ok(created) => {
                self.aliases.insert(alias.text.clone(), created);
                Ok(())
            }
            Err(error) => self.engine_result(span, Err(error)),
        }
    }

    // -- changes ------------------------------------------------------------------------------

    fn set(
        &mut self,
        span: Span,
        target: &Ref,
        path: &[crate::span::Ident],
        value: &super::command::Value,
    ) -> Result<(), ScenarioError> {
        let entity = self.resolve_ref(target)?;
        let (ty, owner) = self.field_path_type(entity.entity, path)?;
        let converted = self.convert(value, &ty, owner)?;
        let names: Vec<String> = path.iter().map(|p| p.text.clone()).collect();
        let result = self.engine.set_field(entity, &names, converted);
        self.engine_result(span, result)
    }

    fn move_item(
        &mut self,
        span: Span,
        item: &Ref,
        stage: &StageName,
        by: Option<&crate::span::Ident>,
    ) -> Result<(), ScenarioError> {
        let entity = self.resolve_ref(item)?;
        let stage = self.resolve_stage_for_item(entity, stage)?;
        let result = self.engine.move_item(entity, stage, by.map(|b| b.text.clone()));
        self.engine_result(span, result)
    }

    fn act(
        &mut self,
        span: Span,
        action: RecordAction,
        target: &Target,
        fields: Option<&Record>,
    ) -> Result<(), ScenarioError> {
        let record = self.resolve_target(action, target)?;
        let mut url = None;
        for entry in fields.map_or(&[][..], |r| &r.entries[..]) {
            match (action, entry.key.as_str()) {
                (RecordAction::ClickEmail, "url") => url = self.optional_text(&entry.value)?,
                (_, other) => {
                    let known: &[&str] =
                        if action == RecordAction::ClickEmail { &["url"] } else { &[] };
                    return Err(unknown_key(
                        entry,
                        &format!("`{}` takes no `{other}`", action.words()),
                        known,
                    ));
                }
            }
        }
        let result = match action {
            RecordAction::CompleteTask => self.engine.complete_task(record),
            RecordAction::CompleteActivity => self.engine.complete_activity(record),
            RecordAction::PayInvoice | RecordAction::PayOrder => self.engine.pay(record),
            RecordAction::OpenEmail => self.engine.open_email(record),
            RecordAction::ClickEmail => self.engine.click_email(record, url),
            RecordAction::SignDocument => self.engine.sign_document(record),
            RecordAction::ViewDocument => self.engine.view_document(record),
        };
        self.engine_result(span, result)
    }

    fn emit(
        &mut self,
        span: Span,
        words: &[crate::span::Ident],
        item: &Ref,
        payload: Option<&Record>,
    ) -> Result<(), ScenarioError> {
        let entity = self.resolve_ref(item)?;
        let (event, args) = self.match_event(span, words)?;
        let mut values = IndexMap::new();
        for entry in payload.map_or(&[][..], |r| &r.entries[..]) {
            values.insert(entry.key.text.clone(), self.convert_untyped(&entry.value)?);
        }
        let result = self.engine.emit(entity, event, args, values);
        self.engine_result(span, result)
    }

    fn start_process(
        &mut self,
        span: Span,
        process: &crate::span::Ident,
        item: &Ref,
    ) -> Result<(), ScenarioError> {
        let entity = self.resolve_ref(item)?;
        let Some(index) = self.model.processes.get_index_of(&process.text) else {
            let names = self.model.processes.keys().map(String::as_str);
            let mut diagnostic = Diagnostic::new(
                Code::E0101,
                format!("unknown process `{}`", process.text),
                process.span,
                "no such process",
            );
            if let Some(close) = suggest::closest(&process.text, names) {
                diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
            }
            return Err(ScenarioError::invalid(diagnostic));
        };
        let id = crate::model::ProcessId(index as u32);
        let def = self.model.process(id);
        if def.entity != entity.entity {
            let kind = &self.model.entity(def.entity).name;
            return Err(ScenarioError::invalid(Diagnostic::new(
                Code::E0104,
                format!(
                    "process `{}` runs on a {kind}, not on {}",
                    process.text,
                    self.id_text(entity)
                ),
                item.span,
                format!("not a {kind}"),
            )));
        }
        let result = self.engine.start_process(id, entity);
        self.engine_result(span, result)
    }
}

/// Whether a command only inspects (its output goes to stderr in `bp run`).
pub fn is_inspection(kind: &CommandKind) -> bool {
    matches!(
        kind,
        CommandKind::Show(_)
            | CommandKind::Timeline(_)
            | CommandKind::Tasks(_)
            | CommandKind::Pending(_)
            | CommandKind::Effects
    )
}

/// An unknown key of a record, with a suggestion among `known`.
pub(super) fn unknown_key(entry: &Entry, message: &str, known: &[&str]) -> ScenarioError {
    unknown_name(Code::E0102, entry, message, known)
}

/// An unknown name in a record (`code`: E0101 for a field, E0102 for an argument).
pub(super) fn unknown_name(
    code: Code,
    entry: &Entry,
    message: &str,
    known: &[&str],
) -> ScenarioError {
    let mut diagnostic = Diagnostic::new(code, message, entry.key.span, "unknown key");
    diagnostic = match suggest::closest(&entry.key.text, known.iter().copied()) {
        Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
        None if known.is_empty() => diagnostic.with_help("remove the block"),
        None => diagnostic.with_help(format!("known keys: {}", known.join(", "))),
    };
    ScenarioError::invalid(diagnostic)
}
