//! Statements (SPEC §4) and generic action calls (SPEC §5 "How a call is read").
//!
//! The grammar tries the statement forms in SPEC order, each to the end of the statement, and
//! reads anything else as a call; here each form becomes its `StmtKind`. A call is only parts:
//! the checker matches it against the stdlib declarations.

use pest::iterators::Pair;

use crate::ast::{
    ArgValue, Block, Call, CallPart, CallPartKind, Expr, ExprKind, LetValue, Literal, NamedArg,
    NamedArgs, StageRef, Stmt, StmtKind, WorkingHours,
};

use crate::diag::{Code, Diagnostic};

use super::expressions::{parse_expr, parse_name, parse_primary};
use super::grammar::{explain, Rule};
use super::literals::parse_delay;
use super::{children, Ctx};

/// `block`: `{ STATEMENTS }`; unrecognised lines are reported and skipped.
pub(crate) fn parse_block(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Block {
    let span = ctx.span(&pair);
    let mut stmts = Vec::new();
    for line in children(pair) {
        if line.as_rule() == Rule::bad_line {
            let s = line.as_span();
            explain(ctx, Rule::stmt_check, ctx.base + s.start(), ctx.base + s.end());
        } else if let Some(stmt) = parse_stmt(ctx, line) {
            stmts.push(stmt);
        }
    }
    Block { stmts, span }
}

/// One statement; `None` when it held an error (already reported).
fn parse_stmt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Stmt> {
    let span = ctx.span(&pair);
    let kind = match pair.as_rule() {
        Rule::let_stmt => parse_let_stmt(ctx, pair)?,
        Rule::set_stmt => parse_set_stmt(ctx, pair)?,
        Rule::if_stmt => parse_if_stmt(ctx, pair)?,
        Rule::for_stmt => parse_for_stmt(ctx, pair)?,
        Rule::parallel_stmt => parse_parallel_stmt(ctx, pair)?,
        Rule::wait_stage_stmt => parse_wait_stage_stmt(ctx, pair),
        Rule::wait_until_stmt => StmtKind::WaitUntil { moment: first_expr(ctx, pair)? },
        Rule::wait_stmt => parse_wait_stmt(ctx, pair)?,
        Rule::move_stage_stmt => parse_move_stage_stmt(ctx, pair)?,
        Rule::move_pipeline_stmt => parse_move_pipeline_stmt(ctx, pair)?,
        Rule::stop_stmt => StmtKind::Stop,
        Rule::misplaced_else => {
            parse_misplaced_else(ctx, pair);
            return None;
        }
        Rule::call => StmtKind::Call(parse_call(ctx, pair)?),
        _ => return None,
    };
    Some(Stmt { kind, span })
}

fn first_expr(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Expr> {
    let expr = pair.into_inner().find(|p| p.as_rule() == Rule::expr)?;
    parse_expr(ctx, expr)
}

/// `let NAME = EXPR | ACTION`
fn parse_let_stmt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<StmtKind> {
    let mut inner = children(pair);
    let name = ctx.ident(&inner.next()?);
    let value = inner.next()?;
    let value = match value.as_rule() {
        Rule::expr => LetValue::Expr(parse_expr(ctx, value)?),
        _ => LetValue::Call(parse_call(ctx, value)?),
    };
    Some(StmtKind::Let { name, value })
}

/// `set PATH = EXPR`
fn parse_set_stmt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<StmtKind> {
    let mut inner = children(pair);
    let target = parse_set_target(ctx, inner.next()?)?;
    let value = parse_expr(ctx, inner.next()?)?;
    Some(StmtKind::Set { target, value })
}

/// `deal.contact.phone`: a `Name`/`Field` chain.
fn parse_set_target(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Expr> {
    let mut segments = pair.into_inner();
    let root = ctx.ident(&segments.next()?);
    let mut expr = Expr { span: root.span, kind: ExprKind::Name(root) };
    for segment in segments {
        let field = ctx.ident(&segment);
        let span = expr.span.to(field.span);
        expr = Expr { kind: ExprKind::Field(Box::new(expr), field), span };
    }
    Some(expr)
}

/// `if COND { … } else if COND { … } else { … }`
fn parse_if_stmt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<StmtKind> {
    let mut branches = Vec::new();
    let mut otherwise = None;
    let mut condition = None;
    let mut ok = true;
    for part in children(pair) {
        match part.as_rule() {
            Rule::expr => condition = Some(parse_expr(ctx, part)),
            Rule::block => {
                let block = parse_block(ctx, part);
                match condition.take() {
                    Some(Some(cond)) => branches.push((cond, block)),
                    _ => ok = false,
                }
            }
            Rule::else_if => {
                let mut inner = children(part);
                let cond = inner.next().and_then(|c| parse_expr(ctx, c));
                let block = inner.next().map(|b| parse_block(ctx, b));
                match (cond, block) {
                    (Some(cond), Some(block)) => branches.push((cond, block)),
                    _ => ok = false,
                }
            }
            Rule::else_block => otherwise = children(part).next().map(|b| parse_block(ctx, b)),
            _ => {}
        }
    }
    ok.then_some(StmtKind::If { branches, otherwise })
}

/// Error production: `else` at the start of a line.
fn parse_misplaced_else(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) {
    let span = pair.into_inner().next().map_or_else(|| ctx.trimmed(0, 0), |kw| ctx.span(&kw));
    ctx.error(
        Diagnostic::new(
            Code::E0001,
            "`else` must follow the `}` of its `if` on the same line",
            span,
            "`else` at the start of a line",
        )
        .with_help("write `} else {`"),
    );
}

/// `for each NAME in EXPR { … }`
fn parse_for_stmt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<StmtKind> {
    let mut inner = children(pair);
    let name = ctx.ident(&inner.next()?);
    let list = parse_expr(ctx, inner.next()?);
    let body = parse_block(ctx, inner.next()?);
    Some(StmtKind::ForEach { name, list: list?, body })
}

/// `parallel { branch { … } branch { … } }`
fn parse_parallel_stmt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<StmtKind> {
    let body = children(pair).next()?;
    let mut branches = Vec::new();
    for line in children(body) {
        if line.as_rule() == Rule::bad_line {
            let s = line.as_span();
            explain(ctx, Rule::branch_check, ctx.base + s.start(), ctx.base + s.end());
        } else if let Some(block) = children(line).next() {
            branches.push(parse_block(ctx, block));
        }
    }
    Some(StmtKind::Parallel { branches })
}

/// `wait until stage won, lost`
fn parse_wait_stage_stmt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> StmtKind {
    let stages = children(pair).map(|p| parse_stage_ref(ctx, p)).collect();
    StmtKind::WaitStage { stages }
}

/// `wait DELAY [in working hours [of CAL]]`
fn parse_wait_stmt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<StmtKind> {
    let mut delay = None;
    let mut working_hours = None;
    for part in children(pair) {
        match part.as_rule() {
            Rule::working_hours => working_hours = Some(parse_working_hours(ctx, part)),
            _ => delay = Some(parse_delay(ctx, part)?),
        }
    }
    Some(StmtKind::WaitDelay { delay: delay?, working_hours })
}

/// `move to stage S`
fn parse_move_stage_stmt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<StmtKind> {
    let stage = parse_stage_ref(ctx, children(pair).next()?);
    Some(StmtKind::MoveStage { stage })
}

/// `move to pipeline P [stage S]`
fn parse_move_pipeline_stmt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<StmtKind> {
    let mut inner = children(pair);
    let pipeline = ctx.ident(&inner.next()?);
    let stage = inner.next().map(|s| parse_stage_ref(ctx, s));
    Some(StmtKind::MovePipeline { pipeline, stage })
}

/// `won` or `sales.won`
pub(crate) fn parse_stage_ref(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> StageRef {
    let span = ctx.span(&pair);
    let idents: Vec<_> = pair.into_inner().map(|p| ctx.ident(&p)).collect();
    match <[_; 2]>::try_from(idents) {
        Ok([pipeline, stage]) => StageRef { pipeline: Some(pipeline), stage, span },
        Err(mut idents) => {
            let stage = idents.pop().unwrap_or_else(|| crate::span::Ident::new("", span));
            StageRef { pipeline: None, stage, span }
        }
    }
}

/// `in working hours [of CAL]`
pub(crate) fn parse_working_hours(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> WorkingHours {
    let span = ctx.span(&pair);
    let calendar = children(pair).next().map(|p| ctx.ident(&p));
    WorkingHours { calendar, span }
}

// ---------------------------------------------------------------------------------------------
// §5 calls

/// `call`: parts, an optional `where COND`, an optional `{ … }` block.
pub(crate) fn parse_call(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Call> {
    let span = ctx.span(&pair);
    let mut parts = Vec::new();
    let mut named = None;
    let mut ok = true;
    for part in children(pair) {
        match part.as_rule() {
            Rule::word => parts.push(word_part(ctx, &part)?),
            Rule::call_item => match parse_call_item(ctx, part) {
                Some(item) => parts.push(item),
                None => ok = false,
            },
            Rule::call_where => {
                let part_span = ctx.span(&part);
                match first_expr(ctx, part) {
                    Some(cond) => {
                        parts.push(CallPart { kind: CallPartKind::Where(cond), span: part_span })
                    }
                    None => ok = false,
                }
            }
            Rule::named_args => named = Some(parse_named_args(ctx, part)?),
            _ => {}
        }
    }
    check_call_head(ctx, &parts, "a statement")?;
    ok.then_some(Call { parts, named, span })
}

/// SPEC §5: a call (and an event) starts with a bare word: `deal.title x` or `true x` is not
/// a call.
fn check_call_head(ctx: &Ctx<'_>, parts: &[CallPart], what: &str) -> Option<()> {
    match parts.first() {
        Some(CallPart { kind: CallPartKind::Word(_), .. }) => Some(()),
        Some(first) => {
            let found = ctx.text.get(first.span.range()).unwrap_or("");
            ctx.error(
                Diagnostic::new(
                    Code::E0001,
                    format!("expected {what}, found `{found}`"),
                    first.span,
                    "not a bare word",
                )
                .with_help("an action call or an event starts with a word, as in `notify …`"),
            );
            None
        }
        None => None,
    }
}

/// `event_call`: the words of a trigger's event (no `where`, no block).
pub(crate) fn parse_event_call(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Call> {
    let span = ctx.span(&pair);
    let mut parts = Vec::new();
    for part in children(pair) {
        match part.as_rule() {
            Rule::event_word => parts.push(word_part(ctx, &part)?),
            _ => parts.push(parse_call_item(ctx, part)?),
        }
    }
    check_call_head(ctx, &parts, "an event such as `task completed`")?;
    Some(Call { parts, named: None, span })
}

/// `word` / `event_word`: a bare word, a path (`deal.title`) or a literal word (`true`,
/// `false`, `none`, `now`).
fn word_part(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) -> Option<CallPart> {
    let span = ctx.span(pair);
    let literal = match pair.as_str() {
        "true" => Some(ExprKind::Literal(Literal::Bool(true))),
        "false" => Some(ExprKind::Literal(Literal::Bool(false))),
        "none" => Some(ExprKind::Literal(Literal::None)),
        "now" => Some(ExprKind::Now),
        text if text.contains('.') => {
            let built = parse_name(ctx, pair)?;
            return Some(CallPart { kind: CallPartKind::Value(built.expr), span });
        }
        _ => None,
    };
    let kind = match literal {
        Some(kind) => CallPartKind::Value(Expr { kind, span }),
        None => CallPartKind::Word(ctx.ident(pair)),
    };
    Some(CallPart { kind, span })
}

/// `call_item` / `event_item`: one part, or a run of parts joined by `,`.
fn parse_call_item(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<CallPart> {
    let span = ctx.span(&pair);
    let mut parts = Vec::new();
    let mut ok = true;
    for atom in pair.into_inner() {
        let part = match atom.as_rule() {
            Rule::word | Rule::event_word => word_part(ctx, &atom),
            _ => {
                let atom_span = ctx.span(&atom);
                parse_primary(ctx, atom).map(|built| CallPart {
                    kind: CallPartKind::Value(built.expr),
                    span: atom_span,
                })
            }
        };
        match part {
            Some(part) => parts.push(part),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    if parts.len() == 1 {
        parts.pop()
    } else {
        Some(CallPart { kind: CallPartKind::Run(parts), span })
    }
}

/// `{ name: value, … }`
pub(crate) fn parse_named_args(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<NamedArgs> {
    let span = ctx.span(&pair);
    let mut entries = Vec::new();
    let mut ok = true;
    for entry in pair.into_inner() {
        match parse_named_arg(ctx, entry) {
            Some(entry) => entries.push(entry),
            None => ok = false,
        }
    }
    ok.then_some(NamedArgs { entries, span })
}

/// `name: EXPR`, `name: { … }` or `name: in DURATION [in working hours [of CAL]]`.
fn parse_named_arg(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<NamedArg> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let name = ctx.ident(&inner.next()?);
    let value = inner.next()?;
    let value = match value.as_rule() {
        Rule::named_args => ArgValue::Record(parse_named_args(ctx, value)?),
        Rule::arg_in => parse_arg_in(ctx, value)?,
        _ => ArgValue::Expr(parse_expr(ctx, value)?),
    };
    Some(NamedArg { name, value, span })
}

/// `in 2 hours [in working hours [of CAL]]`
fn parse_arg_in(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<ArgValue> {
    let span = ctx.span(&pair);
    let mut delay = None;
    let mut working_hours = None;
    for part in children(pair) {
        match part.as_rule() {
            Rule::working_hours => working_hours = Some(parse_working_hours(ctx, part)),
            _ => delay = Some(parse_delay(ctx, part)?),
        }
    }
    Some(ArgValue::In { delay: delay?, working_hours, span })
}
