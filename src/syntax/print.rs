//! Canonical text of expressions, durations and rule headers, as `bp fmt` prints them: single
//! spaces around binary operators, the fewest parentheses that keep the meaning (SPEC §6.2),
//! strings re-escaped, `{{expr}}` interpolations, `3 days 4 hours`, `2026-03-02 09:30`, `@alice`.
//!
//! `rule_label` is also the `rule` key of `rule_cancelled` / `rule_skipped` effects (SPEC §9).

use std::fmt::Write;

use crate::ast::{
    BinaryOp, DelayExpr, Duration, Expr, ExprKind, Literal, Rule, RuleTiming, Template,
    TemplatePart, UnaryOp, WorkingHours,
};

/// Binding power of each form, low to high, mirroring the Pratt table in `expressions.rs`.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const COMPARISON: u8 = 4;
const SUM: u8 = 5;
const PRODUCT: u8 = 6;
const NEG: u8 = 7;
const COALESCE: u8 = 8;
const ATOM: u8 = 10;

/// The canonical text of an expression: `deal.close_date - 1 day`.
pub fn expr(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

/// `1 day`, `3 days 4 hours`, `2 weeks`; a zero duration is `0 minutes`.
pub fn duration(duration: &Duration) -> String {
    let units = [
        (duration.weeks, "week"),
        (duration.days, "day"),
        (duration.hours, "hour"),
        (duration.minutes, "minute"),
    ];
    let words: Vec<String> = units
        .iter()
        .filter(|(count, _)| *count != 0)
        .map(|(count, unit)| format!("{count} {unit}{}", if *count == 1 { "" } else { "s" }))
        .collect();
    if words.is_empty() {
        "0 minutes".to_string()
    } else {
        words.join(" ")
    }
}

/// A rule's header without its `unless`/`if`: `on enter`, `after 1 day`,
/// `after 2 hours in working hours of support`, `at deal.close_date - 1 day`.
pub fn rule_label(rule: &Rule) -> String {
    let mut out = match &rule.timing {
        RuleTiming::OnEnter { .. } => "on enter".to_string(),
        RuleTiming::After { delay, .. } => format!("after {}", delay_text(delay)),
        RuleTiming::At { moment, .. } => format!("at {}", expr(moment)),
    };
    if let Some(hours) = &rule.modifiers.working_hours {
        out.push(' ');
        out.push_str(&working_hours(hours));
    }
    out
}

/// `2 hours` or the constant's name.
pub fn delay_text(delay: &DelayExpr) -> String {
    match delay {
        DelayExpr::Literal(d, _) => duration(d),
        DelayExpr::Const(name) => name.text.clone(),
    }
}

/// `in working hours` or `in working hours of support`.
pub fn working_hours(hours: &WorkingHours) -> String {
    match &hours.calendar {
        Some(calendar) => format!("in working hours of {calendar}"),
        None => "in working hours".to_string(),
    }
}

/// A text literal, quoted and escaped so that it reads back the same: `"Hi {{deal.title}}"`.
pub fn template(template: &Template) -> String {
    let mut out = String::from("\"");
    for (index, part) in template.parts.iter().enumerate() {
        match part {
            TemplatePart::Text(text) => {
                let next_is_expr =
                    matches!(template.parts.get(index + 1), Some(TemplatePart::Expr(_)));
                escape_into(&mut out, text, next_is_expr);
            }
            TemplatePart::Expr(inner) => {
                out.push_str("{{");
                write_expr(&mut out, inner);
                out.push_str("}}");
            }
        }
    }
    out.push('"');
    out
}

fn escape_into(out: &mut String, text: &str, next_is_expr: bool) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            // A `{` that would open an interpolation with what follows is escaped.
            '{' if chars.peek() == Some(&'{') || (chars.peek().is_none() && next_is_expr) => {
                out.push_str("\\{")
            }
            c => out.push(c),
        }
    }
}

fn precedence(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary(op, _, _) => binary_precedence(*op),
        ExprKind::Unary(UnaryOp::Not, _) => NOT,
        ExprKind::Unary(UnaryOp::Neg, _) => NEG,
        _ => ATOM,
    }
}

fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => OR,
        BinaryOp::And => AND,
        BinaryOp::Add | BinaryOp::Sub => SUM,
        BinaryOp::Mul | BinaryOp::Div => PRODUCT,
        BinaryOp::Coalesce => COALESCE,
        _ => COMPARISON,
    }
}

fn write_expr(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Literal(literal) => write_literal(out, literal),
        ExprKind::Text(text) => out.push_str(&template(text)),
        ExprKind::Now => out.push_str("now"),
        ExprKind::Name(name) => out.push_str(&name.text),
        ExprKind::Field(base, field) => {
            write_operand(out, base, precedence(base) < ATOM);
            out.push('.');
            out.push_str(&field.text);
        }
        ExprKind::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_expr(out, item);
            }
            out.push(']');
        }
        ExprKind::Unary(op, operand) => {
            let own = precedence(expr);
            match op {
                UnaryOp::Not => out.push_str("not "),
                UnaryOp::Neg => out.push('-'),
            }
            // `not` and `-` take everything that binds tighter than themselves.
            write_operand(out, operand, precedence(operand) < own);
        }
        ExprKind::Binary(op, lhs, rhs) => {
            let own = binary_precedence(*op);
            let right_assoc = *op == BinaryOp::Coalesce;
            let non_assoc = op.is_comparison();
            let lhs_parens =
                precedence(lhs) < own || (precedence(lhs) == own && (right_assoc || non_assoc));
            let rhs_parens =
                precedence(rhs) < own || (precedence(rhs) == own && (!right_assoc || non_assoc));
            write_operand(out, lhs, lhs_parens);
            let _ = write!(out, " {} ", op.as_str());
            write_operand(out, rhs, rhs_parens);
        }
    }
}

fn write_operand(out: &mut String, expr: &Expr, parens: bool) {
    if parens {
        out.push('(');
        write_expr(out, expr);
        out.push(')');
    } else {
        write_expr(out, expr);
    }
}

fn write_literal(out: &mut String, literal: &Literal) {
    match literal {
        Literal::Number(digits) => out.push_str(digits),
        Literal::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Literal::None => out.push_str("none"),
        Literal::Duration(d) => out.push_str(&duration(d)),
        Literal::Date(date) => {
            let _ = write!(out, "{}", date.format("%Y-%m-%d"));
        }
        Literal::DateTime(moment) => {
            let _ = write!(out, "{}", moment.format("%Y-%m-%d %H:%M"));
        }
        Literal::User(id) => {
            out.push('@');
            out.push_str(id);
        }
    }
}
