//! Commands on records (SPEC §10): `complete task`, `complete activity`, `pay`, `open email`,
//! `click email`, `sign document`, `view document`. Each logs its own effect, then the
//! `event` it raises about the record's item, then runs the consequences.

use super::commands::CmdResult;
use super::effects::{EffectKind, Verb};
use super::value::{EntityRef, Value};
use super::{CommandError, Engine};

impl Engine {
    // -----------------------------------------------------------------------------------------
    // Records: tasks, activities, invoices, emails, documents

    pub(crate) fn check_live(&self, r: EntityRef) -> CmdResult<()> {
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
}
