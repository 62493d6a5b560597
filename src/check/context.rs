//! The state shared by the body passes: `Env` (read-only lookups over the model being built,
//! with `Index` maps so that no lookup scans a table) and `Ctx` (the pass context: the
//! environment, the diagnostics sink and the names in scope).

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{self, ActionId, ConstDef, EntityId, EventId, Model, PipelineId};
use crate::span::Span;
use crate::types::Type;

use super::scope::Scope;
use super::types::fits;

/// Lookup maps over a model's tables, built once after the declarations are known, so that a
/// 50,000-line program is checked without quadratic scans (stages by id per pipeline,
/// pipelines per kind, actions and events by their first word).
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Entity by item name (`deal`, `smart_item`).
    pub item_names: HashMap<String, EntityId>,
    /// The pipelines of each entity, in declaration order (indexed by `EntityId`).
    pub kind_pipelines: Vec<Vec<PipelineId>>,
    /// Stage index by id, per pipeline (indexed by `PipelineId`).
    pub stage_ids: Vec<HashMap<String, u32>>,
    /// Actions by their first fixed word, and each action's fixed words.
    pub actions_by_first: HashMap<String, Vec<ActionId>>,
    pub action_words: Vec<Vec<String>>,
    /// Events by their first fixed word, and each event's fixed words.
    pub events_by_first: HashMap<String, Vec<EventId>>,
    pub event_words: Vec<Vec<String>>,
    /// The stdlib `User` entity, whose fields a `User` value has.
    pub user_entity: Option<EntityId>,
}

impl Index {
    pub fn build(model: &Model) -> Index {
        let mut index = Index {
            kind_pipelines: vec![Vec::new(); model.entities.len()],
            user_entity: model.entity_id("User"),
            ..Index::default()
        };
        for (i, entity) in model.entities.values().enumerate() {
            index.item_names.insert(entity.item_name.clone(), EntityId(i as u32));
        }
        for (i, pipeline) in model.pipelines.values().enumerate() {
            if let Some(list) = index.kind_pipelines.get_mut(pipeline.entity.index()) {
                list.push(PipelineId(i as u32));
            }
            let stages =
                pipeline.stages.iter().enumerate().map(|(s, st)| (st.id.clone(), s as u32));
            index.stage_ids.push(stages.collect());
        }
        for (i, action) in model.actions.values().enumerate() {
            let words: Vec<String> = action.words.split(' ').map(String::from).collect();
            index.actions_by_first.entry(words[0].clone()).or_default().push(ActionId(i as u32));
            index.action_words.push(words);
        }
        for (i, event) in model.events.values().enumerate() {
            let words: Vec<String> = event.words.split(' ').map(String::from).collect();
            index.events_by_first.entry(words[0].clone()).or_default().push(EventId(i as u32));
            index.event_words.push(words);
        }
        index
    }

    /// The pipelines of a kind (none for an unknown id).
    pub fn pipelines_of(&self, entity: EntityId) -> &[PipelineId] {
        self.kind_pipelines.get(entity.index()).map_or(&[], Vec::as_slice)
    }

    /// The index of stage `id` in a pipeline.
    pub fn stage_in(&self, pipeline: PipelineId, id: &str) -> Option<u32> {
        self.stage_ids.get(pipeline.index()).and_then(|stages| stages.get(id).copied())
    }
}

/// Read-only environment of the body passes.
pub(crate) struct Env<'m> {
    pub model: &'m Model,
    pub index: &'m Index,
    /// Checked constants (inlined where they are named).
    pub consts: &'m IndexMap<String, ConstDef>,
}

/// The pass context: environment, sink and scope.
pub(crate) struct Ctx<'a> {
    pub env: &'a Env<'a>,
    pub diags: Diagnostics,
    /// Unknown bare names, kept apart: after a syntax error they are most likely names that a
    /// line the parser could not read (a `let`) would have bound, so `check` drops them then.
    pub unknown_names: Diagnostics,
    pub scope: Scope,
    /// The kind whose stages a bare stage id names, set while checking the other side of a
    /// comparison with `item.stage` (SPEC §6.3) or an argument of a call with a `Kind`.
    pub stage_kind_hint: Option<EntityId>,
    /// A pipeline named by the same call (`complete tasks from stage a in pipeline b`).
    pub stage_pipeline_hint: Option<PipelineId>,
}

impl<'a> Ctx<'a> {
    pub fn new(env: &'a Env<'a>, scope: Scope) -> Ctx<'a> {
        Ctx {
            env,
            diags: Diagnostics::new(),
            unknown_names: Diagnostics::new(),
            scope,
            stage_kind_hint: None,
            stage_pipeline_hint: None,
        }
    }

    pub fn model(&self) -> &'a Model {
        self.env.model
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// Reports an unknown bare name (see `unknown_names`).
    pub fn push_unknown_name(&mut self, diagnostic: Diagnostic) {
        self.unknown_names.push(diagnostic);
    }

    /// How many problems were reported so far (to tell whether a step failed).
    pub fn error_count(&self) -> usize {
        self.diags.len() + self.unknown_names.len()
    }

    /// Moves the diagnostics into `diags`; unknown names only when the program parsed.
    pub fn finish(self, diags: &mut Diagnostics, syntax_ok: bool) {
        diags.extend(self.diags);
        if syntax_ok {
            diags.extend(self.unknown_names);
        }
    }

    /// A type as written in source (`Deal?`, `List(User)`).
    pub fn type_name(&self, ty: &Type) -> String {
        self.env.model.type_name(ty)
    }

    /// Checks `expr` where a `ty` is expected; a value that does not fit is E0104 naming
    /// `what` (`the condition`, "`deadline`").
    pub fn expect_type(&mut self, expr: &crate::ast::Expr, ty: &Type, what: &str) -> model::Expr {
        let mut checked = self.expr(expr, Some(ty));
        self.check_fits(&mut checked, ty, what);
        checked
    }

    /// Reports E0104 when `checked` does not fit `ty`; returns whether it fits. A value that
    /// fits by an implicit conversion (a Number where a Money is expected, a Date where a
    /// DateTime is) takes the expected type, so the runtime converts it after evaluating it.
    pub fn check_fits(&mut self, checked: &mut model::Expr, ty: &Type, what: &str) -> bool {
        if fits(&checked.ty, ty) {
            let converted = match (checked.ty.base(), ty.base()) {
                (Type::Number, Type::Money) => Some(Type::Money),
                (Type::Date, Type::DateTime) => Some(Type::DateTime),
                _ => None,
            };
            if let Some(converted) = converted {
                checked.ty =
                    if checked.ty.is_optional() { converted.optional() } else { converted };
            }
            return true;
        }
        let diagnostic = self.mismatch(checked.span, ty, &checked.ty, what);
        self.push(diagnostic);
        false
    }

    /// E0104: `what` expects `expected`, found `found`.
    pub fn mismatch(&self, span: Span, expected: &Type, found: &Type, what: &str) -> Diagnostic {
        // `deadline` expects `DateTime`: a missing argument is not the point here.
        let expected_name =
            self.type_name(if found.is_optional() { expected } else { expected.base() });
        let found_name = self.type_name(found);
        let mut diagnostic = Diagnostic::new(
            Code::E0104,
            format!("{what} expects `{expected_name}`, found `{found_name}`"),
            span,
            format!("this is `{found_name}`"),
        );
        diagnostic = match (expected.base(), found.base()) {
            (_, Type::None) => diagnostic.with_help("only an optional (`T?`) value can be `none`"),
            (Type::DateTime, Type::Text) | (Type::Date, Type::Text) => diagnostic.with_help(
                "write a date such as `2026-03-02 09:30`, or `in 2 days` for an argument",
            ),
            (Type::Number, Type::Money) => diagnostic
                .with_help("Money does not convert to Number; divide by a Money to get a Number"),
            (Type::Bool, _) => diagnostic.with_help("compare the value: `x == …`, `x != none`"),
            (Type::Text, _) => diagnostic.with_help("interpolate the value: \"{{…}}\""),
            _ => diagnostic,
        };
        diagnostic
    }

    /// A typed model expression.
    pub fn typed(kind: model::ExprKind, ty: Type, span: Span) -> model::Expr {
        model::Expr { kind, ty, span }
    }

    /// An `Error`-typed placeholder for something that did not resolve.
    pub fn error_expr(span: Span) -> model::Expr {
        model::Expr { kind: model::ExprKind::Literal(model::Literal::None), ty: Type::Error, span }
    }
}
