//! Expressions (SPEC §6): the Pratt table of §6.2, primaries (names and paths, lists,
//! parentheses, `@user`, keyword literals), with the literals of `literals.rs` and the texts of
//! `templates.rs`.
//!
//! Every builder returns `None` after reporting an E0001, so a bad literal drops only the node
//! that holds it. Expression trees are depth-limited (`MAX_EXPR_DEPTH`) so that the checker and
//! the runtime, which recurse over them, never run out of stack.

use std::sync::LazyLock;

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use crate::diag::{Code, Diagnostic};
use crate::span::{Ident, Span};

use super::grammar::Rule;
use super::literals::{parse_bad_date, parse_date_lit, parse_datetime_lit, parse_duration_lit};
use super::templates::parse_template;
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

/// `expr` (operands joined by binary operators), or `hole_default` (one operand).
pub(crate) fn parse_expr(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Expr> {
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
        // Unreachable with this grammar; never drop an expression silently.
        _ => {
            ctx.syntax_error("expected an expression", span, "not understood");
            None
        }
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
