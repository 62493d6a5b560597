//! Statements and rule bodies (SPEC §4, §8): the execution context, the effect log writer,
//! field reads and writes, and the statement runner used by rules (processes reuse the
//! simple statements through `exec_simple`, and run their own control flow in `procexec`).
//!
//! Errors at run time never stop the run (SPEC §8): a statement that fails logs an `error`
//! effect naming the item, the rule or process, and the reason, and the body goes on.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::effects::{Cause, CauseKind, EffectKind, ErrorInfo, FieldInfo};
use super::queue::Millis;
use super::value::{EntityRef, Value};
use super::{Effect, Engine};
use crate::model::{EntityId, Model, Place, ProcessId, StageRef, Stmt, StmtKind};
use crate::types::Type;

/// A run-time error: its message, in the voice of the diagnostics (what, which item).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtError(pub String);

impl RtError {
    pub fn new(message: impl Into<String>) -> RtError {
        RtError(message.into())
    }
}

pub type RtResult<T> = Result<T, RtError>;

/// Positions of the fields the engine reads by name, per entity kind.
#[derive(Clone, Copy, Debug, Default)]
pub struct KindInfo {
    pub stage: Option<usize>,
    pub pipeline: Option<usize>,
    pub responsible: Option<usize>,
    pub title: Option<usize>,
    /// `id`: computed when read (`deal:1`), stored as missing.
    pub id: Option<usize>,
    pub name: Option<usize>,
    pub subject: Option<usize>,
    /// `item` (tasks, activities, documents, emails) or `deal` (invoices, orders, quotes).
    pub owner: Option<usize>,
    /// Whether any pipeline is declared for the kind.
    pub has_pipeline: bool,
}

impl KindInfo {
    pub fn all(model: &Model) -> Vec<KindInfo> {
        model
            .entities
            .values()
            .enumerate()
            .map(|(i, def)| {
                let pos = |name: &str| def.fields.get_index_of(name);
                KindInfo {
                    stage: pos("stage"),
                    pipeline: pos("pipeline"),
                    responsible: pos("responsible"),
                    title: pos("title"),
                    id: pos("id"),
                    name: pos("name"),
                    subject: pos("subject"),
                    owner: pos("item").or_else(|| pos("deal")),
                    has_pipeline: model.pipelines_of(EntityId(i as u32)).next().is_some(),
                }
            })
            .collect()
    }
}

/// The cascade guard's count for one chain (SPEC §8 "Cascades").
#[derive(Clone, Debug, Default)]
pub struct ChainInfo {
    pub entries: u32,
    pub jobs: u32,
    /// The stage entries made, for naming the cycle.
    pub trace: Vec<(EntityRef, StageRef)>,
    /// What each job did, for naming a cycle of jobs.
    pub job_trace: Vec<JobKey>,
}

/// What a job does, compactly (the cascade guard names a cycle of jobs with these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKey {
    Rule(StageRef, u32),
    Enter(StageRef),
    Start(ProcessId),
    Wake(u32),
    Event(crate::model::EventId),
}

impl JobKey {
    pub fn of(job: &super::queue::Job) -> JobKey {
        use super::queue::JobKind;
        match &job.kind {
            JobKind::Rule { stage, rule, .. } => JobKey::Rule(*stage, *rule),
            JobKind::Enter { stage, .. } => JobKey::Enter(*stage),
            JobKind::Start { process, .. } => JobKey::Start(*process),
            JobKind::WakeStage { instance, .. } | JobKind::WakeTimer { instance, .. } => {
                JobKey::Wake(*instance)
            }
            JobKind::Event(ev) => JobKey::Event(ev.event),
        }
    }
}

/// The chains in progress, with a pool of cleared infos so a command allocates nothing here.
#[derive(Debug, Default)]
pub struct Chains {
    active: Vec<(u32, ChainInfo)>,
    spare: Vec<ChainInfo>,
}

impl Chains {
    /// The info of `chain`, created empty when new.
    pub fn get(&mut self, chain: u32) -> &mut ChainInfo {
        let index = match self.active.iter().position(|(id, _)| *id == chain) {
            Some(i) => i,
            None => {
                let info = self.spare.pop().unwrap_or_default();
                self.active.push((chain, info));
                self.active.len() - 1
            }
        };
        &mut self.active[index].1
    }

    /// Forgets every chain (they have all ended), keeping the allocations.
    pub fn clear(&mut self) {
        for (_, mut info) in self.active.drain(..) {
            info.entries = 0;
            info.jobs = 0;
            info.trace.clear();
            info.job_trace.clear();
            self.spare.push(info);
        }
    }
}

/// A chain may make at most this many stage entries and run this many jobs.
pub const MAX_ENTRIES: u32 = 100;
pub const MAX_JOBS: u32 = 1000;

/// Where a statement runs: the item, the rule or process, and the names in scope.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    pub item: Option<EntityRef>,
    /// The rule being run: its stage and index.
    pub rule: Option<(StageRef, u32)>,
    /// The process instance being run.
    pub process: Option<(ProcessId, u32)>,
    /// `let`/`for each` names and payload names; `None` is "no value".
    pub vars: Vec<(String, Option<Value>)>,
}

impl Ctx {
    pub fn for_item(item: EntityRef) -> Ctx {
        Ctx { item: Some(item), ..Ctx::default() }
    }

    pub fn in_process(&self) -> bool {
        self.process.is_some()
    }
}

/// How a statement or body ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next statement.
    Next,
    /// `stop`.
    Stop,
    /// A move was requested: the runner ends (rule or process) and the item moves.
    Move(StageRef),
    /// The cascade guard fired or the running process was cancelled: stop everything.
    Abort,
}

impl Engine {
    // -----------------------------------------------------------------------------------------
    // The log and the causes

    /// Appends an effect at the current time, attributed to the current cause.
    pub(crate) fn log(&mut self, entity: Option<EntityRef>, kind: EffectKind) {
        self.state.last_seq += 1;
        let effect =
            Effect { seq: self.state.last_seq, at: self.now_ms(), entity, kind, cause: self.cause };
        self.state.effects.push(effect);
    }

    /// Logs an `error` effect for a statement of `ctx`.
    pub(crate) fn log_error(&mut self, ctx: &Ctx, message: impl Into<String>) {
        let model = self.model.clone();
        let rule = ctx.rule.and_then(|(stage, rule)| {
            super::effects::rule_label(&model, stage, rule).map(str::to_string)
        });
        let process = ctx
            .process
            .and_then(|(p, _)| super::effects::process_name(&model, p).map(str::to_string));
        let info = ErrorInfo { message: message.into(), rule, process };
        self.log(ctx.item, EffectKind::Error(Box::new(info)));
    }

    /// Starts a new link of the current chain's cause tree; returns the previous cause, to
    /// restore with `self.cause = previous`.
    pub(crate) fn push_cause(&mut self, kind: CauseKind) -> u32 {
        let previous = self.cause;
        let parent = if self.state.causes.is_empty() { None } else { Some(previous) };
        self.state.causes.push(Cause { parent, at: self.now_ms(), kind });
        self.cause = (self.state.causes.len() - 1) as u32;
        previous
    }

    pub(crate) fn now_ms(&self) -> Millis {
        self.state.clock.now.timestamp_millis()
    }

    pub(crate) fn moment(ms: Millis) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap_or_default()
    }

    /// A stage of the model, checked: references read from a state may come from another
    /// program version, and must not panic.
    pub(crate) fn stage_def(&self, s: StageRef) -> Option<&crate::model::StageDef> {
        let (_, pipeline) = self.model.pipelines.get_index(s.pipeline.index())?;
        pipeline.stages.get(s.index as usize)
    }

    /// The words of an event, checked.
    pub(crate) fn event_words(&self, e: crate::model::EventId) -> &str {
        self.model.events.get_index(e.index()).map_or("?", |(w, _)| w.as_str())
    }

    // -----------------------------------------------------------------------------------------
    // Users

    /// The shared id of a user (`Arc` from the users table, or a new one for an unknown id).
    pub(crate) fn user_arc(&self, id: &str) -> Arc<str> {
        match self.state.users.get(id) {
            Some(u) => u.id.clone(),
            None => Arc::from(id),
        }
    }

    /// A user that must exist.
    pub(crate) fn existing_user(&self, id: &str) -> RtResult<Arc<str>> {
        match self.state.users.get(id) {
            Some(u) => Ok(u.id.clone()),
            None => Err(RtError::new(format!("user `{id}` does not exist"))),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Fields

    pub(crate) fn kind_info(&self, kind: EntityId) -> &KindInfo {
        static EMPTY: KindInfo = KindInfo {
            stage: None,
            pipeline: None,
            responsible: None,
            title: None,
            id: None,
            name: None,
            subject: None,
            owner: None,
            has_pipeline: false,
        };
        self.kinds.get(kind.index()).unwrap_or(&EMPTY)
    }

    /// The value of field `pos` of a live entity.
    pub(crate) fn field_at(&self, r: EntityRef, pos: Option<usize>) -> Value {
        if pos.is_some() && pos == self.kind_info(r.entity).id {
            return match self.state.live(r) {
                Some(_) => Value::Text(r.id(&self.model)),
                None => Value::None,
            };
        }
        match (self.state.live(r), pos) {
            (Some(row), Some(p)) => row.fields.get(p).cloned().unwrap_or(Value::None),
            _ => Value::None,
        }
    }

    /// A stored field value by position, borrowed (not for `id`, which is computed).
    pub(crate) fn field_at_ref(&self, r: EntityRef, pos: Option<usize>) -> Option<&Value> {
        self.state.live(r)?.fields.get(pos?)
    }

    /// A field by name (`None` when the entity or field does not exist).
    pub(crate) fn read_field(&self, r: EntityRef, name: &str) -> Option<Value> {
        let def = self.model.entities.get_index(r.entity.index())?.1;
        let pos = def.fields.get_index_of(name)?;
        self.state.live(r)?;
        Some(self.field_at(r, Some(pos)))
    }

    /// The item's current stage.
    pub(crate) fn stage_of(&self, item: EntityRef) -> Option<StageRef> {
        match self.field_at(item, self.kind_info(item.entity).stage) {
            Value::Stage(s) => Some(s),
            _ => None,
        }
    }

    /// The item's responsible (a user id).
    pub(crate) fn responsible_of(&self, item: EntityRef) -> Option<String> {
        match self.field_at(item, self.kind_info(item.entity).responsible) {
            Value::User(u) => Some(u),
            _ => None,
        }
    }

    /// The item an owned record (task, activity, document, email, invoice …) belongs to.
    pub(crate) fn owner_of(&self, record: EntityRef) -> Option<EntityRef> {
        match self.field_at(record, self.kind_info(record.entity).owner) {
            Value::Entity(e) => Some(e),
            _ => None,
        }
    }

    /// Converts a value to a field's type: Number → Money for a Money field, a Date for a
    /// DateTime field at 00:00 in the clock's timezone.
    pub(crate) fn coerce(&self, v: Value, ty: &Type) -> Value {
        match (ty.base(), v) {
            (Type::Money, Value::Number(d)) => Value::Money(d),
            (Type::Number, Value::Money(d)) => Value::Number(d),
            (Type::DateTime, Value::Date(d)) => {
                Value::DateTime(super::calendar::date_to_moment(d, self.tz))
            }
            (Type::List(inner), Value::List(items)) => {
                Value::List(items.into_iter().map(|v| self.coerce(v, inner)).collect())
            }
            (_, v) => v,
        }
    }

    /// Writes `value` into the field at `path` from `base` (the last segment is the field;
    /// earlier ones are entity references). Returns the entity written and the old value, or
    /// `None` for a no-op (same value). The caller logs and raises.
    pub(crate) fn write_path(
        &mut self,
        base: EntityRef,
        path: &[String],
        value: Value,
    ) -> RtResult<Option<(EntityRef, Value, Value)>> {
        let (last, hops) = path.split_last().ok_or_else(|| RtError::new("empty field path"))?;
        let mut target = base;
        for hop in hops {
            match self.read_field(target, hop) {
                Some(Value::Entity(next)) if self.state.live(next).is_some() => target = next,
                Some(_) => {
                    return Err(RtError::new(format!(
                        "{} has no {hop}",
                        self.describe_entity(target)
                    )))
                }
                None => {
                    return Err(RtError::new(format!(
                        "{} has no field `{hop}`",
                        target.id(&self.model)
                    )))
                }
            }
        }
        let model = self.model.clone();
        let Some((_, def)) = model.entities.get_index(target.entity.index()) else {
            return Err(RtError::new("unknown entity kind"));
        };
        let pos = def
            .fields
            .get_index_of(last.as_str())
            .ok_or_else(|| RtError::new(format!("{} has no field `{last}`", target.id(&model))))?;
        let field = &def.fields[pos];
        if value.is_none() && !field.ty.is_optional() {
            return Err(RtError::new(format!(
                "cannot set `{}`: the value is missing and the field is required",
                path.join(".")
            )));
        }
        let value = self.coerce(value, &field.ty);
        let row = self
            .state
            .live_mut(target)
            .ok_or_else(|| RtError::new(format!("{} does not exist", target.id(&model))))?;
        let Some(old) = row.fields.get_mut(pos) else {
            return Err(RtError::new(format!("{} has no field `{last}`", target.id(&model))));
        };
        if super::eval::values_equal_tz(old, &value, self.tz) {
            return Ok(None);
        }
        let old = std::mem::replace(old, value.clone());
        Ok(Some((target, old, value)))
    }

    /// Logs `field_changed` for a change made at `path` from `entity`.
    pub(crate) fn log_field_changed(
        &mut self,
        entity: EntityRef,
        path: &[String],
        old: Value,
        new: Value,
    ) {
        let info = FieldInfo { field: path.join("."), old, new };
        self.log(Some(entity), EffectKind::FieldChanged(Box::new(info)));
    }

    /// A readable name for an entity in messages: `deal:1 "Boiler"`.
    pub(crate) fn describe_entity(&self, r: EntityRef) -> String {
        let mut label = String::new();
        self.render_entity(&mut label, r);
        let id = r.id(&self.model);
        if label.is_empty() || label == id {
            id
        } else {
            format!("{id} \"{label}\"")
        }
    }

    // -----------------------------------------------------------------------------------------
    // Rule bodies

    /// Runs a block of a rule, statement by statement (statements see earlier `let`s of
    /// their block). Rules never wait, so plain recursion over blocks is enough; nesting is
    /// bounded by the parser.
    pub(crate) fn run_block(&mut self, ctx: &mut Ctx, stmts: &[Stmt]) -> Flow {
        let mark = ctx.vars.len();
        let mut flow = Flow::Next;
        for stmt in stmts {
            flow = self.run_stmt(ctx, stmt);
            if flow == Flow::Next && self.must_stop() {
                flow = Flow::Abort;
            }
            if flow != Flow::Next {
                break;
            }
        }
        ctx.vars.truncate(mark);
        flow
    }

    fn run_stmt(&mut self, ctx: &mut Ctx, stmt: &Stmt) -> Flow {
        match &stmt.kind {
            StmtKind::If { branches, otherwise } => match self.choose_branch(ctx, branches) {
                Some(Some(i)) => self.run_block(ctx, &branches[i].1),
                Some(None) => self.run_block(ctx, otherwise),
                None => Flow::Next,
            },
            StmtKind::ForEach { name, list, body } => {
                let Some(items) = self.eval_list(ctx, list) else { return Flow::Next };
                for item in items {
                    ctx.vars.push((name.clone(), Some(item)));
                    let flow = self.run_block(ctx, body);
                    ctx.vars.pop();
                    if flow != Flow::Next {
                        return flow;
                    }
                }
                Flow::Next
            }
            StmtKind::Parallel { branches } => {
                // The checker keeps `parallel` out of rules (E0105); run branches in order.
                for branch in branches {
                    let flow = self.run_block(ctx, branch);
                    if flow != Flow::Next {
                        return flow;
                    }
                }
                Flow::Next
            }
            StmtKind::WaitDelay { .. }
            | StmtKind::WaitStage { .. }
            | StmtKind::WaitUntil { .. } => {
                self.log_error(ctx, "`wait` is only for a process; a rule delays with `after`");
                Flow::Next
            }
            _ => self.exec_simple(ctx, stmt),
        }
    }

    /// Which branch of an `if` runs: `Some(Some(i))`, the `else` (`Some(None)`), or nothing
    /// when a condition failed (its error is logged and the statement skipped).
    pub(crate) fn choose_branch(
        &mut self,
        ctx: &Ctx,
        branches: &[(crate::model::Expr, Vec<Stmt>)],
    ) -> Option<Option<usize>> {
        for (i, (cond, _)) in branches.iter().enumerate() {
            match self.eval_expr(ctx, cond) {
                Ok(v) if v.truthy() => return Some(Some(i)),
                Ok(_) => {}
                Err(e) => {
                    self.log_error(ctx, e.0);
                    return None;
                }
            }
        }
        Some(None)
    }

    /// The snapshot of a `for each` list, or `None` after logging its error.
    pub(crate) fn eval_list(&mut self, ctx: &Ctx, list: &crate::model::Expr) -> Option<Vec<Value>> {
        match self.eval_expr(ctx, list) {
            Ok(Value::List(items)) => Some(items),
            Ok(Value::None) => Some(Vec::new()),
            Ok(other) => Some(vec![other]),
            Err(e) => {
                self.log_error(ctx, e.0);
                None
            }
        }
    }

    /// Whether the current chain was aborted or the running process cancelled.
    pub(crate) fn must_stop(&self) -> bool {
        self.aborted || self.running.as_ref().is_some_and(|r| r.stop.is_some())
    }

    /// The statements every runner shares: `let`, `set`, moves, `stop`, action calls.
    pub(crate) fn exec_simple(&mut self, ctx: &mut Ctx, stmt: &Stmt) -> Flow {
        match &stmt.kind {
            StmtKind::Let { name, value } => {
                let v = match self.eval_expr(ctx, value) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        self.log_error(ctx, e.0);
                        None
                    }
                };
                ctx.vars.push((name.clone(), v));
                Flow::Next
            }
            StmtKind::LetCall { name, call } => {
                let v = match self.call_action(ctx, call) {
                    Ok(v) => Some(v.unwrap_or(Value::None)),
                    Err(e) => {
                        self.log_error(ctx, e.0);
                        None
                    }
                };
                ctx.vars.push((name.clone(), v));
                Flow::Next
            }
            StmtKind::Set { target, value } => {
                if let Err(e) = self.exec_set(ctx, target, value) {
                    self.log_error(ctx, e.0);
                }
                Flow::Next
            }
            StmtKind::MoveStage { stage } => self.request_move(ctx, *stage),
            StmtKind::MovePipeline { pipeline, stage } => {
                let model = self.model.clone();
                let Some(def) = model.pipelines.get_index(pipeline.index()).map(|(_, p)| p) else {
                    self.log_error(ctx, "unknown pipeline");
                    return Flow::Next;
                };
                let target =
                    stage.unwrap_or(StageRef { pipeline: *pipeline, index: def.initial_stage() });
                self.request_move(ctx, target)
            }
            StmtKind::Stop => Flow::Stop,
            StmtKind::Call(call) => {
                if let Err(e) = self.call_action(ctx, call) {
                    self.log_error(ctx, e.0);
                }
                Flow::Next
            }
            // Control flow is the runner's; reaching here means a runner forgot one.
            _ => Flow::Next,
        }
    }

    /// A `move` statement: a no-op when the item is already there (SPEC §8 "No-ops": the
    /// statement does nothing and the body goes on), else the runner ends and moves.
    fn request_move(&mut self, ctx: &Ctx, target: StageRef) -> Flow {
        let Some(item) = ctx.item else {
            self.log_error(ctx, "`move` needs an item");
            return Flow::Next;
        };
        if self.state.live(item).is_none() {
            self.log_error(ctx, format!("cannot move {}: it was deleted", item.id(&self.model)));
            return Flow::Next;
        }
        if self.stage_of(item) == Some(target) {
            return Flow::Next;
        }
        Flow::Move(target)
    }

    /// `set PATH = EXPR` (SPEC §4): the value is computed first; an error assigns nothing.
    fn exec_set(&mut self, ctx: &Ctx, place: &Place, value: &crate::model::Expr) -> RtResult<()> {
        let base = self.eval_expr(ctx, &place.base)?;
        let value = self.eval_expr(ctx, value)?;
        let Value::Entity(base) = base else {
            return Err(RtError::new(format!(
                "cannot set `{}`: the value is missing",
                place.path.join(".")
            )));
        };
        if self.state.live(base).is_none() {
            return Err(RtError::new(format!(
                "cannot set `{}`: {} was deleted",
                place.path.join("."),
                base.id(&self.model)
            )));
        }
        let first = place.path.first().map(String::as_str);
        let info = self.kind_info(base.entity);
        let is_stage_field = |pos: Option<usize>, name: &str| {
            pos.is_some() && first == Some(name) && place.path.len() == 1
        };
        if is_stage_field(info.stage, "stage") || is_stage_field(info.pipeline, "pipeline") {
            return Err(RtError::new(
                "use `move to stage` or `move to pipeline` to change the stage",
            ));
        }
        self.change_field(ctx, base, &place.path, value)
    }

    /// Changes a field by a rule or process and does what such a change does: logs
    /// `field_changed`, raises `field changed` (or `task status`) and, for an edit by a rule,
    /// starts the `on change` processes. A same-value write does nothing.
    pub(crate) fn change_field(
        &mut self,
        ctx: &Ctx,
        base: EntityRef,
        path: &[String],
        value: Value,
    ) -> RtResult<()> {
        let Some((target, old, new)) = self.write_path(base, path, value)? else { return Ok(()) };
        self.log_field_changed(base, path, old.clone(), new.clone());
        let by_rule = !ctx.in_process();
        self.after_field_change(base, target, path, old, new, by_rule, false);
        Ok(())
    }
}
