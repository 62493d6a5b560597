//! W0205 `backward-only-trigger`: a trigger on the initial stage without `allow backward`.
//!
//! SPEC §8: a trigger moves an item only from a stage *before* its own, unless it says
//! `allow backward`. The initial stage (the first stage that is not final, SPEC §3.4) is where
//! items start, so such a trigger never fires (when final stages come first, it could only take
//! an item out of one of them); with `allow backward` it brings items back from later stages.

use super::{initial_stage, triggers};
use crate::ast::{PipelineDecl, Stage};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::span::Span;

/// Reports each trigger of `stage`, when it is the initial stage, that lacks `allow backward`.
pub(super) fn check(pipeline: &PipelineDecl, stage: &Stage, diags: &mut Diagnostics) {
    let is_initial = initial_stage(pipeline).is_some_and(|initial| std::ptr::eq(initial, stage));
    if !is_initial {
        return;
    }
    for trigger in triggers(stage).filter(|trigger| trigger.allow_backward.is_none()) {
        diags.push(backward_only_trigger(pipeline, stage, trigger.span));
    }
}

fn backward_only_trigger(pipeline: &PipelineDecl, stage: &Stage, span: Span) -> Diagnostic {
    let id = stage.id.as_str();
    let first = pipeline.stages.first().is_some_and(|first| std::ptr::eq(first, stage));
    let before = if first { "and there is none" } else { "and only final stages are there" };
    Diagnostic::new(
        Code::W0205,
        format!("trigger on the initial stage `{id}` lacks `allow backward`"),
        span,
        format!("only items in a stage before `{id}` move here, {before}"),
    )
    .with_secondary(stage.id.span, "the initial stage: new items start here")
    .with_note("a trigger moves an item forward only, unless it says `allow backward`")
    .with_help(format!(
        "add `allow backward` to bring items back to `{id}` from later stages, or move the \
         trigger to a later stage"
    ))
}
