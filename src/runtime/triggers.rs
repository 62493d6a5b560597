//! Events and triggers (SPEC §7, §8 "Triggers").
//!
//! Raising an event queues a job (a consequence, due now); handling it looks for the first
//! eligible trigger in source order of the item's current pipeline: on a stage other than the
//! item's, after it unless `allow backward`, its event and arguments matching, its `where`
//! holding (with the payload names in scope). `task completed` is the same event as
//! `task status completed`: the runtime raises `task status` and both declarations match.
//! Events raised by scenario commands are also logged as `event` effects (SPEC §9).

use indexmap::IndexMap;

use super::effects::{CauseKind, EffectKind};
use super::exec::Ctx;
use super::queue::{JobKind, RaisedEvent};
use super::value::{EntityRef, Value};
use super::Engine;
use crate::model::{Arg, EventId, ProcessId, StageRef, TriggerDef};

impl Engine {
    pub(crate) fn event_id(&self, words: &str) -> Option<EventId> {
        self.model.events.get_index_of(words).map(|i| EventId(i as u32))
    }

    /// Whether an entity kind is an item: it has a pipeline or a process (field edits of
    /// other entities raise no `field changed`).
    pub(crate) fn is_item_kind(&self, r: EntityRef) -> bool {
        self.kind_info(r.entity).has_pipeline
            || self.model.processes.values().any(|p| p.entity == r.entity)
    }

    /// Queues an event about `item`; `log` also writes its `event` effect (scenario commands).
    pub(crate) fn raise(
        &mut self,
        words: &str,
        item: Option<EntityRef>,
        args: Vec<(String, Value)>,
        payload: Vec<(String, Value)>,
        log: Option<(String, Option<EntityRef>)>,
    ) {
        if let Some((text, source)) = log {
            self.log(item, EffectKind::Event { event: text, source });
        }
        let (Some(item), Some(event)) = (item, self.event_id(words)) else { return };
        let ev = RaisedEvent { item, event, args, payload };
        self.queue_now(JobKind::Event(Box::new(ev)));
    }

    /// What a field change raises (SPEC §7): `task status` for a task's status (about the
    /// task's item), else `field changed` for a field of an item itself; and, for an edit by
    /// a scenario command or a rule, the `on change` processes start.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn after_field_change(
        &mut self,
        base: EntityRef,
        target: EntityRef,
        path: &[String],
        old: Value,
        new: Value,
        by_rule: bool,
        by_command: bool,
    ) {
        let field = path.last().map(String::as_str).unwrap_or("");
        let is_task =
            self.model.entities.get_index(target.entity.index()).is_some_and(|(n, _)| n == "Task");
        if is_task && field == "status" {
            if let Value::Enum(status) = &new {
                let owner = self.owner_of(target);
                self.raise_task_status(owner, target, status.clone(), by_command);
            }
            return;
        }
        if target != base || path.len() != 1 || !self.is_item_kind(base) {
            return;
        }
        let text = format!("field changed {field}");
        let change = IndexMap::from([
            ("name".to_string(), Value::Text(field.to_string())),
            ("old".to_string(), old),
            ("new".to_string(), new.clone()),
        ]);
        let args =
            vec![("path".to_string(), Value::Text(field.to_string())), ("value".to_string(), new)];
        let payload = vec![("field".to_string(), Value::record(change))];
        let log = by_command.then_some((text, None));
        self.raise("field changed", Some(base), args, payload, log);
        if by_rule || by_command {
            self.queue_change_processes(base);
        }
    }

    /// Raises `task status STATUS` (read `task completed` when completed).
    pub(crate) fn raise_task_status(
        &mut self,
        item: Option<EntityRef>,
        task: EntityRef,
        status: String,
        log: bool,
    ) {
        let text = if status == "completed" {
            "task completed".to_string()
        } else {
            format!("task status {status}")
        };
        let args = vec![("status".to_string(), Value::Enum(status))];
        let payload = vec![("task".to_string(), Value::Entity(task))];
        self.raise("task status", item, args, payload, log.then_some((text, Some(task))));
    }

    /// Queues the `on change` processes of the item's kind.
    fn queue_change_processes(&mut self, item: EntityRef) {
        let model = self.model.clone();
        for (i, p) in model.processes.values().enumerate() {
            if p.entity == item.entity && p.on_change {
                self.queue_now(JobKind::Start { process: ProcessId(i as u32), item });
            }
        }
    }

    /// The event job: the first eligible trigger moves the item.
    pub(crate) fn handle_event(&mut self, ev: RaisedEvent) {
        let item = ev.item;
        if self.state.live(item).is_none() {
            return;
        }
        let Some(current) = self.stage_of(item) else { return };
        let model = self.model.clone();
        let Some((_, pipeline)) = model.pipelines.get_index(current.pipeline.index()) else {
            return;
        };
        if model.events.get_index(ev.event.index()).is_none() {
            return;
        }
        let saved = self.push_cause(CauseKind::Event { item, event: ev.event });
        let mut ctx = Ctx::for_item(item);
        ctx.vars = ev.payload.iter().map(|(n, v)| (n.clone(), Some(v.clone()))).collect();
        for (si, stage) in pipeline.stages.iter().enumerate() {
            let si = si as u32;
            if si == current.index {
                continue;
            }
            for (ti, trigger) in stage.triggers.iter().enumerate() {
                if si < current.index && !trigger.allow_backward {
                    continue;
                }
                if !self.trigger_matches(&ctx, trigger, &ev) {
                    continue;
                }
                if let Some(cond) = &trigger.condition {
                    match self.eval_expr(&ctx, cond) {
                        Ok(v) if v.truthy() => {}
                        Ok(_) => continue,
                        Err(e) => {
                            self.log_error(&ctx, format!("trigger `where`: {}", e.0));
                            continue;
                        }
                    }
                }
                let by = match &trigger.as_user {
                    Some(expr) => match self.eval_expr(&ctx, expr) {
                        Ok(Value::User(u)) => Some(u),
                        Ok(_) => None,
                        Err(e) => {
                            self.log_error(&ctx, format!("trigger `as`: {}", e.0));
                            None
                        }
                    },
                    None => None,
                };
                let target = StageRef { pipeline: current.pipeline, index: si };
                self.push_cause(CauseKind::Trigger { item, stage: target, trigger: ti as u32 });
                self.move_to(item, target, by);
                self.cause = saved;
                return;
            }
        }
        self.cause = saved;
    }

    /// Whether a trigger watches this event with these arguments.
    fn trigger_matches(&self, ctx: &Ctx, trigger: &TriggerDef, ev: &RaisedEvent) -> bool {
        let model = &self.model;
        let watched = model.event(trigger.event).words.as_str();
        let raised = model.event(ev.event).words.as_str();
        let arg = |name: &str| ev.args.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        if watched == "task completed" && raised == "task status" {
            return matches!(arg("status"), Some(Value::Enum(s)) if s == "completed");
        }
        if trigger.event != ev.event {
            return false;
        }
        trigger.args.iter().all(|(name, expected)| {
            let Some(actual) = arg(name) else { return false };
            self.arg_matches(ctx, expected, actual, ev.item)
        })
    }

    fn arg_matches(&self, ctx: &Ctx, expected: &Arg, actual: &Value, item: EntityRef) -> bool {
        let text_of = |v: &Value| match v {
            Value::Text(t) | Value::Enum(t) => Some(t.clone()),
            _ => None,
        };
        match expected {
            Arg::Keyword(k) => text_of(actual).as_deref() == Some(k.as_str()),
            Arg::Keywords(ks) => text_of(actual).is_some_and(|a| ks.contains(&a)),
            Arg::FieldPath(path) => {
                let item_name = &self.model.entity(item.entity).item_name;
                let path: Vec<&str> = match path.split_first() {
                    Some((first, rest)) if first == item_name && !rest.is_empty() => {
                        rest.iter().map(String::as_str).collect()
                    }
                    _ => path.iter().map(String::as_str).collect(),
                };
                text_of(actual).as_deref() == Some(path.join(".").as_str())
            }
            Arg::Expr(e) => match self.eval_expr(ctx, e) {
                Ok(v) => super::eval::values_equal_tz(&v, actual, self.tz),
                Err(_) => false,
            },
            Arg::Kind(_) | Arg::Record(_) | Arg::In { .. } | Arg::Condition(_) => true,
        }
    }

    /// The `event` effect text of an event raised by `emit`: its words and argument values
    /// (`webhook erp_sync`, `form submitted contact_us`).
    pub(crate) fn event_text(&self, event: EventId, args: &IndexMap<String, Value>) -> String {
        let mut text = self.model.event(event).words.clone();
        for v in args.values() {
            let rendered = self.render_value(v);
            if !rendered.is_empty() {
                text.push(' ');
                text.push_str(&rendered);
            }
        }
        text
    }

    /// The payload of an emitted event (SPEC §7): `call` (`phone`, `line`), `form` (`name`,
    /// `fields`), `payload` (the webhook's keys), or the declared names filled from the
    /// block.
    pub(crate) fn emit_payload(
        &self,
        event: EventId,
        args: &IndexMap<String, Value>,
        given: IndexMap<String, Value>,
    ) -> Vec<(String, Value)> {
        let def = self.model.event(event);
        let mut out = Vec::new();
        for (name, ty) in &def.payload {
            let value = match ty.base() {
                crate::types::Type::Record(id) => {
                    let record = self.model.record(*id);
                    let mut map = IndexMap::new();
                    for field in record.fields.keys() {
                        let v = given
                            .get(field)
                            .or_else(|| args.get(field))
                            .cloned()
                            .unwrap_or(Value::None);
                        map.insert(field.clone(), v);
                    }
                    Value::record(map)
                }
                crate::types::Type::Map(_) => Value::record(given.clone()),
                _ => given.get(name).cloned().unwrap_or(Value::None),
            };
            out.push((name.clone(), value));
        }
        out
    }
}
