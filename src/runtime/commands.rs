//! External commands (SPEC §10 "Commands that change the state") and the job loop (SPEC §8
//! "Jobs and chains").
//!
//! Each command validates everything first (an `Err` leaves the state unchanged), then starts
//! a chain, makes its change and logs its effects, logs the `event` it raises, and finally
//! runs every job due at or before the clock. Jobs run in (due, sequence) order; a consequence
//! continues the chain that queued it, a timed job starts a new chain; the cascade guard
//! counts each chain's jobs.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use indexmap::IndexMap;

use super::calendar;
use super::effects::{CauseKind, EffectKind, Verb};
use super::exec::{JobKey, MAX_JOBS};
use super::queue::{Job, JobKind};
use super::state::UserRow;
use super::value::{EntityRef, Value};
use super::{CommandError, Engine, UserSpec};
use crate::diag::suggest::did_you_mean;
use crate::model::{Default as FieldDefault, EntityId, EventId, PipelineId, ProcessId, StageRef};

type CmdResult<T> = Result<T, CommandError>;

impl Engine {
    // -----------------------------------------------------------------------------------------
    // Chains

    /// Starts the chain of an external command, with its root cause.
    fn begin_command(&mut self, verb: Verb, target: Option<EntityRef>) {
        self.last_chain += 1;
        self.chain = Some(self.last_chain);
        self.aborted = false;
        let text = self.origin.take().map(|t| {
            self.state.origins.push(t);
            (self.state.origins.len() - 1) as u32
        });
        let now = self.now_ms();
        let kind = CauseKind::Command { verb, target, text };
        self.state.causes.push(super::effects::Cause { parent: None, at: now, kind });
        self.cause = (self.state.causes.len() - 1) as u32;
        self.state.started = true;
    }

    /// Ends a command: runs every job due now, then forgets the finished chains.
    fn end_command(&mut self) {
        let now = self.state.clock.now;
        self.run_due(now);
        self.chains.clear();
        self.chain = None;
        self.aborted = false;
    }

    /// Runs every job due at or before `limit`, in (due, sequence) order, moving the clock to
    /// each job's time.
    pub(crate) fn run_due(&mut self, limit: DateTime<Utc>) {
        let limit = limit.timestamp_millis();
        while let Some(popped) = self.state.queue.pop_due(limit) {
            let super::queue::Popped { due, handle, job, next } = popped;
            if let JobKind::Rule { item, .. } = job.kind {
                self.unlink_pending(item, handle, next);
            }
            if due > self.now_ms() {
                self.state.clock.now = Engine::moment(due);
            }
            let chain = match job.chain {
                Some(c) => c,
                None => {
                    self.last_chain += 1;
                    self.last_chain
                }
            };
            if self.chain != Some(chain) {
                self.chain = Some(chain);
                self.aborted = false;
            }
            if self.aborted {
                continue;
            }
            if !self.count_job(chain, &job) {
                continue;
            }
            self.cause = job.cause;
            self.run_job(job);
        }
        // Chains whose jobs all ran are over.
        self.chains.clear();
        self.chain = None;
        self.aborted = false;
    }

    /// Counts a job of a chain; false (loop error logged) for a 1001st.
    fn count_job(&mut self, chain: u32, job: &Job) -> bool {
        let key = JobKey::of(job);
        let info = self.chains.get(chain);
        if info.jobs >= MAX_JOBS {
            let start =
                info.job_trace.iter().rposition(|k| *k == key).unwrap_or(info.job_trace.len());
            let mut cycle: Vec<JobKey> = info.job_trace[start..].to_vec();
            cycle.push(key);
            let names: Vec<String> = cycle.iter().map(|k| self.job_label(*k)).collect();
            let message = format!(
                "loop stopped: {} (more than {MAX_JOBS} jobs in one chain)",
                names.join(" → ")
            );
            let item = match &job.kind {
                JobKind::Rule { item, .. }
                | JobKind::Enter { item, .. }
                | JobKind::Start { item, .. } => Some(*item),
                JobKind::Event(ev) => Some(ev.item),
                JobKind::WakeStage { instance, .. } | JobKind::WakeTimer { instance, .. } => {
                    self.state.processes.get(instance).map(|i| i.item)
                }
            };
            self.loop_detected(chain, item, message);
            return false;
        }
        info.jobs += 1;
        if info.job_trace.len() < 2 * MAX_JOBS as usize {
            info.job_trace.push(key);
        }
        true
    }

    /// A short name for a job, for naming a cycle of jobs.
    fn job_label(&self, key: JobKey) -> String {
        let model = &self.model;
        match key {
            JobKey::Rule(stage, rule) => format!(
                "{} `{}`",
                super::value::stage_id(model, stage),
                super::effects::rule_label(model, stage, rule).unwrap_or("rule")
            ),
            JobKey::Enter(stage) => super::value::stage_id(model, stage).to_string(),
            JobKey::Start(process) => {
                format!("process {}", super::effects::process_name(model, process).unwrap_or("?"))
            }
            JobKey::Wake(instance) => format!("process:{instance}"),
            JobKey::Event(event) => self.event_words(event).to_string(),
        }
    }

    fn run_job(&mut self, job: Job) {
        match job.kind {
            JobKind::Rule { item, stage, rule, calendar } => {
                let scheduled_at = self.state.causes.get(job.cause as usize).map_or(0, |c| c.at);
                self.run_delayed_rule(item, stage, rule, (scheduled_at, calendar));
            }
            JobKind::Enter { item, stage } => {
                if self.state.live(item).is_some() {
                    self.enter_stage(item, stage, None, true, None);
                }
            }
            JobKind::Start { process, item } => self.start_process_now(process, item),
            JobKind::WakeStage { instance, stage } => self.wake_stage(instance, stage),
            JobKind::WakeTimer { instance, token } => self.wake_timer(instance, token),
            JobKind::Event(ev) => self.handle_event(*ev),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Clock, seed, users

    pub(crate) fn cmd_set_clock(&mut self, local: NaiveDateTime, tz: Option<Tz>) -> CmdResult<()> {
        if self.state.started {
            return Err(CommandError::new(
                "`clock` must come before the first command that changes the state",
            )
            .with_help("move the `clock` line to the top of the scenario"));
        }
        let tz = tz.unwrap_or(self.tz);
        self.state.clock.now = calendar::local_to_utc(local, tz);
        self.state.clock.tz = super::state::TzName(tz);
        self.tz = tz;
        Ok(())
    }

    pub(crate) fn cmd_add_user(&mut self, user: UserSpec) -> CmdResult<()> {
        if self.state.users.contains_key(&user.id) {
            return Err(CommandError::new(format!("user `{}` already exists", user.id)));
        }
        if let Some(cal) = &user.calendar {
            if !self.model.calendars.contains_key(cal) {
                let names: Vec<&str> = self.model.calendars.keys().map(String::as_str).collect();
                let mut err = CommandError::new(format!("unknown calendar `{cal}`"));
                if let Some(help) = did_you_mean(cal, names) {
                    err = err.with_help(help);
                }
                return Err(err);
            }
        }
        self.state.started = true;
        let row = UserRow {
            id: user.id.as_str().into(),
            name: user.name,
            supervisor: user.supervisor,
            email: user.email,
            phone: user.phone,
            absent: user.absent,
            calendar: user.calendar,
        };
        self.state.users.insert(user.id, row);
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // create

    pub(crate) fn cmd_create(
        &mut self,
        kind: EntityId,
        fields: IndexMap<String, Value>,
        pipeline: Option<PipelineId>,
        stage: Option<StageRef>,
    ) -> CmdResult<EntityRef> {
        let (row, stage) =
            self.instantiate(kind, fields, pipeline, stage).map_err(CommandError::new)?;
        let n = self.state.count(kind) + 1;
        let r = EntityRef::new(kind, n);
        self.begin_command(Verb::Create, Some(r));
        self.insert_entity(r, row, stage);
        if let Some(stage) = stage {
            self.enter_stage(r, stage, None, true, None);
        } else {
            self.queue_create_processes(r);
        }
        self.end_command();
        Ok(r)
    }

    /// The field values of a new entity of `kind` (defaults filled in, values coerced to
    /// the field types, required fields checked) and its initial stage.
    pub(crate) fn instantiate(
        &self,
        kind: EntityId,
        given: IndexMap<String, Value>,
        pipeline: Option<PipelineId>,
        stage: Option<StageRef>,
    ) -> Result<(Box<[Value]>, Option<StageRef>), String> {
        let model = &self.model;
        let Some((_, def)) = model.entities.get_index(kind.index()) else {
            return Err("unknown entity kind".to_string());
        };
        // The given values by position; every other field takes its default below.
        let count = def.fields.len();
        let mut values: Vec<Value> = Vec::with_capacity(count);
        values.resize_with(count, || Value::None);
        let mut given_at = Given::new(count);
        for (name, value) in given {
            match def.fields.get_index_of(name.as_str()) {
                Some(pos) if !matches!(name.as_str(), "id" | "stage" | "pipeline") => {
                    if !value.is_none() {
                        values[pos] = self.coerce(value, &def.fields[pos].ty);
                        given_at.set(pos);
                    }
                }
                _ => {
                    let mut message = format!("`{}` has no field `{name}`", def.name);
                    if let Some(help) = did_you_mean(&name, def.fields.keys().map(String::as_str)) {
                        message.push_str(&format!(" ({help})"));
                    }
                    return Err(message);
                }
            }
        }
        let stage = self.initial_stage(kind, pipeline, stage)?;
        let info = *self.kind_info(kind);
        for (pos, (name, field)) in def.fields.iter().enumerate() {
            values[pos] = match pos {
                // The id is computed when read (`deal:1`), never stored.
                _ if Some(pos) == info.id => Value::None,
                _ if Some(pos) == info.stage && stage.is_some() => {
                    stage.map_or(Value::None, Value::Stage)
                }
                _ if Some(pos) == info.pipeline && stage.is_some() => {
                    stage.map_or(Value::None, |s| Value::Pipeline(s.pipeline))
                }
                _ if given_at.get(pos) => continue,
                _ => match &field.default {
                    Some(FieldDefault::Literal(lit)) => self.coerce(self.literal(lit), &field.ty),
                    Some(FieldDefault::Now) => Value::DateTime(self.state.clock.now),
                    Some(FieldDefault::EmptyList) => Value::List(Vec::new()),
                    None if field.required => {
                        return Err(format!("missing field `{name}` for a new `{}`", def.name));
                    }
                    None => Value::None,
                },
            };
        }
        Ok((values.into_boxed_slice(), stage))
    }

    /// The stage a new item of `kind` enters: the one given, else the initial stage of the
    /// pipeline given, else of the first pipeline of the kind; none for a kind without one.
    fn initial_stage(
        &self,
        kind: EntityId,
        pipeline: Option<PipelineId>,
        stage: Option<StageRef>,
    ) -> Result<Option<StageRef>, String> {
        let model = &self.model;
        let kind_name = &model.entity(kind).name;
        if let Some(s) = stage {
            let Some((pname, p)) = model.pipelines.get_index(s.pipeline.index()) else {
                return Err("unknown stage".to_string());
            };
            if p.entity != kind || p.stages.get(s.index as usize).is_none() {
                return Err(format!("pipeline `{pname}` is not a pipeline of `{kind_name}`"));
            }
            if let Some(given) = pipeline {
                if given != s.pipeline {
                    let stage_name = super::value::stage_id(model, s);
                    let given_name = super::value::pipeline_name(model, given);
                    return Err(format!("stage `{stage_name}` is not in pipeline `{given_name}`"));
                }
            }
            return Ok(Some(s));
        }
        if let Some(p) = pipeline {
            let Some((pname, def)) = model.pipelines.get_index(p.index()) else {
                return Err("unknown pipeline".to_string());
            };
            if def.entity != kind {
                return Err(format!("pipeline `{pname}` is not a pipeline of `{kind_name}`"));
            }
            return Ok(Some(StageRef { pipeline: p, index: def.initial_stage() }));
        }
        Ok(model
            .pipelines_of(kind)
            .next()
            .map(|(id, def)| StageRef { pipeline: id, index: def.initial_stage() }))
    }

    /// Adds a new entity's row and logs `entity_created`.
    pub(crate) fn insert_entity(
        &mut self,
        r: EntityRef,
        fields: Box<[Value]>,
        stage: Option<StageRef>,
    ) {
        self.push_row(r, fields);
        let info = self.kind_info(r.entity);
        let title = [info.title, info.name, info.subject].into_iter().find_map(|pos| {
            match self.field_at(r, pos) {
                Value::None => None,
                Value::Text(t) => Some(Box::from(t.as_str())),
                v => Some(self.render_value(&v).into_boxed_str()),
            }
        });
        let kind = EffectKind::EntityCreated { title, pipeline: stage.map(|s| s.pipeline), stage };
        self.log(Some(r), kind);
    }

    /// Adds a new entity's row (its number is the next of its kind).
    pub(crate) fn push_row(&mut self, r: EntityRef, fields: Box<[Value]>) {
        let kinds = r.entity.index() + 1;
        if self.state.entities.len() < kinds {
            self.state.entities.resize_with(kinds, Vec::new);
        }
        self.state.entities[r.entity.index()].push(super::state::Row::new(fields));
    }

    // -----------------------------------------------------------------------------------------
    // set, move

    pub(crate) fn cmd_set_field(
        &mut self,
        target: EntityRef,
        path: &[String],
        value: Value,
    ) -> CmdResult<()> {
        self.check_live(target)?;
        let Some(first) = path.first() else { return Err(CommandError::new("missing field name")) };
        if path.len() == 1 && matches!(first.as_str(), "stage" | "pipeline" | "id") {
            return Err(CommandError::new(format!("`{first}` cannot be set"))
                .with_help("use `move ALIAS to STAGE` to change the stage"));
        }
        self.validate_path(target, path)?;
        let causes = self.state.causes.len();
        self.begin_command(Verb::Set, Some(target));
        match self.write_path(target, path, value) {
            Ok(Some((written, old, new))) => {
                self.log_field_changed(target, path, old.clone(), new.clone());
                self.after_field_change(target, written, path, old, new, false, true);
            }
            Ok(None) => {}
            Err(e) => {
                self.state.causes.truncate(causes);
                self.chain = None;
                return Err(CommandError::new(e.0));
            }
        }
        self.end_command();
        Ok(())
    }

    /// Checks that every segment of `path` from `target` is a field (the last one of the
    /// entity the path reaches).
    fn validate_path(&self, target: EntityRef, path: &[String]) -> CmdResult<()> {
        let mut current = target;
        for (i, seg) in path.iter().enumerate() {
            let def = self.model.entity(current.entity);
            if !def.fields.contains_key(seg) {
                let mut err = CommandError::new(format!("`{}` has no field `{seg}`", def.name));
                if let Some(help) = did_you_mean(seg, def.fields.keys().map(String::as_str)) {
                    err = err.with_help(help);
                }
                return Err(err);
            }
            if i + 1 < path.len() {
                match self.read_field(current, seg) {
                    Some(Value::Entity(next)) if self.state.live(next).is_some() => current = next,
                    _ => {
                        return Err(CommandError::new(format!(
                            "{} has no {seg}",
                            current.id(&self.model)
                        )))
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn cmd_move(
        &mut self,
        item: EntityRef,
        stage: StageRef,
        by: Option<String>,
    ) -> CmdResult<()> {
        self.check_live(item)?;
        let model = self.model.clone();
        let Some((pname, pipeline)) = model.pipelines.get_index(stage.pipeline.index()) else {
            return Err(CommandError::new("unknown pipeline"));
        };
        if pipeline.entity != item.entity || pipeline.stages.get(stage.index as usize).is_none() {
            return Err(CommandError::new(format!(
                "pipeline `{pname}` is not a pipeline of {}",
                item.id(&model)
            )));
        }
        if self.stage_of(item) == Some(stage) {
            return Ok(());
        }
        self.begin_command(Verb::Move, Some(item));
        self.move_to(item, stage, by);
        self.end_command();
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Records: tasks, activities, invoices, emails, documents

    fn check_live(&self, r: EntityRef) -> CmdResult<()> {
        if self.model.entities.get_index(r.entity.index()).is_none() || self.state.live(r).is_none()
        {
            return Err(CommandError::new(format!("{} does not exist", r.id(&self.model))));
        }
        Ok(())
    }

    /// Checks that `r` is a live entity of the kind named `kind`.
    fn check_kind(&self, r: EntityRef, kinds: &[&str]) -> CmdResult<String> {
        self.check_live(r)?;
        let name = self.model.entity(r.entity).name.clone();
        if !kinds.contains(&name.as_str()) {
            return Err(CommandError::new(format!(
                "{} is not {}",
                r.id(&self.model),
                kinds.iter().map(|k| format!("a `{k}`")).collect::<Vec<_>>().join(" or ")
            )));
        }
        Ok(name)
    }

    /// Position of a field of `r`'s kind.
    fn field_pos(&self, r: EntityRef, name: &str) -> CmdResult<usize> {
        self.model.entity(r.entity).fields.get_index_of(name).ok_or_else(|| {
            CommandError::new(format!(
                "`{}` has no field `{name}`",
                self.model.entity(r.entity).name
            ))
        })
    }

    pub(crate) fn cmd_complete_task(&mut self, task: EntityRef) -> CmdResult<()> {
        self.check_kind(task, &["Task"])?;
        let status = self.field_pos(task, "status")?;
        if matches!(self.field_at(task, Some(status)), Value::Enum(ref s) if s == "completed") {
            return Err(CommandError::new(format!(
                "{} is already completed",
                task.id(&self.model)
            )));
        }
        self.begin_command(Verb::CompleteTask, Some(task));
        let owner = self.complete_task_record(task, status);
        self.raise_task_status(owner, task, "completed".to_string(), true);
        self.end_command();
        Ok(())
    }

    /// Sets a task's status to completed and logs `task_completed` (entity: its item).
    pub(crate) fn complete_task_record(
        &mut self,
        task: EntityRef,
        status_pos: usize,
    ) -> Option<EntityRef> {
        if let Some(row) = self.state.live_mut(task) {
            if let Some(slot) = row.fields.get_mut(status_pos) {
                *slot = Value::Enum("completed".to_string());
            }
        }
        let owner = self.owner_of(task);
        self.log(owner, EffectKind::TaskCompleted { task });
        owner
    }

    pub(crate) fn cmd_complete_activity(&mut self, activity: EntityRef) -> CmdResult<()> {
        self.check_kind(activity, &["Activity"])?;
        let completed = self.field_pos(activity, "completed")?;
        if self.field_at(activity, Some(completed)).truthy() {
            return Err(CommandError::new(format!(
                "{} is already completed",
                activity.id(&self.model)
            )));
        }
        self.begin_command(Verb::CompleteActivity, Some(activity));
        if let Some(row) = self.state.live_mut(activity) {
            if let Some(slot) = row.fields.get_mut(completed) {
                *slot = Value::Bool(true);
            }
        }
        let owner = self.owner_of(activity);
        let info = self.activity_info(activity);
        self.log(owner, EffectKind::ActivityCompleted(Box::new(info)));
        let payload = vec![("activity".to_string(), Value::Entity(activity))];
        let log = Some(("activity completed".to_string(), Some(activity)));
        self.raise("activity completed", owner, Vec::new(), payload, log);
        self.end_command();
        Ok(())
    }

    pub(crate) fn cmd_pay(&mut self, record: EntityRef) -> CmdResult<()> {
        let kind = self.check_kind(record, &["Invoice", "Order"])?;
        let status = self.field_pos(record, "status")?;
        if matches!(self.field_at(record, Some(status)), Value::Enum(ref s) if s == "paid") {
            return Err(CommandError::new(format!("{} is already paid", record.id(&self.model))));
        }
        self.begin_command(Verb::Pay, Some(record));
        let old = self.field_at(record, Some(status));
        let new = Value::Enum("paid".to_string());
        let paid_at = self.model.entity(record.entity).fields.get_index_of("paid_at");
        let now = self.state.clock.now;
        if let Some(row) = self.state.live_mut(record) {
            if let Some(slot) = row.fields.get_mut(status) {
                *slot = new.clone();
            }
            if let Some(p) = paid_at {
                if let Some(slot) = row.fields.get_mut(p) {
                    *slot = Value::DateTime(now);
                }
            }
        }
        self.log_field_changed(record, &["status".to_string()], old, new);
        let owner = self.owner_of(record);
        let (words, payload_name) =
            if kind == "Invoice" { ("invoice paid", "invoice") } else { ("order paid", "order") };
        let payload = vec![(payload_name.to_string(), Value::Entity(record))];
        self.raise(words, owner, Vec::new(), payload, Some((words.to_string(), Some(record))));
        self.end_command();
        Ok(())
    }

    /// Sets a Bool field of a record to true, logging `field_changed` (entity: the record).
    fn flag_record(&mut self, record: EntityRef, field: &str) -> CmdResult<()> {
        let pos = self.field_pos(record, field)?;
        if let Some(row) = self.state.live_mut(record) {
            if let Some(slot) = row.fields.get_mut(pos) {
                *slot = Value::Bool(true);
            }
        }
        self.log_field_changed(record, &[field.to_string()], Value::Bool(false), Value::Bool(true));
        Ok(())
    }

    pub(crate) fn cmd_open_email(&mut self, email: EntityRef) -> CmdResult<()> {
        self.check_kind(email, &["Email"])?;
        let opened = self.field_pos(email, "opened")?;
        if self.field_at(email, Some(opened)).truthy() {
            return Err(CommandError::new(format!("{} is already opened", email.id(&self.model))));
        }
        self.begin_command(Verb::OpenEmail, Some(email));
        self.flag_record(email, "opened")?;
        let owner = self.owner_of(email);
        let payload = vec![("email".to_string(), Value::Entity(email))];
        self.raise(
            "email opened",
            owner,
            Vec::new(),
            payload,
            Some(("email opened".to_string(), Some(email))),
        );
        self.end_command();
        Ok(())
    }

    pub(crate) fn cmd_click_email(
        &mut self,
        email: EntityRef,
        url: Option<String>,
    ) -> CmdResult<()> {
        self.check_kind(email, &["Email"])?;
        self.begin_command(Verb::ClickEmail, Some(email));
        let owner = self.owner_of(email);
        let payload = vec![
            ("email".to_string(), Value::Entity(email)),
            ("url".to_string(), url.map_or(Value::None, Value::Text)),
        ];
        let log = Some(("email link clicked".to_string(), Some(email)));
        self.raise("email link clicked", owner, Vec::new(), payload, log);
        self.end_command();
        Ok(())
    }

    pub(crate) fn cmd_sign_document(&mut self, doc: EntityRef) -> CmdResult<()> {
        self.check_kind(doc, &["Document"])?;
        let signed = self.field_pos(doc, "signed")?;
        if self.field_at(doc, Some(signed)).truthy() {
            return Err(CommandError::new(format!("{} is already signed", doc.id(&self.model))));
        }
        self.begin_command(Verb::SignDocument, Some(doc));
        self.flag_record(doc, "signed")?;
        let owner = self.owner_of(doc);
        let payload = vec![("document".to_string(), Value::Entity(doc))];
        self.raise(
            "document signed",
            owner,
            Vec::new(),
            payload,
            Some(("document signed".to_string(), Some(doc))),
        );
        self.end_command();
        Ok(())
    }

    pub(crate) fn cmd_view_document(&mut self, doc: EntityRef) -> CmdResult<()> {
        self.check_kind(doc, &["Document"])?;
        self.begin_command(Verb::ViewDocument, Some(doc));
        let owner = self.owner_of(doc);
        let payload = vec![("document".to_string(), Value::Entity(doc))];
        self.raise(
            "document viewed",
            owner,
            Vec::new(),
            payload,
            Some(("document viewed".to_string(), Some(doc))),
        );
        self.end_command();
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // emit, start process, advance

    pub(crate) fn cmd_emit(
        &mut self,
        item: EntityRef,
        event: EventId,
        args: IndexMap<String, Value>,
        payload: IndexMap<String, Value>,
    ) -> CmdResult<()> {
        self.check_live(item)?;
        let Some((words, _)) = self.model.events.get_index(event.index()) else {
            return Err(CommandError::new("unknown event"));
        };
        let words = words.clone();
        let text = self.event_text(event, &args);
        let payload = self.emit_payload(event, &args, payload);
        self.begin_command(Verb::Emit, Some(item));
        let args: Vec<(String, Value)> = args.into_iter().collect();
        self.raise(&words, Some(item), args, payload, Some((text, None)));
        self.end_command();
        Ok(())
    }

    pub(crate) fn cmd_start_process(
        &mut self,
        process: ProcessId,
        item: EntityRef,
    ) -> CmdResult<()> {
        self.check_live(item)?;
        let Some((name, def)) = self.model.processes.get_index(process.index()) else {
            return Err(CommandError::new("unknown process"));
        };
        if def.entity != item.entity {
            return Err(CommandError::new(format!(
                "process `{name}` runs on `{}`, not on {}",
                self.model.entity(def.entity).name,
                item.id(&self.model)
            )));
        }
        self.begin_command(Verb::StartProcess, Some(item));
        self.queue_now(JobKind::Start { process, item });
        self.end_command();
        Ok(())
    }

    pub(crate) fn cmd_advance(&mut self, target: DateTime<Utc>) -> CmdResult<()> {
        let now = self.state.clock.now;
        if target < now {
            return Err(CommandError::new(format!(
                "time never moves backwards: {} is before the clock ({})",
                super::value::datetime_text(target, self.tz),
                super::value::datetime_text(now, self.tz)
            )));
        }
        self.state.started = true;
        self.run_due(target);
        self.state.clock.now = target;
        Ok(())
    }
}

/// Which fields a `create` gave: a bit set on the stack for up to 128 fields.
enum Given {
    Small(u128),
    Large(Vec<bool>),
}

impl Given {
    fn new(count: usize) -> Given {
        if count <= 128 {
            Given::Small(0)
        } else {
            Given::Large(vec![false; count])
        }
    }

    fn set(&mut self, pos: usize) {
        match self {
            Given::Small(bits) => *bits |= 1 << pos,
            Given::Large(flags) => flags[pos] = true,
        }
    }

    fn get(&self, pos: usize) -> bool {
        match self {
            Given::Small(bits) => bits & (1 << pos) != 0,
            Given::Large(flags) => flags[pos],
        }
    }
}
