//! SPEC §5.1 Employee monitoring and control: `notify`, `add history`, `create task`,
//! `complete tasks from stage`, `schedule activity|call|meeting`.

use super::super::effects::{ActivityInfo, EffectKind, HistoryInfo, TaskInfo};
use super::super::exec::{Ctx, RtResult};
use super::super::value::{EntityRef, Value};
use super::super::Engine;
use crate::model::{Call, StageRef};

/// `notify USER TEXT`
pub(super) fn notify(engine: &mut Engine, ctx: &mut Ctx, call: &Call) -> RtResult<Option<Value>> {
    let to = engine.user_arg(ctx, call, "to", "notify")?;
    let text = engine.text_arg(ctx, call, "text")?.unwrap_or_default();
    engine.log(ctx.item, EffectKind::Notify { to, text: text.into_boxed_str() });
    Ok(None)
}

/// `add history TEXT [by USER] { type }`
pub(super) fn add_history(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let text = engine.text_arg(ctx, call, "text")?.unwrap_or_default();
    let author = match call.args.get("author") {
        Some(_) => Some(engine.user_arg(ctx, call, "author", "add history")?),
        None => engine.responsible_of(engine.item(ctx)?).map(|u| engine.user_arc(&u)),
    };
    let kind = engine.keyword(call, "type").unwrap_or("info").to_string();
    engine.log(ctx.item, EffectKind::History(Box::new(HistoryInfo { text, author, kind })));
    Ok(None)
}

/// `create task TITLE { assignee, deadline, description, … }` → Task
pub(super) fn create_task(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let title = engine.text_arg(ctx, call, "title")?.unwrap_or_default();
    let assignee = engine.user_arg(ctx, call, "assignee", "create task")?;
    let deadline = engine.moment_arg(ctx, call, "deadline")?;
    let description = engine.text_arg(ctx, call, "description")?;
    let stage = engine.stage_of(item);
    let task = engine.new_record(
        "Task",
        vec![
            ("item", Value::Entity(item)),
            ("title", Value::Text(title.clone())),
            ("description", description.map_or(Value::None, Value::Text)),
            ("assignee", Value::User(assignee.to_string())),
            ("deadline", deadline.map_or(Value::None, Value::DateTime)),
            ("created_in_stage", stage.map_or(Value::None, Value::Stage)),
        ],
    )?;
    engine.mark_automation(task, item, false);
    let info = TaskInfo { task, title, assignee: Some(assignee), deadline };
    engine.log(Some(item), EffectKind::TaskCreated(Box::new(info)));
    Ok(Some(Value::Entity(task)))
}

/// `complete tasks from stage S, … [in pipeline P]`: the open tasks that rules or processes
/// created while the item was in those stages, in id order; each raises `task completed`.
pub(super) fn complete_tasks_from_stage(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let pipeline = match engine.arg_value(ctx, call, "pipeline")? {
        Some(Value::Pipeline(p)) => Some(p),
        _ => None,
    };
    let mut stages: Vec<StageRef> = match engine.arg_value(ctx, call, "stages")? {
        Some(Value::List(items)) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::Stage(s) => Some(s),
                _ => None,
            })
            .collect(),
        Some(Value::Stage(s)) => vec![s],
        _ => Vec::new(),
    };
    if let Some(p) = pipeline {
        // `in pipeline P` names the stages by id in P.
        let model = engine.model.clone();
        let target = model.pipeline(p);
        stages = stages
            .into_iter()
            .filter_map(|s| {
                let id = &model.stage(s).id;
                target.stage_index(id).map(|index| StageRef { pipeline: p, index })
            })
            .collect();
    }
    let Some(kind) = engine.model.entity_id("Task") else { return Ok(None) };
    let Some(status) = engine.model.entity(kind).fields.get_index_of("status") else {
        return Ok(None);
    };
    for n in 1..=engine.state.count(kind) {
        let task = EntityRef::new(kind, n);
        let open = engine.state.live(task).is_some_and(|row| {
            row.by_automation
                && row.created_in.is_some_and(|s| stages.contains(&s))
                && !matches!(row.fields.get(status), Some(Value::Enum(s)) if s == "completed")
        });
        if open && engine.owner_of(task) == Some(item) {
            engine.complete_task_record(task, status);
            engine.raise_task_status(Some(item), task, "completed".to_string(), false);
        }
    }
    Ok(None)
}

/// `schedule activity SUBJECT { due, responsible, description, auto_complete }` → Activity
pub(super) fn schedule_activity(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let due = engine.moment_arg(ctx, call, "due")?;
    schedule(engine, ctx, call, due, "schedule activity")
}

/// `schedule call|meeting SUBJECT { start, end, responsible, … }` → Activity (due: `start`)
pub(super) fn schedule_call(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let start = engine.moment_arg(ctx, call, "start")?;
    let words = engine.model.action(call.action).words.clone();
    schedule(engine, ctx, call, start, &words)
}

fn schedule(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
    due: Option<chrono::DateTime<chrono::Utc>>,
    action: &str,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let subject = engine.text_arg(ctx, call, "subject")?.unwrap_or_default();
    let responsible = engine.user_arg(ctx, call, "responsible", action)?;
    let auto_complete = engine.bool_arg(ctx, call, "auto_complete", true)?;
    let activity = engine.new_record(
        "Activity",
        vec![
            ("item", Value::Entity(item)),
            ("subject", Value::Text(subject)),
            ("responsible", Value::User(responsible.to_string())),
            ("due", due.map_or(Value::None, Value::DateTime)),
        ],
    )?;
    engine.mark_automation(activity, item, auto_complete);
    let info = engine.activity_info(activity);
    engine.log(Some(item), EffectKind::ActivityCreated(Box::new(info)));
    Ok(Some(Value::Entity(activity)))
}

impl Engine {
    /// The keys of `activity_created` / `activity_completed` for an activity.
    pub(crate) fn activity_info(&self, activity: EntityRef) -> ActivityInfo {
        let subject = match self.read_field(activity, "subject") {
            Some(Value::Text(t)) => t,
            _ => String::new(),
        };
        let responsible = match self.read_field(activity, "responsible") {
            Some(Value::User(u)) => Some(self.user_arc(&u)),
            _ => None,
        };
        let due = match self.read_field(activity, "due") {
            Some(Value::DateTime(t)) => Some(t),
            _ => None,
        };
        ActivityInfo { activity, subject, responsible, due }
    }
}
