//! Constructs in the wrong context (E0105, SPEC §6.4): `wait` and `parallel` in a rule,
//! `unless`/`in working hours` on `on enter`, `in working hours` on `at`, and actions that
//! their declaration restricts to rules or processes. (Stages of another pipeline are checked
//! in `stages.rs`, stdlib-only declarations in `declare.rs`.)

use crate::ast::{Rule, RuleTiming, Unless};
use crate::diag::{Code, Diagnostic};
use crate::model::ActionDef;
use crate::span::Span;

use super::context::Ctx;
use super::scope::Mode;

/// `wait …` and `parallel` belong to processes: a rule delays with `after`/`at`.
pub(crate) fn process_only(ctx: &mut Ctx, what: &str, span: Span) {
    if ctx.scope.mode != Mode::Rule {
        return;
    }
    ctx.push(
        Diagnostic::new(
            Code::E0105,
            format!("`{what}` is only allowed in a process"),
            span,
            format!("`{what}` in a rule"),
        )
        .with_note(format!("a rule delays with `after` or `at`; `{what}` is only for a `process`"))
        .with_help(match what {
            "parallel" => "run the branches as separate rules of the stage",
            _ => "put the delay in the rule header: `after 2 days { … }`",
        }),
    );
}

/// The modifiers a rule's timing allows: `on enter` runs at once, so nothing can cancel it and
/// there is no delay to count in working hours; an `at` moment is not counted either.
pub(crate) fn rule_modifiers_fit_timing(ctx: &mut Ctx, rule: &Rule) {
    let timing = match &rule.timing {
        RuleTiming::OnEnter { .. } => "on enter",
        RuleTiming::At { .. } => "at",
        RuleTiming::After { .. } => return,
    };
    if let Some(hours) = &rule.modifiers.working_hours {
        ctx.push(
            Diagnostic::new(
                Code::E0105,
                format!("`in working hours` does not apply to `{timing}`"),
                hours.span,
                format!("not allowed on `{timing}`"),
            )
            .with_note("working hours count the delay of an `after` rule")
            .with_help("use `after DURATION in working hours`"),
        );
    }
    if timing != "on enter" {
        return;
    }
    if let Some(unless) = &rule.modifiers.unless {
        let (span, text) = match unless {
            Unless::Moved(span) => (*span, "unless moved"),
            Unless::Condition(condition) => (condition.span, "unless"),
        };
        ctx.push(
            Diagnostic::new(
                Code::E0105,
                format!("`{text}` does not apply to `on enter`"),
                span,
                "not allowed on `on enter`",
            )
            .with_note("`on enter` runs at once, so nothing can cancel it")
            .with_help("use `if COND` to skip it, or delay the rule with `after`"),
        );
    }
}

/// An action restricted by `in rule` / `in process` in stdlib.
pub(crate) fn action_allowed_here(ctx: &mut Ctx, action: &ActionDef, span: Span) -> bool {
    let allowed = match ctx.scope.mode {
        Mode::Rule => action.in_rule,
        Mode::Process => action.in_process,
        _ => true,
    };
    if !allowed {
        let place = if action.in_rule { "a rule" } else { "a process" };
        ctx.push(
            Diagnostic::new(
                Code::E0105,
                format!("`{}` is only allowed in {place}", action.words),
                span,
                format!("in {}", ctx.scope.mode_name()),
            )
            .with_secondary(action.span, "declared here"),
        );
    }
    allowed
}
