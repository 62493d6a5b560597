//! External commands (SPEC §10 "Commands that change the state"): clock, users, `set`,
//! `move`, `emit`, `start process`, `advance` (`create` is in `create.rs`, the commands on
//! records in `records.rs`, the job loop in `jobs.rs`).
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
use super::effects::Verb;
use super::queue::JobKind;
use super::state::UserRow;
use super::value::{EntityRef, Value};
use super::{CommandError, Engine, UserSpec};
use crate::diag::suggest::did_you_mean;
use crate::model::{EventId, ProcessId, StageRef};

pub(crate) type CmdResult<T> = Result<T, CommandError>;

impl Engine {
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
