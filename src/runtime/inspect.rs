//! Read-only queries for the scenario runner and the REPL: open records of an item, `show`,
//! `pending` and `tasks` (`why SEQ` is in `why.rs`).

use super::effects::{process_name, rule_label};
use super::process::Wait;
use super::queue::JobKind;
use super::value::{datetime_text, stage_id, EntityRef, Value};
use super::Engine;
use crate::model::EntityId;

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
}
