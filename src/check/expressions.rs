//! Expressions (SPEC §6): name resolution (§6.1), field paths, literals, lists, templates and
//! the operators of §6.2 with the type rules of §6.3 (`operators.rs`). Every expression gets a
//! `Type`; an unresolved one gets `Type::Error`, so one mistake gives one diagnostic.
//!
//! The expected type, when the context knows it, decides what a bare name means: where a
//! Stage is expected it names a stage, never a variable; where an enum is expected, a member
//! of that enum; where a Pipeline is expected, a pipeline.

use crate::ast::{self, BinaryOp, ExprKind, Template, TemplatePart};
use crate::diag::{suggest, Code, Diagnostic};
use crate::model::{self, EntityId, FieldDef, Literal, PipelineId};
use crate::span::{Ident, Span};
use crate::types::Type;

use indexmap::IndexMap;

use super::context::Ctx;
use super::operators::{binary_type, unary_type, Blame, OpOptions};
use super::scope::{item_expr, Mode, RESPONSIBLE, SUPERVISOR};
use super::types::convert_literal;

impl<'a> Ctx<'a> {
    /// Checks an expression; `expected` only guides bare names, `none` and `[]` (the caller
    /// checks that the result fits).
    pub fn expr(&mut self, expr: &ast::Expr, expected: Option<&Type>) -> model::Expr {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Literal(literal) => self.literal(literal, span, expected),
            ExprKind::Text(template) => self.template(template, span),
            ExprKind::Now => {
                if self.scope.mode == Mode::Const {
                    self.push(not_constant(span, "`now` changes as time goes by"));
                }
                Ctx::typed(model::ExprKind::Now, Type::DateTime, span)
            }
            ExprKind::Name(name) => self.name(name, expected),
            ExprKind::Field(base, field) => self.field_access(base, field),
            ExprKind::List(items) => self.list(items, span, expected),
            ExprKind::Unary(op, operand) => {
                let operand = self.expr(operand, None);
                let opts = OpOptions { allow_optional: self.scope.at_header, days_only: false };
                let model = self.model();
                match unary_type(*op, &operand.ty, opts, &|t| model.type_name(t)) {
                    Ok(ty) => Ctx::typed(model::ExprKind::Unary(*op, Box::new(operand)), ty, span),
                    Err(error) => {
                        self.push(op_diagnostic(error, span, operand.span, operand.span));
                        Ctx::error_expr(span)
                    }
                }
            }
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right, span),
        }
    }

    /// A condition (`if`, `unless`, `where`): a `Bool` (a missing Bool counts as false).
    pub fn condition(&mut self, expr: &ast::Expr) -> model::Expr {
        self.expect_type(expr, &Type::Bool, "the condition")
    }

    fn literal(
        &mut self,
        literal: &ast::Literal,
        span: Span,
        expected: Option<&Type>,
    ) -> model::Expr {
        match convert_literal(literal) {
            Ok((value, ty)) => {
                // `none` takes the optional type the context expects.
                let ty = match (&value, expected) {
                    (Literal::None, Some(t)) if t.is_optional() && !t.is_error() => t.clone(),
                    _ => ty,
                };
                Ctx::typed(model::ExprKind::Literal(value), ty, span)
            }
            Err(message) => {
                self.push(Diagnostic::new(Code::E0104, message, span, "not an exact decimal"));
                Ctx::error_expr(span)
            }
        }
    }

    /// A bare name, resolved as SPEC §6.1 and §6.3 say.
    fn name(&mut self, name: &Ident, expected: Option<&Type>) -> model::Expr {
        let span = name.span;
        match expected.map(Type::base) {
            Some(Type::Stage) => return self.bare_stage(name),
            Some(Type::Enum(members)) if members.contains(&name.text) => {
                let literal = Literal::Enum(name.text.clone());
                let ty = Type::Enum(members.clone());
                return Ctx::typed(model::ExprKind::Literal(literal), ty, span);
            }
            Some(Type::Pipeline) if !self.is_value_name(&name.text) => {
                if let Some(index) = self.model().pipelines.get_index_of(&name.text) {
                    let literal = Literal::Pipeline(PipelineId(index as u32));
                    return Ctx::typed(model::ExprKind::Literal(literal), Type::Pipeline, span);
                }
            }
            _ => {}
        }
        if let Some(resolved) = self.resolve_plain_name(name) {
            return resolved;
        }
        if self.scope.mode != Mode::Const {
            if let Some(index) = self.model().pipelines.get_index_of(&name.text) {
                let literal = Literal::Pipeline(PipelineId(index as u32));
                return Ctx::typed(model::ExprKind::Literal(literal), Type::Pipeline, span);
            }
        }
        let diagnostic = self.unknown_name(name, expected);
        self.push_unknown_name(diagnostic);
        Ctx::error_expr(span)
    }

    /// A variable, the item, `responsible`, `supervisor` or a constant (inlined).
    pub(crate) fn resolve_plain_name(&mut self, name: &Ident) -> Option<model::Expr> {
        let span = name.span;
        if let Some(binding) = self.scope.lookup(&name.text) {
            let kind = model::ExprKind::Var(name.text.clone());
            return Some(Ctx::typed(kind, binding.ty.clone(), span));
        }
        if let Some(item) = &self.scope.item {
            if item.name == name.text {
                return Some(item_expr(item.entity, span));
            }
            if name.text == RESPONSIBLE || name.text == SUPERVISOR {
                return Some(self.person(item.entity, name));
            }
        }
        if let Some(constant) = self.env.consts.get(&name.text) {
            let mut value = constant.value.clone();
            value.span = span;
            return Some(value);
        }
        None
    }

    /// Whether a bare name is bound to a value (not a stage, pipeline or member).
    pub(crate) fn is_value_name(&self, name: &str) -> bool {
        self.scope.lookup(name).is_some()
            || self
                .scope
                .item
                .as_ref()
                .is_some_and(|item| item.name == name || name == RESPONSIBLE || name == SUPERVISOR)
            || self.env.consts.contains_key(name)
    }

    /// `responsible` is `item.responsible`; `supervisor` is `item.responsible.supervisor`.
    fn person(&mut self, entity: EntityId, name: &Ident) -> model::Expr {
        let span = name.span;
        let model = self.model();
        let Some(field) = model.entity(entity).fields.get(RESPONSIBLE) else {
            let entity_name = &model.entity(entity).name;
            self.push(
                Diagnostic::new(
                    Code::E0101,
                    format!("`{}` has no `{RESPONSIBLE}`", entity_name),
                    span,
                    format!("`{entity_name}` has no field `{RESPONSIBLE}`"),
                )
                .with_secondary(
                    model.entity(entity).span,
                    format!("`{entity_name}` is declared here"),
                )
                .with_help(format!("add it: `schema {entity_name} {{ {RESPONSIBLE}: User? }}`")),
            );
            return Ctx::error_expr(span);
        };
        let responsible = Ctx::typed(
            model::ExprKind::Field(Box::new(item_expr(entity, span)), RESPONSIBLE.into()),
            field.ty.clone(),
            span,
        );
        if name.text == RESPONSIBLE {
            return responsible;
        }
        let supervisor = self.field_of(responsible, name);
        Ctx::typed(supervisor.kind, supervisor.ty, span)
    }

    fn unknown_name(&self, name: &Ident, expected: Option<&Type>) -> Diagnostic {
        let mut names: Vec<&str> = self.scope.vars.iter().map(|b| b.name.as_str()).collect();
        if let Some(item) = &self.scope.item {
            names.extend([item.name.as_str(), RESPONSIBLE, SUPERVISOR]);
        }
        names.extend(self.env.consts.keys().map(String::as_str));
        if let Some(Type::Enum(members)) = expected.map(Type::base) {
            names.extend(members.iter().map(String::as_str));
        }
        let mut diagnostic = match expected.map(Type::base) {
            Some(ty @ Type::Enum(_)) => Diagnostic::new(
                Code::E0101,
                format!("unknown member `{}`", name.text),
                name.span,
                format!("not a member of `{}`", self.type_name(ty)),
            ),
            _ => Diagnostic::new(
                Code::E0101,
                format!("unknown name `{}`", name.text),
                name.span,
                "not defined here",
            ),
        };
        if let Some(help) = suggest::did_you_mean(&name.text, names.iter().copied()) {
            return diagnostic.with_help(help);
        }
        if let Some(entity) = self.env.index.item_names.get(&name.text) {
            let entity_name = &self.model().entity(*entity).name;
            diagnostic = diagnostic.with_note(format!(
                "`{}` is the item only in a pipeline or process `for {entity_name}`",
                name.text
            ));
            if let Some(item) = &self.scope.item {
                diagnostic = diagnostic.with_help(format!("the item here is `{}`", item.name));
            }
        } else if self.scope.mode == Mode::Const {
            diagnostic = diagnostic.with_note("a constant is made of literals and other constants");
        }
        diagnostic
    }

    /// `base.field`, or `P.s` naming stage `s` of pipeline `P`.
    fn field_access(&mut self, base: &ast::Expr, field: &Ident) -> model::Expr {
        if let ExprKind::Name(pipeline) = &base.kind {
            if !self.is_value_name(&pipeline.text)
                && self.model().pipelines.contains_key(&pipeline.text)
                && self.scope.mode != Mode::Const
            {
                return self.qualified_stage(pipeline, field);
            }
        }
        if self.scope.mode == Mode::Const {
            self.push(not_constant(base.span.to(field.span), "a field is read from an item"));
            return Ctx::error_expr(base.span.to(field.span));
        }
        let base = self.expr(base, None);
        self.field_of(base, field)
    }

    /// Reads `field` of a checked value; through an optional the result is optional.
    pub(crate) fn field_of(&mut self, base: model::Expr, field: &Ident) -> model::Expr {
        let span = base.span.to(field.span);
        let optional = base.ty.is_optional();
        let ty = match self.fields_of(&base.ty) {
            Fields::Error => Type::Error,
            Fields::Map(value) => value,
            Fields::Known { fields, owner, declared } => match fields.get(&field.text) {
                Some(def) => def.ty.clone(),
                None => {
                    let diagnostic = unknown_field(field, owner, declared, fields);
                    self.push(diagnostic);
                    return Ctx::error_expr(span);
                }
            },
            Fields::None => {
                let owner = self.type_name(&base.ty);
                self.push(Diagnostic::new(
                    Code::E0101,
                    format!("unknown field `{}` on `{owner}`", field.text),
                    field.span,
                    format!("a `{owner}` has no fields"),
                ));
                return Ctx::error_expr(span);
            }
        };
        let ty = if optional { ty.optional() } else { ty };
        Ctx::typed(model::ExprKind::Field(Box::new(base), field.text.clone()), ty, span)
    }

    /// The fields a value of type `ty` has.
    pub(crate) fn fields_of(&self, ty: &Type) -> Fields<'a> {
        let model = self.model();
        match ty.base() {
            Type::Error => Fields::Error,
            Type::Map(value) => Fields::Map((**value).clone()),
            Type::Entity(id) => entity_fields(model, *id),
            Type::User => match self.env.index.user_entity {
                Some(id) => entity_fields(model, id),
                None => Fields::None,
            },
            Type::Item => match model.records.get(super::schema::ITEM_BASE) {
                Some(base) => {
                    Fields::Known { fields: &base.fields, owner: "item", declared: Some(base.span) }
                }
                None => Fields::Error,
            },
            Type::Record(id) => {
                let record = model.record(*id);
                Fields::Known {
                    fields: &record.fields,
                    owner: &record.name,
                    declared: Some(record.span),
                }
            }
            _ => Fields::None,
        }
    }

    fn list(&mut self, items: &[ast::Expr], span: Span, expected: Option<&Type>) -> model::Expr {
        let element_expected = match expected.map(Type::base) {
            Some(Type::List(element)) => Some((**element).clone()),
            _ => None,
        };
        let mut checked = Vec::with_capacity(items.len());
        let mut element: Option<(Type, Span)> = None;
        for item in items {
            let value = self.expr(item, element_expected.as_ref());
            match &element {
                _ if value.ty.is_error() || matches!(value.ty, Type::None) => {}
                None => element = Some((value.ty.clone(), value.span)),
                Some((ty, _)) if super::types::fits(&value.ty, ty) => {}
                Some((ty, _)) if super::types::fits(ty, &value.ty) => {
                    element = Some((value.ty.clone(), value.span));
                }
                Some((ty, first)) => {
                    let (found, wanted) = (self.type_name(&value.ty), self.type_name(ty));
                    self.push(
                        Diagnostic::new(
                            Code::E0104,
                            format!("list elements of types `{wanted}` and `{found}`"),
                            value.span,
                            format!("this is `{found}`"),
                        )
                        .with_secondary(*first, format!("this is `{wanted}`"))
                        .with_note("the elements of a list have one type"),
                    );
                }
            }
            checked.push(value);
        }
        let ty = match (element, element_expected) {
            (Some((ty, _)), _) => Type::List(Box::new(ty)),
            (None, Some(expected)) => Type::List(Box::new(expected)),
            (None, None) => Type::EmptyList,
        };
        Ctx::typed(model::ExprKind::List(checked), ty, span)
    }

    /// A text with `{{ }}` interpolations; interpolating a record is E0104 (SPEC §6.6).
    pub(crate) fn template(&mut self, template: &Template, span: Span) -> model::Expr {
        if let Some(text) = template.as_plain() {
            return Ctx::typed(model::ExprKind::Literal(Literal::Text(text)), Type::Text, span);
        }
        let mut parts = Vec::with_capacity(template.parts.len());
        for part in &template.parts {
            match part {
                TemplatePart::Text(text) => parts.push(model::TemplatePart::Text(text.clone())),
                TemplatePart::Expr(expr) => {
                    let value = self.expr(expr, None);
                    self.check_interpolation(&value);
                    parts.push(model::TemplatePart::Expr(value));
                }
            }
        }
        Ctx::typed(model::ExprKind::Template(parts), Type::Text, span)
    }

    fn check_interpolation(&mut self, value: &model::Expr) {
        let element = match value.ty.base() {
            Type::List(element) => element.base(),
            other => other,
        };
        let record = match element {
            // A record with a `url` renders as its url (a PaymentLink, SPEC §6.6).
            Type::Record(id) if !self.model().record(*id).fields.contains_key("url") => {
                Some(self.model().record(*id))
            }
            Type::Map(_) => None,
            _ => return,
        };
        let name = self.type_name(&value.ty);
        let mut diagnostic = Diagnostic::new(
            Code::E0104,
            format!("cannot interpolate a `{name}` record"),
            value.span,
            format!("this is a `{name}`"),
        );
        diagnostic = match record.and_then(|r| r.fields.keys().next()) {
            Some(field) => {
                diagnostic.with_help(format!("interpolate one of its fields, such as `.{field}`"))
            }
            None => diagnostic.with_help("interpolate one of its fields"),
        };
        self.push(diagnostic);
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &ast::Expr,
        right: &ast::Expr,
        span: Span,
    ) -> model::Expr {
        let (left, right) = self.operands(op, left, right);
        let days_only = |e: &model::Expr| match &e.kind {
            model::ExprKind::Literal(Literal::Duration(d)) => d.hours == 0 && d.minutes == 0,
            _ => false,
        };
        let opts = OpOptions {
            allow_optional: self.scope.at_header,
            days_only: days_only(&left) || days_only(&right),
        };
        let model = self.model();
        match binary_type(op, &left.ty, &right.ty, opts, &|t| model.type_name(t)) {
            Ok(ty) => {
                let kind = model::ExprKind::Binary(op, Box::new(left), Box::new(right));
                Ctx::typed(kind, ty, span)
            }
            Err(error) => {
                self.push(op_diagnostic(error, span, left.span, right.span));
                Ctx::error_expr(span)
            }
        }
    }

    /// Checks both operands, the one that needs a context (a bare stage or member) after the
    /// other, whose type it then expects.
    fn operands(
        &mut self,
        op: BinaryOp,
        left: &ast::Expr,
        right: &ast::Expr,
    ) -> (model::Expr, model::Expr) {
        let right_first = self.needs_context(left) && !self.needs_context(right);
        if right_first {
            let right = self.expr(right, None);
            let expected = match op {
                BinaryOp::In => element_type(&right.ty),
                _ => Some(right.ty.base().clone()),
            };
            let left = self.with_stage_owner(&right, |ctx| ctx.expr(left, expected.as_ref()));
            return (left, right);
        }
        let left = self.expr(left, None);
        let expected = match op {
            BinaryOp::In => Some(Type::List(Box::new(left.ty.base().clone()))),
            BinaryOp::Contains => element_type(&left.ty),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => None,
            _ => Some(left.ty.base().clone()),
        };
        let expected = expected.filter(|t| !t.is_error());
        let right = self.with_stage_owner(&left, |ctx| ctx.expr(right, expected.as_ref()));
        (left, right)
    }

    /// Whether an operand is a bare name (or `P.s`, or a list of them) that means nothing
    /// without an expected type.
    fn needs_context(&self, expr: &ast::Expr) -> bool {
        match &expr.kind {
            ExprKind::Name(name) => !self.is_value_name(&name.text),
            ExprKind::Field(base, _) => {
                matches!(&base.kind, ExprKind::Name(p) if !self.is_value_name(&p.text)
                    && self.model().pipelines.contains_key(&p.text))
            }
            ExprKind::List(items) => {
                !items.is_empty() && items.iter().all(|i| self.needs_context(i))
            }
            _ => false,
        }
    }

    /// Runs `f` with the kind of `other`'s stage (for `d1.stage == won`) as the stage hint.
    pub(crate) fn with_stage_owner<R>(
        &mut self,
        other: &model::Expr,
        f: impl FnOnce(&mut Self) -> R,
    ) -> R {
        let owner = stage_owner(other);
        let saved = self.stage_kind_hint;
        if owner.is_some() {
            self.stage_kind_hint = owner;
        }
        let result = f(self);
        self.stage_kind_hint = saved;
        result
    }
}

/// The element type of a list type.
fn element_type(ty: &Type) -> Option<Type> {
    match ty.base() {
        Type::List(element) => Some((**element).clone()),
        _ => None,
    }
}

/// The kind whose stage an expression reads: `d1.stage` (or `deal.stage`) → `Deal`.
fn stage_owner(expr: &model::Expr) -> Option<EntityId> {
    let expr = match &expr.kind {
        model::ExprKind::List(items) => items.first()?,
        _ => expr,
    };
    match &expr.kind {
        model::ExprKind::Field(base, _) => match base.ty.base() {
            Type::Entity(id) => Some(*id),
            _ => None,
        },
        _ => None,
    }
}

/// The fields a type has, for field access.
pub(crate) enum Fields<'m> {
    Known {
        fields: &'m IndexMap<String, FieldDef>,
        owner: &'m str,
        declared: Option<Span>,
    },
    /// A `Map`: any key, of this type.
    Map(Type),
    /// An unresolved base: no diagnostic.
    Error,
    /// A type without fields.
    None,
}

fn entity_fields(model: &model::Model, id: EntityId) -> Fields<'_> {
    let entity = model.entity(id);
    Fields::Known { fields: &entity.fields, owner: &entity.name, declared: Some(entity.span) }
}

/// E0101 for a misspelt field, with the declaration of the fields as a secondary label.
pub(crate) fn unknown_field(
    field: &Ident,
    owner: &str,
    declared: Option<Span>,
    fields: &IndexMap<String, FieldDef>,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        Code::E0101,
        format!("unknown field `{}` on `{owner}`", field.text),
        field.span,
        format!("`{owner}` has no field `{}`", field.text),
    )
    .with_help_opt(suggest::did_you_mean(&field.text, fields.keys().map(String::as_str)));
    if let Some(span) = declared {
        diagnostic =
            diagnostic.with_secondary(span, format!("the fields of `{owner}` are declared here"));
    }
    diagnostic
}

fn not_constant(span: Span, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0107,
        "a constant is made of literals and other constants",
        span,
        "not a literal or a constant",
    )
    .with_note(why.to_string())
    .with_help("compute the value in a rule with `let`")
}

/// E0104 at the operand the error is about.
fn op_diagnostic(
    error: super::operators::OpError,
    whole: Span,
    left: Span,
    right: Span,
) -> Diagnostic {
    let span = match error.blame {
        Blame::Left => left,
        Blame::Right => right,
        Blame::Whole => whole,
    };
    let diagnostic = Diagnostic::new(Code::E0104, error.message, span, error.label);
    match error.help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}
