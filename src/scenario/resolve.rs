//! Resolving what commands name: aliases and ids (`d1`, `task:1`), kinds (`deal`), the record
//! a record command acts on (`of d1 [where …]`, SPEC §10) and stages (`won`, `b2b.intake`).
//! Every failure is an invalid line pointing at the name, with a suggestion when one is close.

use super::command::*;
use super::run::{Runner, ScenarioError};
use crate::diag::{suggest, Code, Diagnostic};
use crate::model::{EntityId, StageRef};
use crate::runtime::{EntityRef, Value};
use crate::span::Span;

impl Runner {
    /// The entity an alias or id names; it must exist.
    pub(super) fn resolve_ref(&self, r: &Ref) -> Result<EntityRef, ScenarioError> {
        match &r.kind {
            RefKind::Alias(alias) => self.aliases.get(alias).copied().ok_or_else(|| {
                let mut diagnostic = Diagnostic::new(
                    Code::E0101,
                    format!("unknown alias `{alias}`"),
                    r.span,
                    "not bound by a `create`",
                );
                let names = self.aliases.keys().map(String::as_str);
                diagnostic = match suggest::closest(alias, names) {
                    Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                    None => diagnostic.with_help(format!(
                        "bind it first: `create deal {alias} {{ … }}`, or use an id such as `deal:1`"
                    )),
                };
                ScenarioError::invalid(diagnostic)
            }),
            RefKind::Id { kind, n } => {
                let entity = self.kind_by_item_name(kind, r.span)?;
                let found = EntityRef::new(entity, *n);
                if self.engine.entity_exists(found) {
                    Ok(found)
                } else {
                    Err(ScenarioError::invalid(Diagnostic::new(
                        Code::E0101,
                        format!("no {kind} `{kind}:{n}` exists"),
                        r.span,
                        "no such entity",
                    )))
                }
            }
        }
    }

    /// `deal` → `Deal`'s id (an item name, as in ids).
    pub(super) fn kind_by_item_name(
        &self,
        name: &str,
        span: Span,
    ) -> Result<EntityId, ScenarioError> {
        self.model.entity_by_item_name(name).ok_or_else(|| {
            let names = self.model.entities.values().map(|e| e.item_name.as_str());
            let mut diagnostic = Diagnostic::new(
                Code::E0101,
                format!("unknown kind `{name}`"),
                span,
                "not an entity kind",
            );
            if let Some(close) = suggest::closest(name, names) {
                diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
            }
            ScenarioError::invalid(diagnostic)
        })
    }

    pub(super) fn resolve_kind(
        &self,
        kind: &crate::span::Ident,
    ) -> Result<EntityId, ScenarioError> {
        self.kind_by_item_name(&kind.text, kind.span)
    }

    /// `deal:1`
    pub(super) fn id_text(&self, entity: EntityRef) -> String {
        entity.id(&self.model)
    }

    /// The record a record command acts on: a given id or alias of the right kind, or the one
    /// open record of the kind of an item (SPEC §10).
    pub(super) fn resolve_target(
        &self,
        action: RecordAction,
        target: &Target,
    ) -> Result<EntityRef, ScenarioError> {
        let kind_name = action.record_kind();
        let kind = self.model.entity_by_item_name(kind_name).ok_or_else(|| {
            ScenarioError::invalid(Diagnostic::new(
                Code::E0101,
                format!("the program has no `{kind_name}` entity"),
                target_span(target),
                "unknown kind",
            ))
        })?;
        match target {
            Target::Ref(r) => {
                let record = self.resolve_ref(r)?;
                if record.entity != kind {
                    return Err(ScenarioError::invalid(
                        Diagnostic::new(
                            Code::E0104,
                            format!("`{r}` is {}, not a {kind_name}", self.id_text(record)),
                            r.span,
                            format!("not a {kind_name}"),
                        )
                        .with_help(format!(
                            "write `{} of {r}` for its open {kind_name}",
                            action.words()
                        )),
                    ));
                }
                Ok(record)
            }
            Target::Of { item, condition } => {
                let owner = self.resolve_ref(item)?;
                let mut candidates = self.engine.open_records(owner, kind);
                if let Some(condition) = condition {
                    candidates = self.filter_where(*condition, kind, candidates)?;
                }
                self.one_open_record(action, item, owner, condition.is_some(), candidates)
            }
        }
    }

    fn one_open_record(
        &self,
        action: RecordAction,
        item: &Ref,
        owner: EntityRef,
        filtered: bool,
        candidates: Vec<EntityRef>,
    ) -> Result<EntityRef, ScenarioError> {
        let kind_name = action.record_kind();
        let matching = if filtered { " matching the condition" } else { "" };
        match candidates.as_slice() {
            [one] => Ok(*one),
            [] => Err(ScenarioError::invalid(
                Diagnostic::new(
                    Code::E0105,
                    format!("{} has no open {kind_name}{matching}", self.id_text(owner)),
                    item.span,
                    format!("no {kind_name} is {}", action.open_meaning()),
                )
                .with_note(format!("`of {item}` takes the one open {kind_name} of the item")),
            )),
            several => {
                let listed: Vec<String> = several.iter().map(|r| self.label(*r)).collect();
                let first = self.id_text(several[0]);
                Err(ScenarioError::invalid(
                    Diagnostic::new(
                        Code::E0105,
                        format!(
                            "{} has {} open {kind_name}s{matching}: {}",
                            self.id_text(owner),
                            several.len(),
                            listed.join(", ")
                        ),
                        item.span,
                        "which one?",
                    )
                    .with_help(format!(
                        "name one by id (`{} {first}`) or add `where …`",
                        action.words()
                    )),
                ))
            }
        }
    }

    /// `task:1 "Prepare the offer"`: an id with its title, name, subject or template.
    fn label(&self, entity: EntityRef) -> String {
        let title = ["title", "name", "subject", "template"]
            .iter()
            .find_map(|field| self.engine.field(entity, field).filter(|v| !v.is_none()));
        match title {
            Some(value) => {
                format!("{} \"{}\"", self.id_text(entity), self.engine.render_value(&value))
            }
            None => self.id_text(entity),
        }
    }

    /// A stage for `move`: `P.s`, or a stage id of the item's current pipeline, or one unique
    /// among the pipelines of its kind.
    pub(super) fn resolve_stage_for_item(
        &self,
        item: EntityRef,
        stage: &StageName,
    ) -> Result<StageRef, ScenarioError> {
        if stage.pipeline.is_none() {
            if let Some(Value::Pipeline(pipeline)) = self.engine.field(item, "pipeline") {
                if let Some(index) = self.model.pipeline(pipeline).stage_index(&stage.stage.text) {
                    return Ok(StageRef { pipeline, index });
                }
            }
        }
        let text = match &stage.pipeline {
            Some(pipeline) => format!("{pipeline}.{}", stage.stage),
            None => stage.stage.text.clone(),
        };
        self.resolve_stage_text(item.entity, &text, stage.span)
    }

    /// A stage written `s` or `P.s` among the pipelines of a kind.
    pub(super) fn resolve_stage_text(
        &self,
        entity: EntityId,
        text: &str,
        span: Span,
    ) -> Result<StageRef, ScenarioError> {
        crate::check::resolve_stage_name(&self.model, entity, text).map_err(|message| {
            // Suggest among the named pipeline's stages, or all of the kind's.
            let (pipeline, last) = match text.split_once('.') {
                Some((pipeline, stage)) => (Some(pipeline), stage),
                None => (None, text),
            };
            let stages: Vec<&str> = self
                .model
                .pipelines_of(entity)
                .filter(|(_, p)| pipeline.is_none_or(|name| p.name == name))
                .flat_map(|(_, p)| p.stages.iter().map(|s| s.id.as_str()))
                .collect();
            let mut diagnostic =
                Diagnostic::new(Code::E0101, message.clone(), span, "no such stage");
            if !message.contains("did you mean") {
                if let Some(close) = suggest::closest(last, stages.iter().copied()) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
                }
            }
            ScenarioError::invalid(diagnostic)
        })
    }
}

fn target_span(target: &Target) -> Span {
    match target {
        Target::Ref(r) => r.span,
        Target::Of { item, .. } => item.span,
    }
}
