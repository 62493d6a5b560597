//! The untyped syntax tree of `.bp` files, built by `syntax` and read by `check`, `fmt` and
//! `graph`.
//!
//! The AST is syntax only: names are `Ident`s (one per path segment, each with its own span),
//! nothing is resolved. Every node a diagnostic can blame carries a `Span`. Ordinary comments are
//! kept in `Module::comments` (a side table for the formatter); `///` doc comments are attached
//! to the item, stage, rule or trigger that follows them.

use crate::span::{FileId, Ident, Span};

/// A whole compilation: the stdlib modules first, then the user's files in command-line order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    pub modules: Vec<Module>,
}

/// One parsed `.bp` file.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    pub file: FileId,
    pub items: Vec<Item>,
    /// Every `//` comment (and `///` doc comment) in source order, for `bp fmt`.
    pub comments: Vec<Comment>,
}

/// A comment and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The comment text after `//` (or `///`), without the newline.
    pub text: String,
    /// `///` doc comment.
    pub doc: bool,
    /// The whole comment, slashes included.
    pub span: Span,
}

/// A `///` doc comment block (consecutive lines joined with `\n`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doc {
    pub text: String,
    pub span: Span,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `schema Deal { … }` (adds fields) and `entity Booking { … }` (a custom entity).
    Schema(SchemaDecl),
    Calendar(CalendarDecl),
    Const(ConstDecl),
    Pipeline(PipelineDecl),
    Process(ProcessDecl),
    /// stdlib only: `action …`.
    Action(ActionDecl),
    /// stdlib only: `event …`.
    Event(EventDecl),
    /// stdlib only: `record PaymentLink { url: Text, amount: Money }`.
    Record(RecordDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Schema(i) => i.span,
            Item::Calendar(i) => i.span,
            Item::Const(i) => i.span,
            Item::Pipeline(i) => i.span,
            Item::Process(i) => i.span,
            Item::Action(i) => i.span,
            Item::Event(i) => i.span,
            Item::Record(i) => i.span,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §3.1 schema and entity

/// Whether a schema block extends a standard entity or declares a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaKind {
    /// `schema Deal { … }`
    Extend,
    /// `entity Booking { … }`
    Entity,
}

/// ```bp
/// entity Booking { title: Text }
/// //     ^^^^^^^ name
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaDecl {
    pub kind: SchemaKind,
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
    pub doc: Option<Doc>,
    pub span: Span,
}

/// ```bp
/// budget_approved: Bool = false
/// ^^^^^^^^^^^^^^^ name
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    /// `= literal`, `= now` or `= []`.
    pub default: Option<Expr>,
    pub doc: Option<Doc>,
    pub span: Span,
}

/// A type as written: `Text`, `Money?`, `Enum(a, b)`, `List(User)`, `Task.status`,
/// `info | call | email` (keyword alternatives, stdlib only; a capitalised alternative is a
/// type: `contact | company | Text`).
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    /// Written with a trailing `?`.
    pub optional: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    /// `Text`, `Deal`, `FieldPath`, …
    Named(Ident),
    /// `Enum(house, flat, office)`
    Enum(Vec<Ident>),
    /// `List(User)`
    List(Box<TypeExpr>),
    /// `Task.status`: the type of a field of an entity.
    FieldOf(Ident, Ident),
    /// `info | call | email` or `contact | company | Text`: two or more alternatives, each a
    /// `Named` type expression.
    Alternatives(Vec<TypeExpr>),
}

// ---------------------------------------------------------------------------------------------
// §3.2 calendar, §3.3 const

/// ```bp
/// calendar default { timezone "Europe/Paris" }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarDecl {
    pub name: Ident,
    pub entries: Vec<CalendarEntry>,
    pub doc: Option<Doc>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CalendarEntry {
    /// `timezone "Europe/Paris"`; the span is the string's.
    Timezone { name: String, span: Span },
    /// `workdays mon..fri` or `workdays mon, tue, thu`.
    Workdays { days: Vec<DaySpec>, span: Span },
    /// `hours 09:00..13:00, 14:00..18:00`
    Hours { ranges: Vec<TimeRange>, span: Span },
    /// `holidays 2026-12-25, 2027-01-01`
    Holidays { dates: Vec<(chrono::NaiveDate, Span)>, span: Span },
}

/// A weekday or a range of weekdays as written (`mon`, `mon..fri`); names are checked later.
#[derive(Clone, Debug, PartialEq)]
pub enum DaySpec {
    Day(Ident),
    Range(Ident, Ident),
}

/// `09:00..13:00`
#[derive(Clone, Debug, PartialEq)]
pub struct TimeRange {
    pub start: chrono::NaiveTime,
    pub end: chrono::NaiveTime,
    pub span: Span,
}

/// `const vip_threshold = 10000` or `const limit: Money = 500`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstDecl {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
    pub doc: Option<Doc>,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// §3.4 pipeline, §3.5 stage bodies

/// ```bp
/// pipeline sales for Deal { … }
/// //       ^^^^^ name  ^^^^ kind
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineDecl {
    pub name: Ident,
    pub kind: Ident,
    pub stages: Vec<Stage>,
    pub doc: Option<Doc>,
    /// The header `pipeline sales for Deal` (W0204 points here).
    pub header_span: Span,
    pub span: Span,
}

/// `success` or `failure` after a stage's title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

/// ```bp
/// stage won "Deal won" success { … }
/// //    ^^^ id ^^^^^^^^^^ title (the string, quotes included in its span)
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub id: Ident,
    pub title: Option<(String, Span)>,
    pub outcome: Option<(Outcome, Span)>,
    pub members: Vec<StageMember>,
    pub doc: Option<Doc>,
    pub span: Span,
}

/// A line of a stage body.
#[derive(Clone, Debug, PartialEq)]
pub enum StageMember {
    Rule(Rule),
    Trigger(Trigger),
}

/// An automation rule: `on enter`, `after …` or `at …` with a block.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub timing: RuleTiming,
    pub modifiers: RuleModifiers,
    pub body: Block,
    pub doc: Option<Doc>,
    /// From the first keyword to the end of the header (before `{`): W0201 points here.
    pub header_span: Span,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RuleTiming {
    /// `on enter`
    OnEnter { span: Span },
    /// `after 1 day` or `after reminder_delay` (a Duration constant).
    After { delay: DelayExpr, span: Span },
    /// `at deal.close_date - 1 day`
    At { moment: Expr, span: Span },
}

/// The delay of an `after` rule or a `wait`: a duration literal or a constant's name.
#[derive(Clone, Debug, PartialEq)]
pub enum DelayExpr {
    Literal(Duration, Span),
    Const(Ident),
}

impl DelayExpr {
    pub fn span(&self) -> Span {
        match self {
            DelayExpr::Literal(_, span) => *span,
            DelayExpr::Const(ident) => ident.span,
        }
    }
}

/// The modifiers after a rule's timing; the parser accepts all of them on every form and the
/// checker reports misplaced ones (E0105).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleModifiers {
    pub working_hours: Option<WorkingHours>,
    pub unless: Option<Unless>,
    /// `if COND`
    pub condition: Option<Expr>,
}

/// `in working hours [of CAL]`
#[derive(Clone, Debug, PartialEq)]
pub struct WorkingHours {
    pub calendar: Option<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Unless {
    /// `unless moved`; the span covers both words.
    Moved(Span),
    /// `unless COND`
    Condition(Expr),
}

/// ```bp
/// when task completed where task.title contains "Invoice" as @bob allow backward
/// //   ^^^^^^^^^^^^^^ event
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    /// The event's words and arguments, read like an action call (ends at `where`, `as`,
    /// `allow` or the end of the line). Never has a named-argument block.
    pub event: Call,
    pub condition: Option<Expr>,
    /// `as USER`
    pub as_user: Option<Expr>,
    /// `allow backward`
    pub allow_backward: Option<Span>,
    pub doc: Option<Doc>,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// §3.6 process

/// ```bp
/// process payment_follow_up for Deal on create, on stage won { … }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessDecl {
    pub name: Ident,
    pub kind: Ident,
    pub starts: Vec<StartMode>,
    pub body: Block,
    pub doc: Option<Doc>,
    pub header_span: Span,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StartMode {
    OnCreate(Span),
    /// `on stage S` (S may be `P.s`).
    OnStage(StageRef, Span),
    OnChange(Span),
    Manual(Span),
}

/// A stage named in a statement or header: `won` or `sales.won`.
#[derive(Clone, Debug, PartialEq)]
pub struct StageRef {
    pub pipeline: Option<Ident>,
    pub stage: Ident,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// §3.7 stdlib declarations

/// ```bp
/// action add history <text: Text> [by <author: User = responsible>] { type: info | call | email = info }
/// action create task <title: Text> { assignee: User = responsible, deadline: DateTime? } -> Task
/// ```
/// The leading `Word`s are the action's fixed words (`add history`).
#[derive(Clone, Debug, PartialEq)]
pub struct ActionDecl {
    pub signature: Vec<SigPart>,
    /// The `{ … }` block of named parameters.
    pub named: Vec<ParamDecl>,
    /// `-> Task`
    pub result: Option<TypeExpr>,
    /// `in rule` / `in process` / `in rule, process` after the signature: where the action is
    /// allowed (everywhere when empty).
    pub contexts: Vec<Ident>,
    pub doc: Option<Doc>,
    pub span: Span,
}

/// One element of an action or event signature.
#[derive(Clone, Debug, PartialEq)]
pub enum SigPart {
    /// A fixed word.
    Word(Ident),
    /// `<name: Type = default>` or `<value>` (untyped).
    Hole(ParamDecl),
    /// `[by <author: User = responsible>]`: an optional group starting with a fixed word.
    Optional(Vec<SigPart>, Span),
}

/// A parameter: `<to: User>` in a signature, or `assignee: User = responsible` in a named block.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDecl {
    pub name: Ident,
    /// `None` for an untyped hole such as `<value>`.
    pub ty: Option<TypeExpr>,
    pub default: Option<Expr>,
    /// Named parameters only: written with a trailing `!` after the type (`title: Text!`).
    pub required: bool,
    pub span: Span,
}

/// ```bp
/// event task status <status: Task.status> -> task: Task
/// event email link clicked -> email: Email, url: Text
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EventDecl {
    pub signature: Vec<SigPart>,
    /// The payload names in scope of a trigger's `where`, with their types.
    pub payload: Vec<(Ident, TypeExpr)>,
    pub doc: Option<Doc>,
    pub span: Span,
}

/// `record PaymentLink { url: Text, amount: Money }` (fields separated by `,` or newlines).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordDecl {
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
    pub doc: Option<Doc>,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// §4 statements

/// `{ STATEMENTS }`; the span covers the braces.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `let link = create payment link` or `let total = deal.amount * 2`.
    Let { name: Ident, value: LetValue },
    /// `set deal.contact.phone = "+33…"`; `target` is a `Name`/`Field` chain.
    Set { target: Expr, value: Expr },
    /// `if A { … } else if B { … } else { … }`
    If { branches: Vec<(Expr, Block)>, otherwise: Option<Block> },
    /// `for each row in deal.products { … }`
    ForEach { name: Ident, list: Expr, body: Block },
    /// `parallel { branch { … } branch { … } }`
    Parallel { branches: Vec<Block> },
    /// `wait 2 days [in working hours [of CAL]]`
    WaitDelay { delay: DelayExpr, working_hours: Option<WorkingHours> },
    /// `wait until stage won, lost`
    WaitStage { stages: Vec<StageRef> },
    /// `wait until deal.close_date`
    WaitUntil { moment: Expr },
    /// `move to stage won`
    MoveStage { stage: StageRef },
    /// `move to pipeline b2b [stage intake]`
    MovePipeline { pipeline: Ident, stage: Option<StageRef> },
    /// `stop`
    Stop,
    /// Any other line: an action call, matched against stdlib by the checker.
    Call(Call),
}

/// The right side of a `let`.
#[derive(Clone, Debug, PartialEq)]
pub enum LetValue {
    Expr(Expr),
    Call(Call),
}

/// A generic action call or event pattern (SPEC §5 "How a call is read").
///
/// ```bp
/// create task "Call {{deal.title}}" { assignee: supervisor, deadline: in 2 days }
/// //^^^^ ^^^^ ^^^^^^^^^^^^^^^^^^^^^ parts   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ named
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub parts: Vec<CallPart>,
    pub named: Option<NamedArgs>,
    pub span: Span,
}

impl Call {
    /// The leading bare words (`create`, `task`), up to the first non-word part.
    pub fn leading_words(&self) -> impl Iterator<Item = &Ident> {
        self.parts.iter().map_while(|p| match &p.kind {
            CallPartKind::Word(w) => Some(w),
            _ => None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallPart {
    pub kind: CallPartKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CallPartKind {
    /// A bare word (identifier or keyword such as `in`, `to`, `by`), not followed by `.`.
    Word(Ident),
    /// A literal, a path `a.b.c` (two or more segments, or rooted at `@user`), a list `[…]` or
    /// a parenthesised expression `( … )`.
    Value(Expr),
    /// Parts joined by `,`: `complete tasks from stage a, b`. Two or more elements, none of them
    /// a `Run` or `Where`.
    Run(Vec<CallPart>),
    /// `where COND`, always the last part.
    Where(Expr),
}

/// `{ name: value, … }` after a call (entries separated by `,` or newlines).
#[derive(Clone, Debug, PartialEq)]
pub struct NamedArgs {
    pub entries: Vec<NamedArg>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NamedArg {
    pub name: Ident,
    pub value: ArgValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ArgValue {
    Expr(Expr),
    /// A nested record: `fields: { NAME: EXPR }`, `set: { … }`.
    Record(NamedArgs),
    /// `in 2 hours [in working hours [of CAL]]`, only for DateTime named arguments.
    In {
        delay: DelayExpr,
        working_hours: Option<WorkingHours>,
        span: Span,
    },
}

// ---------------------------------------------------------------------------------------------
// §6 expressions

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A text literal, with its `{{ }}` interpolations.
    Text(Template),
    /// `now`
    Now,
    /// A bare name: `deal`, `responsible`, `x`, `won`, `vip_threshold`.
    Name(Ident),
    /// `base.field`: `deal.contact.name` is `Field(Field(Name(deal), contact), name)`.
    Field(Box<Expr>, Ident),
    /// `[a, b, c]`
    List(Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `42`, `1200.50`: the digits as written (exact decimal).
    Number(String),
    Bool(bool),
    /// `none`
    None,
    Duration(Duration),
    /// `2026-03-02`
    Date(chrono::NaiveDate),
    /// `2026-03-02 09:30` / `2026-03-02T09:30`, a local time in the clock's timezone.
    DateTime(chrono::NaiveDateTime),
    /// `@alice`: the user id `alice` (span covers `@alice`).
    User(String),
}

/// A text literal with interpolations: `"Hello {{deal.contact.name}}"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    /// `"""` text.
    pub triple: bool,
}

impl Template {
    /// The text if the template has no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Expr(_) => return None,
            }
        }
        Some(out)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TemplatePart {
    /// Literal text, escapes already decoded.
    Text(String),
    /// `{{ EXPR }}`
    Expr(Expr),
}

/// A duration literal: `3 days 4 hours`. Units are kept apart because days and weeks are
/// calendar (or working) days, while hours and minutes are elapsed (or working) time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duration {
    pub weeks: i64,
    pub days: i64,
    pub hours: i64,
    pub minutes: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `not x`
    Not,
}

/// Binary operators, from SPEC §6.2 (low to high: `or`; `and`; comparisons; `+ -`; `* /`;
/// `??`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    StartsWith,
    In,
    Add,
    Sub,
    Mul,
    Div,
    /// `a ?? b`
    Coalesce,
}

impl BinaryOp {
    /// The operator as written in source.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Contains => "contains",
            BinaryOp::StartsWith => "starts with",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Coalesce => "??",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge
                | BinaryOp::Contains
                | BinaryOp::StartsWith
                | BinaryOp::In
        )
    }
}
