//! The checked program: what `check` produces and `runtime` executes.
//!
//! Everything here is resolved: entities, fields, stages, pipelines, actions and events are
//! ids into `IndexMap` tables kept in declaration order; expressions carry their `Type`; action
//! calls are bound to their declaration with every argument by parameter name (defaults filled
//! in). The runtime never looks a user-written name up again, so "unknown field" can only be a
//! compile-time diagnostic. Spans point back to source for runtime errors and `:doc`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use indexmap::IndexMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ast::{BinaryOp, Duration, UnaryOp};
use crate::span::Span;
use crate::types::Type;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// Index into `Model::entities`.
    EntityId
);
id_type!(
    /// Index into `Model::records`.
    RecordId
);
id_type!(
    /// Index into `Model::pipelines`.
    PipelineId
);
id_type!(
    /// Index into `Model::processes`.
    ProcessId
);
id_type!(
    /// Index into `Model::actions`.
    ActionId
);
id_type!(
    /// Index into `Model::events`.
    EventId
);
id_type!(
    /// Index into `Model::calendars`.
    CalendarId
);

/// A stage: its pipeline and its position in the pipeline's stage list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StageRef {
    pub pipeline: PipelineId,
    pub index: u32,
}

/// The whole checked program, stdlib included.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Standard and custom entities by name (`Deal`, `Booking`), in declaration order.
    pub entities: IndexMap<String, EntityDef>,
    /// Record types by name (`PaymentLink`, `Details`, `FieldChange`, …).
    pub records: IndexMap<String, RecordDef>,
    pub calendars: IndexMap<String, CalendarDef>,
    /// Pipelines by name, in file order (§3: "the first declared").
    pub pipelines: IndexMap<String, PipelineDef>,
    pub processes: IndexMap<String, ProcessDef>,
    /// Actions by their fixed words joined with one space (`create task`).
    pub actions: IndexMap<String, ActionDef>,
    /// Events by their fixed words joined with one space (`task status`, `invoice paid`).
    pub events: IndexMap<String, EventDef>,
    /// Constants by name, with their checked value expression.
    pub consts: IndexMap<String, ConstDef>,
    /// A hash of the user's source files (not stdlib), hex; recorded in state files (§13).
    pub hash: String,
}

impl Model {
    pub fn entity(&self, id: EntityId) -> &EntityDef {
        &self.entities[id.index()]
    }

    pub fn entity_id(&self, name: &str) -> Option<EntityId> {
        self.entities.get_index_of(name).map(|i| EntityId(i as u32))
    }

    /// The entity whose item name (`deal`, `smart_item`) is `item_name`.
    pub fn entity_by_item_name(&self, item_name: &str) -> Option<EntityId> {
        self.entities.values().position(|e| e.item_name == item_name).map(|i| EntityId(i as u32))
    }

    pub fn record(&self, id: RecordId) -> &RecordDef {
        &self.records[id.index()]
    }

    pub fn pipeline(&self, id: PipelineId) -> &PipelineDef {
        &self.pipelines[id.index()]
    }

    pub fn stage(&self, stage: StageRef) -> &StageDef {
        &self.pipeline(stage.pipeline).stages[stage.index as usize]
    }

    pub fn process(&self, id: ProcessId) -> &ProcessDef {
        &self.processes[id.index()]
    }

    pub fn action(&self, id: ActionId) -> &ActionDef {
        &self.actions[id.index()]
    }

    pub fn event(&self, id: EventId) -> &EventDef {
        &self.events[id.index()]
    }

    /// The pipelines declared for an entity, in declaration order.
    pub fn pipelines_of(
        &self,
        entity: EntityId,
    ) -> impl Iterator<Item = (PipelineId, &PipelineDef)> {
        self.pipelines
            .values()
            .enumerate()
            .filter(move |(_, p)| p.entity == entity)
            .map(|(i, p)| (PipelineId(i as u32), p))
    }

    /// A type as written in source: `Deal?`, `List(User)`, `PaymentLink`.
    pub fn type_name(&self, ty: &Type) -> String {
        match ty {
            Type::Entity(id) => {
                self.entities.get_index(id.index()).map_or("?".into(), |(n, _)| n.clone())
            }
            Type::Record(id) => {
                self.records.get_index(id.index()).map_or("?".into(), |(n, _)| n.clone())
            }
            Type::List(inner) => format!("List({})", self.type_name(inner)),
            Type::Optional(inner) => format!("{}?", self.type_name(inner)),
            Type::Map(inner) => format!("Map({})", self.type_name(inner)),
            other => other.to_string(),
        }
    }
}

/// A standard or custom entity with all its fields (stdlib fields, then `schema` additions).
#[derive(Clone, Debug)]
pub struct EntityDef {
    pub name: String,
    /// The snake_case item name and id kind: `Deal` → `deal`, `SmartItem` → `smart_item`.
    pub item_name: String,
    pub fields: IndexMap<String, FieldDef>,
    /// Declared by `entity` in a user file (not stdlib).
    pub custom: bool,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FieldDef {
    pub name: String,
    pub ty: Type,
    pub default: Option<Default>,
    /// Must be given on creation (not optional, no default, not `stage`/`pipeline`/`id`).
    pub required: bool,
    pub doc: Option<String>,
    pub span: Span,
}

/// A field default (SPEC §3.1: `= literal`, `= now` or `= []`).
#[derive(Clone, Debug, PartialEq)]
pub enum Default {
    Literal(Literal),
    Now,
    EmptyList,
}

#[derive(Clone, Debug)]
pub struct RecordDef {
    pub name: String,
    pub fields: IndexMap<String, FieldDef>,
    pub span: Span,
}

/// A checked calendar; missing lines already defaulted (§3.2), except the timezone, which
/// defaults to the clock's at run time.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarDef {
    pub name: String,
    /// IANA name (`Europe/Paris`), validated by the checker.
    pub timezone: Option<String>,
    /// Monday first.
    pub workdays: [bool; 7],
    /// Increasing, non-overlapping working periods of a day.
    pub hours: Vec<(NaiveTime, NaiveTime)>,
    pub holidays: Vec<NaiveDate>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ConstDef {
    pub name: String,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct PipelineDef {
    pub name: String,
    pub entity: EntityId,
    pub stages: Vec<StageDef>,
    pub doc: Option<String>,
    pub span: Span,
}

impl PipelineDef {
    /// The first stage that is not final (§3.4).
    pub fn initial_stage(&self) -> u32 {
        self.stages.iter().position(|s| s.outcome.is_none()).unwrap_or(0) as u32
    }

    pub fn stage_index(&self, id: &str) -> Option<u32> {
        self.stages.iter().position(|s| s.id == id).map(|i| i as u32)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Success,
    Failure,
}

#[derive(Clone, Debug)]
pub struct StageDef {
    pub id: String,
    /// Defaults to the id.
    pub title: String,
    pub outcome: Option<Outcome>,
    /// Rules in source order (`on enter`, `after`, `at` mixed).
    pub rules: Vec<RuleDef>,
    /// Triggers in source order.
    pub triggers: Vec<TriggerDef>,
    pub doc: Option<String>,
    pub span: Span,
}

impl StageDef {
    pub fn is_final(&self) -> bool {
        self.outcome.is_some()
    }
}

#[derive(Clone, Debug)]
pub struct RuleDef {
    pub timing: Timing,
    pub unless: Option<Unless>,
    /// `if COND`, evaluated when due, after `unless`.
    pub condition: Option<Expr>,
    /// `in working hours [of CAL]`.
    pub working_hours: Option<WorkingHours>,
    pub body: Vec<Stmt>,
    /// The header as `bp fmt` prints it without `unless`/`if`, with ` #2` when two rules of the
    /// stage share it (SPEC §9 `rule_cancelled.rule`).
    pub label: String,
    pub doc: Option<String>,
    pub header_span: Span,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Timing {
    OnEnter,
    After(Duration),
    /// A Date or DateTime expression, computed once when the rule is scheduled.
    At(Expr),
}

#[derive(Clone, Debug)]
pub enum Unless {
    Moved,
    Condition(Expr),
}

/// Count working time; `calendar` is the `of CAL` calendar if given, else the runtime picks
/// one (SPEC §8 "Which calendar").
#[derive(Clone, Debug, PartialEq)]
pub struct WorkingHours {
    pub calendar: Option<CalendarId>,
}

#[derive(Clone, Debug)]
pub struct TriggerDef {
    pub event: EventId,
    /// The event's arguments by parameter name (`status: completed`, `path: amount`).
    pub args: IndexMap<String, Arg>,
    /// `where COND`, seeing the item and the payload names.
    pub condition: Option<Expr>,
    /// `as USER`.
    pub as_user: Option<Expr>,
    pub allow_backward: bool,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ProcessDef {
    pub name: String,
    pub entity: EntityId,
    pub on_create: bool,
    pub on_change: bool,
    pub manual: bool,
    /// `on stage S`, in source order.
    pub on_stages: Vec<StageRef>,
    pub body: Vec<Stmt>,
    pub doc: Option<String>,
    pub span: Span,
}

/// A stdlib action declaration, checked.
#[derive(Clone, Debug)]
pub struct ActionDef {
    /// The fixed leading words joined with one space: `create task`.
    pub words: String,
    pub signature: Vec<SigPart>,
    pub named: IndexMap<String, Param>,
    pub result: Option<Type>,
    /// Declared `-> Kind` (or `-> Kind?`): the result is the entity named by the call's `Kind`
    /// argument (`create deal { … }` gives a `Deal`); `result` then holds `Type::Item`.
    pub result_is_kind: bool,
    /// Allowed in rules.
    pub in_rule: bool,
    /// Allowed in processes.
    pub in_process: bool,
    pub doc: Option<String>,
    /// The action's fixed words in stdlib/actions.bp.
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum SigPart {
    Word(String),
    Hole(Param),
    Optional(Vec<SigPart>),
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: ParamType,
    pub default: Option<Arg>,
    pub required: bool,
    pub span: Span,
}

/// What a parameter accepts.
#[derive(Clone, Debug)]
pub enum ParamType {
    /// A value of this type.
    Value(Type),
    /// Keyword alternatives (`info | call | email`), optionally also a value of a type
    /// (`contact | company | Text`).
    Keywords(Vec<String>, Option<Type>),
    /// Any value (an untyped `<value>` hole).
    Any,
    /// An entity kind written as its item name: `create contact`, `find deal where …`
    /// (stdlib type `Kind`); the argument is an `Arg::Kind`.
    Kind,
    /// Named parameters only (stdlib type `KindFields`): every field of the call's kind is
    /// accepted as a named argument; they are collected, as given, into one `Arg::Record`
    /// under this parameter's name. Parameters declared beside it (`pipeline`, `stage`,
    /// `responsible`) take precedence and stay separate arguments.
    KindFields,
    /// A `where COND` part (stdlib type `Condition`): the candidate is `it`, an entity of the
    /// call's kind; the argument is an `Arg::Condition`.
    Condition,
    /// A label written as a bare word or a text: `webhook erp_sync`, `form submitted contact_us`
    /// (stdlib type `Name`); the argument is a `Text` literal expression.
    Name,
    /// A list of keyword alternatives: `create from source invoice, quote` (stdlib type
    /// `List(invoice | quote)`); the argument is an `Arg::Keywords`.
    KeywordList(Vec<String>),
    /// A `{ key: value }` block with any keys and values (stdlib type `Record`:
    /// `create document … { fields: { … } }`); the argument is an `Arg::Record`.
    AnyRecord,
}

/// A stdlib event declaration, checked.
#[derive(Clone, Debug)]
pub struct EventDef {
    pub words: String,
    pub signature: Vec<SigPart>,
    /// Names in scope of a trigger's `where`, with their types.
    pub payload: IndexMap<String, Type>,
    pub doc: Option<String>,
    /// The event's fixed words in stdlib/events.bp.
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// Statements

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    Let {
        name: String,
        value: Expr,
    },
    /// `let x = ACTION`
    LetCall {
        name: String,
        call: Call,
    },
    Set {
        target: Place,
        value: Expr,
    },
    If {
        branches: Vec<(Expr, Vec<Stmt>)>,
        otherwise: Vec<Stmt>,
    },
    ForEach {
        name: String,
        list: Expr,
        body: Vec<Stmt>,
    },
    Parallel {
        branches: Vec<Vec<Stmt>>,
    },
    WaitDelay {
        delay: Duration,
        working_hours: Option<WorkingHours>,
    },
    /// Until the item is in one of these stages, or in any final stage.
    WaitStage {
        stages: Vec<StageRef>,
    },
    WaitUntil {
        moment: Expr,
    },
    MoveStage {
        stage: StageRef,
    },
    MovePipeline {
        pipeline: PipelineId,
        stage: Option<StageRef>,
    },
    Stop,
    Call(Call),
}

/// The target of a `set`: a base (the item or a variable) and a field path from it.
#[derive(Clone, Debug)]
pub struct Place {
    pub base: Expr,
    /// `contact.phone` for `set deal.contact.phone = …`; never empty.
    pub path: Vec<String>,
    /// The type of the field assigned.
    pub ty: Type,
}

/// An action call bound to its declaration.
#[derive(Clone, Debug)]
pub struct Call {
    pub action: ActionId,
    /// Every positional and named argument given or defaulted, by parameter name. An optional
    /// argument that is neither given nor defaulted is absent.
    pub args: IndexMap<String, Arg>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Arg {
    Expr(Expr),
    /// A keyword alternative: `info`, `contact`, `in_turn`, `facebook`.
    Keyword(String),
    /// A run of keyword alternatives: `create from source invoice, quote`.
    Keywords(Vec<String>),
    /// An entity kind: `create contact`, `delete deal …`, `find deal where …`.
    Kind(EntityId),
    /// A nested record argument: `fields: { … }`, `set: { … }`, or a `create` call's fields.
    Record(IndexMap<String, Arg>),
    /// `in 2 hours [in working hours [of CAL]]`: now plus the delay when the call runs.
    In {
        delay: Duration,
        working_hours: Option<WorkingHours>,
    },
    /// A path from the item to one of its fields: `deal.contact.phone` → `["contact", "phone"]`.
    FieldPath(Vec<String>),
    /// `where COND` of `find`; the candidate is `it`.
    Condition(Expr),
}

// ---------------------------------------------------------------------------------------------
// Expressions

/// A typed expression.
#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    /// The type of the value the runtime must produce. Where the checker applied an implicit
    /// conversion (a Number where a Money is expected, a Date where a DateTime is), `ty` is the
    /// converted type, so the runtime converts the evaluated value.
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Literal(Literal),
    /// The current item (`deal`). `responsible` is `Field(Item, "responsible")`.
    Item,
    /// A `let`, `for each`, payload (`task`, `field`) or `it` name, or a scenario alias.
    Var(String),
    Now,
    Field(Box<Expr>, String),
    List(Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A text with interpolations (a plain text is a `Literal::Text`).
    Template(Vec<TemplatePart>),
}

#[derive(Clone, Debug)]
pub enum TemplatePart {
    Text(String),
    Expr(Expr),
}

/// A constant value in a checked expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Number(Decimal),
    Text(String),
    Bool(bool),
    None,
    Duration(Duration),
    Date(NaiveDate),
    /// A local date-time in the clock's timezone.
    DateTime(NaiveDateTime),
    /// A user id (`alice` for `@alice`).
    User(String),
    Stage(StageRef),
    Pipeline(PipelineId),
    /// An enum member by id.
    Enum(String),
}
