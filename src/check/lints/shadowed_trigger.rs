//! W0206 `shadowed-trigger`: a trigger that never fires because an earlier trigger of the same
//! stage watches the same event and has no `where`.
//!
//! SPEC §8: the first eligible trigger in source order moves the item. Two triggers of one stage
//! are equally placed, so when the earlier has no `where`, it is eligible whenever the later is —
//! except when only the later says `allow backward` (then the later still moves items from
//! stages after this one, and the lint stays quiet).
//!
//! "The same event" means the same declaration with the same arguments, compared as written up
//! to spelling: `task completed` is `task status completed` (stdlib/events.bp), a path may start
//! with the item name (`field changed deal.amount` is `field changed amount`), and a name may be
//! written as a word or a text (`webhook erp_sync`, `webhook "erp_sync"`). Different arguments
//! (`field changed amount` and `field changed amount to 0`) are different events.

use super::triggers;
use crate::ast::{Call, CallPart, CallPartKind, Expr, ExprKind, Literal, PipelineDecl, Stage};
use crate::ast::{TemplatePart, Trigger};
use crate::diag::{Code, Diagnostic, Diagnostics};

/// Reports each trigger of `stage` shadowed by an earlier one.
pub(super) fn check(pipeline: &PipelineDecl, stage: &Stage, diags: &mut Diagnostics) {
    let item = crate::check::schema::snake_case(pipeline.kind.as_str());
    let triggers: Vec<(&Trigger, Vec<String>)> =
        triggers(stage).map(|trigger| (trigger, event_key(&trigger.event, &item))).collect();
    for (later_index, (later, key)) in triggers.iter().enumerate() {
        let shadow = triggers[..later_index].iter().find(|(earlier, earlier_key)| {
            earlier_key == key
                && earlier.condition.is_none()
                && (earlier.allow_backward.is_some() || later.allow_backward.is_none())
        });
        if let Some((earlier, _)) = shadow {
            diags.push(shadowed_trigger(earlier, later));
        }
    }
}

/// The event of a trigger in a canonical form: one string per part.
fn event_key(event: &Call, item: &str) -> Vec<String> {
    let mut key: Vec<String> = event.parts.iter().map(|part| part_key(part, item)).collect();
    // stdlib/events.bp: `task completed` is the same event as `task status completed`.
    if key == ["task", "completed"] {
        key = vec!["task".into(), "status".into(), "completed".into()];
    }
    key
}

fn part_key(part: &CallPart, item: &str) -> String {
    match &part.kind {
        CallPartKind::Word(word) => word.text.clone(),
        CallPartKind::Value(expr) => expr_key(expr, item),
        CallPartKind::Run(parts) => {
            let keys: Vec<String> = parts.iter().map(|p| part_key(p, item)).collect();
            format!("[{}]", keys.join(", "))
        }
        CallPartKind::Where(expr) => format!("where {}", expr_key(expr, item)),
    }
}

/// An expression as a string that ignores spans and spelling: two expressions with the same key
/// mean the same value.
fn expr_key(expr: &Expr, item: &str) -> String {
    match &expr.kind {
        ExprKind::Literal(literal) => literal_key(literal),
        ExprKind::Text(template) => match template.as_plain() {
            Some(text) => text,
            None => {
                let parts: Vec<String> = template
                    .parts
                    .iter()
                    .map(|part| match part {
                        TemplatePart::Text(text) => format!("{text:?}"),
                        TemplatePart::Expr(inner) => format!("{{{}}}", expr_key(inner, item)),
                    })
                    .collect();
                format!("(text {})", parts.join(" "))
            }
        },
        ExprKind::Now => "now".into(),
        ExprKind::Name(name) => name.text.clone(),
        ExprKind::Field(base, field) => match &base.kind {
            // `deal.amount` is the item's field `amount`.
            ExprKind::Name(root) if root.text == item => field.text.clone(),
            _ => format!("{}.{}", expr_key(base, item), field),
        },
        ExprKind::List(items) => {
            let keys: Vec<String> = items.iter().map(|i| expr_key(i, item)).collect();
            format!("[{}]", keys.join(", "))
        }
        ExprKind::Unary(op, operand) => format!("({op:?} {})", expr_key(operand, item)),
        ExprKind::Binary(op, left, right) => {
            format!("({} {} {})", op.as_str(), expr_key(left, item), expr_key(right, item))
        }
    }
}

fn literal_key(literal: &Literal) -> String {
    match literal {
        Literal::Number(digits) => match digits.parse::<rust_decimal::Decimal>() {
            Ok(value) => value.normalize().to_string(),
            Err(_) => digits.clone(),
        },
        Literal::Bool(value) => value.to_string(),
        Literal::None => "none".into(),
        Literal::Duration(duration) => format!("{duration:?}"),
        Literal::Date(date) => date.to_string(),
        Literal::DateTime(moment) => moment.to_string(),
        Literal::User(user) => format!("@{user}"),
    }
}

fn shadowed_trigger(earlier: &Trigger, later: &Trigger) -> Diagnostic {
    Diagnostic::new(
        Code::W0206,
        "trigger can never fire: an earlier trigger watches the same event",
        later.span,
        "this trigger is never reached",
    )
    .with_secondary(earlier.span, "this trigger has no `where`, so it always fires first")
    .with_note("the first eligible trigger of a stage, in source order, moves the item")
    .with_help("add a `where` to the earlier trigger, or remove this one")
}
