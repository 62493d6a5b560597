//! The effect log (SPEC §9, must): `Effect` with typed fields, serialised to JSON only when
//! printed, and the `Cause` of each effect for the REPL's `why`.
//!
//! `Effect::to_json` writes one line: `seq`, `at`, `kind`, `entity` first, then the kind's
//! keys in the order of SPEC §9's table, every key present (`null` when missing). Values use
//! the §9 encoding of `value::write_json`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::queue::Millis;
use super::value::{
    datetime_json, datetime_text, decimal_shortest, pipeline_name, stage_id, write_json,
    write_json_str, EntityRef, Value,
};
use crate::model::{Model, PipelineId, ProcessId, StageRef};

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    pub seq: u64,
    /// When it happened (milliseconds since the epoch, UTC); see [`Effect::moment`].
    pub at: Millis,
    /// The item concerned (or the record, for `pay`/`open email`/`sign document`), or none.
    pub entity: Option<EntityRef>,
    pub kind: EffectKind,
    /// Index into `State::causes`.
    pub cause: u32,
}

/// Why a process ended (SPEC §8 "Processes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinishReason {
    End,
    Stop,
    Moved,
    Cancelled,
    Deleted,
}

impl FinishReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::End => "end",
            FinishReason::Stop => "stop",
            FinishReason::Moved => "moved",
            FinishReason::Cancelled => "cancelled",
            FinishReason::Deleted => "deleted",
        }
    }
}

/// A history entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryInfo {
    pub text: String,
    pub author: Option<Arc<str>>,
    /// `type`: `info`, `call` or `email`.
    pub kind: String,
}

/// A text message sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SmsInfo {
    pub to: String,
    pub text: String,
}

/// A payment link made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentLinkInfo {
    pub url: String,
    pub amount: Value,
}

/// Task created.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub task: EntityRef,
    pub title: String,
    pub assignee: Option<Arc<str>>,
    pub deadline: Option<DateTime<Utc>>,
}

/// Activity created or completed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityInfo {
    pub activity: EntityRef,
    pub subject: String,
    pub responsible: Option<Arc<str>>,
    pub due: Option<DateTime<Utc>>,
}

/// An email sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailInfo {
    pub email: EntityRef,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// A document created or sent for signing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentInfo {
    pub document: EntityRef,
    pub template: String,
    pub url: String,
}

/// Details of a contact or company changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetailsInfo {
    pub target: EntityRef,
    pub template: Option<String>,
    pub address: String,
    pub fields: IndexMap<String, Value>,
}

/// A field changed: `field` is its name, or its path from the item (`contact.phone`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldInfo {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// A booking made or cancelled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingInfo {
    pub field: String,
    pub start: Value,
    pub duration: Value,
}

/// A run-time error (SPEC §8 "Errors at run time").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub message: String,
    /// The rule's label (`after 1 day`).
    pub rule: Option<String>,
    /// The process's name.
    pub process: Option<String>,
}

/// The kinds of SPEC §9 with their typed keys. Bulky payloads are boxed so an effect stays
/// small (most effects of a large run are `entity_created` and `stage`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EffectKind {
    EntityCreated {
        title: Option<Box<str>>,
        pipeline: Option<PipelineId>,
        stage: Option<StageRef>,
    },
    /// `from_pipeline` is `from`'s pipeline when `pipeline_changed`.
    Stage {
        from: Option<StageRef>,
        to: StageRef,
        by: Option<Arc<str>>,
        pipeline_changed: bool,
    },
    Notify {
        to: Arc<str>,
        text: Box<str>,
    },
    History(Box<HistoryInfo>),
    TaskCreated(Box<TaskInfo>),
    TaskCompleted {
        task: EntityRef,
    },
    ActivityCreated(Box<ActivityInfo>),
    ActivityCompleted(Box<ActivityInfo>),
    Email(Box<EmailInfo>),
    Sms(Box<SmsInfo>),
    Comment {
        text: Box<str>,
        author: Option<Arc<str>>,
    },
    DocumentCreated(Box<DocumentInfo>),
    SignRequested(Box<DocumentInfo>),
    DetailsChanged(Box<DetailsInfo>),
    PaymentLink(Box<PaymentLinkInfo>),
    FieldChanged(Box<FieldInfo>),
    EntityDeleted {
        deleted: EntityRef,
    },
    Audience {
        audience: String,
    },
    Booking(Box<BookingInfo>),
    BookingCancelled(Box<BookingInfo>),
    Event {
        event: String,
        source: Option<EntityRef>,
    },
    RuleCancelled {
        stage: StageRef,
        rule: u32,
    },
    RuleSkipped {
        stage: StageRef,
        rule: u32,
    },
    ProcessStarted {
        process: ProcessId,
        instance: u32,
    },
    ProcessFinished {
        process: ProcessId,
        instance: u32,
        reason: FinishReason,
    },
    Error(Box<ErrorInfo>),
}

impl EffectKind {
    /// The §9 kind name.
    pub fn name(&self) -> &'static str {
        match self {
            EffectKind::EntityCreated { .. } => "entity_created",
            EffectKind::Stage { .. } => "stage",
            EffectKind::Notify { .. } => "notify",
            EffectKind::History(_) => "history",
            EffectKind::TaskCreated(_) => "task_created",
            EffectKind::TaskCompleted { .. } => "task_completed",
            EffectKind::ActivityCreated(_) => "activity_created",
            EffectKind::ActivityCompleted(_) => "activity_completed",
            EffectKind::Email(_) => "email",
            EffectKind::Sms(_) => "sms",
            EffectKind::Comment { .. } => "comment",
            EffectKind::DocumentCreated(_) => "document_created",
            EffectKind::SignRequested(_) => "sign_requested",
            EffectKind::DetailsChanged(_) => "details_changed",
            EffectKind::PaymentLink(_) => "payment_link",
            EffectKind::FieldChanged(_) => "field_changed",
            EffectKind::EntityDeleted { .. } => "entity_deleted",
            EffectKind::Audience { .. } => "audience",
            EffectKind::Booking(_) => "booking",
            EffectKind::BookingCancelled(_) => "booking_cancelled",
            EffectKind::Event { .. } => "event",
            EffectKind::RuleCancelled { .. } => "rule_cancelled",
            EffectKind::RuleSkipped { .. } => "rule_skipped",
            EffectKind::ProcessStarted { .. } => "process_started",
            EffectKind::ProcessFinished { .. } => "process_finished",
            EffectKind::Error(_) => "error",
        }
    }
}

/// Every §9 kind name, in the table's order (the scenario's `expect KIND` reads this).
pub const KINDS: &[&str] = &[
    "entity_created",
    "stage",
    "notify",
    "history",
    "task_created",
    "task_completed",
    "activity_created",
    "activity_completed",
    "email",
    "sms",
    "comment",
    "document_created",
    "sign_requested",
    "details_changed",
    "payment_link",
    "field_changed",
    "entity_deleted",
    "audience",
    "booking",
    "booking_cancelled",
    "event",
    "rule_cancelled",
    "rule_skipped",
    "process_started",
    "process_finished",
    "error",
];

/// A key's value while writing an effect: the pieces the §9 table uses.
enum Key<'a> {
    Null,
    Str(&'a str),
    Owned(String),
    User(Option<&'a str>),
    Entity(Option<EntityRef>),
    Stage(Option<StageRef>),
    Pipeline(Option<PipelineId>),
    Moment(Option<DateTime<Utc>>),
    Value(&'a Value),
    Object(&'a IndexMap<String, Value>),
}

impl Effect {
    /// When it happened.
    pub fn moment(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.at).unwrap_or_default()
    }

    /// The keys of the effect's kind, in §9 order, with their values.
    fn keys<'a>(&'a self, model: &'a Model) -> Vec<(&'static str, Key<'a>)> {
        use EffectKind as K;
        fn opt_str(s: &Option<String>) -> Key<'_> {
            s.as_deref().map_or(Key::Null, Key::Str)
        }
        match &self.kind {
            K::EntityCreated { title, pipeline, stage } => vec![
                ("title", title.as_deref().map_or(Key::Null, Key::Str)),
                ("pipeline", Key::Pipeline(*pipeline)),
                ("stage", Key::Stage(*stage)),
            ],
            K::Stage { from, to, by, pipeline_changed } => vec![
                ("from", Key::Stage(*from)),
                ("to", Key::Stage(Some(*to))),
                ("by", Key::User(by.as_deref())),
                ("pipeline", Key::Pipeline(Some(to.pipeline))),
                (
                    "from_pipeline",
                    Key::Pipeline(from.filter(|_| *pipeline_changed).map(|f| f.pipeline)),
                ),
            ],
            K::Notify { to, text } => vec![("to", Key::User(Some(to))), ("text", Key::Str(text))],
            K::History(h) => vec![
                ("text", Key::Str(&h.text)),
                ("author", Key::User(h.author.as_deref())),
                ("type", Key::Str(&h.kind)),
            ],
            K::TaskCreated(t) => vec![
                ("task", Key::Entity(Some(t.task))),
                ("title", Key::Str(&t.title)),
                ("assignee", Key::User(t.assignee.as_deref())),
                ("deadline", Key::Moment(t.deadline)),
            ],
            K::TaskCompleted { task } => vec![("task", Key::Entity(Some(*task)))],
            K::ActivityCreated(a) | K::ActivityCompleted(a) => vec![
                ("activity", Key::Entity(Some(a.activity))),
                ("subject", Key::Str(&a.subject)),
                ("responsible", Key::User(a.responsible.as_deref())),
                ("due", Key::Moment(a.due)),
            ],
            K::Email(e) => vec![
                ("email", Key::Entity(Some(e.email))),
                ("to", Key::Str(&e.to)),
                ("subject", Key::Str(&e.subject)),
                ("body", Key::Str(&e.body)),
            ],
            K::Sms(s) => vec![("to", Key::Str(&s.to)), ("text", Key::Str(&s.text))],
            K::Comment { text, author } => {
                vec![("text", Key::Str(text)), ("author", Key::User(author.as_deref()))]
            }
            K::DocumentCreated(d) | K::SignRequested(d) => vec![
                ("document", Key::Entity(Some(d.document))),
                ("template", Key::Str(&d.template)),
                ("url", Key::Str(&d.url)),
            ],
            K::DetailsChanged(d) => vec![
                ("target", Key::Entity(Some(d.target))),
                ("template", opt_str(&d.template)),
                ("address", Key::Str(&d.address)),
                ("fields", Key::Object(&d.fields)),
            ],
            K::PaymentLink(p) => vec![("url", Key::Str(&p.url)), ("amount", Key::Value(&p.amount))],
            K::FieldChanged(f) => vec![
                ("field", Key::Str(&f.field)),
                ("old", Key::Value(&f.old)),
                ("new", Key::Value(&f.new)),
            ],
            K::EntityDeleted { deleted } => vec![("deleted", Key::Entity(Some(*deleted)))],
            K::Audience { audience } => vec![("audience", Key::Str(audience))],
            K::Booking(b) | K::BookingCancelled(b) => vec![
                ("field", Key::Str(&b.field)),
                ("start", Key::Value(&b.start)),
                ("duration", Key::Value(&b.duration)),
            ],
            K::Event { event, source } => {
                vec![("event", Key::Str(event)), ("source", Key::Entity(*source))]
            }
            K::RuleCancelled { stage, rule } | K::RuleSkipped { stage, rule } => vec![
                ("stage", Key::Stage(Some(*stage))),
                ("rule", rule_label(model, *stage, *rule).map_or(Key::Null, Key::Str)),
            ],
            K::ProcessStarted { process, instance } => vec![
                ("process", process_name(model, *process).map_or(Key::Null, Key::Str)),
                ("instance", Key::Owned(format!("process:{instance}"))),
            ],
            K::ProcessFinished { process, instance, reason } => vec![
                ("process", process_name(model, *process).map_or(Key::Null, Key::Str)),
                ("instance", Key::Owned(format!("process:{instance}"))),
                ("reason", Key::Str(reason.as_str())),
            ],
            K::Error(e) => vec![
                ("message", Key::Str(&e.message)),
                ("rule", opt_str(&e.rule)),
                ("process", opt_str(&e.process)),
            ],
        }
    }

    /// One JSON line (no newline), exactly as SPEC §9 says; moments in `tz`.
    pub fn to_json(&self, model: &Model, tz: Tz) -> String {
        let mut out = String::with_capacity(128);
        out.push_str("{\"seq\":");
        out.push_str(&self.seq.to_string());
        out.push_str(",\"at\":");
        write_json_str(&mut out, &datetime_json(self.moment(), tz));
        out.push_str(",\"kind\":");
        write_json_str(&mut out, self.kind.name());
        out.push_str(",\"entity\":");
        write_key(&mut out, &Key::Entity(self.entity), model, tz);
        for (name, key) in self.keys(model) {
            out.push(',');
            write_json_str(&mut out, name);
            out.push(':');
            write_key(&mut out, &key, model, tz);
        }
        out.push('}');
        out
    }

    /// The effect as a JSON object (same encoding as [`Effect::to_json`]), for `expect`.
    pub fn to_json_value(&self, model: &Model, tz: Tz) -> serde_json::Value {
        serde_json::from_str(&self.to_json(model, tz)).unwrap_or(serde_json::Value::Null)
    }

    /// One line for people (`--format text`): time first, then seq, entity, kind and keys.
    pub fn to_text(&self, model: &Model, tz: Tz) -> String {
        let mut out = String::with_capacity(96);
        out.push_str(&datetime_text(self.moment(), tz));
        out.push_str(&format!("  #{:<3} ", self.seq));
        match self.entity {
            Some(e) => out.push_str(&e.id(model)),
            None => out.push('-'),
        }
        out.push_str("  ");
        out.push_str(self.kind.name());
        for (name, key) in self.keys(model) {
            if matches!(key, Key::Null)
                || matches!(key, Key::Value(Value::None))
                || matches!(key, Key::User(None) | Key::Entity(None) | Key::Stage(None))
                || matches!(key, Key::Pipeline(None) | Key::Moment(None))
            {
                continue;
            }
            out.push(' ');
            out.push_str(name);
            out.push('=');
            let mut v = String::new();
            write_key(&mut v, &key, model, tz);
            out.push_str(&v);
        }
        out
    }
}

fn write_key(out: &mut String, key: &Key<'_>, model: &Model, tz: Tz) {
    match key {
        Key::Null => out.push_str("null"),
        Key::Str(s) => write_json_str(out, s),
        Key::Owned(s) => write_json_str(out, s),
        Key::User(None) | Key::Entity(None) | Key::Stage(None) | Key::Pipeline(None) => {
            out.push_str("null")
        }
        Key::Moment(None) => out.push_str("null"),
        Key::User(Some(u)) => write_json_str(out, &format!("user:{u}")),
        Key::Entity(Some(e)) => write_json_str(out, &e.id(model)),
        Key::Stage(Some(s)) => write_json_str(out, stage_id(model, *s)),
        Key::Pipeline(Some(p)) => write_json_str(out, pipeline_name(model, *p)),
        Key::Moment(Some(t)) => write_json_str(out, &datetime_json(*t, tz)),
        Key::Value(v) => write_json(out, v, model, tz),
        Key::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_str(out, k);
                out.push(':');
                write_json(out, v, model, tz);
            }
            out.push('}');
        }
    }
}

/// The label of a rule (`after 1 day`, with ` #2` for a repeated header), as the checker
/// computed it.
pub fn rule_label(model: &Model, stage: StageRef, rule: u32) -> Option<&str> {
    let (_, pipeline) = model.pipelines.get_index(stage.pipeline.index())?;
    let stage = pipeline.stages.get(stage.index as usize)?;
    stage.rules.get(rule as usize).map(|r| r.label.as_str())
}

pub fn process_name(model: &Model, process: ProcessId) -> Option<&str> {
    model.processes.get_index(process.index()).map(|(name, _)| name.as_str())
}

/// A decimal for text output (kept here so `to_text` and `why` agree).
pub fn number_text(d: rust_decimal::Decimal) -> String {
    decimal_shortest(d)
}

pub use super::cause::{Cause, CauseKind, Verb};
