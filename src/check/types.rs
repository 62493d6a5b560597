//! Types as written (`Text`, `Money?`, `Enum(a, b)`, `List(User)`, `Task.status`, `info |
//! call`) turned into `Type`s and `ParamType`s, and literals turned into typed model
//! literals. Used by the schema, signature, const and expression passes.

use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::ast::{self, TypeExpr, TypeExprKind};
use crate::diag::{suggest, Code, Diagnostic, Diagnostics};
use crate::model::{self, Model, ParamType};
use crate::types::Type;

/// Type names a user entity may not take. `User` is among them: the stdlib `entity User` only
/// describes the fields of a user.
pub(crate) const BUILTIN_TYPE_NAMES: &[&str] = &[
    "Text",
    "Number",
    "Money",
    "Bool",
    "Date",
    "DateTime",
    "Duration",
    "User",
    "Stage",
    "Pipeline",
    "Calendar",
    "Item",
    "FieldPath",
    "Any",
    "Map",
    "Kind",
    "KindFields",
    "Condition",
    "Name",
    "Record",
    "Enum",
    "List",
];

/// Special types of action and event parameters only (stdlib/actions.bp header).
const PARAM_ONLY_TYPES: &[&str] = &["Kind", "KindFields", "Condition", "Name", "Record"];

/// The built-in type a name stands for, if any.
fn builtin(name: &str) -> Option<Type> {
    Some(match name {
        "Text" => Type::Text,
        "Number" => Type::Number,
        "Money" => Type::Money,
        "Bool" => Type::Bool,
        "Date" => Type::Date,
        "DateTime" => Type::DateTime,
        "Duration" => Type::Duration,
        "User" => Type::User,
        "Stage" => Type::Stage,
        "Pipeline" => Type::Pipeline,
        "Calendar" => Type::Calendar,
        "Item" => Type::Item,
        "FieldPath" => Type::FieldPath,
        // A value of any type: `Error` fits everything (the old and new value of a field).
        "Any" => Type::Error,
        "Map" => Type::Map(Box::new(Type::Text.optional())),
        _ => return None,
    })
}

/// Resolves a field, record or constant type. Unknown names are E0101; keyword alternatives
/// and parameter-only types are E0107 here.
pub(crate) fn resolve_type(model: &Model, ty: &TypeExpr, diags: &mut Diagnostics) -> Type {
    let resolved = match &ty.kind {
        TypeExprKind::Named(name) => resolve_named(model, name, diags),
        TypeExprKind::Enum(members) => enum_type(members, diags),
        TypeExprKind::List(inner) => Type::List(Box::new(resolve_type(model, inner, diags))),
        TypeExprKind::FieldOf(entity, field) => field_of(model, entity, field, diags),
        TypeExprKind::Alternatives(_) => {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    "keyword alternatives are only for action parameters",
                    ty.span,
                    "not a field type",
                )
                .with_help("use `Enum(a, b, c)` for a field with a fixed set of values"),
            );
            Type::Error
        }
    };
    if ty.optional {
        resolved.optional()
    } else {
        resolved
    }
}

fn resolve_named(model: &Model, name: &crate::span::Ident, diags: &mut Diagnostics) -> Type {
    if let Some(ty) = builtin(&name.text) {
        return ty;
    }
    if let Some(id) = model.entity_id(&name.text) {
        return Type::Entity(id);
    }
    if let Some(index) = model.records.get_index_of(&name.text) {
        return Type::Record(model::RecordId(index as u32));
    }
    if PARAM_ONLY_TYPES.contains(&name.text.as_str()) {
        diags.push(
            Diagnostic::new(
                Code::E0107,
                format!("`{}` is only for action and event parameters", name.text),
                name.span,
                "not a field type",
            )
            .with_help("see the header of stdlib/actions.bp for the special parameter types"),
        );
        return Type::Error;
    }
    let candidates = BUILTIN_TYPE_NAMES
        .iter()
        .copied()
        .chain(model.entities.keys().map(String::as_str))
        .chain(model.records.keys().map(String::as_str));
    diags.push(
        Diagnostic::new(
            Code::E0101,
            format!("unknown type `{}`", name.text),
            name.span,
            "not a type, entity or record",
        )
        .with_help_opt(suggest::did_you_mean(&name.text, candidates)),
    );
    Type::Error
}

fn enum_type(members: &[crate::span::Ident], diags: &mut Diagnostics) -> Type {
    let mut names: Vec<String> = Vec::with_capacity(members.len());
    for (i, member) in members.iter().enumerate() {
        if let Some(first) = members[..i].iter().find(|m| m.text == member.text) {
            diags.push(super::declare::duplicate("member", &member.text, member.span, first.span));
        } else {
            names.push(member.text.clone());
        }
    }
    Type::Enum(Arc::from(names))
}

/// `Task.status`: the type of a field of an entity whose fields are already resolved.
fn field_of(
    model: &Model,
    entity: &crate::span::Ident,
    field: &crate::span::Ident,
    diags: &mut Diagnostics,
) -> Type {
    let Some(def) = model.entities.get(&entity.text) else {
        diags.push(
            Diagnostic::new(
                Code::E0101,
                format!("unknown entity `{}`", entity.text),
                entity.span,
                "not an entity",
            )
            .with_help_opt(suggest::did_you_mean(
                &entity.text,
                model.entities.keys().map(String::as_str),
            )),
        );
        return Type::Error;
    };
    match def.fields.get(&field.text) {
        Some(f) => f.ty.clone(),
        None => {
            diags.push(
                Diagnostic::new(
                    Code::E0101,
                    format!("unknown field `{}` on `{}`", field.text, entity.text),
                    field.span,
                    format!("`{}` has no field `{}`", entity.text, field.text),
                )
                .with_secondary(def.span, format!("`{}` is declared here", entity.text))
                .with_help_opt(suggest::did_you_mean(
                    &field.text,
                    def.fields.keys().map(String::as_str),
                )),
            );
            Type::Error
        }
    }
}

/// Resolves the type of an action or event parameter (`None`: an untyped `<value>` hole).
pub(crate) fn resolve_param_type(
    model: &Model,
    ty: Option<&TypeExpr>,
    diags: &mut Diagnostics,
) -> ParamType {
    let Some(ty) = ty else {
        return ParamType::Any;
    };
    match &ty.kind {
        TypeExprKind::Named(name) if !ty.optional => match name.text.as_str() {
            "Kind" => return ParamType::Kind,
            "KindFields" => return ParamType::KindFields,
            "Condition" => return ParamType::Condition,
            "Name" => return ParamType::Name,
            "Record" => return ParamType::AnyRecord,
            _ => {}
        },
        TypeExprKind::Alternatives(alternatives) => {
            return keyword_alternatives(model, alternatives, ty.optional, diags);
        }
        TypeExprKind::List(inner) => {
            if let TypeExprKind::Alternatives(alternatives) = &inner.kind {
                if let ParamType::Keywords(words, None) =
                    keyword_alternatives(model, alternatives, false, diags)
                {
                    return ParamType::KeywordList(words);
                }
            }
        }
        _ => {}
    }
    ParamType::Value(resolve_type(model, ty, diags))
}

/// `info | call | email` or `contact | company | Text`: lowercase alternatives are keywords,
/// a capitalised one is a type (at most one).
fn keyword_alternatives(
    model: &Model,
    alternatives: &[TypeExpr],
    optional: bool,
    diags: &mut Diagnostics,
) -> ParamType {
    let mut words = Vec::new();
    let mut value: Option<Type> = None;
    for alternative in alternatives {
        match &alternative.kind {
            TypeExprKind::Named(name)
                if name.text.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') =>
            {
                words.push(name.text.clone());
            }
            _ if value.is_none() => value = Some(resolve_type(model, alternative, diags)),
            _ => diags.push(Diagnostic::new(
                Code::E0107,
                "keyword alternatives may include only one type",
                alternative.span,
                "a second type",
            )),
        }
    }
    ParamType::Keywords(words, value.map(|t| if optional { t.optional() } else { t }))
}

/// A literal as the model holds it, with its type. Fails only for a number too large for an
/// exact decimal.
pub(crate) fn convert_literal(literal: &ast::Literal) -> Result<(model::Literal, Type), String> {
    Ok(match literal {
        ast::Literal::Number(digits) => {
            let value = Decimal::from_str(digits)
                .map_err(|_| format!("the number `{digits}` is too large"))?;
            (model::Literal::Number(value), Type::Number)
        }
        ast::Literal::Bool(b) => (model::Literal::Bool(*b), Type::Bool),
        ast::Literal::None => (model::Literal::None, Type::None),
        ast::Literal::Duration(d) => (model::Literal::Duration(*d), Type::Duration),
        ast::Literal::Date(d) => (model::Literal::Date(*d), Type::Date),
        ast::Literal::DateTime(d) => (model::Literal::DateTime(*d), Type::DateTime),
        ast::Literal::User(id) => (model::Literal::User(id.clone()), Type::User),
    })
}

/// Whether a value of type `found` may be used where `target` is expected (SPEC §6.3):
/// Number converts to Money, a `T?` may fill a `T`, `none` fills any optional, `[]` any list,
/// a Date is a moment at 00:00, an entity is an item, and `Error` fits everything.
pub(crate) fn fits(found: &Type, target: &Type) -> bool {
    match (found, target) {
        (Type::Error, _) | (_, Type::Error) => true,
        (a, b) if a == b => true,
        (Type::None, Type::Optional(_)) => true,
        (Type::Optional(inner), _) => fits(inner, target),
        (_, Type::Optional(inner)) => fits(found, inner),
        (Type::Number, Type::Money) => true,
        (Type::Date, Type::DateTime) => true,
        (Type::EmptyList, Type::List(_)) => true,
        (Type::List(a), Type::List(b)) => fits(a, b),
        (Type::Entity(_), Type::Item) => true,
        (Type::Enum(a), Type::Enum(b)) => a == b,
        _ => false,
    }
}
