//! The engine: executes the checked `Model` against a CRM state on a virtual clock (SPEC §8).
//!
//! One queue of jobs ordered by (due time, sequence) drives everything. Each external command
//! (a scenario line, a REPL command) is one method call below: it starts a chain, applies its
//! change, logs its effects, then runs every job due at or before the clock. The scenario
//! interpreter (`scenario/run.rs`), `bp run`, `bp test`, the REPL and `bp bench` all drive the
//! engine through these methods only.
//!
//! This file is the contract between the engine and its callers; the submodules implement it:
//! `value` (values, §6.6 text, §9 JSON), `effects` (the log), `queue` (jobs), `state` (what is
//! stored), `eval` (expressions), `exec` (statements and rule bodies), `stage` (stage entry),
//! `triggers` (events), `process` and `procexec` (process instances), `actions/*` (SPEC §5),
//! `commands` (the external commands), `inspect` (show, pending, why …), `rng`, `calendar`.

pub mod actions;
pub mod calendar;
mod cause;
mod commands;
mod create;
pub mod effects;
mod eval;
mod exec;
mod fields;
mod inspect;
mod jobs;
mod pending;
pub mod process;
mod procexec;
pub mod queue;
mod records;
pub mod rng;
mod stage;
pub mod state;
mod triggers;
pub mod value;
mod why;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use indexmap::IndexMap;

use crate::ast;
use crate::model::{self, EntityId, EventId, Model, PipelineId, ProcessId, StageRef};
use crate::source::SourceMap;

pub use effects::{Effect, EffectKind, FinishReason};
pub use state::State;
pub use value::{EntityRef, Value};

/// Why an external command could not be applied (an unknown user, a task of another item, a
/// clock moved backwards …). The state is unchanged when a command fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    pub message: String,
    pub help: Option<String>,
}

impl CommandError {
    pub fn new(message: impl Into<String>) -> CommandError {
        CommandError { message: message.into(), help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> CommandError {
        self.help = Some(help.into());
        self
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A user as the `user` scenario command gives it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserSpec {
    pub id: String,
    pub name: String,
    pub supervisor: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub absent: bool,
    pub calendar: Option<String>,
}

/// The engine: the program, its CRM state, and the bookkeeping of the chain being run.
pub struct Engine {
    model: Arc<Model>,
    state: State,
    /// `state.clock.tz`, cached.
    tz: Tz,
    /// Per `EntityId`: positions of the fields the engine reads by name.
    kinds: Vec<fields::KindInfo>,
    /// Per `EntityId`: every field's position by name (a cheaper lookup than the model's map).
    field_index: Vec<fields::FieldIndex>,
    /// The position in `state.users` of the user looked up last (most lookups repeat it).
    last_user: std::cell::Cell<Option<usize>>,
    /// Per `ActionId`: its implementation (SPEC §3.7: bound by the action's words).
    actions: Vec<Option<actions::ActionFn>>,
    /// Where the source files are, for `why` (optional).
    sources: Option<Arc<SourceMap>>,
    /// Text of the next command for `why` (set by the scenario runner).
    origin: Option<String>,
    /// The chains in progress (transient: every chain ends before a command returns).
    chains: jobs::Chains,
    last_chain: u32,
    /// The chain being run, and whether its cascade guard fired.
    chain: Option<u32>,
    aborted: bool,
    /// The cause new effects are attributed to.
    cause: u32,
    /// The process instance being run.
    running: Option<procexec::Running>,
}

impl Engine {
    /// An engine with an empty state: default clock 2026-01-05 09:00 UTC, default seed.
    pub fn new(model: Arc<Model>) -> Engine {
        Engine::with_state(model, State::new())
    }

    /// An engine over a loaded state (the file stores, `:reload`).
    /// Rows whose field count differs from the program's (a state saved by another version)
    /// are padded with missing values or cut, so that no lookup can fail.
    pub fn with_state(model: Arc<Model>, mut state: State) -> Engine {
        state.fit_to(&model);
        let tz = state.clock.tz.0;
        let kinds = fields::KindInfo::all(&model);
        let field_index = fields::FieldIndex::all(&model);
        let actions = actions::bind(&model);
        Engine {
            model,
            state,
            tz,
            kinds,
            field_index,
            last_user: std::cell::Cell::new(None),
            actions,
            sources: None,
            origin: None,
            chains: jobs::Chains::default(),
            last_chain: 0,
            chain: None,
            aborted: false,
            cause: 0,
            running: None,
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn into_state(self) -> State {
        self.state
    }

    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Source files, so `why` can print `file:line` locations.
    pub fn set_sources(&mut self, sources: Arc<SourceMap>) {
        self.sources = Some(sources);
    }

    /// The text `why` shows for the next external command (e.g. `line 7: move d1 to won`).
    pub fn set_origin(&mut self, text: impl Into<String>) {
        self.origin = Some(text.into());
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    // -----------------------------------------------------------------------------------------
    // External commands (SPEC §10). Each is one chain, then runs all jobs due ≤ clock. An
    // `Err` leaves the state unchanged.

    /// `clock 2026-03-02 09:00 [TZ]`: only before the first command that changes the state.
    pub fn set_clock(&mut self, local: NaiveDateTime, tz: Option<Tz>) -> Result<(), CommandError> {
        self.cmd_set_clock(local, tz)
    }

    /// `seed N`: reseeds the state's generator (SplitMix64, see `rng`).
    pub fn set_seed(&mut self, seed: u64) {
        self.state.rng = rng::Rng::new(seed);
    }

    /// `user alice "Alice Martin" { … }`.
    pub fn add_user(&mut self, user: UserSpec) -> Result<(), CommandError> {
        self.cmd_add_user(user)
    }

    /// `create KIND ALIAS { … }`: validates and coerces the fields (defaults filled in, required
    /// ones checked), logs `entity_created` and, for an item, its stage entry; then `on create`
    /// processes start. `pipeline`/`stage` default to the first pipeline and its initial stage.
    pub fn create(
        &mut self,
        kind: EntityId,
        fields: IndexMap<String, Value>,
        pipeline: Option<PipelineId>,
        stage: Option<StageRef>,
    ) -> Result<EntityRef, CommandError> {
        self.cmd_create(kind, fields, pipeline, stage)
    }

    /// `set d1.amount = 150` / `set d1.contact.phone = …` / `set task:1.status = …`: logs
    /// `field_changed`, then the `event` it raises, then its consequences. Same value: nothing.
    pub fn set_field(
        &mut self,
        target: EntityRef,
        path: &[String],
        value: Value,
    ) -> Result<(), CommandError> {
        self.cmd_set_field(target, path, value)
    }

    /// `move d1 to won [as @alice]`; a stage of another pipeline moves the item there.
    pub fn move_item(
        &mut self,
        item: EntityRef,
        stage: StageRef,
        by: Option<String>,
    ) -> Result<(), CommandError> {
        self.cmd_move(item, stage, by)
    }

    /// `complete task …`: `task_completed`, then the `task completed` event.
    pub fn complete_task(&mut self, task: EntityRef) -> Result<(), CommandError> {
        self.cmd_complete_task(task)
    }

    /// `complete activity …`: `activity_completed`, then the `activity completed` event.
    pub fn complete_activity(&mut self, activity: EntityRef) -> Result<(), CommandError> {
        self.cmd_complete_activity(activity)
    }

    /// `pay invoice|order …`: `field_changed` of `status` (entity: the record), then the
    /// `invoice paid` / `order paid` event about its deal.
    pub fn pay(&mut self, invoice_or_order: EntityRef) -> Result<(), CommandError> {
        self.cmd_pay(invoice_or_order)
    }

    /// `open email …`: `field_changed` of `opened`, then `email opened`.
    pub fn open_email(&mut self, email: EntityRef) -> Result<(), CommandError> {
        self.cmd_open_email(email)
    }

    /// `click email … { url: … }`: the `email link clicked` event.
    pub fn click_email(
        &mut self,
        email: EntityRef,
        url: Option<String>,
    ) -> Result<(), CommandError> {
        self.cmd_click_email(email, url)
    }

    /// `sign document …`: `field_changed` of `signed`, then `document signed`.
    pub fn sign_document(&mut self, doc: EntityRef) -> Result<(), CommandError> {
        self.cmd_sign_document(doc)
    }

    /// `view document …`: the `document viewed` event.
    pub fn view_document(&mut self, doc: EntityRef) -> Result<(), CommandError> {
        self.cmd_view_document(doc)
    }

    /// `emit EVENT ITEM { payload }` (`call missed`, `form submitted NAME`, `webhook NAME` …):
    /// `args` are the event's arguments by parameter name (`name: "contact_us"`), `payload`
    /// the block's keys. Logs the `event` effect, then handles it.
    pub fn emit(
        &mut self,
        item: EntityRef,
        event: EventId,
        args: IndexMap<String, Value>,
        payload: IndexMap<String, Value>,
    ) -> Result<(), CommandError> {
        self.cmd_emit(item, event, args, payload)
    }

    /// `start process P on ITEM` (works whatever the start mode).
    pub fn start_process(
        &mut self,
        process: ProcessId,
        item: EntityRef,
    ) -> Result<(), CommandError> {
        self.cmd_start_process(process, item)
    }

    /// `advance 1 day`: calendar arithmetic from now in the clock's timezone (SPEC §8).
    pub fn advance_by(&mut self, d: ast::Duration) -> Result<(), CommandError> {
        let target = calendar::add_calendar(self.now(), &d, self.tz);
        self.advance_until(target)
    }

    /// `advance to 2026-03-05 10:00` (local time in the clock's timezone).
    pub fn advance_to(&mut self, local: NaiveDateTime) -> Result<(), CommandError> {
        let target = calendar::local_to_utc(local, self.tz);
        self.advance_until(target)
    }

    /// Runs every job due up to `target` in order, moving the clock to each job's time, and
    /// leaves the clock at `target`. Time never moves backwards.
    pub fn advance_until(&mut self, target: DateTime<Utc>) -> Result<(), CommandError> {
        self.cmd_advance(target)
    }

    // -----------------------------------------------------------------------------------------
    // Queries

    /// The whole effect log.
    pub fn effects(&self) -> &[Effect] {
        &self.state.effects
    }

    /// Evaluates a checked free expression (scenario `expect`, REPL) with `vars` in scope
    /// (aliases, `it`). No item is in scope.
    pub fn eval(
        &self,
        expr: &model::Expr,
        vars: &[(String, Value)],
    ) -> Result<Value, CommandError> {
        self.eval_free(expr, vars)
    }

    /// The open records of `kind` of an item, by id: tasks and activities not completed,
    /// invoices and orders unpaid, documents unsigned, emails unopened.
    pub fn open_records(&self, item: EntityRef, kind: EntityId) -> Vec<EntityRef> {
        self.query_open_records(item, kind)
    }

    /// Whether an entity exists and is not deleted.
    pub fn entity_exists(&self, r: EntityRef) -> bool {
        self.state.live(r).is_some()
    }

    /// The value of a field of an entity (`None` when the entity or field does not exist).
    pub fn field(&self, r: EntityRef, name: &str) -> Option<Value> {
        self.read_field(r, name)
    }

    /// `show`: fields, stage, pipeline, one per line.
    pub fn describe(&self, r: EntityRef) -> String {
        self.query_describe(r)
    }

    /// `timeline`: the effects about an entity, in order.
    pub fn timeline(&self, r: EntityRef) -> Vec<&Effect> {
        self.state.effects.iter().filter(|e| e.entity == Some(r)).collect()
    }

    /// `pending`: one line per pending job and waiting process (of one item, or all).
    pub fn pending(&self, item: Option<EntityRef>) -> Vec<String> {
        self.query_pending(item)
    }

    /// `tasks`: one line per task (of one item, or all).
    pub fn tasks(&self, item: Option<EntityRef>) -> Vec<String> {
        self.query_tasks(item)
    }

    /// `why SEQ`: the chain that produced an effect, from the effect up to the command.
    pub fn why(&self, seq: u64) -> Vec<String> {
        self.query_why(seq)
    }

    /// SPEC §6.6 text rendering.
    pub fn render_value(&self, v: &Value) -> String {
        let mut out = String::new();
        self.render_into(&mut out, v);
        out
    }

    /// SPEC §9 value encoding.
    pub fn value_json(&self, v: &Value) -> serde_json::Value {
        value::to_json_value(v, &self.model, self.tz)
    }

    /// An effect as its JSON line (SPEC §9), in the clock's timezone.
    pub fn effect_json(&self, e: &Effect) -> String {
        e.to_json(&self.model, self.tz)
    }

    /// An effect as a line for people, in the clock's timezone.
    pub fn effect_text(&self, e: &Effect) -> String {
        e.to_text(&self.model, self.tz)
    }

    /// The id text of an entity (`deal:1`).
    pub fn entity_id_text(&self, r: EntityRef) -> String {
        r.id(&self.model)
    }
}
