//! Stage entry and moves (SPEC §8 "Stage entry", "Moves by rules", "Cascades").
//!
//! A stage entry is one uninterrupted step, in the six-step order of SPEC §8:
//! 1. `rule_cancelled` for the pending `unless moved` rules of the stage left (scheduling order);
//! 2. `activity_completed` for its open auto-complete activities (by id, no event);
//! 3. the `stage` effect;
//! 4. the new stage's `on enter` rules in source order;
//! 5. its `after`/`at` rules are scheduled;
//! 6. wake-ups of processes waiting on the stage, then `on stage` process starts (then, on
//!    creation, `on create` starts) are queued.
//!
//! A move made by an `on enter` rule ends that rule and the entry (steps 4–6 stop) and the item
//! enters the new stage at once: `enter_stage` loops instead of recursing, so a long chain of
//! moves uses no stack. The cascade guard counts entries per chain.

use super::calendar::{self, WorkCalendar};
use super::effects::{CauseKind, EffectKind, FinishReason};
use super::exec::{Ctx, Flow};
use super::jobs::MAX_ENTRIES;
use super::queue::{Job, JobKind, Millis};
use super::value::{stage_id, EntityRef, Value};
use super::Engine;
use crate::model::{PipelineId, StageRef, Timing, Unless, WorkingHours};

/// The message of an `at` header whose operand is missing (the rule is skipped, SPEC §3.5).
pub const MISSING_ARITHMETIC: &str = "arithmetic on a missing value (use `?? 0`)";

impl Engine {
    /// Moves an item (a command, a trigger, a delayed rule, a process): nothing when it is
    /// already there; a stage of another pipeline first cancels every pending rule and
    /// process of the item (SPEC §8 `move to pipeline`).
    pub(crate) fn move_to(&mut self, item: EntityRef, target: StageRef, by: Option<String>) {
        let current = self.stage_of(item);
        if current == Some(target) || self.state.live(item).is_none() {
            return;
        }
        let mut from_pipeline = None;
        if let Some(c) = current {
            if c.pipeline != target.pipeline {
                self.cancel_all(item, FinishReason::Cancelled);
                from_pipeline = Some(c.pipeline);
            }
        }
        self.enter_stage(item, target, by, false, from_pipeline);
    }

    /// Enters `target` (see the module doc). `creation`: the item was just created (no stage
    /// is left; `on create` processes start after the entry).
    pub(crate) fn enter_stage(
        &mut self,
        item: EntityRef,
        mut target: StageRef,
        mut by: Option<String>,
        creation: bool,
        mut from_pipeline: Option<PipelineId>,
    ) {
        let model = self.model.clone();
        let saved_cause = self.cause;
        let mut first = creation;
        loop {
            if !self.count_entry(item, target) {
                break;
            }
            let from = if first { None } else { self.stage_of(item) };
            first = false;
            if let Some(left) = from {
                self.cancel_unless_moved(item, left);
                self.autocomplete_activities(item, left);
            }
            self.set_stage_fields(item, target);
            let by_user = match by.take() {
                Some(u) => Some(self.user_arc(&u)),
                None => match self.field_at_ref(item, self.kind_info(item.entity).responsible) {
                    Some(Value::User(u)) => Some(self.user_arc(u)),
                    _ => None,
                },
            };
            let pipeline_changed = from_pipeline.is_some() && from.is_some();
            self.log(
                Some(item),
                EffectKind::Stage { from, to: target, by: by_user, pipeline_changed },
            );
            match self.run_on_enter_rules(item, target) {
                Flow::Move(next) => {
                    from_pipeline = None;
                    if next.pipeline != target.pipeline {
                        self.cancel_all(item, FinishReason::Cancelled);
                        from_pipeline = Some(target.pipeline);
                    }
                    target = next;
                    continue;
                }
                Flow::Abort => break,
                Flow::Next | Flow::Stop => {}
            }
            if self.aborted {
                break;
            }
            self.schedule_rules(item, target);
            self.queue_stage_wakes(item, target);
            for (i, p) in model.processes.values().enumerate() {
                if p.entity == item.entity && p.on_stages.contains(&target) {
                    let process = crate::model::ProcessId(i as u32);
                    self.queue_now(JobKind::Start { process, item });
                }
            }
            break;
        }
        if creation && !self.aborted {
            self.queue_create_processes(item);
        }
        self.cause = saved_cause;
    }

    /// Queues the `on create` processes of the item's kind (source order).
    pub(crate) fn queue_create_processes(&mut self, item: EntityRef) {
        let model = self.model.clone();
        for (i, p) in model.processes.values().enumerate() {
            if p.entity == item.entity && p.on_create {
                let process = crate::model::ProcessId(i as u32);
                self.queue_now(JobKind::Start { process, item });
            }
        }
    }

    fn set_stage_fields(&mut self, item: EntityRef, target: StageRef) {
        let info = *self.kind_info(item.entity);
        if let Some(row) = self.state.live_mut(item) {
            if let Some(p) = info.stage {
                if let Some(slot) = row.fields.get_mut(p) {
                    *slot = Value::Stage(target);
                }
            }
            if let Some(p) = info.pipeline {
                if let Some(slot) = row.fields.get_mut(p) {
                    *slot = Value::Pipeline(target.pipeline);
                }
            }
        }
    }

    /// Step 4: the `on enter` rules of `stage`, in source order; a move ends them.
    fn run_on_enter_rules(&mut self, item: EntityRef, stage: StageRef) -> Flow {
        let model = self.model.clone();
        let Some(def) = model
            .pipelines
            .get_index(stage.pipeline.index())
            .and_then(|(_, p)| p.stages.get(stage.index as usize))
        else {
            return Flow::Next;
        };
        for (i, rule) in def.rules.iter().enumerate() {
            if !matches!(rule.timing, Timing::OnEnter) {
                continue;
            }
            let flow = self.run_rule(item, stage, i as u32, None);
            match flow {
                Flow::Move(_) | Flow::Abort => return flow,
                Flow::Next | Flow::Stop => {}
            }
            if self.aborted {
                return Flow::Abort;
            }
        }
        Flow::Next
    }

    /// Runs a rule that is due: `unless COND` first (`rule_cancelled`), then `if COND`
    /// (`rule_skipped`), then its body. `scheduled` is (scheduling time, calendar) of a
    /// delayed rule.
    pub(crate) fn run_rule(
        &mut self,
        item: EntityRef,
        stage: StageRef,
        rule: u32,
        scheduled: Option<(Millis, Option<u32>)>,
    ) -> Flow {
        let model = self.model.clone();
        let Some(def) = model
            .pipelines
            .get_index(stage.pipeline.index())
            .and_then(|(_, p)| p.stages.get(stage.index as usize))
            .and_then(|s| s.rules.get(rule as usize))
        else {
            return Flow::Next;
        };
        let mut ctx = Ctx { item: Some(item), rule: Some((stage, rule)), ..Ctx::default() };
        if let Some(Unless::Condition(cond)) = &def.unless {
            match self.eval_expr(&ctx, cond) {
                Ok(v) if v.truthy() => {
                    self.log(Some(item), EffectKind::RuleCancelled { stage, rule });
                    return Flow::Next;
                }
                Ok(_) => {}
                Err(e) => {
                    self.log_error(&ctx, e.0);
                    return Flow::Next;
                }
            }
        }
        if let Some(cond) = &def.condition {
            match self.eval_expr(&ctx, cond) {
                Ok(v) if v.truthy() => {}
                Ok(_) => {
                    self.log(Some(item), EffectKind::RuleSkipped { stage, rule });
                    return Flow::Next;
                }
                Err(e) => {
                    self.log_error(&ctx, e.0);
                    return Flow::Next;
                }
            }
        }
        let saved = self.push_cause(CauseKind::Rule {
            item,
            stage,
            rule,
            delayed: scheduled.is_some(),
            calendar: scheduled.and_then(|(_, c)| c),
        });
        let flow = self.run_block(&mut ctx, &def.body);
        // A move is attributed to this rule: the caller restores the cause after the move.
        if !matches!(flow, Flow::Move(_)) {
            self.cause = saved;
        }
        flow
    }

    /// A delayed rule's job: runs it, and makes the move it asks for.
    pub(crate) fn run_delayed_rule(
        &mut self,
        item: EntityRef,
        stage: StageRef,
        rule: u32,
        scheduled: (Millis, Option<u32>),
    ) {
        if self.state.live(item).is_none() {
            return;
        }
        let saved = self.cause;
        if let Flow::Move(target) = self.run_rule(item, stage, rule, Some(scheduled)) {
            self.move_to(item, target, None);
        }
        self.cause = saved;
    }

    /// Step 5: schedules the `after` and `at` rules of `stage`.
    fn schedule_rules(&mut self, item: EntityRef, stage: StageRef) {
        let model = self.model.clone();
        let now = self.now_ms();
        let Some((_, pipeline)) = model.pipelines.get_index(stage.pipeline.index()) else { return };
        let Some(def) = pipeline.stages.get(stage.index as usize) else { return };
        for (i, rule) in def.rules.iter().enumerate() {
            let rule_index = i as u32;
            let ctx = Ctx { item: Some(item), rule: Some((stage, rule_index)), ..Ctx::default() };
            let (due, calendar) = match &rule.timing {
                Timing::OnEnter => continue,
                Timing::After(delay) => {
                    match self.delay_end(item, delay, rule.working_hours.as_ref()) {
                        Ok(x) => x,
                        Err(message) => {
                            self.log_error(&ctx, message);
                            continue;
                        }
                    }
                }
                Timing::At(expr) => match self.eval_expr(&ctx, expr) {
                    Ok(Value::DateTime(t)) => (t.timestamp_millis().max(now), None),
                    Ok(Value::Date(d)) => {
                        let t = calendar::date_to_moment(d, self.tz);
                        (t.timestamp_millis().max(now), None)
                    }
                    Ok(Value::None) => {
                        self.log(Some(item), EffectKind::RuleSkipped { stage, rule: rule_index });
                        continue;
                    }
                    Err(e) if e.0 == MISSING_ARITHMETIC => {
                        self.log(Some(item), EffectKind::RuleSkipped { stage, rule: rule_index });
                        continue;
                    }
                    Ok(other) => {
                        let text = self.render_value(&other);
                        self.log_error(
                            &ctx,
                            format!("`at` needs a date or date-time, not `{text}`"),
                        );
                        continue;
                    }
                    Err(e) => {
                        self.log_error(&ctx, e.0);
                        continue;
                    }
                },
            };
            let kind = JobKind::Rule { item, stage, rule: rule_index, calendar };
            let handle = self.state.queue.push(due, Job { kind, chain: None, cause: self.cause });
            self.push_pending(item, handle);
        }
    }

    /// When a delay that starts now ends, and which declared calendar counted it (None for
    /// calendar time or the built-in calendar). SPEC §8 "Which calendar": `of CAL`, else the
    /// responsible's own calendar, else `default`, else Mon–Fri 09:00–18:00.
    pub(crate) fn delay_end(
        &self,
        item: EntityRef,
        delay: &crate::ast::Duration,
        working: Option<&WorkingHours>,
    ) -> Result<(Millis, Option<u32>), String> {
        let now = self.state.clock.now;
        let Some(wh) = working else {
            if let Some(due) = self.add_elapsed_utc(now, delay) {
                return Ok((due, None));
            }
            return Ok((calendar::add_calendar(now, delay, self.tz).timestamp_millis(), None));
        };
        let cal = self.working_calendar(item, wh);
        let end = calendar::add_working(now, delay, &cal).map_err(|e| e.to_string())?;
        let index = self.model.calendars.get_index_of(cal.name.as_str()).map(|i| i as u32);
        Ok((end.timestamp_millis(), index))
    }

    /// `calendar::add_calendar` when the clock's timezone is UTC, where a day is always 24
    /// hours: plain millisecond arithmetic, `None` (use `add_calendar`) in any other timezone
    /// or when the result or the intermediate moment after the days leaves chrono's range.
    fn add_elapsed_utc(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        d: &crate::ast::Duration,
    ) -> Option<Millis> {
        if self.tz != chrono_tz::Tz::UTC {
            return None;
        }
        let days = d.weeks.checked_mul(7)?.checked_add(d.days)?;
        let minutes = d.hours.checked_mul(60)?.checked_add(d.minutes)?;
        let after_days = now.timestamp_millis().checked_add(days.checked_mul(86_400_000)?)?;
        let due = after_days.checked_add(minutes.checked_mul(60_000)?)?;
        chrono::DateTime::from_timestamp_millis(after_days)?;
        chrono::DateTime::from_timestamp_millis(due)?;
        Some(due)
    }

    /// The calendar that counts working time for `item` now.
    pub(crate) fn working_calendar(&self, item: EntityRef, wh: &WorkingHours) -> WorkCalendar {
        let explicit = wh
            .calendar
            .and_then(|c| self.model.calendars.get_index(c.index()))
            .map(|(name, _)| name.as_str());
        let responsible_calendar = self
            .responsible_of(item)
            .and_then(|u| self.state.users.get(&u))
            .and_then(|u| u.calendar.clone());
        WorkCalendar::resolve(&self.model, explicit, responsible_calendar.as_deref(), self.tz)
    }

    /// Step 2: completes the open auto-complete activities created in the stage left.
    fn autocomplete_activities(&mut self, item: EntityRef, left: StageRef) {
        let Some(kind) = self.model.entity_id("Activity") else { return };
        let count = self.state.count(kind);
        if count == 0 {
            return;
        }
        let Some(completed) = self.field_index_of(kind, "completed") else { return };
        for n in 1..=count {
            let r = EntityRef::new(kind, n);
            let matches = self.state.live(r).is_some_and(|row| {
                row.auto_complete
                    && row.created_in == Some(left)
                    && !row.fields.get(completed).is_some_and(Value::truthy)
            }) && self.owner_of(r) == Some(item);
            if matches {
                if let Some(row) = self.state.live_mut(r) {
                    if let Some(slot) = row.fields.get_mut(completed) {
                        *slot = Value::Bool(true);
                    }
                }
                let info = self.activity_info(r);
                self.log(Some(item), EffectKind::ActivityCompleted(Box::new(info)));
            }
        }
    }

    /// Counts a stage entry in the current chain; false (and the loop error logged, the
    /// chain's pending jobs dropped) for a 101st entry.
    fn count_entry(&mut self, item: EntityRef, target: StageRef) -> bool {
        let Some(chain) = self.chain else { return true };
        let info = self.chains.get(chain);
        if info.entries >= MAX_ENTRIES {
            let mut cycle: Vec<StageRef> = Vec::new();
            if let Some(start) = info.trace.iter().rposition(|e| *e == (item, target)) {
                cycle.extend(info.trace[start..].iter().map(|(_, s)| *s));
            } else {
                cycle.extend(info.trace.iter().rev().take(3).rev().map(|(_, s)| *s));
            }
            cycle.push(target);
            let names: Vec<&str> = cycle.iter().map(|s| stage_id(&self.model, *s)).collect();
            let message = format!(
                "loop stopped: {} (more than {MAX_ENTRIES} stage entries in one chain)",
                names.join(" → ")
            );
            self.loop_detected(chain, Some(item), message);
            return false;
        }
        info.entries += 1;
        info.trace.push((item, target));
        true
    }

    /// The cascade guard fired: one `error` effect, the chain's pending jobs dropped, and
    /// everything running in the chain stops.
    pub(crate) fn loop_detected(&mut self, chain: u32, item: Option<EntityRef>, message: String) {
        let ctx = Ctx { item, ..Ctx::default() };
        self.log_error(&ctx, message);
        self.state.queue.drop_chain(chain);
        self.chains.get(chain).queued = 0;
        self.aborted = true;
    }

    /// Queues a consequence: a job due now in the current chain (SPEC §8).
    pub(crate) fn queue_now(&mut self, kind: JobKind) {
        if self.aborted {
            return;
        }
        let job = Job { kind, chain: self.chain, cause: self.cause };
        let now = self.now_ms();
        self.state.queue.push(now, job);
        if let Some(chain) = self.chain {
            self.chains.queued(chain);
        }
    }

    /// Step 6, first half: wake-ups of the item's processes waiting on `stage`, or on any
    /// stage when it is final, by instance id.
    fn queue_stage_wakes(&mut self, item: EntityRef, stage: StageRef) {
        let is_final = self.stage_def(stage).is_some_and(|s| s.is_final());
        let waiting: Vec<u32> = self
            .state
            .processes
            .values()
            .filter(|inst| inst.item == item && inst.thread.waits_for_stage(stage, is_final))
            .map(|inst| inst.id)
            .collect();
        for instance in waiting {
            self.queue_now(JobKind::WakeStage { instance, stage });
        }
    }
}
