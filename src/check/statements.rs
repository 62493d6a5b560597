//! Statements (SPEC §4): `let`, `set`, `if`, `for each`, `parallel`, `wait …`, `move …`,
//! `stop` and action calls. `let` and `for each` names are visible to the later statements of
//! their block; rebinding a name of the language, the item or a name in scope is E0106.

use crate::ast::{self, DelayExpr, ExprKind, LetValue, StmtKind};
use crate::diag::{suggest, Code, Diagnostic};
use crate::model::{self, CalendarId, Place, Stmt};
use crate::span::{Ident, Span};
use crate::types::Type;

use super::context::Ctx;
use super::expressions::Fields;
use super::placement;
use super::scope::{RESERVED, RESPONSIBLE};
use super::stages::StagePurpose;

/// Fields a `set` cannot change: the id, and the stage and pipeline, which change by `move`.
const NOT_SETTABLE: &[&str] = &["id", "stage", "pipeline"];

impl<'a> Ctx<'a> {
    /// A block with its own scope.
    pub(crate) fn block(&mut self, block: &ast::Block) -> Vec<Stmt> {
        let mark = self.scope.mark();
        let statements = block.stmts.iter().filter_map(|s| self.statement(s)).collect();
        self.scope.restore(mark);
        statements
    }

    fn statement(&mut self, statement: &ast::Stmt) -> Option<Stmt> {
        let span = statement.span;
        let kind = match &statement.kind {
            StmtKind::Let { name, value } => self.let_statement(name, value)?,
            StmtKind::Set { target, value } => self.set_statement(target, value)?,
            StmtKind::If { branches, otherwise } => {
                let branches = branches
                    .iter()
                    .map(|(condition, block)| (self.condition(condition), self.block(block)))
                    .collect();
                let otherwise = otherwise.as_ref().map(|b| self.block(b)).unwrap_or_default();
                model::StmtKind::If { branches, otherwise }
            }
            StmtKind::ForEach { name, list, body } => self.for_each(name, list, body)?,
            StmtKind::Parallel { branches } => {
                placement::process_only(self, "parallel", span);
                model::StmtKind::Parallel {
                    branches: branches.iter().map(|b| self.block(b)).collect(),
                }
            }
            StmtKind::WaitDelay { delay, working_hours } => {
                placement::process_only(self, "wait", span);
                let working_hours = self.working_hours(working_hours.as_ref());
                model::StmtKind::WaitDelay { delay: self.delay(delay)?, working_hours }
            }
            StmtKind::WaitStage { stages } => {
                placement::process_only(self, "wait", span);
                let stages = stages.iter().filter_map(|s| self.stage_ref(s, StagePurpose::Value));
                model::StmtKind::WaitStage { stages: stages.collect() }
            }
            StmtKind::WaitUntil { moment } => {
                placement::process_only(self, "wait", span);
                model::StmtKind::WaitUntil { moment: self.moment(moment, "`wait until`") }
            }
            StmtKind::MoveStage { stage } => {
                model::StmtKind::MoveStage { stage: self.stage_ref(stage, StagePurpose::Move)? }
            }
            StmtKind::MovePipeline { pipeline, stage } => {
                self.move_pipeline(pipeline, stage.as_ref())?
            }
            StmtKind::Stop => model::StmtKind::Stop,
            StmtKind::Call(call) => model::StmtKind::Call(self.call(call)?.0),
        };
        Some(Stmt { kind, span })
    }

    fn let_statement(&mut self, name: &Ident, value: &LetValue) -> Option<model::StmtKind> {
        let bindable = self.check_bindable(name);
        let (kind, ty) = match value {
            LetValue::Expr(expr) => {
                let value = self.expr(expr, None);
                let ty = value.ty.clone();
                (Some(model::StmtKind::Let { name: name.text.clone(), value }), ty)
            }
            LetValue::Call(call) => match self.call(call) {
                Some((call, Some(ty))) => {
                    (Some(model::StmtKind::LetCall { name: name.text.clone(), call }), ty)
                }
                Some((call, None)) => {
                    let words = self.model().action(call.action).words.clone();
                    self.push(
                        Diagnostic::new(
                            Code::E0104,
                            format!("`{words}` gives no value to bind"),
                            call.span,
                            "this action has no result",
                        )
                        .with_help(format!(
                            "call it on its own line, without `let {} =`",
                            name.text
                        )),
                    );
                    (None, Type::Error)
                }
                None => (None, Type::Error),
            },
        };
        // A name that cannot be rebound is still bound, as `Error`, so that its uses give no
        // second diagnostic.
        let ty = if bindable { ty } else { Type::Error };
        self.scope.bind(&name.text, ty, Some(name.span));
        kind
    }

    /// `let`/`for each` cannot rebind `responsible`, `supervisor`, `now`, `none`, the item or a
    /// payload name (E0106, SPEC §4); another `let`, a loop variable or a constant may be
    /// shadowed (W0203 reports a `let` that is never read).
    pub(crate) fn check_bindable(&mut self, name: &Ident) -> bool {
        let reserved = RESERVED.contains(&name.text.as_str())
            || self.scope.item.as_ref().is_some_and(|item| item.name == name.text);
        let payload = self.scope.lookup(&name.text).is_some_and(|b| b.span.is_none());
        if !reserved && !payload {
            return true;
        }
        self.push(
            Diagnostic::new(
                Code::E0106,
                format!("`{}` cannot be rebound", name.text),
                name.span,
                if reserved { "a name the language defines here" } else { "a name the event defines" },
            )
            .with_note("the item, `responsible`, `supervisor`, `now`, `none` and payload names keep their meaning")
            .with_help("choose another name"),
        );
        false
    }

    fn for_each(
        &mut self,
        name: &Ident,
        list: &ast::Expr,
        body: &ast::Block,
    ) -> Option<model::StmtKind> {
        let list = self.expr(list, None);
        let element = match list.ty.base() {
            Type::List(element) => (**element).clone(),
            Type::EmptyList | Type::Error => Type::Error,
            _ => {
                let found = self.type_name(&list.ty);
                self.push(
                    Diagnostic::new(
                        Code::E0104,
                        format!("`for each` needs a list, found `{found}`"),
                        list.span,
                        format!("this is `{found}`"),
                    )
                    .with_help("iterate over a list field such as `deal.products`"),
                );
                Type::Error
            }
        };
        let mark = self.scope.mark();
        let element = if self.check_bindable(name) { element } else { Type::Error };
        self.scope.bind(&name.text, element, Some(name.span));
        let body = self.block(body);
        self.scope.restore(mark);
        Some(model::StmtKind::ForEach { name: name.text.clone(), list, body })
    }

    /// `set PATH = EXPR`: a field of the item, of a related entity or of an entity variable.
    fn set_statement(&mut self, target: &ast::Expr, value: &ast::Expr) -> Option<model::StmtKind> {
        let mut segments: Vec<&Ident> = Vec::new();
        let mut root = target;
        while let ExprKind::Field(base, field) = &root.kind {
            segments.push(field);
            root = base;
        }
        segments.reverse();
        let ExprKind::Name(root_name) = &root.kind else {
            self.push(not_a_field_path(target.span));
            return None;
        };
        let (base, path) = self.set_base(root_name, segments)?;
        let Some(last) = path.last() else {
            self.push(
                Diagnostic::new(
                    Code::E0105,
                    format!("`set` changes a field, not `{}`", root_name.text),
                    target.span,
                    "a name, not a field",
                )
                .with_help(format!("bind a new name instead: `let {}2 = …`", root_name.text)),
            );
            return None;
        };
        let ty = self.settable_path(&base, &path)?;
        if NOT_SETTABLE.contains(&last.text.as_str()) {
            self.push(not_settable(last));
            return None;
        }
        let what = format!("`set {}`", path.last().map_or("", |i| i.text.as_str()));
        let value = self
            .with_stage_owner(&field_probe(&base, &ty), |ctx| ctx.expect_type(value, &ty, &what));
        let path = path.iter().map(|i| i.text.clone()).collect();
        Some(model::StmtKind::Set { target: Place { base, path, ty }, value })
    }

    /// The base of a `set` target and the field path from it; `responsible` is the item's field.
    fn set_base<'i>(
        &mut self,
        root: &'i Ident,
        segments: Vec<&'i Ident>,
    ) -> Option<(model::Expr, Vec<&'i Ident>)> {
        if let Some(item) = &self.scope.item {
            if root.text == RESPONSIBLE {
                let base = super::scope::item_expr(item.entity, root.span);
                let mut path = vec![root];
                path.extend(segments);
                return Some((base, path));
            }
        }
        let base = self.resolve_plain_name(root);
        match base {
            Some(base) => Some((base, segments)),
            None => {
                let names: Vec<&str> = self.scope.vars.iter().map(|b| b.name.as_str()).collect();
                let mut candidates = names;
                if let Some(item) = &self.scope.item {
                    candidates.push(item.name.as_str());
                }
                self.push_unknown_name(
                    Diagnostic::new(
                        Code::E0101,
                        format!("unknown name `{}`", root.text),
                        root.span,
                        "not defined here",
                    )
                    .with_help_opt(suggest::did_you_mean(&root.text, candidates)),
                );
                None
            }
        }
    }

    /// Walks a `set` path: every step before the last must be an entity; returns the type of
    /// the field assigned.
    fn settable_path(&mut self, base: &model::Expr, path: &[&Ident]) -> Option<Type> {
        let mut current = base.clone();
        for (i, segment) in path.iter().enumerate() {
            match current.ty.base() {
                Type::Entity(_) | Type::Error => {}
                other => {
                    let owner = self.type_name(other);
                    self.push(
                        Diagnostic::new(
                            Code::E0104,
                            format!("cannot set a field of a `{owner}`"),
                            segment.span,
                            format!("a field of a `{owner}`"),
                        )
                        .with_note("`set` changes fields of the item and of related entities"),
                    );
                    return None;
                }
            }
            let before = self.error_count();
            let previous_type = current.ty.clone();
            current = self.field_of(current, segment);
            if self.error_count() > before {
                return None;
            }
            if i + 1 == path.len() {
                // The field's declared type: `set deal.contact.company = none` is allowed
                // because `company` is optional, whatever the path through it.
                let declared = match self.fields_of(&previous_type) {
                    Fields::Known { fields, .. } => fields.get(&segment.text).map(|f| f.ty.clone()),
                    _ => None,
                };
                return Some(declared.unwrap_or_else(|| current.ty.base().clone()));
            }
        }
        None
    }

    fn move_pipeline(
        &mut self,
        pipeline: &Ident,
        stage: Option<&ast::StageRef>,
    ) -> Option<model::StmtKind> {
        let id = self.resolve_pipeline(pipeline)?;
        let model = self.model();
        if let Some(kind) = self.scope.item_entity() {
            if model.pipeline(id).entity != kind {
                let found = &model.entity(model.pipeline(id).entity).name;
                let expected = &model.entity(kind).name;
                self.push(
                    Diagnostic::new(
                        Code::E0104,
                        format!("pipeline `{}` is for `{found}`, not `{expected}`", pipeline.text),
                        pipeline.span,
                        format!("a `{found}` pipeline"),
                    )
                    .with_secondary(
                        model.pipeline(id).span,
                        format!("`{}` is declared here", pipeline.text),
                    ),
                );
                return None;
            }
        }
        let stage = match stage {
            None => None,
            Some(stage) => {
                if let Some(named) = &stage.pipeline {
                    if named.text != pipeline.text {
                        self.push(Diagnostic::new(
                            Code::E0104,
                            format!(
                                "stage `{}.{}` is not in pipeline `{}`",
                                named.text, stage.stage.text, pipeline.text
                            ),
                            stage.span,
                            format!("a stage of `{}`", named.text),
                        ));
                        return None;
                    }
                }
                let saved = self.stage_pipeline_hint.replace(id);
                let found = self.lookup_bare_stage(&stage.stage, StagePurpose::Value);
                self.stage_pipeline_hint = saved;
                Some(found?)
            }
        };
        Some(model::StmtKind::MovePipeline { pipeline: id, stage })
    }

    /// A moment: a Date or DateTime expression.
    pub(crate) fn moment(&mut self, expr: &ast::Expr, what: &str) -> model::Expr {
        let value = self.expr(expr, None);
        if !matches!(value.ty.base(), Type::Date | Type::DateTime | Type::Error) {
            let diagnostic = self.mismatch(value.span, &Type::DateTime, &value.ty, what);
            self.push(diagnostic);
        }
        value
    }

    /// A delay: a duration literal or a Duration constant.
    pub(crate) fn delay(&mut self, delay: &DelayExpr) -> Option<crate::ast::Duration> {
        match delay {
            DelayExpr::Literal(duration, _) => Some(*duration),
            DelayExpr::Const(name) => {
                let Some(constant) = self.env.consts.get(&name.text) else {
                    self.push(
                        Diagnostic::new(
                            Code::E0101,
                            format!("unknown constant `{}`", name.text),
                            name.span,
                            "not a duration or a constant",
                        )
                        .with_help_opt(suggest::did_you_mean(
                            &name.text,
                            self.env.consts.keys().map(String::as_str),
                        )),
                    );
                    return None;
                };
                match &constant.value.kind {
                    model::ExprKind::Literal(model::Literal::Duration(d)) => Some(*d),
                    _ if constant.value.ty.is_error() => None,
                    _ => {
                        let found = self.type_name(&constant.value.ty);
                        self.push(
                            Diagnostic::new(
                                Code::E0104,
                                format!("a delay needs a `Duration`, `{}` is `{found}`", name.text),
                                name.span,
                                format!("this is `{found}`"),
                            )
                            .with_secondary(
                                constant.span,
                                format!("`{}` is defined here", name.text),
                            ),
                        );
                        None
                    }
                }
            }
        }
    }

    /// `in working hours [of CAL]`.
    pub(crate) fn working_hours(
        &mut self,
        hours: Option<&ast::WorkingHours>,
    ) -> Option<model::WorkingHours> {
        let hours = hours?;
        let calendar = match &hours.calendar {
            None => None,
            Some(name) => match self.model().calendars.get_index_of(&name.text) {
                Some(i) => Some(CalendarId(i as u32)),
                None => {
                    self.push(
                        Diagnostic::new(
                            Code::E0101,
                            format!("unknown calendar `{}`", name.text),
                            name.span,
                            "no calendar of this name",
                        )
                        .with_help_opt(suggest::did_you_mean(
                            &name.text,
                            self.model().calendars.keys().map(String::as_str),
                        )),
                    );
                    None
                }
            },
        };
        Some(model::WorkingHours { calendar })
    }
}

/// A stand-in for the field being set, so that a bare stage on the right of `set x.stage_field`
/// resolves against the right kind.
fn field_probe(base: &model::Expr, ty: &Type) -> model::Expr {
    Ctx::typed(model::ExprKind::Field(Box::new(base.clone()), String::new()), ty.clone(), base.span)
}

fn not_a_field_path(span: Span) -> Diagnostic {
    Diagnostic::new(Code::E0104, "`set` needs a field path", span, "not a field path")
        .with_help("write `set deal.field = value`")
}

fn not_settable(field: &Ident) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        Code::E0105,
        format!("`{}` cannot be changed by `set`", field.text),
        field.span,
        "not settable",
    );
    match field.text.as_str() {
        "stage" => diagnostic.with_help("use `move to stage NAME`"),
        "pipeline" => diagnostic.with_help("use `move to pipeline NAME`"),
        _ => diagnostic.with_note("an id is given by the CRM"),
    }
}
