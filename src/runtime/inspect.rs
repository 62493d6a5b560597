//! Read-only queries for the scenario runner and the REPL: open records of an item, `show`,
//! `pending`, `tasks`, and `why SEQ` (the chain of causes of an effect).

use super::calendar::{self, WorkCalendar};
use super::effects::{process_name, rule_label, CauseKind};
use super::process::Wait;
use super::queue::JobKind;
use super::value::{datetime_text, pipeline_name, stage_id, EntityRef, Value};
use super::Engine;
use crate::model::{EntityId, Timing};
use crate::span::Span;

impl Engine {
    /// Open records of `kind` owned by `item`, by id (SPEC §10 "the one open record").
    pub(crate) fn query_open_records(&self, item: EntityRef, kind: EntityId) -> Vec<EntityRef> {
        let Some((name, def)) = self.model.entities.get_index(kind.index()) else {
            return Vec::new();
        };
        let pos = |f: &str| def.fields.get_index_of(f);
        let open = |r: EntityRef| -> bool {
            let field = |f: &str| self.field_at(r, pos(f));
            match name.as_str() {
                "Task" => !matches!(field("status"), Value::Enum(ref s) if s == "completed"),
                "Activity" => !field("completed").truthy(),
                "Invoice" | "Order" => {
                    !matches!(field("status"), Value::Enum(ref s) if s == "paid")
                }
                "Document" => !field("signed").truthy(),
                "Email" => !field("opened").truthy(),
                _ => true,
            }
        };
        (1..=self.state.count(kind))
            .map(|n| EntityRef::new(kind, n))
            .filter(|r| {
                self.state.live(*r).is_some() && self.owner_of(*r) == Some(item) && open(*r)
            })
            .collect()
    }

    /// `show`: the entity's id, then each field as `name: value` (JSON encoding).
    pub(crate) fn query_describe(&self, r: EntityRef) -> String {
        let Some((_, def)) = self.model.entities.get_index(r.entity.index()) else {
            return "unknown entity".to_string();
        };
        let Some(row) = self.state.row(r) else {
            return format!("{} does not exist", r.id(&self.model));
        };
        let mut out = r.id(&self.model);
        if row.deleted {
            out.push_str(" (deleted)");
        }
        for (name, value) in def.fields.keys().zip(row.fields.iter()) {
            if name == "id" {
                continue;
            }
            let shown = match value {
                Value::Stage(s) => format!(
                    "{} \"{}\"",
                    stage_id(&self.model, *s),
                    super::value::stage_title(&self.model, *s)
                ),
                other => {
                    let mut text = String::new();
                    super::value::write_json(&mut text, other, &self.model, self.tz);
                    text
                }
            };
            out.push_str(&format!("\n  {name}: {shown}"));
        }
        out
    }

    /// `pending`: pending jobs in run order, then waiting processes by instance id.
    pub(crate) fn query_pending(&self, item: Option<EntityRef>) -> Vec<String> {
        let model = &self.model;
        let mut lines = Vec::new();
        for (due, _, job) in self.state.queue.live_jobs() {
            let at = datetime_text(Engine::moment(due), self.tz);
            let (subject, text) = match &job.kind {
                JobKind::Rule { item, stage, rule, .. } => {
                    let label = rule_label(model, *stage, *rule).unwrap_or("rule");
                    let unless = self
                        .stage_def(*stage)
                        .and_then(|s| s.rules.get(*rule as usize))
                        .is_some_and(|r| matches!(r.unless, Some(crate::model::Unless::Moved)));
                    let suffix = if unless { " unless moved" } else { "" };
                    (
                        Some(*item),
                        format!("rule `{label}`{suffix} of stage {}", stage_id(model, *stage)),
                    )
                }
                JobKind::Enter { item, stage } => {
                    (Some(*item), format!("enter stage {}", stage_id(model, *stage)))
                }
                JobKind::Start { process, item } => (
                    Some(*item),
                    format!("start process {}", process_name(model, *process).unwrap_or("?")),
                ),
                JobKind::WakeStage { instance, .. } | JobKind::WakeTimer { instance, .. } => {
                    let Some(inst) = self.state.processes.get(instance) else { continue };
                    (Some(inst.item), format!("wake process:{instance}"))
                }
                JobKind::Event(ev) => {
                    (Some(ev.item), format!("event {}", self.event_words(ev.event)))
                }
            };
            if item.is_some() && subject != item {
                continue;
            }
            let who = subject.map_or("-".to_string(), |s| s.id(model));
            lines.push(format!("{at}  {who}  {text}"));
        }
        for inst in self.state.processes.values() {
            if item.is_some_and(|i| i != inst.item) {
                continue;
            }
            let mut waits = Vec::new();
            inst.thread.each_wait(&mut |w| {
                waits.push(match w {
                    Wait::Timer { .. } => "a timer".to_string(),
                    Wait::Stage { stages } => format!(
                        "stage {}",
                        stages.iter().map(|s| stage_id(model, *s)).collect::<Vec<_>>().join(", ")
                    ),
                })
            });
            lines.push(format!(
                "process:{} {} on {} waiting for {}",
                inst.id,
                process_name(model, inst.process).unwrap_or("?"),
                inst.item.id(model),
                waits.join(" and ")
            ));
        }
        lines
    }

    /// `tasks`: one line per task (of an item, or all), by id.
    pub(crate) fn query_tasks(&self, item: Option<EntityRef>) -> Vec<String> {
        let Some(kind) = self.model.entity_id("Task") else { return Vec::new() };
        let def = self.model.entity(kind);
        let pos = |f: &str| def.fields.get_index_of(f);
        let mut lines = Vec::new();
        for n in 1..=self.state.count(kind) {
            let r = EntityRef::new(kind, n);
            if self.state.live(r).is_none() {
                continue;
            }
            let owner = self.owner_of(r);
            if item.is_some() && owner != item {
                continue;
            }
            let title = self.render_value(&self.field_at(r, pos("title")));
            let status = self.render_value(&self.field_at(r, pos("status")));
            let assignee = self.render_value(&self.field_at(r, pos("assignee")));
            let mut line =
                format!("{}  [{status}]  \"{title}\"  assignee {assignee}", r.id(&self.model));
            if let Value::DateTime(t) = self.field_at(r, pos("deadline")) {
                line.push_str(&format!("  deadline {}", datetime_text(t, self.tz)));
            }
            if let Some(o) = owner {
                line.push_str(&format!("  ({})", o.id(&self.model)));
            }
            lines.push(line);
        }
        lines
    }

    /// `why SEQ`: the effect, then each link of its chain up to the command that started it.
    pub(crate) fn query_why(&self, seq: u64) -> Vec<String> {
        let Some(effect) = self.state.effects.iter().find(|e| e.seq == seq) else {
            return vec![format!("no effect #{seq}")];
        };
        let mut lines = vec![format!("#{seq} {}", self.effect_text(effect))];
        let mut cause = Some(effect.cause);
        let mut guard = 0;
        while let Some(index) = cause {
            let Some(c) = self.state.causes.get(index as usize) else { break };
            let at = datetime_text(Engine::moment(c.at), self.tz);
            lines.extend(self.describe_cause(&c.kind, &at, c.parent));
            cause = c.parent;
            guard += 1;
            if guard > 10_000 {
                break;
            }
        }
        lines
    }

    fn describe_cause(&self, kind: &CauseKind, at: &str, parent: Option<u32>) -> Vec<String> {
        let model = &self.model;
        match kind {
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
                let label = rule_label(model, *stage, *rule).unwrap_or("rule");
                let mut lines = vec![format!(
                    "  ← rule `{label}` of stage {} (pipeline {}) ran for {} at {at}{}",
                    stage_id(model, *stage),
                    pipeline_name(model, stage.pipeline),
                    item.id(model),
                    def.map(|d| self.location(d.header_span)).unwrap_or_default()
                )];
                if !*delayed {
                    return lines;
                }
                let Some(t) = parent.and_then(|p| self.state.causes.get(p as usize)).map(|c| c.at)
                else {
                    return lines;
                };
                let start = Engine::moment(t);
                lines.push(format!(
                    "    scheduled at {} on the stage entry",
                    datetime_text(start, self.tz)
                ));
                if let Some(def) = def {
                    if let (Timing::After(d), Some(_)) = (&def.timing, &def.working_hours) {
                        let cal = match cal.and_then(|c| model.calendars.get_index(c as usize)) {
                            Some((_, c)) => WorkCalendar::from_def(c, self.tz),
                            None => WorkCalendar::standard(self.tz),
                        };
                        for step in calendar::explain_working(start, d, &cal) {
                            lines.push(format!("    {step}"));
                        }
                    }
                }
                lines
            }
            CauseKind::Trigger { item, stage, trigger } => {
                let def = self.stage_def(*stage).and_then(|s| s.triggers.get(*trigger as usize));
                let event = def.map_or("?", |t| self.event_words(t.event));
                vec![format!(
                    "  ← trigger `when {event}` of stage {} moved {} at {at}{}",
                    stage_id(model, *stage),
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
                let words = model.events.get_index(event.index()).map_or("?", |(w, _)| w.as_str());
                vec![format!("  ← event `{words}` about {} handled at {at}", item.id(model))]
            }
        }
    }

    /// ` (file:line)` for a span when the sources are known.
    fn location(&self, span: Span) -> String {
        match &self.sources {
            Some(map) if (span.file.0 as usize) < map.len() => {
                let file = map.get(span.file);
                let (line, column) = file.line_col(span.start as usize);
                format!(" ({}:{line}:{column})", file.name)
            }
            _ => String::new(),
        }
    }
}
