//! Processes (SPEC §3.6): the skeleton (kind and start modes; a start mode given twice is
//! E0106), then the `on stage S` stages and the body, checked as process code (where `wait`
//! and `parallel` are allowed).

use crate::ast::{self, StartMode};
use crate::diag::Diagnostics;
use crate::model::{Model, ProcessDef, ProcessId, StageRef, Stmt};
use crate::span::Span;

use super::context::{Ctx, Env, Index};
use super::declare::{duplicate, Decls};
use super::pipelines::resolve_kind;
use super::scope::{ItemScope, Scope};
use super::stages::StagePurpose;

pub(crate) fn declare(decls: &Decls, model: &mut Model, diags: &mut Diagnostics) {
    for process in &decls.processes {
        let Some(entity) = resolve_kind(model, &process.kind, diags) else {
            continue;
        };
        let mut def = ProcessDef {
            name: process.name.text.clone(),
            entity,
            on_create: false,
            on_change: false,
            manual: false,
            on_stages: Vec::new(),
            body: Vec::new(),
            doc: process.doc.as_ref().map(|d| d.text.clone()),
            span: process.name.span,
        };
        let mut seen: Vec<(String, Span)> = Vec::new();
        for start in &process.starts {
            let (text, span) = match start {
                StartMode::OnCreate(span) => ("on create".to_string(), *span),
                StartMode::OnChange(span) => ("on change".to_string(), *span),
                StartMode::Manual(span) => ("manual".to_string(), *span),
                StartMode::OnStage(stage, span) => {
                    (format!("on stage {}", stage_text(stage)), *span)
                }
            };
            if let Some((_, first)) = seen.iter().find(|(t, _)| *t == text) {
                diags.push(duplicate("start mode", &text, span, *first));
                continue;
            }
            seen.push((text, span));
            match start {
                StartMode::OnCreate(_) => def.on_create = true,
                StartMode::OnChange(_) => def.on_change = true,
                StartMode::Manual(_) => def.manual = true,
                StartMode::OnStage(..) => {}
            }
        }
        model.processes.insert(def.name.clone(), def);
    }
}

fn stage_text(stage: &ast::StageRef) -> String {
    match &stage.pipeline {
        Some(pipeline) => format!("{}.{}", pipeline.text, stage.stage.text),
        None => stage.stage.text.clone(),
    }
}

/// The `on stage` stages and the body of each process.
pub(crate) fn check_bodies(
    decls: &Decls,
    model: &Model,
    index: &Index,
    syntax_ok: bool,
    diags: &mut Diagnostics,
) -> Vec<(ProcessId, Vec<StageRef>, Vec<Stmt>)> {
    let env = Env { model, index, consts: &model.consts };
    let mut ctx = Ctx::new(&env, Scope::constant());
    let mut out = Vec::with_capacity(decls.processes.len());
    for decl in &decls.processes {
        let Some(position) = model.processes.get_index_of(&decl.name.text) else {
            continue;
        };
        let process = &model.processes[position];
        let item = ItemScope {
            name: model.entity(process.entity).item_name.clone(),
            entity: process.entity,
        };
        ctx.scope = Scope::process(item);
        let mut stages: Vec<StageRef> = Vec::new();
        for start in &decl.starts {
            if let StartMode::OnStage(stage, _) = start {
                if let Some(found) = ctx.stage_ref(stage, StagePurpose::Value) {
                    if !stages.contains(&found) {
                        stages.push(found);
                    }
                }
            }
        }
        let body = ctx.block(&decl.body);
        out.push((ProcessId(position as u32), stages, body));
    }
    ctx.finish(diags, syntax_ok);
    out
}

pub(crate) fn install(model: &mut Model, bodies: Vec<(ProcessId, Vec<StageRef>, Vec<Stmt>)>) {
    for (id, stages, body) in bodies {
        if let Some((_, process)) = model.processes.get_index_mut(id.index()) {
            process.on_stages = stages;
            process.body = body;
        }
    }
}
