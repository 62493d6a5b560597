//! Rule labels (SPEC §9 `rule_cancelled.rule`): the header as `bp fmt` prints it without its
//! `unless`/`if` (`after 1 day`, `after 2 hours in working hours`, `at deal.close_date - 1 day`),
//! with ` #2`, ` #3` added when rules of one stage share a label.
//!
//! TODO(#1): switch to `syntax::print::rule_label` once the parser provides it; this local
//! printer follows the same canonical layout in the meantime.

use std::collections::HashMap;

use crate::ast::{
    self, BinaryOp, DelayExpr, Duration, ExprKind, Literal, RuleTiming, TemplatePart, UnaryOp,
};

/// The label of one rule, without the ` #N` suffix.
pub(crate) fn rule_label(rule: &ast::Rule) -> String {
    let mut label = match &rule.timing {
        RuleTiming::OnEnter { .. } => "on enter".to_string(),
        RuleTiming::After { delay, .. } => format!("after {}", delay_text(delay)),
        RuleTiming::At { moment, .. } => format!("at {}", expr_text(moment)),
    };
    if let Some(hours) = &rule.modifiers.working_hours {
        label.push_str(" in working hours");
        if let Some(calendar) = &hours.calendar {
            label.push_str(" of ");
            label.push_str(&calendar.text);
        }
    }
    label
}

/// Adds ` #2`, ` #3` … to the second and later rules of a stage that share a label.
pub(crate) fn number_duplicates(labels: &mut [String]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for label in labels.iter_mut() {
        let count = seen.entry(label.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            label.push_str(&format!(" #{count}"));
        }
    }
}

fn delay_text(delay: &DelayExpr) -> String {
    match delay {
        DelayExpr::Literal(duration, _) => duration_text(duration),
        DelayExpr::Const(name) => name.text.clone(),
    }
}

/// `3 days 4 hours`, `1 week`, `0 minutes`.
pub(crate) fn duration_text(duration: &Duration) -> String {
    let units = [
        (duration.weeks, "week"),
        (duration.days, "day"),
        (duration.hours, "hour"),
        (duration.minutes, "minute"),
    ];
    let parts: Vec<String> = units
        .iter()
        .filter(|(n, _)| *n != 0)
        .map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if parts.is_empty() {
        "0 minutes".into()
    } else {
        parts.join(" ")
    }
}

/// Binding strength from SPEC §6.2 (higher binds tighter).
fn precedence(expr: &ast::Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary(op, _, _) => binary_precedence(*op),
        ExprKind::Unary(UnaryOp::Not, _) => 3,
        ExprKind::Unary(UnaryOp::Neg, _) => 7,
        _ => 10,
    }
}

fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Add | BinaryOp::Sub => 5,
        BinaryOp::Mul | BinaryOp::Div => 6,
        BinaryOp::Coalesce => 8,
        _ => 4,
    }
}

/// An expression in canonical form: `deal.close_date - 1 day`.
pub(crate) fn expr_text(expr: &ast::Expr) -> String {
    match &expr.kind {
        ExprKind::Literal(literal) => literal_text(literal),
        ExprKind::Text(template) => {
            let mut out = String::from("\"");
            for part in &template.parts {
                match part {
                    TemplatePart::Text(text) => out.push_str(&escape(text)),
                    TemplatePart::Expr(e) => out.push_str(&format!("{{{{{}}}}}", expr_text(e))),
                }
            }
            out.push('"');
            out
        }
        ExprKind::Now => "now".into(),
        ExprKind::Name(name) => name.text.clone(),
        ExprKind::Field(base, field) => format!("{}.{}", operand(base, 9, false), field.text),
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(expr_text).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Unary(UnaryOp::Neg, operand_expr) => {
            format!("-{}", operand(operand_expr, 7, false))
        }
        ExprKind::Unary(UnaryOp::Not, operand_expr) => {
            format!("not {}", operand(operand_expr, 3, false))
        }
        ExprKind::Binary(op, left, right) => {
            let level = binary_precedence(*op);
            let right_assoc = *op == BinaryOp::Coalesce;
            format!(
                "{} {} {}",
                operand(left, level, right_assoc),
                op.as_str(),
                operand(right, level, !right_assoc)
            )
        }
    }
}

/// An operand, parenthesised when it binds looser than its context (or equally, on the side
/// that associativity does not group).
fn operand(expr: &ast::Expr, level: u8, strict: bool) -> String {
    let inner = precedence(expr);
    if inner < level || strict && inner == level {
        format!("({})", expr_text(expr))
    } else {
        expr_text(expr)
    }
}

fn literal_text(literal: &Literal) -> String {
    match literal {
        Literal::Number(digits) => digits.clone(),
        Literal::Bool(b) => b.to_string(),
        Literal::None => "none".into(),
        Literal::Duration(d) => duration_text(d),
        Literal::Date(d) => d.format("%Y-%m-%d").to_string(),
        Literal::DateTime(d) => d.format("%Y-%m-%d %H:%M").to_string(),
        Literal::User(id) => format!("@{id}"),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' => out.push_str("\\{"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_canonically() {
        let table = [
            (Duration { days: 1, ..Duration::default() }, "1 day"),
            (Duration { days: 3, hours: 4, ..Duration::default() }, "3 days 4 hours"),
            (Duration { weeks: 2, ..Duration::default() }, "2 weeks"),
            (Duration { minutes: 30, ..Duration::default() }, "30 minutes"),
        ];
        for (duration, text) in table {
            assert_eq!(duration_text(&duration), text);
        }
    }

    #[test]
    fn shared_labels_are_numbered() {
        let mut labels = vec![
            "after 1 day".to_string(),
            "on enter".into(),
            "after 1 day".into(),
            "after 1 day".into(),
        ];
        number_duplicates(&mut labels);
        assert_eq!(labels, ["after 1 day", "on enter", "after 1 day #2", "after 1 day #3"]);
    }
}
