//! Stage names (SPEC §6.3): a bare id inside `pipeline P` is looked up in P (a stage that
//! exists only in another pipeline of the kind is E0105); elsewhere in all pipelines of the
//! kind, where it must be unique (else E0101 with help `P.s`). `P.s` is always accepted, except
//! that `move to stage` cannot leave the current pipeline (E0105: use `move to pipeline`).

use crate::ast;
use crate::diag::{suggest, Code, Diagnostic};
use crate::model::{self, EntityId, Literal, Model, PipelineId, StageRef};
use crate::span::{Ident, Span};
use crate::types::Type;

use super::context::{Ctx, Index};

/// Why a stage is named: a value (`deal.stage == won`, `wait until stage won`) or the target
/// of `move to stage`, which must stay in the current pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StagePurpose {
    Value,
    Move,
}

impl<'a> Ctx<'a> {
    /// The kind whose stages a bare id names: the compared item's, else the current item's.
    fn stage_kind(&self) -> Option<EntityId> {
        self.stage_kind_hint.or(self.scope.item_entity())
    }

    /// A bare stage id where a Stage is expected, as a Stage literal.
    pub(crate) fn bare_stage(&mut self, name: &Ident) -> model::Expr {
        let resolved = self.lookup_bare_stage(name, StagePurpose::Value);
        stage_literal(resolved, name.span)
    }

    /// `P.s` as a Stage literal.
    pub(crate) fn qualified_stage(&mut self, pipeline: &Ident, stage: &Ident) -> model::Expr {
        let resolved = self.lookup_qualified_stage(pipeline, stage, StagePurpose::Value);
        stage_literal(resolved, pipeline.span.to(stage.span))
    }

    /// A stage named in a statement or header (`move to stage won`, `on stage sales.won`).
    pub(crate) fn stage_ref(
        &mut self,
        stage: &ast::StageRef,
        purpose: StagePurpose,
    ) -> Option<StageRef> {
        match &stage.pipeline {
            Some(pipeline) => self.lookup_qualified_stage(pipeline, &stage.stage, purpose),
            None => self.lookup_bare_stage(&stage.stage, purpose),
        }
    }

    pub(crate) fn lookup_bare_stage(
        &mut self,
        name: &Ident,
        purpose: StagePurpose,
    ) -> Option<StageRef> {
        let model = self.model();
        let index = self.env.index;
        let kind = self.stage_kind();
        if let Some(pipeline) = self.stage_pipeline_hint {
            return self.stage_in_pipeline(pipeline, name);
        }
        let current =
            self.scope.pipeline.filter(|p| kind.is_none_or(|k| model.pipeline(*p).entity == k));
        if let Some(current) = current {
            if let Some(i) = index.stage_in(current, &name.text) {
                return Some(StageRef { pipeline: current, index: i });
            }
            let kind = model.pipeline(current).entity;
            let others: Vec<StageRef> = stages_named(index, index.pipelines_of(kind), &name.text);
            let diagnostic = match others.first() {
                Some(other) => only_in_other_pipeline(model, current, *other, name, purpose),
                None => unknown_stage(model, &[current], name),
            };
            self.push(diagnostic);
            return None;
        }
        let all: Vec<PipelineId>;
        let candidates: &[PipelineId] = match kind {
            Some(kind) => index.pipelines_of(kind),
            None => {
                all = (0..model.pipelines.len() as u32).map(PipelineId).collect();
                &all
            }
        };
        let found = stages_named(index, candidates, &name.text);
        match found.as_slice() {
            [one] => Some(*one),
            [] => {
                let diagnostic = match kind {
                    Some(kind) if candidates.is_empty() => no_pipeline(model, kind, name.span),
                    _ => unknown_stage(model, candidates, name),
                };
                self.push(diagnostic);
                None
            }
            several => {
                self.push(ambiguous_stage(model, several, name));
                None
            }
        }
    }

    fn stage_in_pipeline(&mut self, pipeline: PipelineId, name: &Ident) -> Option<StageRef> {
        match self.env.index.stage_in(pipeline, &name.text) {
            Some(i) => Some(StageRef { pipeline, index: i }),
            None => {
                let diagnostic = unknown_stage(self.model(), &[pipeline], name);
                self.push(diagnostic);
                None
            }
        }
    }

    pub(crate) fn lookup_qualified_stage(
        &mut self,
        pipeline: &Ident,
        stage: &Ident,
        purpose: StagePurpose,
    ) -> Option<StageRef> {
        let model = self.model();
        let id = self.resolve_pipeline(pipeline)?;
        if let Some(kind) = self.stage_kind() {
            if model.pipeline(id).entity != kind {
                let diagnostic = wrong_kind(model, id, kind, pipeline.span);
                self.push(diagnostic);
                return None;
            }
        }
        let found = self.stage_in_pipeline(id, stage)?;
        if purpose == StagePurpose::Move {
            if let Some(current) = self.scope.pipeline.filter(|c| *c != id) {
                let diagnostic = only_in_other_pipeline(model, current, found, stage, purpose)
                    .with_primary_span(pipeline.span.to(stage.span));
                self.push(diagnostic);
                return None;
            }
        }
        Some(found)
    }

    /// A pipeline by name (E0101 when unknown).
    pub(crate) fn resolve_pipeline(&mut self, name: &Ident) -> Option<PipelineId> {
        let model = self.model();
        match model.pipelines.get_index_of(&name.text) {
            Some(i) => Some(PipelineId(i as u32)),
            None => {
                self.push(
                    Diagnostic::new(
                        Code::E0101,
                        format!("unknown pipeline `{}`", name.text),
                        name.span,
                        "no pipeline of this name",
                    )
                    .with_help_opt(suggest::did_you_mean(
                        &name.text,
                        model.pipelines.keys().map(String::as_str),
                    )),
                );
                None
            }
        }
    }
}

trait WithPrimarySpan {
    fn with_primary_span(self, span: Span) -> Self;
}

impl WithPrimarySpan for Diagnostic {
    fn with_primary_span(mut self, span: Span) -> Diagnostic {
        self.primary.span = span;
        self
    }
}

fn stage_literal(resolved: Option<StageRef>, span: Span) -> model::Expr {
    match resolved {
        Some(stage) => {
            Ctx::typed(model::ExprKind::Literal(Literal::Stage(stage)), Type::Stage, span)
        }
        None => Ctx::error_expr(span),
    }
}

fn stages_named(index: &Index, pipelines: &[PipelineId], id: &str) -> Vec<StageRef> {
    pipelines
        .iter()
        .filter_map(|p| index.stage_in(*p, id).map(|i| StageRef { pipeline: *p, index: i }))
        .collect()
}

fn unknown_stage(model: &Model, pipelines: &[PipelineId], name: &Ident) -> Diagnostic {
    let ids =
        pipelines.iter().flat_map(|p| model.pipeline(*p).stages.iter().map(|s| s.id.as_str()));
    let mut diagnostic = Diagnostic::new(
        Code::E0101,
        format!("unknown stage `{}`", name.text),
        name.span,
        match pipelines {
            [one] => {
                format!("no stage `{}` in pipeline `{}`", name.text, model.pipeline(*one).name)
            }
            _ => "no stage of this name".to_string(),
        },
    )
    .with_help_opt(suggest::did_you_mean(&name.text, ids));
    if let [one] = pipelines {
        let pipeline = model.pipeline(*one);
        diagnostic = diagnostic.with_secondary(
            pipeline.span,
            format!("the stages of `{}` are declared here", pipeline.name),
        );
    }
    diagnostic
}

fn ambiguous_stage(model: &Model, found: &[StageRef], name: &Ident) -> Diagnostic {
    let options: Vec<String> = found
        .iter()
        .map(|s| format!("`{}.{}`", model.pipeline(s.pipeline).name, name.text))
        .collect();
    let mut diagnostic = Diagnostic::new(
        Code::E0101,
        format!("stage `{}` is ambiguous", name.text),
        name.span,
        format!("a stage of {} pipelines", found.len()),
    )
    .with_help(format!("name its pipeline: {}", options.join(" or ")));
    for stage in found {
        diagnostic = diagnostic.with_secondary(
            model.stage(*stage).span,
            format!("in pipeline `{}`", model.pipeline(stage.pipeline).name),
        );
    }
    diagnostic
}

fn only_in_other_pipeline(
    model: &Model,
    current: PipelineId,
    other: StageRef,
    name: &Ident,
    purpose: StagePurpose,
) -> Diagnostic {
    let current_name = &model.pipeline(current).name;
    let other_name = &model.pipeline(other.pipeline).name;
    let diagnostic = Diagnostic::new(
        Code::E0105,
        format!("stage `{}` is not in pipeline `{current_name}`", name.text),
        name.span,
        format!("a stage of pipeline `{other_name}`"),
    )
    .with_secondary(model.stage(other).span, format!("declared in pipeline `{other_name}`"));
    match purpose {
        StagePurpose::Move => diagnostic
            .with_note("`move to stage` stays in the item's pipeline")
            .with_help(format!("use `move to pipeline {other_name} stage {}`", name.text)),
        StagePurpose::Value => {
            diagnostic.with_help(format!("write `{other_name}.{}` to name it", name.text))
        }
    }
}

fn no_pipeline(model: &Model, kind: EntityId, span: Span) -> Diagnostic {
    let entity = &model.entity(kind).name;
    Diagnostic::new(
        Code::E0101,
        format!("`{entity}` has no pipeline, so no stages"),
        span,
        "not a stage",
    )
    .with_help(format!("declare one: `pipeline NAME for {entity} {{ … }}`"))
}

fn wrong_kind(model: &Model, pipeline: PipelineId, kind: EntityId, span: Span) -> Diagnostic {
    let def = model.pipeline(pipeline);
    let expected = &model.entity(kind).name;
    let found = &model.entity(def.entity).name;
    Diagnostic::new(
        Code::E0104,
        format!("pipeline `{}` is for `{found}`, not `{expected}`", def.name),
        span,
        format!("a `{found}` pipeline"),
    )
    .with_secondary(def.span, format!("`{}` is declared here", def.name))
}

/// `s` or `P.s` among the pipelines of `entity`, for scenario commands.
pub(crate) fn resolve_by_text(
    model: &Model,
    index: &Index,
    entity: EntityId,
    text: &str,
) -> Result<StageRef, String> {
    let pipelines = index.pipelines_of(entity);
    let entity_name = model.entities.get_index(entity.index()).map_or("?", |(n, _)| n.as_str());
    if let Some((pipeline, stage)) = text.split_once('.') {
        let Some(p) = model.pipelines.get_index_of(pipeline).map(|i| PipelineId(i as u32)) else {
            return Err(format!("unknown pipeline `{pipeline}`"));
        };
        if !pipelines.contains(&p) {
            return Err(format!("pipeline `{pipeline}` is not a pipeline for `{entity_name}`"));
        }
        return index
            .stage_in(p, stage)
            .map(|i| StageRef { pipeline: p, index: i })
            .ok_or_else(|| format!("unknown stage `{stage}` in pipeline `{pipeline}`"));
    }
    match stages_named(index, pipelines, text).as_slice() {
        [one] => Ok(*one),
        [] => {
            let ids = pipelines
                .iter()
                .flat_map(|p| model.pipeline(*p).stages.iter().map(|s| s.id.as_str()));
            let hint =
                suggest::did_you_mean(text, ids).map(|h| format!(" ({h})")).unwrap_or_default();
            Err(format!("unknown stage `{text}` for `{entity_name}`{hint}"))
        }
        several => {
            let options: Vec<String> = several
                .iter()
                .map(|s| format!("`{}.{text}`", model.pipeline(s.pipeline).name))
                .collect();
            Err(format!("stage `{text}` is ambiguous: write {}", options.join(" or ")))
        }
    }
}
