//! Pass 8 of the checker: the lints of SPEC §6.5 (W0201–W0206).
//!
//! Lints run only on a program that parsed and checked without error (`check::check` calls
//! `run` last), so every name they meet resolves. They are structural: they read the AST of the
//! user's files (never the stdlib) and push warnings; they never change the model. One file per
//! warning, each named after its kebab-case lint name:
//!
//! | code  | name                    | file                             | points at                 |
//! |-------|-------------------------|----------------------------------|---------------------------|
//! | W0201 | `dead-rule`             | `lints/dead_rule.rs`             | the delayed rule's header |
//! | W0202 | `move-loop`             | `lints/move_loop.rs`             | a `move` in the cycle     |
//! | W0203 | `unused-let`            | `lints/unused_let.rs`            | the `let`                 |
//! | W0204 | `no-success-stage`      | `lints/no_success_stage.rs`      | the pipeline header       |
//! | W0205 | `backward-only-trigger` | `lints/backward_only_trigger.rs` | the trigger               |
//! | W0206 | `shadowed-trigger`      | `lints/shadowed_trigger.rs`      | the later trigger         |
//!
//! The lint name is not repeated in the message: renderers show it beside the code
//! (`W0201 dead-rule` in human output, the rule `name` in SARIF; `Code::lint_name`).
//! `docs/diagnostics.md` describes each lint with a failing and a fixed example.

mod backward_only_trigger;
mod dead_rule;
mod move_loop;
mod no_success_stage;
mod shadowed_trigger;
mod unused_let;

#[cfg(test)]
mod tests;

use crate::ast::{self, Item, PipelineDecl, Stage, StmtKind};
use crate::diag::Diagnostics;
use crate::model::Model;
use crate::source::SourceMap;

/// Runs every lint over the user's files and pushes the warnings into `diags`, pipeline by
/// pipeline in source order; `move-loop` runs last over all pipelines at once, because
/// `move to pipeline` links stages of different pipelines.
///
/// The model is not needed: everything a lint decides is visible in the syntax of a program
/// that checked without error.
pub fn run(program: &ast::Program, _model: &Model, map: &SourceMap, diags: &mut Diagnostics) {
    let mut pipelines = Vec::new();
    for module in &program.modules {
        if super::is_stdlib(map, module.file) {
            continue;
        }
        for item in &module.items {
            match item {
                Item::Pipeline(pipeline) => {
                    no_success_stage::check(pipeline, diags);
                    for stage in &pipeline.stages {
                        check_stage(pipeline, stage, diags);
                    }
                    pipelines.push(pipeline);
                }
                Item::Process(process) => unused_let::check_block(&process.body, diags),
                _ => {}
            }
        }
    }
    move_loop::check(&pipelines, diags);
}

/// The lints that look at one stage: its rules and its triggers.
fn check_stage(pipeline: &PipelineDecl, stage: &Stage, diags: &mut Diagnostics) {
    dead_rule::check(pipeline, stage, diags);
    backward_only_trigger::check(pipeline, stage, diags);
    shadowed_trigger::check(pipeline, stage, diags);
    for rule in rules(stage) {
        unused_let::check_block(&rule.body, diags);
    }
}

/// The rules of a stage, in source order.
fn rules(stage: &Stage) -> impl Iterator<Item = &ast::Rule> {
    stage.members.iter().filter_map(|member| match member {
        ast::StageMember::Rule(rule) => Some(rule),
        ast::StageMember::Trigger(_) => None,
    })
}

/// The triggers of a stage, in source order.
fn triggers(stage: &Stage) -> impl Iterator<Item = &ast::Trigger> {
    stage.members.iter().filter_map(|member| match member {
        ast::StageMember::Trigger(trigger) => Some(trigger),
        ast::StageMember::Rule(_) => None,
    })
}

/// The initial stage of a pipeline: the first stage that is not final (SPEC §3.4).
fn initial_stage(pipeline: &PipelineDecl) -> Option<&Stage> {
    pipeline.stages.iter().find(|stage| stage.outcome.is_none())
}

/// A stage of the program, named by its pipeline and its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct StageKey<'a> {
    pipeline: &'a str,
    stage: &'a str,
}

/// Where a move statement sends an item that is in a stage of `pipeline`, or `None` when the
/// statement is not a move. `move to pipeline P` without a stage goes to P's initial stage; P
/// is looked up in `all` (a pipeline missing there gives `None`).
fn move_target<'a>(
    statement: &'a StmtKind,
    pipeline: &'a PipelineDecl,
    all: &[&'a PipelineDecl],
) -> Option<StageKey<'a>> {
    match statement {
        StmtKind::MoveStage { stage } => Some(StageKey {
            pipeline: stage.pipeline.as_ref().map_or(pipeline.name.as_str(), |p| p.as_str()),
            stage: stage.stage.as_str(),
        }),
        StmtKind::MovePipeline { pipeline: target, stage } => {
            let target = if target.text == pipeline.name.text {
                pipeline
            } else {
                all.iter().copied().find(|p| p.name.text == target.text)?
            };
            let stage = match stage {
                Some(stage) => stage.stage.as_str(),
                None => initial_stage(target)?.id.as_str(),
            };
            Some(StageKey { pipeline: target.name.as_str(), stage })
        }
        _ => None,
    }
}

/// Whether a statement, or any statement nested in it, is `stop`.
fn contains_stop(statement: &ast::Stmt) -> bool {
    match &statement.kind {
        StmtKind::Stop => true,
        StmtKind::If { branches, otherwise } => {
            branches.iter().any(|(_, block)| block_contains_stop(block))
                || otherwise.as_ref().is_some_and(block_contains_stop)
        }
        StmtKind::ForEach { body, .. } => block_contains_stop(body),
        StmtKind::Parallel { branches } => branches.iter().any(block_contains_stop),
        _ => false,
    }
}

fn block_contains_stop(block: &ast::Block) -> bool {
    block.stmts.iter().any(contains_stop)
}

/// Calls `visit` on every statement of `block` and of the blocks nested in it, in source order.
/// (The parser limits nesting to 64 levels, so the recursion is bounded.)
fn walk_statements<'a>(block: &'a ast::Block, visit: &mut dyn FnMut(&'a ast::Stmt)) {
    for statement in &block.stmts {
        visit(statement);
        match &statement.kind {
            StmtKind::If { branches, otherwise } => {
                for (_, branch) in branches {
                    walk_statements(branch, visit);
                }
                if let Some(otherwise) = otherwise {
                    walk_statements(otherwise, visit);
                }
            }
            StmtKind::ForEach { body, .. } => walk_statements(body, visit),
            StmtKind::Parallel { branches } => {
                for branch in branches {
                    walk_statements(branch, visit);
                }
            }
            _ => {}
        }
    }
}
