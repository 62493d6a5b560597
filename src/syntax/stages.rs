//! Stages and their bodies (SPEC §3.4, §3.5): automation rules (`on enter`, `after`, `at`) with
//! their modifiers, and triggers (`when …`).

use pest::iterators::Pair;

use crate::ast::{
    Outcome, Rule as AstRule, RuleModifiers, RuleTiming, Stage, StageMember, Trigger, Unless,
};
use crate::span::Span;

use super::expressions::parse_expr;
use super::grammar::{explain, Rule};
use super::literals::parse_delay;
use super::statements::{parse_block, parse_event_call, parse_working_hours};
use super::templates::parse_template;
use super::{children, Ctx};

/// `stage ID [TITLE] [success|failure] [{ … }]`
pub(crate) fn parse_stage(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Stage> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let id = ctx.ident(&inner.next()?);
    let mut stage =
        Stage { id, title: None, outcome: None, members: Vec::new(), doc: ctx.doc(span), span };
    for part in inner {
        match part.as_rule() {
            Rule::template => stage.title = Some(parse_title(ctx, part)?),
            Rule::outcome => {
                let outcome =
                    if part.as_str() == "success" { Outcome::Success } else { Outcome::Failure };
                stage.outcome = Some((outcome, ctx.span(&part)));
            }
            Rule::stage_block => stage.members = parse_stage_block(ctx, part),
            _ => {}
        }
    }
    Some(stage)
}

/// A stage title: a text without interpolation.
fn parse_title(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<(String, Span)> {
    let span = ctx.span(&pair);
    let (template, _) = parse_template(ctx, pair)?;
    match template.as_plain() {
        Some(title) => Some((title, span)),
        None => {
            ctx.syntax_error("a stage title cannot contain `{{ }}`", span, "interpolation here");
            None
        }
    }
}

fn parse_stage_block(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Vec<StageMember> {
    let mut members = Vec::new();
    for line in children(pair) {
        match line.as_rule() {
            Rule::automation_rule => {
                if let Some(rule) = parse_automation_rule(ctx, line) {
                    members.push(StageMember::Rule(rule));
                }
            }
            Rule::trigger => {
                if let Some(trigger) = parse_trigger(ctx, line) {
                    members.push(StageMember::Trigger(trigger));
                }
            }
            Rule::bad_line => {
                let s = line.as_span();
                explain(ctx, Rule::stage_member_check, ctx.base + s.start(), ctx.base + s.end());
            }
            _ => {}
        }
    }
    members
}

/// `automation_rule`: a header and a block.
fn parse_automation_rule(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<AstRule> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let header = inner.next()?;
    let header_span = ctx.span(&header);
    let body = parse_block(ctx, inner.next()?);
    let (timing, modifiers) = parse_rule_header(ctx, header)?;
    Some(AstRule { timing, modifiers, body, doc: ctx.doc(span), header_span, span })
}

/// `rule_header`: the timing, then modifiers in any order, each at most once.
fn parse_rule_header(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<(RuleTiming, RuleModifiers)> {
    let mut inner = children(pair);
    let timing = parse_rule_timing(ctx, inner.next()?)?;
    let mut modifiers = RuleModifiers::default();
    let mut ok = true;
    for modifier in inner {
        let span = ctx.span(&modifier);
        let (duplicate, what) = match modifier.as_rule() {
            Rule::working_hours => {
                let duplicate = modifiers.working_hours.is_some();
                modifiers.working_hours = Some(parse_working_hours(ctx, modifier));
                (duplicate, "in working hours")
            }
            Rule::unless_moved => {
                let duplicate = modifiers.unless.is_some();
                modifiers.unless = Some(Unless::Moved(span));
                (duplicate, "unless")
            }
            Rule::unless_cond => {
                let duplicate = modifiers.unless.is_some();
                match children(modifier).next().and_then(|e| parse_expr(ctx, e)) {
                    Some(cond) => modifiers.unless = Some(Unless::Condition(cond)),
                    None => ok = false,
                }
                (duplicate, "unless")
            }
            _ => {
                let duplicate = modifiers.condition.is_some();
                match children(modifier).next().and_then(|e| parse_expr(ctx, e)) {
                    Some(cond) => modifiers.condition = Some(cond),
                    None => ok = false,
                }
                (duplicate, "if")
            }
        };
        if duplicate {
            ctx.syntax_error(format!("a rule takes one `{what}`"), span, "second one here");
            ok = false;
        }
    }
    ok.then_some((timing, modifiers))
}

/// `on enter`, `after DELAY` or `at EXPR`.
fn parse_rule_timing(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<RuleTiming> {
    let span = ctx.span(&pair);
    match pair.as_rule() {
        Rule::on_enter => Some(RuleTiming::OnEnter { span }),
        Rule::after_timing => {
            let delay = parse_delay(ctx, children(pair).next()?)?;
            Some(RuleTiming::After { delay, span })
        }
        _ => {
            let moment = parse_expr(ctx, children(pair).next()?)?;
            Some(RuleTiming::At { moment, span })
        }
    }
}

/// `when EVENT [where COND] [as USER] [allow backward]`
fn parse_trigger(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Trigger> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let event = parse_event_call(ctx, inner.next()?)?;
    let mut trigger = Trigger {
        event,
        condition: None,
        as_user: None,
        allow_backward: None,
        doc: ctx.doc(span),
        span,
    };
    for part in inner {
        match part.as_rule() {
            Rule::trigger_where => {
                trigger.condition = Some(parse_expr(ctx, children(part).next()?)?);
            }
            Rule::trigger_as => trigger.as_user = Some(parse_expr(ctx, children(part).next()?)?),
            Rule::allow_backward => trigger.allow_backward = Some(ctx.span(&part)),
            _ => {}
        }
    }
    Some(trigger)
}
