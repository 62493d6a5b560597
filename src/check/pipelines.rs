//! Pipelines (SPEC §3.4, §3.5): first their skeletons (kind, stages, outcomes; duplicate stage
//! ids E0106; a pipeline whose stages are all final E0107), then the bodies of their stages
//! (rules and triggers), checked against the complete skeleton so any stage can be named.

use crate::ast::{self, RuleTiming, StageMember, Unless};
use crate::diag::{suggest, Code, Diagnostic, Diagnostics};
use crate::model::{
    self, EntityId, Model, Outcome, PipelineDef, PipelineId, RuleDef, StageDef, Timing, TriggerDef,
};
use crate::span::Ident;
use crate::types::Type;

use super::context::{Ctx, Env, Index};
use super::declare::{duplicate, Decls};
use super::label;
use super::placement;
use super::scope::{ItemScope, Mode, Scope};

/// The checked rules and triggers of each stage of one pipeline.
pub(crate) type StageBodies = Vec<(Vec<RuleDef>, Vec<TriggerDef>)>;

pub(crate) fn declare(decls: &Decls, model: &mut Model, diags: &mut Diagnostics) {
    for pipeline in &decls.pipelines {
        let Some(entity) = resolve_kind(model, &pipeline.kind, diags) else {
            continue;
        };
        let mut stages: Vec<StageDef> = Vec::with_capacity(pipeline.stages.len());
        for stage in &pipeline.stages {
            if let Some(first) = stages.iter().find(|s| s.id == stage.id.text) {
                diags.push(duplicate("stage", &stage.id.text, stage.id.span, first.span));
                continue;
            }
            stages.push(stage_skeleton(stage));
        }
        if stages.iter().all(StageDef::is_final) {
            diags.push(all_final(pipeline));
        }
        model.pipelines.insert(
            pipeline.name.text.clone(),
            PipelineDef {
                name: pipeline.name.text.clone(),
                entity,
                stages,
                doc: pipeline.doc.as_ref().map(|d| d.text.clone()),
                span: pipeline.name.span,
            },
        );
    }
}

/// The entity a `pipeline … for KIND` or `process … for KIND` is about (E0101 if unknown).
pub(crate) fn resolve_kind(
    model: &Model,
    kind: &Ident,
    diags: &mut Diagnostics,
) -> Option<EntityId> {
    match model.entity_id(&kind.text) {
        Some(id) if kind.text != "User" => Some(id),
        Some(_) => {
            diags.push(
                Diagnostic::new(
                    Code::E0104,
                    "users have no pipelines or processes",
                    kind.span,
                    "not an item kind",
                )
                .with_note("users belong to the CRM state"),
            );
            None
        }
        None => {
            diags.push(
                Diagnostic::new(
                    Code::E0101,
                    format!("unknown entity `{}`", kind.text),
                    kind.span,
                    "no entity of this name",
                )
                .with_help_opt(suggest::did_you_mean(
                    &kind.text,
                    model.entities.keys().map(String::as_str),
                )),
            );
            None
        }
    }
}

fn stage_skeleton(stage: &ast::Stage) -> StageDef {
    StageDef {
        id: stage.id.text.clone(),
        title: stage.title.as_ref().map_or_else(|| stage.id.text.clone(), |(t, _)| t.clone()),
        outcome: stage.outcome.map(|(outcome, _)| match outcome {
            ast::Outcome::Success => Outcome::Success,
            ast::Outcome::Failure => Outcome::Failure,
        }),
        rules: Vec::new(),
        triggers: Vec::new(),
        doc: stage.doc.as_ref().map(|d| d.text.clone()),
        span: stage.id.span,
    }
}

fn all_final(pipeline: &ast::PipelineDecl) -> Diagnostic {
    let message = if pipeline.stages.is_empty() {
        format!("pipeline `{}` has no stages", pipeline.name.text)
    } else {
        format!("every stage of pipeline `{}` is final", pipeline.name.text)
    };
    Diagnostic::new(Code::E0107, message, pipeline.header_span, "no stage to start in")
        .with_note("a new item enters the first stage that is not `success` or `failure`")
        .with_help("add a stage without an outcome, such as `stage new`")
}

/// Checks every stage body; returns them by pipeline, to install once the model is free.
pub(crate) fn check_bodies(
    decls: &Decls,
    model: &Model,
    index: &Index,
    syntax_ok: bool,
    diags: &mut Diagnostics,
) -> Vec<(PipelineId, StageBodies)> {
    let env = Env { model, index, consts: &model.consts };
    let mut ctx = Ctx::new(&env, Scope::constant());
    let mut out = Vec::with_capacity(decls.pipelines.len());
    for decl in &decls.pipelines {
        let Some(position) = model.pipelines.get_index_of(&decl.name.text) else {
            continue;
        };
        let id = PipelineId(position as u32);
        let pipeline = model.pipeline(id);
        let item = ItemScope {
            name: model.entity(pipeline.entity).item_name.clone(),
            entity: pipeline.entity,
        };
        let mut bodies: StageBodies = vec![(Vec::new(), Vec::new()); pipeline.stages.len()];
        for stage in &decl.stages {
            let Some(i) = index.stage_in(id, &stage.id.text) else {
                continue;
            };
            // A duplicate stage id was reported; only the first definition gets a body.
            if pipeline.stages[i as usize].span != stage.id.span {
                continue;
            }
            bodies[i as usize] = stage_body(&mut ctx, &item, id, stage);
        }
        out.push((id, bodies));
    }
    ctx.finish(diags, syntax_ok);
    out
}

fn stage_body(
    ctx: &mut Ctx,
    item: &ItemScope,
    pipeline: PipelineId,
    stage: &ast::Stage,
) -> (Vec<RuleDef>, Vec<TriggerDef>) {
    let mut rules = Vec::new();
    let mut triggers = Vec::new();
    for member in &stage.members {
        match member {
            StageMember::Rule(rule) => {
                ctx.scope = Scope::stage(Mode::Rule, item.clone(), pipeline);
                if let Some(def) = rule_def(ctx, rule) {
                    rules.push(def);
                }
            }
            StageMember::Trigger(trigger) => {
                ctx.scope = Scope::stage(Mode::Trigger, item.clone(), pipeline);
                if let Some(def) = trigger_def(ctx, trigger) {
                    triggers.push(def);
                }
            }
        }
    }
    let mut labels: Vec<String> = rules.iter().map(|r: &RuleDef| r.label.clone()).collect();
    label::number_duplicates(&mut labels);
    for (rule, label) in rules.iter_mut().zip(labels) {
        rule.label = label;
    }
    (rules, triggers)
}

fn rule_def(ctx: &mut Ctx, rule: &ast::Rule) -> Option<RuleDef> {
    placement::rule_modifiers_fit_timing(ctx, rule);
    let timing = match &rule.timing {
        RuleTiming::OnEnter { .. } => Some(Timing::OnEnter),
        RuleTiming::After { delay, .. } => ctx.delay(delay).map(Timing::After),
        RuleTiming::At { moment, .. } => {
            ctx.scope.at_header = true;
            let moment = ctx.moment(moment, "`at`");
            ctx.scope.at_header = false;
            Some(Timing::At(moment))
        }
    };
    let working_hours = ctx.working_hours(rule.modifiers.working_hours.as_ref());
    let unless = rule.modifiers.unless.as_ref().map(|unless| match unless {
        Unless::Moved(_) => model::Unless::Moved,
        Unless::Condition(condition) => model::Unless::Condition(ctx.condition(condition)),
    });
    let condition = rule.modifiers.condition.as_ref().map(|c| ctx.condition(c));
    let body = ctx.block(&rule.body);
    Some(RuleDef {
        timing: timing?,
        unless,
        condition,
        working_hours,
        body,
        label: label::rule_label(rule),
        doc: rule.doc.as_ref().map(|d| d.text.clone()),
        header_span: rule.header_span,
        span: rule.span,
    })
}

fn trigger_def(ctx: &mut Ctx, trigger: &ast::Trigger) -> Option<TriggerDef> {
    let (event, args) = ctx.trigger_event(&trigger.event)?;
    let payload: Vec<(String, Type)> =
        ctx.model().event(event).payload.iter().map(|(n, t)| (n.clone(), t.clone())).collect();
    for (name, ty) in payload {
        ctx.scope.bind(&name, ty, None);
    }
    let condition = trigger.condition.as_ref().map(|c| ctx.condition(c));
    let as_user = trigger.as_user.as_ref().map(|u| ctx.expect_type(u, &Type::User, "`as`"));
    Some(TriggerDef {
        event,
        args,
        condition,
        as_user,
        allow_backward: trigger.allow_backward.is_some(),
        doc: trigger.doc.as_ref().map(|d| d.text.clone()),
        span: trigger.span,
    })
}

/// Puts the checked bodies into the model.
pub(crate) fn install(model: &mut Model, bodies: Vec<(PipelineId, StageBodies)>) {
    for (id, stages) in bodies {
        let Some((_, pipeline)) = model.pipelines.get_index_mut(id.index()) else {
            continue;
        };
        for (stage, (rules, triggers)) in pipeline.stages.iter_mut().zip(stages) {
            stage.rules = rules;
            stage.triggers = triggers;
        }
    }
}
