//! Maps a loaded state onto the program that opens it (SPEC §13 "another program version").
//!
//! Every id of the state — entity kinds and field positions, pipelines, stages, rules,
//! triggers, processes, events, calendars — is rewritten through a `Remap` (symbols.rs) that
//! matched the file's symbol table with the program's by name. What cannot be mapped:
//!
//! - pending work that names something gone (a job of a removed rule, stage or process, a
//!   waiting instance of a removed process), entities of a removed kind and values of a
//!   removed field: an error listing them, unless `--migrate drop` (discard them) or
//!   `--migrate keep` (set them aside in the state's `inert` list, reported, never run);
//! - an item whose current stage or pipeline is gone: always an error (the engine cannot hold
//!   an item outside its pipelines);
//! - history (effects, `why` causes, old values) naming something gone: kept, with the id
//!   `symbols::GONE`, rendered as `?`.

use chrono::{TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::doc::{stored_jobs, SeqOf, Snapshot, StoredJob};
use super::symbols::{gone_stage, Remap, Symbols, GONE};
use super::Inert;
use crate::model::{EntityId, Model, PipelineId, StageRef};
use crate::runtime::effects::{Cause, CauseKind, Effect, EffectKind};
use crate::runtime::process::{Frame, ProcessInstance, Thread, Wait};
use crate::runtime::queue::{Job, JobHandle, JobKind, Queue};
use crate::runtime::state::Row;
use crate::runtime::{EntityRef, State, Value};

/// What `--migrate` decides for pending work that names something gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Migrate {
    /// Discard it.
    Drop,
    /// Keep it in the state, inert (never run), and report it.
    Keep,
}

/// Why a state cannot be opened with this program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationError {
    /// One line per job, instance, entity or value that names something gone.
    pub orphans: Vec<String>,
    /// Items in a stage or pipeline that is gone (no `--migrate` helps).
    pub fatal: Vec<String>,
}

/// Maps `snapshot` (ids in its own symbols) onto `model`. Returns the notes to report (what
/// `--migrate` dropped or kept).
pub fn remap(
    snapshot: &mut Snapshot,
    model: &Model,
    migrate: Option<Migrate>,
) -> Result<Vec<String>, MigrationError> {
    let old = std::mem::take(&mut snapshot.meta.symbols);
    let remap = Remap::between(&old, model);
    let mapper = Mapper { remap: &remap, old: &old };
    let mut state = std::mem::take(&mut snapshot.state);
    let tz = state.clock.tz.0;
    let mut orphans: Vec<(String, serde_json::Value)> = Vec::new();
    let mut fatal = Vec::new();

    // The queue in its canonical form, and the items' pending-list heads by sequence number.
    let seq_of = SeqOf::new(&state.queue);
    let next_seq = state.queue.next_seq();
    let jobs = stored_jobs(&state.queue, &seq_of);
    let mut heads = Vec::new();
    for (kind, rows) in state.entities.iter_mut().enumerate() {
        for (i, row) in rows.iter_mut().enumerate() {
            if let Some(seq) = row.pending.take().and_then(|h| seq_of.get(h)) {
                heads.push((EntityRef::new(EntityId(kind as u32), i as u32 + 1), seq));
            }
        }
    }

    let entities = std::mem::take(&mut state.entities);
    state.entities = mapper.entities(entities, model, &mut orphans, &mut fatal);
    for effect in &mut state.effects {
        mapper.effect(effect);
    }
    for cause in &mut state.causes {
        mapper.cause(cause);
    }
    let processes = std::mem::take(&mut state.processes);
    for (id, mut instance) in processes {
        if mapper.instance(&mut instance) {
            state.processes.insert(id, instance);
        } else {
            let what = format!(
                "process:{id} (`{}` on {}), waiting",
                old.process_name(instance.process),
                mapper.old_id(instance.item)
            );
            orphans.push((what, json_of(&instance)));
        }
    }
    for details in state.details.values_mut() {
        details.general.values_mut().for_each(|v| mapper.value(v));
        for address in details.addresses.values_mut() {
            address.values_mut().for_each(|v| mapper.value(v));
        }
    }
    for booking in state.bookings.values_mut() {
        booking.item = mapper.entity(booking.item);
        for v in [
            &mut booking.service,
            &mut booking.start,
            &mut booking.duration,
            &mut booking.employees,
        ] {
            mapper.value(v);
        }
    }

    // Jobs: map each; splice the ones that cannot be out of their items' lists.
    let mut kept = Vec::new();
    let mut removed = std::collections::HashMap::new();
    for mut stored in jobs {
        match mapper.job(&mut stored.job) {
            Ok(()) => kept.push(stored),
            Err(what) => {
                let what = format!("{what}, due {}", moment(stored.due, tz));
                removed.insert(stored.seq, stored.next);
                orphans.push((what, json_of(&stored)));
            }
        }
    }
    let follow = |mut seq: Option<u64>| {
        while let Some(s) = seq {
            match removed.get(&s) {
                Some(next) => seq = *next,
                None => break,
            }
        }
        seq
    };
    for job in &mut kept {
        job.next = follow(job.next);
    }
    let heads: Vec<(EntityRef, u64)> = heads
        .into_iter()
        .filter_map(|(item, seq)| {
            Some((
                mapper.remap.entity_of(item.entity).map(|e| EntityRef::new(e, item.n))?,
                follow(Some(seq))?,
            ))
        })
        .collect();
    state.queue = rebuild_queue(next_seq, kept, &heads, &mut state);

    if !fatal.is_empty() || (!orphans.is_empty() && migrate.is_none()) {
        return Err(MigrationError {
            orphans: orphans.into_iter().map(|(w, _)| w).collect(),
            fatal,
        });
    }
    let mut notes = Vec::new();
    match migrate {
        Some(Migrate::Keep) if !orphans.is_empty() => {
            notes.push(format!("kept {} inert in the state:", entries(orphans.len())));
            for (what, data) in orphans {
                notes.push(format!("  {what}"));
                snapshot.meta.inert.push(Inert { what, data });
            }
        }
        Some(Migrate::Drop) if !orphans.is_empty() => {
            notes.push(format!("dropped {} from the state:", entries(orphans.len())));
            notes.extend(orphans.into_iter().map(|(what, _)| format!("  {what}")));
        }
        _ => {}
    }
    snapshot.state = state;
    snapshot.meta.symbols = Symbols::of(model);
    snapshot.meta.program_hash = model.hash.clone();
    Ok(notes)
}

/// A queue of `jobs` (sequence order) with the items' heads set.
fn rebuild_queue(
    next_seq: u64,
    mut jobs: Vec<StoredJob>,
    heads: &[(EntityRef, u64)],
    state: &mut State,
) -> Queue {
    jobs.sort_by_key(|j| j.seq);
    let slot_of: std::collections::HashMap<u64, u32> =
        jobs.iter().enumerate().map(|(i, j)| (j.seq, i as u32)).collect();
    let entries = jobs
        .into_iter()
        .map(|j| (j.due, j.seq, j.job, j.next.and_then(|s| slot_of.get(&s).copied())))
        .collect();
    for (item, seq) in heads {
        let Some(&slot) = slot_of.get(seq) else { continue };
        let n = (item.n as usize).saturating_sub(1);
        if let Some(row) = state.entities.get_mut(item.entity.index()).and_then(|r| r.get_mut(n)) {
            row.pending = Some(JobHandle { slot, generation: 0 });
        }
    }
    Queue::restore(next_seq, entries)
}

/// `1 entry`, `2 entries`.
pub fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".to_string()
    } else {
        format!("{n} entries")
    }
}

fn json_of<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// A due time for people, in the clock's timezone: `2026-01-06 09:00 Europe/Paris`.
fn moment(ms: i64, tz: chrono_tz::Tz) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => format!("{} {}", t.with_timezone(&tz).format("%Y-%m-%d %H:%M"), tz.name()),
        None => ms.to_string(),
    }
}

struct Mapper<'a> {
    remap: &'a Remap,
    old: &'a Symbols,
}

impl Mapper<'_> {
    /// `deal:3` in the old program's names.
    fn old_id(&self, r: EntityRef) -> String {
        format!("{}:{}", self.old.item_name(r.entity), r.n)
    }

    fn entity(&self, r: EntityRef) -> EntityRef {
        EntityRef::new(self.remap.entity_of(r.entity).unwrap_or(EntityId(GONE)), r.n)
    }

    fn pipeline(&self, p: PipelineId) -> PipelineId {
        self.remap.pipeline_of(p).unwrap_or(PipelineId(GONE))
    }

    fn stage(&self, s: StageRef) -> StageRef {
        self.remap.stage_of(s).unwrap_or_else(gone_stage)
    }

    /// A stage and one of its rules.
    fn rule(&self, stage: &mut StageRef, rule: &mut u32) {
        *rule = self.remap.rule_of(*stage, *rule).unwrap_or(GONE);
        *stage = self.stage(*stage);
    }

    fn value(&self, v: &mut Value) {
        match v {
            Value::Stage(s) => *s = self.stage(*s),
            Value::Pipeline(p) => *p = self.pipeline(*p),
            Value::Entity(r) => *r = self.entity(*r),
            Value::List(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::Record(fields) => fields.values_mut().for_each(|v| self.value(v)),
            _ => {}
        }
    }

    /// Rows moved to their kind's new position with fields in the new order.
    fn entities(
        &self,
        old: Vec<Vec<Row>>,
        model: &Model,
        orphans: &mut Vec<(String, serde_json::Value)>,
        fatal: &mut Vec<String>,
    ) -> Vec<Vec<Row>> {
        let mut out: Vec<Vec<Row>> = (0..model.entities.len()).map(|_| Vec::new()).collect();
        for (kind, rows) in old.into_iter().enumerate() {
            let old_kind = EntityId(kind as u32);
            let Some(new_kind) = self.remap.entity_of(old_kind) else {
                let name = self.old.entities.get(kind).map_or("?", |e| e.name.as_str());
                for (i, row) in rows.iter().enumerate().filter(|(_, r)| !r.deleted) {
                    let what = format!(
                        "{} (entity kind `{name}` is no longer declared)",
                        self.old_id(EntityRef::new(old_kind, i as u32 + 1))
                    );
                    orphans.push((what, json_of(row)));
                }
                continue;
            };
            let fields = self.remap.fields.get(kind).map_or(&[][..], |f| &f[..]);
            let names = self.old.entities.get(kind).map_or(&[][..], |e| &e.fields[..]);
            let count = self.remap.field_counts.get(new_kind.index()).copied().unwrap_or(0);
            let mut moved = Vec::with_capacity(rows.len());
            for (i, mut row) in rows.into_iter().enumerate() {
                let id = self.old_id(EntityRef::new(old_kind, i as u32 + 1));
                let mut values = vec![Value::None; count];
                for (pos, mut value) in
                    std::mem::take(&mut row.fields).into_vec().into_iter().enumerate()
                {
                    let name = names.get(pos).map_or("?", String::as_str);
                    match fields.get(pos).copied().flatten() {
                        Some(new_pos) if new_pos < count => {
                            let before = value.clone();
                            self.value(&mut value);
                            if !row.deleted && is_gone_position(name, &before, &value) {
                                fatal.push(format!(
                                    "{id} is in {name} `{}`, which the program no longer declares",
                                    self.old_value_name(&before)
                                ));
                            }
                            values[new_pos] = value;
                        }
                        _ if value.is_none() || row.deleted => {}
                        _ => {
                            let what = format!("{id}.{name} (field no longer declared)");
                            orphans.push((what, json_of(&value)));
                        }
                    }
                }
                row.fields = values.into_boxed_slice();
                row.created_in = row.created_in.map(|s| self.stage(s));
                moved.push(row);
            }
            if let Some(slot) = out.get_mut(new_kind.index()) {
                *slot = moved;
            }
        }
        out
    }

    fn old_value_name(&self, v: &Value) -> String {
        match v {
            Value::Stage(s) => self.old.stage_name(*s),
            Value::Pipeline(p) => {
                self.old.pipelines.get(p.index()).map_or("?".to_string(), |p| p.name.clone())
            }
            _ => "?".to_string(),
        }
    }

    fn effect(&self, e: &mut Effect) {
        if let Some(r) = &mut e.entity {
            *r = self.entity(*r);
        }
        use EffectKind as K;
        match &mut e.kind {
            K::EntityCreated { pipeline, stage, .. } => {
                if let Some(p) = pipeline {
                    *p = self.pipeline(*p);
                }
                if let Some(s) = stage {
                    *s = self.stage(*s);
                }
            }
            K::Stage { from, to, .. } => {
                if let Some(s) = from {
                    *s = self.stage(*s);
                }
                *to = self.stage(*to);
            }
            K::TaskCreated(t) => t.task = self.entity(t.task),
            K::TaskCompleted { task } => *task = self.entity(*task),
            K::ActivityCreated(a) | K::ActivityCompleted(a) => a.activity = self.entity(a.activity),
            K::Email(m) => m.email = self.entity(m.email),
            K::DocumentCreated(d) | K::SignRequested(d) => d.document = self.entity(d.document),
            K::DetailsChanged(d) => {
                d.target = self.entity(d.target);
                d.fields.values_mut().for_each(|v| self.value(v));
            }
            K::PaymentLink(p) => self.value(&mut p.amount),
            K::FieldChanged(f) => {
                self.value(&mut f.old);
                self.value(&mut f.new);
            }
            K::EntityDeleted { deleted } => *deleted = self.entity(*deleted),
            K::Booking(b) | K::BookingCancelled(b) => {
                self.value(&mut b.start);
                self.value(&mut b.duration);
            }
            K::Event { source: Some(r), .. } => *r = self.entity(*r),
            K::RuleCancelled { stage, rule } | K::RuleSkipped { stage, rule } => {
                self.rule(stage, rule)
            }
            K::ProcessStarted { process, .. } | K::ProcessFinished { process, .. } => {
                *process = self.remap.process_of(*process).unwrap_or(crate::model::ProcessId(GONE))
            }
            _ => {}
        }
    }

    fn cause(&self, c: &mut Cause) {
        match &mut c.kind {
            CauseKind::Command { target: Some(r), .. } => *r = self.entity(*r),
            CauseKind::Rule { item, stage, rule, calendar, .. } => {
                *item = self.entity(*item);
                *calendar = calendar.and_then(|c| self.remap.calendar_of(c));
                self.rule(stage, rule);
            }
            CauseKind::Trigger { item, stage, trigger } => {
                *item = self.entity(*item);
                *trigger = self.remap.trigger_of(*stage, *trigger).unwrap_or(GONE);
                *stage = self.stage(*stage);
            }
            CauseKind::Process { process, item, .. } => {
                *process = self.remap.process_of(*process).unwrap_or(crate::model::ProcessId(GONE));
                *item = self.entity(*item);
            }
            CauseKind::Event { item, event } => {
                *item = self.entity(*item);
                *event = self.remap.event_of(*event).unwrap_or(crate::model::EventId(GONE));
            }
            _ => {}
        }
    }

    /// Maps a job; `Err` describes a job that names something gone.
    fn job(&self, job: &mut Job) -> Result<(), String> {
        let item_of = |r: EntityRef| self.remap.entity_of(r.entity).map(|e| EntityRef::new(e, r.n));
        match &mut job.kind {
            JobKind::Rule { item, stage, rule, calendar } => {
                let what = || {
                    format!(
                        "{}: rule `{}` of stage `{}`",
                        self.old_id(*item),
                        self.old.rule_label(*stage, *rule),
                        self.old.stage_name(*stage)
                    )
                };
                let new_rule = self.remap.rule_of(*stage, *rule).ok_or_else(what)?;
                let new_stage = self.remap.stage_of(*stage).ok_or_else(what)?;
                *item = item_of(*item).ok_or_else(what)?;
                *calendar = calendar.and_then(|c| self.remap.calendar_of(c));
                *stage = new_stage;
                *rule = new_rule;
            }
            JobKind::Enter { item, stage } => {
                let what = || {
                    format!(
                        "{}: entry into stage `{}`",
                        self.old_id(*item),
                        self.old.stage_name(*stage)
                    )
                };
                let new_stage = self.remap.stage_of(*stage).ok_or_else(what)?;
                *item = item_of(*item).ok_or_else(what)?;
                *stage = new_stage;
            }
            JobKind::Start { process, item } => {
                let what = || {
                    format!(
                        "{}: start of process `{}`",
                        self.old_id(*item),
                        self.old.process_name(*process)
                    )
                };
                let new_process = self.remap.process_of(*process).ok_or_else(what)?;
                *item = item_of(*item).ok_or_else(what)?;
                *process = new_process;
            }
            JobKind::WakeStage { instance, stage } => {
                let what = || {
                    format!(
                        "process:{instance}: wake-up on stage `{}`",
                        self.old.stage_name(*stage)
                    )
                };
                *stage = self.remap.stage_of(*stage).ok_or_else(what)?;
            }
            JobKind::Event(event) => {
                let what = || {
                    let words =
                        self.old.events.get(event.event.index()).map_or("?", String::as_str);
                    format!("{}: event `{words}`", self.old_id(event.item))
                };
                let new_event = self.remap.event_of(event.event).ok_or_else(what)?;
                event.item = item_of(event.item).ok_or_else(what)?;
                event.event = new_event;
                for (_, v) in event.args.iter_mut().chain(event.payload.iter_mut()) {
                    self.value(v);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Maps a waiting instance; `false` when its process or item kind is gone.
    fn instance(&self, instance: &mut ProcessInstance) -> bool {
        let (Some(process), Some(kind)) =
            (self.remap.process_of(instance.process), self.remap.entity_of(instance.item.entity))
        else {
            return false;
        };
        instance.process = process;
        instance.item = EntityRef::new(kind, instance.item.n);
        self.thread(&mut instance.thread);
        true
    }

    fn thread(&self, thread: &mut Thread) {
        for (_, v) in thread.vars.iter_mut() {
            if let Some(v) = v {
                self.value(v);
            }
        }
        for frame in &mut thread.frames {
            match frame {
                Frame::Block { each: Some(each), .. } => {
                    each.items.iter_mut().for_each(|v| self.value(v))
                }
                Frame::Parallel { branches } => branches.iter_mut().for_each(|b| self.thread(b)),
                _ => {}
            }
        }
        if let Some(Wait::Stage { stages }) = &mut thread.wait {
            stages.iter_mut().for_each(|s| *s = self.stage(*s));
        }
    }
}

/// Whether an item's own `stage` or `pipeline` field lost its target.
fn is_gone_position(field: &str, before: &Value, after: &Value) -> bool {
    match (field, before, after) {
        ("stage", Value::Stage(_), Value::Stage(s)) => s.pipeline.0 == GONE || s.index == GONE,
        ("pipeline", Value::Pipeline(_), Value::Pipeline(p)) => p.0 == GONE,
        _ => false,
    }
}
