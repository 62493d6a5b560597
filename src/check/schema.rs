//! Pass 2: record types, standard entities (stdlib `entity`), custom entities (user `entity`)
//! and `schema` additions, with their field types, defaults and required flags (SPEC §3.1).
//!
//! Records and entities are registered first (shells, in declaration order) so that fields can
//! name any of them; then fields are resolved in order, records before entities.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::ast::{self, ExprKind, FieldDecl, UnaryOp};
use crate::diag::{suggest, Code, Diagnostic, Diagnostics};
use crate::model::{self, Default, EntityDef, FieldDef, Model, RecordDef};
use crate::span::Span;
use crate::types::Type;

use super::declare::{duplicate, Decls};
use super::types::{convert_literal, fits, resolve_type};

/// The stdlib record whose fields every custom entity starts with (stdlib/entities.bp).
pub(crate) const ITEM_BASE: &str = "ItemBase";

/// Fields that are never required on creation (SPEC §3.1: `stage` and `pipeline` default as
/// §3.4 says; the id is given by the CRM).
pub(crate) const NEVER_REQUIRED: &[&str] = &["id", "stage", "pipeline"];

pub(crate) fn build(decls: &Decls, model: &mut Model, diags: &mut Diagnostics) {
    register_shells(decls, model, diags);
    for record in &decls.records {
        let fields = field_list(model, &record.fields, diags);
        if let Some(def) = model.records.get_mut(&record.name.text) {
            def.fields = fields;
        }
    }
    for (entity, custom) in &decls.entities {
        let mut fields = field_list(model, &entity.fields, diags);
        if *custom {
            fields = with_item_base(model, fields);
        }
        if let Some(def) = model.entities.get_mut(&entity.name.text) {
            def.fields = fields;
        }
    }
    for schema in &decls.schemas {
        extend_entity(model, schema, diags);
    }
}

/// Registers every record and entity by name with no fields yet; two entities whose item names
/// collide (`SmartItem`, `Smart_Item`) are E0106.
fn register_shells(decls: &Decls, model: &mut Model, diags: &mut Diagnostics) {
    for record in &decls.records {
        model.records.insert(
            record.name.text.clone(),
            RecordDef {
                name: record.name.text.clone(),
                fields: IndexMap::new(),
                span: record.name.span,
            },
        );
    }
    let mut item_names: HashMap<String, Span> = HashMap::new();
    for (entity, custom) in &decls.entities {
        let item_name = snake_case(&entity.name.text);
        if let Some(first) = item_names.get(&item_name) {
            diags.push(
                duplicate("item name", &item_name, entity.name.span, *first)
                    .with_note("an entity's item name is its name in snake_case"),
            );
            continue;
        }
        item_names.insert(item_name.clone(), entity.name.span);
        model.entities.insert(
            entity.name.text.clone(),
            EntityDef {
                name: entity.name.text.clone(),
                item_name,
                fields: IndexMap::new(),
                custom: *custom,
                doc: entity.doc.as_ref().map(|d| d.text.clone()),
                span: entity.name.span,
            },
        );
    }
}

/// `SmartItem` → `smart_item`, `HTTPHook` → `http_hook`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let previous = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = match previous {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The fields of one declaration; a field declared twice is E0106.
fn field_list(
    model: &Model,
    fields: &[FieldDecl],
    diags: &mut Diagnostics,
) -> IndexMap<String, FieldDef> {
    let mut out: IndexMap<String, FieldDef> = IndexMap::new();
    for field in fields {
        if let Some(first) = out.get(&field.name.text) {
            diags.push(duplicate("field", &field.name.text, field.name.span, first.span));
            continue;
        }
        let def = field_def(model, field, diags);
        out.insert(def.name.clone(), def);
    }
    out
}

/// A checked field: its type, its default and whether creation must give it.
pub(crate) fn field_def(model: &Model, field: &FieldDecl, diags: &mut Diagnostics) -> FieldDef {
    let ty = resolve_type(model, &field.ty, diags);
    let default = field.default.as_ref().and_then(|d| default_value(d, &ty, diags));
    let required = !ty.is_optional()
        && !ty.is_error()
        && default.is_none()
        && !NEVER_REQUIRED.contains(&field.name.text.as_str());
    FieldDef {
        name: field.name.text.clone(),
        ty,
        default,
        required,
        doc: field.doc.as_ref().map(|d| d.text.clone()),
        span: field.name.span,
    }
}

/// A field default: a literal, `now` or `[]` (SPEC §3.1), or an enum member by name.
fn default_value(expr: &ast::Expr, ty: &Type, diags: &mut Diagnostics) -> Option<Default> {
    let (default, found) = match &expr.kind {
        ExprKind::Now => (Default::Now, Type::DateTime),
        ExprKind::List(items) if items.is_empty() => (Default::EmptyList, Type::EmptyList),
        ExprKind::Literal(literal) => match convert_literal(literal) {
            Ok((value, found)) => (Default::Literal(value), found),
            Err(message) => {
                diags.push(Diagnostic::new(
                    Code::E0107,
                    message,
                    expr.span,
                    "not an exact decimal",
                ));
                return None;
            }
        },
        ExprKind::Unary(UnaryOp::Neg, inner) => match &inner.kind {
            ExprKind::Literal(ast::Literal::Number(digits)) => {
                match convert_literal(&ast::Literal::Number(format!("-{digits}"))) {
                    Ok((value, found)) => (Default::Literal(value), found),
                    Err(_) => return invalid_default(expr.span, diags),
                }
            }
            _ => return invalid_default(expr.span, diags),
        },
        ExprKind::Text(template) => match template.as_plain() {
            Some(text) => (Default::Literal(model::Literal::Text(text)), Type::Text),
            None => return invalid_default(expr.span, diags),
        },
        ExprKind::Name(name) => match ty.base() {
            Type::Enum(members) => {
                if members.contains(&name.text) {
                    return Some(Default::Literal(model::Literal::Enum(name.text.clone())));
                }
                diags.push(
                    Diagnostic::new(
                        Code::E0101,
                        format!("unknown member `{}`", name.text),
                        name.span,
                        format!("not a member of `{ty}`"),
                    )
                    .with_help_opt(suggest::did_you_mean(
                        &name.text,
                        members.iter().map(String::as_str),
                    )),
                );
                return None;
            }
            _ => return invalid_default(expr.span, diags),
        },
        _ => return invalid_default(expr.span, diags),
    };
    // `now` also fits a Date field (today).
    let ok = fits(&found, ty) || (matches!(default, Default::Now) && ty.base() == &Type::Date);
    if !ok {
        diags.push(
            Diagnostic::new(
                Code::E0104,
                format!("default of type `{found}` for a field of type `{ty}`"),
                expr.span,
                format!("this is `{found}`"),
            )
            .with_help(format!("give a `{ty}` value")),
        );
        return None;
    }
    Some(default)
}

fn invalid_default(span: Span, diags: &mut Diagnostics) -> Option<Default> {
    diags.push(
        Diagnostic::new(
            Code::E0107,
            "a field default must be a literal, `now` or `[]`",
            span,
            "not a literal",
        )
        .with_help("set computed values with a rule: `on enter { set … }`"),
    );
    None
}

/// A custom entity's fields: the `ItemBase` fields it does not declare, then its own.
fn with_item_base(model: &Model, own: IndexMap<String, FieldDef>) -> IndexMap<String, FieldDef> {
    let Some(base) = model.records.get(ITEM_BASE) else {
        return own;
    };
    let mut fields: IndexMap<String, FieldDef> = base
        .fields
        .iter()
        .filter(|(name, _)| !own.contains_key(*name))
        .map(|(name, def)| (name.clone(), def.clone()))
        .collect();
    fields.extend(own);
    fields
}

/// `schema Deal { … }`: adds fields to an existing entity; a field it already has is E0106.
fn extend_entity(model: &mut Model, schema: &ast::SchemaDecl, diags: &mut Diagnostics) {
    if !model.entities.contains_key(&schema.name.text) {
        diags.push(
            Diagnostic::new(
                Code::E0101,
                format!("unknown entity `{}`", schema.name.text),
                schema.name.span,
                "no entity of this name",
            )
            .with_help_opt(
                suggest::did_you_mean(&schema.name.text, model.entities.keys().map(String::as_str))
                    .or_else(|| Some("declare a new entity with `entity NAME { … }`".into())),
            ),
        );
        return;
    }
    for field in &schema.fields {
        let def = field_def(model, field, diags);
        let Some(entity) = model.entities.get_mut(&schema.name.text) else {
            return;
        };
        if let Some(existing) = entity.fields.get(&field.name.text) {
            diags.push(duplicate("field", &field.name.text, field.name.span, existing.span));
            continue;
        }
        entity.fields.insert(def.name.clone(), def);
    }
}
