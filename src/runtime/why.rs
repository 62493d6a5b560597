//! `why SEQ` (SPEC §12): the chain of causes that produced an effect, told for people.
//!
//! Every effect names the link of its chain that was running when it was logged (`Cause`);
//! links point to their parent up to the external command (or timed job) that started the
//! chain. `why` prints the effect, then each link from the nearest to the command:
//!
//! ```text
//! 2026-03-03 09:00  #5   deal:1  notify to="user:bob" text="…"
//!   ← rule `after 1 day unless moved` of stage sales.new ran for deal:1 at 2026-03-03 09:00 (employee_control.bp:41)
//!       scheduled when deal:1 entered stage new at 2026-03-02 09:00: after 1 day → due 2026-03-03 09:00
//!   ← command at 2026-03-02 09:00: input 5: create deal d1 { … }
//! ```
//!
//! A delay in working hours is followed by its computation (`calendar::explain_working`), and
//! so is a `due:`/`deadline:` argument written `in … in working hours` in the rule that
//! created the task or activity. Rules and triggers are shown as written, with `file:line`.

use super::calendar::{self, WorkCalendar};
use super::effects::{process_name, rule_label, Cause, CauseKind, Effect, EffectKind, Verb};
use super::value::{datetime_text, stage_id, EntityRef};
use super::Engine;
use crate::model::{Arg, RuleDef, Stmt, StmtKind, Timing, Unless};
use crate::span::Span;

/// At most this many links are followed (causes always end at a command; this only bounds a
/// corrupted state).
const MAX_LINKS: usize = 10_000;

impl Engine {
    /// `why SEQ`: the effect, then each link of its chain up to the command that started it.
    pub(crate) fn query_why(&self, seq: u64) -> Vec<String> {
        let Some(effect) = self.state.effects.iter().find(|e| e.seq == seq) else {
            let last = self.state.effects.last().map_or(0, |e| e.seq);
            return vec![match last {
                0 => format!("no effect #{seq}: the log is empty"),
                last => format!("no effect #{seq}: the log has effects #1 to #{last}"),
            }];
        };
        let mut lines = vec![self.effect_text(effect)];
        lines.extend(self.effect_reason(effect));
        let mut next = Some(effect.cause);
        let mut first = true;
        for _ in 0..MAX_LINKS {
            let Some(index) = next else { break };
            let Some(cause) = self.state.causes.get(index as usize) else { break };
            lines.extend(self.describe_cause(cause, first.then_some(effect)));
            first = false;
            next = cause.parent;
        }
        lines
    }

    /// Why an effect that is itself a decision happened: a cancelled or skipped rule, an
    /// activity completed by the stage change.
    fn effect_reason(&self, effect: &Effect) -> Vec<String> {
        let item = effect.entity.map_or_else(|| "the item".to_string(), |e| e.id(&self.model));
        let rule_of = |stage: crate::model::StageRef, rule: u32| {
            self.stage_def(stage).and_then(|s| s.rules.get(rule as usize))
        };
        let reason = match &effect.kind {
            EffectKind::RuleCancelled { stage, rule } => match rule_of(*stage, *rule) {
                Some(def) => match &def.unless {
                    Some(Unless::Moved) => format!(
                        "{item} left stage {} and the rule says `unless moved`",
                        self.stage_path(*stage)
                    ),
                    Some(Unless::Condition(condition)) => format!(
                        "`unless {}` held when the rule was due",
                        self.snippet(condition.span).unwrap_or_else(|| "…".to_string())
                    ),
                    None => format!("{item} moved to another pipeline or was deleted"),
                },
                None => return Vec::new(),
            },
            EffectKind::RuleSkipped { stage, rule } => {
                let condition = rule_of(*stage, *rule).and_then(|d| d.condition.as_ref());
                match condition.and_then(|c| self.snippet(c.span)) {
                    Some(text) => format!("`if {text}` was false when the rule was due"),
                    None => return Vec::new(),
                }
            }
            EffectKind::ActivityCompleted(_) => {
                let by_command = self.state.causes.get(effect.cause as usize).is_some_and(|c| {
                    matches!(c.kind, CauseKind::Command { verb: Verb::CompleteActivity, .. })
                });
                if by_command {
                    return Vec::new();
                }
                format!(
                    "{item} left the stage the activity was created in, and it was created \
                     with `auto_complete: true`"
                )
            }
            _ => return Vec::new(),
        };
        vec![format!("  because {reason}")]
    }

    /// The lines of one link; `effect` is given for the link that logged it directly.
    fn describe_cause(&self, cause: &Cause, effect: Option<&Effect>) -> Vec<String> {
        let model = &self.model;
        let at = datetime_text(Engine::moment(cause.at), self.tz);
        match &cause.kind {
            CauseKind::Command { verb, target, text } => {
                let text = text.and_then(|i| self.state.origins.get(i as usize));
                let what = match (text, target) {
                    (Some(text), _) => text.clone(),
                    (None, Some(t)) => format!("{} {}", verb.as_str(), t.id(model)),
                    (None, None) => verb.as_str().to_string(),
                };
                vec![format!("  ← command at {at}: {what}")]
            }
            CauseKind::Rule { item, stage, rule, delayed, calendar: cal } => {
                let def = self.stage_def(*stage).and_then(|s| s.rules.get(*rule as usize));
                let header = def
                    .and_then(|d| self.header(d.header_span))
                    .or_else(|| rule_label(model, *stage, *rule).map(str::to_string))
                    .unwrap_or_else(|| "rule".to_string());
                let mut lines = vec![format!(
                    "  ← rule `{header}` of stage {} ran for {} at {at}{}",
                    self.stage_path(*stage),
                    item.id(model),
                    def.map(|d| self.location(d.header_span)).unwrap_or_default()
                )];
                if let (true, Some(def)) = (*delayed, def) {
                    lines.extend(self.rule_timing(cause, *item, *stage, def, *cal));
                }
                if let (Some(effect), Some(def)) = (effect, def) {
                    lines.extend(self.argument_timing(cause, *item, effect, &def.body));
                }
                lines
            }
            CauseKind::Trigger { item, stage, trigger } => {
                let def = self.stage_def(*stage).and_then(|s| s.triggers.get(*trigger as usize));
                let header = def.and_then(|t| self.header(t.span)).unwrap_or_else(|| {
                    format!("when {}", def.map_or("?", |t| self.event_words(t.event)))
                });
                vec![format!(
                    "  ← trigger `{header}` of stage {} moved {} at {at}{}",
                    self.stage_path(*stage),
                    item.id(model),
                    def.map(|t| self.location(t.span)).unwrap_or_default()
                )]
            }
            CauseKind::Process { process, instance, item } => {
                let span = model.processes.get_index(process.index()).map(|(_, p)| p.span);
                vec![format!(
                    "  ← process {} (process:{instance}) on {} at {at}{}",
                    process_name(model, *process).unwrap_or("?"),
                    item.id(model),
                    span.map(|s| self.location(s)).unwrap_or_default()
                )]
            }
            CauseKind::Event { item, event } => {
                vec![format!(
                    "  ← event `{}` about {} handled at {at}",
                    self.event_words(*event),
                    item.id(model)
                )]
            }
        }
    }

    /// How a delayed rule's moment was computed: from the stage entry that scheduled it (the
    /// parent link's time), with the working-time steps when it counts working hours.
    fn rule_timing(
        &self,
        cause: &Cause,
        item: EntityRef,
        stage: crate::model::StageRef,
        def: &RuleDef,
        cal: Option<u32>,
    ) -> Vec<String> {
        let Some(scheduled) = cause.parent.and_then(|p| self.state.causes.get(p as usize)) else {
            return Vec::new();
        };
        let start = Engine::moment(scheduled.at);
        let due = datetime_text(Engine::moment(cause.at), self.tz);
        let entry = format!(
            "scheduled when {} entered stage {} at {}",
            item.id(&self.model),
            stage_id(&self.model, stage),
            datetime_text(start, self.tz)
        );
        match (&def.timing, &def.working_hours) {
            (Timing::After(delay), Some(_)) => {
                let calendar = match cal.and_then(|c| self.model.calendars.get_index(c as usize)) {
                    Some((_, c)) => WorkCalendar::from_def(c, self.tz),
                    None => WorkCalendar::standard(self.tz),
                };
                let text = super::value::duration_text(delay);
                let mut lines = vec![format!("      {entry}: {text} of working time, counted so:")];
                lines.extend(Self::steps(start, delay, &calendar));
                lines
            }
            (Timing::After(delay), None) => {
                let text = super::value::duration_text(delay);
                vec![format!("      {entry}: after {text} → due {due}")]
            }
            (Timing::At(moment), _) => {
                let text = self.snippet(moment.span).unwrap_or_else(|| "the moment".to_string());
                vec![format!("      {entry}: at {text} → due {due}")]
            }
            (Timing::OnEnter, _) => Vec::new(),
        }
    }

    /// For a task or activity a rule created with `due:`/`deadline:` written
    /// `in … in working hours`: how that moment was counted from the rule's run.
    fn argument_timing(
        &self,
        cause: &Cause,
        item: EntityRef,
        effect: &Effect,
        body: &[Stmt],
    ) -> Vec<String> {
        let kinds: &[&str] = match &effect.kind {
            EffectKind::TaskCreated(_) => &["create task"],
            EffectKind::ActivityCreated(_) => {
                &["schedule activity", "schedule call", "schedule meeting"]
            }
            _ => return Vec::new(),
        };
        let mut found = Vec::new();
        each_call(body, 0, &mut |call| {
            let words = self.model.actions.get_index(call.action.index()).map(|(w, _)| w.as_str());
            if !words.is_some_and(|w| kinds.contains(&w)) {
                return;
            }
            for (name, arg) in &call.args {
                if let Arg::In { delay, working_hours: Some(wh) } = arg {
                    found.push((name.clone(), *delay, wh.clone()));
                }
            }
        });
        found.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.2 == b.2);
        let start = Engine::moment(cause.at);
        let mut lines = Vec::new();
        for (name, delay, wh) in found {
            let calendar: WorkCalendar = self.working_calendar(item, &wh);
            let text = super::value::duration_text(&delay);
            lines.push(format!(
                "      {name}: in {text} in working hours, from {}, counted so:",
                datetime_text(start, self.tz)
            ));
            lines.extend(Self::steps(start, &delay, &calendar));
        }
        lines
    }

    /// The steps of a working-time computation, indented.
    fn steps(
        start: chrono::DateTime<chrono::Utc>,
        delay: &crate::ast::Duration,
        calendar: &WorkCalendar,
    ) -> Vec<String> {
        calendar::explain_working(start, delay, calendar)
            .into_iter()
            .map(|step| format!("        {step}"))
            .collect()
    }

    /// `sales.new`.
    fn stage_path(&self, stage: crate::model::StageRef) -> String {
        let pipeline = super::value::pipeline_name(&self.model, stage.pipeline);
        format!("{pipeline}.{}", stage_id(&self.model, stage))
    }

    /// A rule or trigger header as written: its first line, without the `{` of its body.
    fn header(&self, span: Span) -> Option<String> {
        let text = self.snippet(span)?;
        let line = text.lines().next().unwrap_or("").trim();
        Some(line.strip_suffix('{').unwrap_or(line).trim_end().to_string())
    }

    /// The source text of a span, when the sources are known.
    fn snippet(&self, span: Span) -> Option<String> {
        let map = self.sources.as_ref()?;
        ((span.file.0 as usize) < map.len()).then(|| map.snippet(span).to_string())
    }

    /// ` (file:line)` for a span when the sources are known.
    fn location(&self, span: Span) -> String {
        match &self.sources {
            Some(map) if (span.file.0 as usize) < map.len() => {
                let file = map.get(span.file);
                let (line, _) = file.line_col(span.start as usize);
                format!(" ({}:{line})", file.name)
            }
            _ => String::new(),
        }
    }
}

/// Calls every action call of a block, nested blocks included (depth-limited like the
/// parser's nesting).
fn each_call(body: &[Stmt], depth: usize, visit: &mut dyn FnMut(&crate::model::Call)) {
    if depth > 64 {
        return;
    }
    for stmt in body {
        match &stmt.kind {
            StmtKind::Call(call) | StmtKind::LetCall { call, .. } => visit(call),
            StmtKind::If { branches, otherwise } => {
                for (_, block) in branches {
                    each_call(block, depth + 1, visit);
                }
                each_call(otherwise, depth + 1, visit);
            }
            StmtKind::ForEach { body, .. } => each_call(body, depth + 1, visit),
            StmtKind::Parallel { branches } => {
                for block in branches {
                    each_call(block, depth + 1, visit);
                }
            }
            _ => {}
        }
    }
}
