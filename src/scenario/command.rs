//! The scenario command tree (SPEC §10): what `scenario/parse.rs` builds from a `.bps` line or
//! a REPL input and `scenario/run.rs` applies. Syntax only: aliases, kinds, stages and fields
//! are names here, resolved against the model and the CRM state when the command runs.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use crate::ast::Duration;
use crate::span::{Ident, Span};

/// One command, with the span of its whole text (which may cover several lines).
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    pub kind: CommandKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CommandKind {
    /// `clock 2026-03-02 09:00 Europe/Paris`
    Clock {
        at: NaiveDateTime,
        timezone: Option<Ident>,
    },
    /// `seed 42`
    Seed(u64),
    /// `user alice "Alice Martin" { supervisor: @bob }`
    User {
        id: Ident,
        name: String,
        fields: Option<Record>,
    },
    /// `create deal d1 { title: "Boiler" }`: `kind` is the item name (`deal`).
    Create {
        kind: Ident,
        alias: Ident,
        fields: Option<Record>,
    },
    /// `set d1.contact.phone = "…"`: `path` is never empty.
    Set {
        target: Ref,
        path: Vec<Ident>,
        value: Value,
    },
    /// `move d1 to won as @alice`
    Move {
        item: Ref,
        stage: StageName,
        by: Option<Ident>,
    },
    /// `complete task of d1 where …`, `pay invoice i1`, `click email of d1 { url: "…" }`
    Act {
        action: RecordAction,
        target: Target,
        fields: Option<Record>,
    },
    /// `emit form submitted contact_us d1 { fields: "…" }`: the words before the item.
    Emit {
        words: Vec<Ident>,
        item: Ref,
        payload: Option<Record>,
    },
    /// `start process payment_follow_up on d1`
    StartProcess {
        process: Ident,
        item: Ref,
    },
    /// `advance 1 day`
    Advance(Duration),
    /// `advance to 2026-03-05 10:00` (a date alone means 00:00)
    AdvanceTo(NaiveDateTime),
    Show(Ref),
    Timeline(Ref),
    Tasks(Option<Ref>),
    Pending(Option<Ref>),
    Effects,
    /// `expect [no] KIND { KEY: VALUE | KEY contains VALUE, … }`
    ExpectEffect {
        negated: bool,
        kind: Ident,
        patterns: Vec<Pattern>,
    },
    /// `expect EXPR`: the byte range of the expression, read by `syntax::parse_expr`.
    ExpectExpr {
        expr: Span,
    },
}

impl CommandKind {
    /// Whether the command may change the CRM state (so `clock` is no longer allowed after
    /// it, SPEC §10). `user` and `seed` do not count: they log nothing and read no time.
    pub fn changes_state(&self) -> bool {
        matches!(
            self,
            CommandKind::Create { .. }
                | CommandKind::Set { .. }
                | CommandKind::Move { .. }
                | CommandKind::Act { .. }
                | CommandKind::Emit { .. }
                | CommandKind::StartProcess { .. }
                | CommandKind::Advance(_)
                | CommandKind::AdvanceTo(_)
        )
    }
}

/// An entity named in a command: an alias bound by `create`, or its id.
#[derive(Clone, Debug, PartialEq)]
pub struct Ref {
    pub kind: RefKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// `d1`
    Alias(String),
    /// `task:1`: the item name of the kind and the number.
    Id { kind: String, n: u32 },
}

impl std::fmt::Display for Ref {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            RefKind::Alias(alias) => f.write_str(alias),
            RefKind::Id { kind, n } => write!(f, "{kind}:{n}"),
        }
    }
}

/// A stage as a command names it: `won` or `sales.won`.
#[derive(Clone, Debug, PartialEq)]
pub struct StageName {
    pub pipeline: Option<Ident>,
    pub stage: Ident,
    pub span: Span,
}

/// The record a record command acts on.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// `task:1` or an alias.
    Ref(Ref),
    /// `of d1 [where COND]`: the one open record of the kind of the item; `condition` is the
    /// byte range of COND, where the candidate is `it`.
    Of { item: Ref, condition: Option<Span> },
}

/// The commands that act on a task, activity, invoice, order, email or document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordAction {
    CompleteTask,
    CompleteActivity,
    PayInvoice,
    PayOrder,
    OpenEmail,
    ClickEmail,
    SignDocument,
    ViewDocument,
}

impl RecordAction {
    /// The item name of the record kind the command acts on.
    pub fn record_kind(self) -> &'static str {
        match self {
            RecordAction::CompleteTask => "task",
            RecordAction::CompleteActivity => "activity",
            RecordAction::PayInvoice => "invoice",
            RecordAction::PayOrder => "order",
            RecordAction::OpenEmail | RecordAction::ClickEmail => "email",
            RecordAction::SignDocument | RecordAction::ViewDocument => "document",
        }
    }

    /// The command's words: `complete task`, `pay invoice`.
    pub fn words(self) -> &'static str {
        match self {
            RecordAction::CompleteTask => "complete task",
            RecordAction::CompleteActivity => "complete activity",
            RecordAction::PayInvoice => "pay invoice",
            RecordAction::PayOrder => "pay order",
            RecordAction::OpenEmail => "open email",
            RecordAction::ClickEmail => "click email",
            RecordAction::SignDocument => "sign document",
            RecordAction::ViewDocument => "view document",
        }
    }

    /// What "open" means for the kind, for messages (SPEC §10).
    pub fn open_meaning(self) -> &'static str {
        match self {
            RecordAction::CompleteTask | RecordAction::CompleteActivity => "not completed",
            RecordAction::PayInvoice | RecordAction::PayOrder => "unpaid",
            RecordAction::OpenEmail | RecordAction::ClickEmail => "unopened",
            RecordAction::SignDocument | RecordAction::ViewDocument => "unsigned",
        }
    }
}

/// `{ key: value, … }`
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub entries: Vec<Entry>,
    pub span: Span,
}

impl Record {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key.text == key)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Ident,
    pub value: Value,
    pub span: Span,
}

/// A value as written in a scenario; its type comes from where it is used (a field, a
/// pattern), so bare names stay names until then.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    /// `"…"`, escapes decoded, never interpolated.
    Text(String),
    Number(Decimal),
    Date(NaiveDate),
    /// A local date-time in the clock's timezone.
    DateTime(NaiveDateTime),
    Duration(Duration),
    /// `@alice` → `alice`
    User(String),
    Bool(bool),
    None,
    /// A bare name: an alias, a stage, a pipeline, an enum member, a calendar.
    Name(String),
    /// `deal:1`
    Id {
        kind: String,
        n: u32,
    },
    List(Vec<Value>),
    Record(Record),
}

/// One entry of an `expect` pattern block.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    /// The key, dotted for nested objects: `fields.name`.
    pub key: Vec<Ident>,
    pub op: PatternOp,
    pub value: Value,
    pub span: Span,
}

impl Pattern {
    pub fn key_text(&self) -> String {
        self.key.iter().map(|k| k.text.as_str()).collect::<Vec<_>>().join(".")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternOp {
    /// `key: value` — equal to the value's §9 JSON encoding.
    Equals,
    /// `key contains value` — a text containing it (case-insensitive), or a list holding it.
    Contains,
}

/// The effect kinds of SPEC §9: the word after `expect` is a kind when it is one of these.
pub use crate::runtime::effects::KINDS as EFFECT_KINDS;

/// Every command's leading word, for "unknown command" suggestions and REPL completion.
pub const COMMAND_WORDS: &[&str] = &[
    "clock", "seed", "user", "create", "set", "move", "complete", "pay", "open", "click", "sign",
    "view", "emit", "start", "advance", "show", "timeline", "tasks", "pending", "effects",
    "expect",
];
