//! Statements and rule bodies (SPEC §4, §8): the execution context, the effect log writer,
//! field reads and writes, and the statement runner used by rules (processes reuse the
//! simple statements through `exec_simple`, and run their own control flow in `procexec`).
//!
//! Errors at run time never stop the run (SPEC §8): a statement that fails logs an `error`
//! effect naming the item, the rule or process, and the reason, and the body goes on.

use chrono::{DateTime, Utc};

use super::effects::{Cause, CauseKind, EffectKind, ErrorInfo};
use super::queue::Millis;
use super::value::{EntityRef, Value};
use super::{Effect, Engine};
use crate::model::{Place, ProcessId, StageRef, Stmt, StmtKind};

/// A run-time error: its message, in the voice of the diagnostics (what, which item).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtError(pub String);

impl RtError {
    pub fn new(message: impl Into<String>) -> RtError {
        RtError(message.into())
    }
}

pub type RtResult<T> = Result<T, RtError>;

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
