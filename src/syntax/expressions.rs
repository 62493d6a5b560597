//! Expressions (SPEC §6) and literals (SPEC §2): the Pratt table of §6.2, durations, dates,
//! `@user`, lists and `{{ }}` text templates.
//!
//! Every builder returns `None` after reporting an E0001, so a bad literal drops only the node
//! that holds it. Expression trees are depth-limited (`MAX_EXPR_DEPTH`) so that the checker and
//! the runtime, which recurse over them, never run out of stack.

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveTime};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use crate::ast::{
    BinaryOp, DelayExpr, Duration, Expr, ExprKind, Literal, Template, TemplatePart, UnaryOp,
};
use crate::diag::{suggest, Code, Diagnostic};
use crate::span::{Ident, Span};

use super::grammar::Rule;
use super::{Ctx, MAX_EXPR_DEPTH};

/// Operators of one flat expression beyond which it is refused (the Pratt parser recurses once
/// per prefix operator and per `??`).
const MAX_OPERATORS: usize = 1000;

/// SPEC §6.2, low to high: `or`; `and`; `not`; comparisons (non-associative, checked in
/// `parse_infix`); `+ -`; `* /`; unary `-`; `??` (right-associative); field access `.`.
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    use Assoc::{Left, Right};
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Left))
        .op(Op::infix(Rule::op_and, Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Left)
            | Op::infix(Rule::op_ne, Left)
            | Op::infix(Rule::op_lt, Left)
            | Op::infix(Rule::op_le, Left)
            | Op::infix(Rule::op_gt, Left)
            | Op::infix(Rule::op_ge, Left)
            | Op::infix(Rule::op_contains, Left)
            | Op::infix(Rule::op_starts_with, Left)
            | Op::infix(Rule::op_in, Left))
        .op(Op::infix(Rule::op_add, Left) | Op::infix(Rule::op_sub, Left))
        .op(Op::infix(Rule::op_mul, Left) | Op::infix(Rule::op_div, Left))
        .op(Op::prefix(Rule::op_neg))
        .op(Op::infix(Rule::op_coalesce, Right))
        .op(Op::postfix(Rule::field_access))
});

/// An expression being built: its depth, and whether it is an unparenthesised comparison (so
/// that `a < b < c` can be refused).
pub(crate) struct Built {
    pub expr: Expr,
    pub depth: u32,
    bare_comparison: bool,
}

impl Built {
    fn new(ctx: &Ctx<'_>, kind: ExprKind, span: Span, depth: u32) -> Option<Built> {
        if depth > MAX_EXPR_DEPTH {
            ctx.error(
                Diagnostic::new(Code::E0001, "expression nested too deeply", span, "too deep")
                    .with_help("split it with `let`"),
            );
            return None;
        }
        Some(Built { expr: Expr { kind, span }, depth, bare_comparison: false })
    }

    fn leaf(ctx: &Ctx<'_>, kind: ExprKind, span: Span) -> Option<Built> {
        Built::new(ctx, kind, span, 1)
    }
}

/// `expr`: operands joined by binary operators.
pub(crate) fn parse_expr(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Expr> {
    parse_expr_built(ctx, pair).map(|built| built.expr)
}

/// `hole_default` / `operand`: prefix operators, a primary and field accesses.
pub(crate) fn parse_operand(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Expr> {
    parse_expr_built(ctx, pair).map(|built| built.expr)
}

pub(crate) fn parse_expr_built(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Built> {
    let span = ctx.span(&pair);
    let flat: Vec<Pair<'_, Rule>> = pair
        .into_inner()
        .flat_map(|p| match p.as_rule() {
            Rule::operand => p.into_inner().collect::<Vec<_>>(),
            _ => vec![p],
        })
        .collect();
    if flat.len() > 2 * MAX_OPERATORS {
        ctx.error(
            Diagnostic::new(Code::E0001, "expression too long", span, "too many operators")
                .with_help("split it with `let`"),
        );
        return None;
    }
    if flat.is_empty() {
        return None;
    }
    PRATT
        .map_primary(|primary| parse_primary(ctx, primary))
        .map_prefix(|op, operand| parse_prefix(ctx, op, operand?))
        .map_postfix(|base, access| parse_field_access(ctx, base?, access))
        .map_infix(|lhs, op, rhs| parse_infix(ctx, lhs?, op, rhs?))
        .parse(flat.into_iter())
}

fn parse_prefix(ctx: &Ctx<'_>, op: Pair<'_, Rule>, operand: Built) -> Option<Built> {
    let unary = if op.as_rule() == Rule::op_not { UnaryOp::Not } else { UnaryOp::Neg };
    let span = ctx.span(&op).to(operand.expr.span);
    let depth = operand.depth + 1;
    let mut built = Built::new(ctx, ExprKind::Unary(unary, Box::new(operand.expr)), span, depth)?;
    built.bare_comparison = operand.bare_comparison;
    Some(built)
}

/// `field_access`: `.name` after a primary.
fn parse_field_access(ctx: &Ctx<'_>, base: Built, access: Pair<'_, Rule>) -> Option<Built> {
    let ident = access.into_inner().next().map(|p| ctx.ident(&p))?;
    let span = base.expr.span.to(ident.span);
    Built::new(ctx, ExprKind::Field(Box::new(base.expr), ident), span, base.depth + 1)
}

fn parse_infix(ctx: &Ctx<'_>, lhs: Built, op: Pair<'_, Rule>, rhs: Built) -> Option<Built> {
    let binary = binary_op(op.as_rule())?;
    let op_span = ctx.span(&op);
    if binary.is_comparison() && (lhs.bare_comparison || rhs.bare_comparison) {
        ctx.error(
            Diagnostic::new(
                Code::E0001,
                "comparisons cannot be chained",
                op_span,
                "second comparison here",
            )
            .with_help("combine them with `and`, as in `a < b and b < c`"),
        );
        return None;
    }
    let span = lhs.expr.span.to(rhs.expr.span);
    let depth = lhs.depth.max(rhs.depth) + 1;
    let kind = ExprKind::Binary(binary, Box::new(lhs.expr), Box::new(rhs.expr));
    let mut built = Built::new(ctx, kind, span, depth)?;
    built.bare_comparison = binary.is_comparison();
    Some(built)
}

fn binary_op(rule: Rule) -> Option<BinaryOp> {
    Some(match rule {
        Rule::op_or => BinaryOp::Or,
        Rule::op_and => BinaryOp::And,
        Rule::op_eq => BinaryOp::Eq,
        Rule::op_ne => BinaryOp::Ne,
        Rule::op_lt => BinaryOp::Lt,
        Rule::op_le => BinaryOp::Le,
        Rule::op_gt => BinaryOp::Gt,
        Rule::op_ge => BinaryOp::Ge,
        Rule::op_contains => BinaryOp::Contains,
        Rule::op_starts_with => BinaryOp::StartsWith,
        Rule::op_in => BinaryOp::In,
        Rule::op_add => BinaryOp::Add,
        Rule::op_sub => BinaryOp::Sub,
        Rule::op_mul => BinaryOp::Mul,
        Rule::op_div => BinaryOp::Div,
        Rule::op_coalesce => BinaryOp::Coalesce,
        _ => return None,
    })
}

/// A primary expression or a call's value part: literals, names, lists, `( … )`, paths.
pub(crate) fn parse_primary(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Built> {
    let span = ctx.span(&pair);
    match pair.as_rule() {
        Rule::name => parse_name(ctx, &pair),
        Rule::number_lit => {
            Built::leaf(ctx, ExprKind::Literal(Literal::Number(pair.as_str().into())), span)
        }
        Rule::kw_true => Built::leaf(ctx, ExprKind::Literal(Literal::Bool(true)), span),
        Rule::kw_false => Built::leaf(ctx, ExprKind::Literal(Literal::Bool(false)), span),
        Rule::kw_none => Built::leaf(ctx, ExprKind::Literal(Literal::None), span),
        Rule::kw_now => Built::leaf(ctx, ExprKind::Now, span),
        Rule::user_lit => {
            let id = pair.as_str().trim_start_matches('@').to_string();
            Built::leaf(ctx, ExprKind::Literal(Literal::User(id)), span)
        }
        Rule::date_lit => {
            let date = parse_date_lit(ctx, &pair)?;
            Built::leaf(ctx, ExprKind::Literal(Literal::Date(date)), span)
        }
        Rule::datetime_lit => {
            let moment = parse_datetime_lit(ctx, &pair)?;
            Built::leaf(ctx, ExprKind::Literal(Literal::DateTime(moment)), span)
        }
        Rule::bad_date => {
            parse_bad_date(ctx, &pair);
            None
        }
        Rule::time_of_day => {
            ctx.error(
                Diagnostic::new(
                    Code::E0001,
                    format!(
                        "a time of day such as `{}` is only allowed in a calendar",
                        pair.as_str()
                    ),
                    span,
                    "time of day",
                )
                .with_help("write a date and time, such as `2026-03-02 09:30`"),
            );
            None
        }
        Rule::duration_lit => {
            let duration = parse_duration_lit(ctx, pair)?;
            Built::leaf(ctx, ExprKind::Literal(Literal::Duration(duration)), span)
        }
        Rule::template => {
            let (template, depth) = parse_template(ctx, pair)?;
            Built::new(ctx, ExprKind::Text(template), span, depth)
        }
        Rule::list_expr => parse_list_expr(ctx, pair),
        Rule::paren_expr => parse_paren_expr(ctx, pair),
        Rule::path => parse_path(ctx, pair),
        _ => None,
    }
}

/// `name`: a name and the fields after it, `deal.contact.name`, as a `Name`/`Field` chain.
pub(crate) fn parse_name(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) -> Option<Built> {
    let start = ctx.base + pair.as_span().start();
    let mut offset = start;
    let mut built: Option<Built> = None;
    for segment in pair.as_str().split('.') {
        let ident = Ident::new(segment, Span::new(ctx.file, offset, offset + segment.len()));
        offset += segment.len() + 1;
        built = Some(match built {
            None => {
                Built::leaf(ctx, ExprKind::Name(ident), Span::new(ctx.file, start, offset - 1))?
            }
            Some(base) => {
                let span = base.expr.span.to(ident.span);
                let depth = base.depth + 1;
                Built::new(ctx, ExprKind::Field(Box::new(base.expr), ident), span, depth)?
            }
        });
    }
    built
}

/// `[a, b, c]`
fn parse_list_expr(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Built> {
    let span = ctx.span(&pair);
    let mut items = Vec::new();
    let mut depth = 0;
    let mut ok = true;
    for item in pair.into_inner().filter(|p| p.as_rule() == Rule::expr) {
        match parse_expr_built(ctx, item) {
            Some(built) => {
                depth = depth.max(built.depth);
                items.push(built.expr);
            }
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Built::new(ctx, ExprKind::List(items), span, depth + 1)
}

/// `( EXPR )`: the expression, with the span of the parentheses.
fn parse_paren_expr(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Built> {
    let span = ctx.span(&pair);
    let inner = pair.into_inner().find(|p| p.as_rule() == Rule::expr)?;
    let built = parse_expr_built(ctx, inner)?;
    Built::new(ctx, built.expr.kind, span, built.depth + 1)
}

/// `@alice.name` in a call.
fn parse_path(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Built> {
    let mut inner = pair.into_inner();
    let root = inner.next()?;
    let mut built = parse_primary(ctx, root)?;
    for segment in inner {
        let ident = ctx.ident(&segment);
        let span = built.expr.span.to(ident.span);
        built =
            Built::new(ctx, ExprKind::Field(Box::new(built.expr), ident), span, built.depth + 1)?;
    }
    Some(built)
}

// ---------------------------------------------------------------------------------------------
// Dates and times

/// `2026-03-02`; an impossible date is E0001.
pub(crate) fn parse_date_lit(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) -> Option<NaiveDate> {
    let text = pair.as_str();
    let date = date_of(text);
    if date.is_none() {
        ctx.error(
            Diagnostic::new(
                Code::E0001,
                format!("impossible date `{text}`"),
                ctx.span(pair),
                "this day does not exist",
            )
            .with_help("write a real date as `YYYY-MM-DD`"),
        );
    }
    date
}

fn date_of(text: &str) -> Option<NaiveDate> {
    let year = text.get(0..4)?.parse().ok()?;
    let month = text.get(5..7)?.parse().ok()?;
    let day = text.get(8..10)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `09:30`; hours above 23 or minutes above 59 are E0001.
pub(crate) fn parse_time_of_day(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) -> Option<NaiveTime> {
    let text = pair.as_str();
    let time = time_of(text);
    if time.is_none() {
        ctx.error(impossible_time(text, ctx.span(pair)));
    }
    time
}

fn time_of(text: &str) -> Option<NaiveTime> {
    let hour = text.get(0..2)?.parse().ok()?;
    let minute = text.get(3..5)?.parse().ok()?;
    NaiveTime::from_hms_opt(hour, minute, 0)
}

fn impossible_time(text: &str, span: Span) -> Diagnostic {
    Diagnostic::new(Code::E0001, format!("impossible time `{text}`"), span, "not a time of day")
        .with_help("hours go from 00 to 23 and minutes from 00 to 59")
}

/// `2026-03-02 09:30` or `2026-03-02T09:30`.
fn parse_datetime_lit(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) -> Option<chrono::NaiveDateTime> {
    let text = pair.as_str();
    let Some(date) = date_of(text) else {
        let date_text = text.get(..10).unwrap_or(text);
        ctx.error(
            Diagnostic::new(
                Code::E0001,
                format!("impossible date `{date_text}`"),
                ctx.span(pair),
                "this day does not exist",
            )
            .with_help("write a real date as `YYYY-MM-DD`"),
        );
        return None;
    };
    let Some(time) = text.get(11..).and_then(time_of) else {
        let time_text = text.get(11..).unwrap_or("");
        ctx.error(impossible_time(time_text, ctx.span(pair)));
        return None;
    };
    Some(date.and_time(time))
}

/// Error production `bad_date`: `2026-3-2`.
fn parse_bad_date(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) {
    ctx.error(
        Diagnostic::new(
            Code::E0001,
            format!("malformed date `{}`", pair.as_str()),
            ctx.span(pair),
            "dates are written `YYYY-MM-DD`",
        )
        .with_help("write two digits for the month and the day, as in `2026-03-02`"),
    );
}

// ---------------------------------------------------------------------------------------------
// Durations and delays

const UNITS: [&str; 4] = ["minutes", "hours", "days", "weeks"];

/// `3 days 4 hours`: whole numbers, units strictly decreasing (SPEC §2).
pub(crate) fn parse_duration_lit(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Duration> {
    let mut duration = Duration::default();
    let mut previous: Option<(u8, &str)> = None;
    let mut ok = true;
    for duration_pair in pair.into_inner() {
        let span = ctx.span(&duration_pair);
        let mut inner = duration_pair.into_inner();
        let (Some(number), Some(unit)) = (inner.next(), inner.next()) else { continue };
        let unit_text = unit.as_str();
        let Some(rank) = unit_rank(unit_text) else {
            ctx.error(
                Diagnostic::new(
                    Code::E0001,
                    format!("`{unit_text}` is not a duration unit"),
                    ctx.span(&unit),
                    "not a unit",
                )
                .with_help("use `minutes`, `hours`, `days` or `weeks`"),
            );
            ok = false;
            continue;
        };
        let Some(count) = whole_number(ctx, &number) else {
            ok = false;
            continue;
        };
        if let Some((last_rank, last_text)) = previous {
            if rank >= last_rank {
                ctx.error(
                    Diagnostic::new(
                        Code::E0001,
                        format!("`{unit_text}` cannot follow `{last_text}` in a duration"),
                        span,
                        "units must strictly decrease",
                    )
                    .with_help("write the larger unit first, as in `1 day 2 hours`"),
                );
                ok = false;
            }
        }
        previous = Some((rank, unit_text));
        match rank {
            3 => duration.weeks = count,
            2 => duration.days = count,
            1 => duration.hours = count,
            _ => duration.minutes = count,
        }
    }
    ok.then_some(duration)
}

/// 3 for weeks, 2 days, 1 hours, 0 minutes; `None` for seconds, months and years.
fn unit_rank(unit: &str) -> Option<u8> {
    match unit.trim_end_matches('s') {
        "week" => Some(3),
        "day" => Some(2),
        "hour" => Some(1),
        "minute" => Some(0),
        _ => None,
    }
}

const MAX_DURATION_COUNT: i64 = 1_000_000_000;

fn whole_number(ctx: &Ctx<'_>, number: &Pair<'_, Rule>) -> Option<i64> {
    let text = number.as_str();
    if text.contains('.') {
        ctx.error(
            Diagnostic::new(
                Code::E0001,
                format!("a duration takes whole numbers, found `{text}`"),
                ctx.span(number),
                "fractions are not allowed",
            )
            .with_help("use a smaller unit, as in `1 day 12 hours` or `90 minutes`"),
        );
        return None;
    }
    match text.parse::<i64>() {
        Ok(count) if count <= MAX_DURATION_COUNT => Some(count),
        _ => {
            ctx.syntax_error(
                format!("duration `{text}` is too large"),
                ctx.span(number),
                "too large",
            );
            None
        }
    }
}

/// A delay (`after`, `wait`, `in` named argument): a duration literal or a constant's name.
pub(crate) fn parse_delay(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<DelayExpr> {
    let span = ctx.span(&pair);
    match pair.as_rule() {
        Rule::duration_lit => Some(DelayExpr::Literal(parse_duration_lit(ctx, pair)?, span)),
        Rule::delay_const => Some(DelayExpr::Const(ctx.ident(&pair))),
        _ => {
            parse_bad_delay(ctx, pair);
            None
        }
    }
}

/// Error production `bad_delay`: a number without a valid unit.
fn parse_bad_delay(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) {
    let mut inner = pair.into_inner();
    let Some(number) = inner.next() else { return };
    let count = number.as_str();
    match inner.next() {
        Some(word) => {
            let unit = word.as_str();
            let help = suggest::did_you_mean(unit, UNITS)
                .unwrap_or_else(|| "use `minutes`, `hours`, `days` or `weeks`".to_string());
            ctx.error(
                Diagnostic::new(
                    Code::E0001,
                    format!("expected a duration unit after `{count}`, found `{unit}`"),
                    ctx.span(&word),
                    "not a unit",
                )
                .with_help(help),
            );
        }
        None => ctx.error(
            Diagnostic::new(
                Code::E0001,
                format!("expected a duration unit after `{count}`"),
                ctx.span(&number),
                "a number alone is not a duration",
            )
            .with_help(format!("write a unit, as in `{count} days`")),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Text templates

/// A piece of a string before indentation handling.
enum Piece {
    /// Source text, as written.
    Raw(String),
    /// The text of an escape (never stripped as indentation).
    Escaped(char),
    Interp(Expr),
}

/// `template`: `"…"` or `"""…"""` with escapes and `{{ EXPR }}`; returns its depth too.
pub(crate) fn parse_template(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<(Template, u32)> {
    let inner = pair.into_inner().next()?;
    let span = ctx.span(&inner);
    match inner.as_rule() {
        Rule::unterminated_string => {
            let open = Span::new(ctx.file, span.start as usize, span.start as usize + 1);
            ctx.error(
                Diagnostic::new(Code::E0001, "unterminated text", open, "this `\"` is never closed")
                    .with_help("add the closing `\"` on the same line, or use `\"\"\"` for text on several lines"),
            );
            None
        }
        Rule::unterminated_triple => {
            let open = Span::new(ctx.file, span.start as usize, span.start as usize + 3);
            ctx.error(
                Diagnostic::new(
                    Code::E0001,
                    "unterminated text",
                    open,
                    "this `\"\"\"` is never closed",
                )
                .with_help("add the closing `\"\"\"`"),
            );
            None
        }
        rule => {
            let triple = rule == Rule::triple_string;
            let source = inner.as_str();
            let (pieces, depth) = parse_pieces(ctx, inner)?;
            let parts = if triple { dedent(source, pieces) } else { join_pieces(pieces) };
            Some((Template { parts, triple }, depth + 1))
        }
    }
}

fn parse_pieces(ctx: &Ctx<'_>, string: Pair<'_, Rule>) -> Option<(Vec<Piece>, u32)> {
    let mut pieces = Vec::new();
    let mut depth = 0;
    let mut ok = true;
    for piece in string.into_inner() {
        match piece.as_rule() {
            Rule::escape => match parse_escape(ctx, &piece) {
                Some(c) => pieces.push(Piece::Escaped(c)),
                None => ok = false,
            },
            Rule::interp => {
                let built = piece
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::expr)
                    .and_then(|expr| parse_expr_built(ctx, expr));
                match built {
                    Some(built) => {
                        depth = depth.max(built.depth);
                        pieces.push(Piece::Interp(built.expr));
                    }
                    None => ok = false,
                }
            }
            _ => pieces.push(Piece::Raw(piece.as_str().to_string())),
        }
    }
    ok.then_some((pieces, depth))
}

/// `\" \\ \n \t \{` (SPEC §2); anything else is E0001.
fn parse_escape(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) -> Option<char> {
    let escaped = pair.as_str().chars().nth(1);
    let decoded = match escaped {
        Some('"') => Some('"'),
        Some('\\') => Some('\\'),
        Some('n') => Some('\n'),
        Some('t') => Some('\t'),
        Some('{') => Some('{'),
        _ => None,
    };
    if decoded.is_none() {
        let shown = pair.as_str();
        ctx.error(
            Diagnostic::new(
                Code::E0001,
                format!("unknown escape `{shown}`"),
                ctx.span(pair),
                "not an escape",
            )
            .with_help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\{`"),
        );
    }
    decoded
}

fn join_pieces(pieces: Vec<Piece>) -> Vec<TemplatePart> {
    let mut parts = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Raw(text) => push_text(&mut parts, &text),
            Piece::Escaped(c) => push_text(&mut parts, c.encode_utf8(&mut [0; 4])),
            Piece::Interp(expr) => parts.push(TemplatePart::Expr(expr)),
        }
    }
    parts
}

fn push_text(parts: &mut Vec<TemplatePart>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(TemplatePart::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(TemplatePart::Text(text.to_string()));
    }
}

/// SPEC §2 `"""` strings: a newline right after the opening quotes is dropped, and the closing
/// line's indentation is removed from every line (a line indented less loses what it has of it).
/// `\r\n` becomes `\n`. Escapes and interpolations are never indentation.
fn dedent(source: &str, pieces: Vec<Piece>) -> Vec<TemplatePart> {
    let content = source.get(3..source.len().saturating_sub(3)).unwrap_or("");
    let last_line = content.rsplit('\n').next().unwrap_or("");
    let indent: Vec<char> =
        if content.contains('\n') && last_line.chars().all(|c| c == ' ' || c == '\t') {
            last_line.chars().collect()
        } else {
            Vec::new()
        };
    let mut parts = Vec::new();
    let mut out = String::new();
    let mut first = true; // still before anything: the opening newline may be dropped
    let mut at_line_start = false;
    let mut stripped = 0;
    for piece in pieces {
        match piece {
            Piece::Raw(text) => {
                let mut chars = text.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        continue;
                    }
                    if first {
                        first = false;
                        if c == '\n' {
                            at_line_start = true;
                            stripped = 0;
                            continue;
                        }
                    }
                    if c == '\n' {
                        out.push('\n');
                        at_line_start = true;
                        stripped = 0;
                        continue;
                    }
                    if at_line_start && stripped < indent.len() && c == indent[stripped] {
                        stripped += 1;
                        continue;
                    }
                    at_line_start = false;
                    out.push(c);
                }
            }
            Piece::Escaped(c) => {
                first = false;
                at_line_start = false;
                out.push(c);
            }
            Piece::Interp(expr) => {
                first = false;
                at_line_start = false;
                push_text(&mut parts, &std::mem::take(&mut out));
                parts.push(TemplatePart::Expr(expr));
            }
        }
    }
    push_text(&mut parts, &out);
    parts
}
