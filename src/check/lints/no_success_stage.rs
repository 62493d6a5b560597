//! W0204 `no-success-stage`: a pipeline none of whose stages is marked `success`.
//!
//! Without one, nothing tells where an item of the pipeline ends well: reports and
//! `wait until stage` (which also ends on any final stage) only know failures.

use crate::ast::{Outcome, PipelineDecl};
use crate::diag::{Code, Diagnostic, Diagnostics};

/// Reports `pipeline` when no stage of it is a `success` stage.
pub(super) fn check(pipeline: &PipelineDecl, diags: &mut Diagnostics) {
    let has_success =
        pipeline.stages.iter().any(|stage| matches!(stage.outcome, Some((Outcome::Success, _))));
    if !has_success {
        diags.push(no_success_stage(pipeline));
    }
}

fn no_success_stage(pipeline: &PipelineDecl) -> Diagnostic {
    Diagnostic::new(
        Code::W0204,
        format!("pipeline `{}` has no success stage", pipeline.name),
        pipeline.header_span,
        "no stage here is marked `success`",
    )
    .with_help("mark the stage where items end well with `success`: `stage won \"Won\" success`")
}
