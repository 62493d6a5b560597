//! W0201 `dead-rule`: a delayed rule (`after`, `at`) of a stage whose `on enter` rules always
//! move the item away, so the rule is never scheduled.
//!
//! SPEC §8: a move made by a rule ends the stage's entry — later rules are skipped and nothing
//! of the stage is scheduled. The item *always* leaves when an `on enter` rule without `if` or
//! `unless` has, at the top level of its body, a `move to stage` to another stage (or a
//! `move to pipeline` that changes the stage), and no `stop` can end the rule before it (a
//! `stop` anywhere in an earlier statement, even inside an `if`). A move inside an `if` or a
//! `for each`, a move to the stage itself (a no-op), or a move in a rule with a condition does
//! not count.

use super::{contains_stop, move_target, rules, StageKey};
use crate::ast::{PipelineDecl, Rule, RuleTiming, Stage, Stmt};
use crate::diag::{Code, Diagnostic, Diagnostics};

/// Reports every delayed rule of `stage` when the stage always moves the item away.
pub(super) fn check(pipeline: &PipelineDecl, stage: &Stage, diags: &mut Diagnostics) {
    let Some(mover) = rules(stage).find_map(|rule| unconditional_move(pipeline, stage, rule))
    else {
        return;
    };
    for rule in rules(stage).filter(|rule| is_delayed(rule)) {
        diags.push(dead_rule(stage, rule, mover));
    }
}

fn is_delayed(rule: &Rule) -> bool {
    !matches!(rule.timing, RuleTiming::OnEnter { .. })
}

/// The move that always takes the item out of `stage` when `rule` is an `on enter` rule that
/// always moves it, else `None`.
fn unconditional_move<'a>(
    pipeline: &PipelineDecl,
    stage: &Stage,
    rule: &'a Rule,
) -> Option<&'a Stmt> {
    if is_delayed(rule) || rule.modifiers.condition.is_some() || rule.modifiers.unless.is_some() {
        return None;
    }
    let here = StageKey { pipeline: pipeline.name.as_str(), stage: stage.id.as_str() };
    for statement in &rule.body.stmts {
        // The target is looked up among this pipeline only: a `move to pipeline` to another
        // pipeline leaves the stage whatever stage it names.
        let leaves = match move_target(&statement.kind, pipeline, &[]) {
            Some(target) => target != here,
            None => is_move_to_other_pipeline(statement, pipeline),
        };
        if leaves {
            return Some(statement);
        }
        if contains_stop(statement) {
            return None;
        }
    }
    None
}

fn is_move_to_other_pipeline(statement: &Stmt, pipeline: &PipelineDecl) -> bool {
    matches!(&statement.kind, crate::ast::StmtKind::MovePipeline { pipeline: target, .. }
        if target.text != pipeline.name.text)
}

fn dead_rule(stage: &Stage, rule: &Rule, mover: &Stmt) -> Diagnostic {
    let id = stage.id.as_str();
    Diagnostic::new(
        Code::W0201,
        "rule can never run: the stage always moves the item away",
        rule.header_span,
        "this rule is never scheduled",
    )
    .with_secondary(mover.span, format!("the item always leaves `{id}` here"))
    .with_note(
        "a move made by an `on enter` rule ends the stage's entry: its delayed rules are not \
         scheduled",
    )
    .with_help(format!(
        "put the move under a condition (`if …`), or move this rule to the stage the item goes \
         to from `{id}`"
    ))
}
