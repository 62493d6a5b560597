//! Pass 4: stdlib `action` and `event` declarations (SPEC §3.7) into `ActionDef`s and
//! `EventDef`s, keyed by their leading fixed words. Two declarations with the same words are
//! E0106 (a tie between candidates is a stdlib error, SPEC §5); an invalid declaration is E0107.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::ast::{self, ExprKind, ParamDecl, TypeExprKind};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{self, ActionDef, Arg, EventDef, Model, Param, ParamType, SigPart};
use crate::span::{Ident, Span};
use crate::types::Type;

use super::declare::{duplicate, Decls};
use super::types::{convert_literal, fits, resolve_param_type, resolve_type};

/// The context names an action may be restricted to (`in rule`, `in process`).
const CONTEXTS: &[&str] = &["rule", "process"];

pub(crate) fn build(decls: &Decls, model: &mut Model, diags: &mut Diagnostics) {
    for action in &decls.actions {
        if let Some(def) = action_def(model, action, diags) {
            if let Some(first) = model.actions.get(&def.words) {
                diags.push(duplicate("action", &def.words, def.span, first.span));
                continue;
            }
            model.actions.insert(def.words.clone(), def);
        }
    }
    for event in &decls.events {
        if let Some(def) = event_def(model, event, diags) {
            if let Some(first) = model.events.get(&def.words) {
                diags.push(duplicate("event", &def.words, def.span, first.span));
                continue;
            }
            model.events.insert(def.words.clone(), def);
        }
    }
}

/// The leading fixed words joined by one space, and their span; a declaration must start with
/// one (E0107).
fn leading_words(
    signature: &[ast::SigPart],
    span: Span,
    diags: &mut Diagnostics,
) -> Option<(String, Span)> {
    let words: Vec<&Ident> = signature
        .iter()
        .map_while(|part| match part {
            ast::SigPart::Word(word) => Some(word),
            _ => None,
        })
        .collect();
    let (Some(first), Some(last)) = (words.first(), words.last()) else {
        diags.push(Diagnostic::new(
            Code::E0107,
            "a declaration must start with a fixed word",
            span,
            "no leading word",
        ));
        return None;
    };
    let text: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    Some((text.join(" "), first.span.to(last.span)))
}

fn action_def(
    model: &Model,
    action: &ast::ActionDecl,
    diags: &mut Diagnostics,
) -> Option<ActionDef> {
    let (words, words_span) = leading_words(&action.signature, action.span, diags)?;
    let mut names = HashMap::new();
    let signature = signature(model, &action.signature, false, &mut names, diags);
    let mut named = IndexMap::new();
    for param in &action.named {
        if !unique_name(&mut names, &param.name, diags) {
            continue;
        }
        let converted = param_def(model, param, param.required, diags);
        if matches!(converted.ty, ParamType::Kind | ParamType::Condition) {
            diags.push(misplaced_type(param, "a positional hole"));
        }
        named.insert(converted.name.clone(), converted);
    }
    let has_kind = holes(&signature).any(|p| matches!(p.ty, ParamType::Kind));
    let needs_kind = holes(&signature)
        .chain(named.values())
        .any(|p| matches!(p.ty, ParamType::KindFields | ParamType::Condition));
    if needs_kind && !has_kind {
        diags.push(Diagnostic::new(
            Code::E0107,
            format!("`{words}` uses its kind but has no `Kind` hole"),
            action.span,
            "`KindFields` and `Condition` need a `<kind: Kind>` hole",
        ));
    }
    let (result, result_is_kind) = match &action.result {
        Some(ty) => match &ty.kind {
            TypeExprKind::Named(name) if name.text == "Kind" => {
                (Some(if ty.optional { Type::Item.optional() } else { Type::Item }), true)
            }
            _ => (Some(resolve_type(model, ty, diags)), false),
        },
        None => (None, false),
    };
    let (in_rule, in_process) = contexts(&action.contexts, diags);
    Some(ActionDef {
        words,
        signature,
        named,
        result,
        result_is_kind,
        in_rule,
        in_process,
        doc: action.doc.as_ref().map(|d| d.text.clone()),
        span: words_span,
    })
}

fn event_def(model: &Model, event: &ast::EventDecl, diags: &mut Diagnostics) -> Option<EventDef> {
    let (words, words_span) = leading_words(&event.signature, event.span, diags)?;
    let mut names = HashMap::new();
    let signature = signature(model, &event.signature, false, &mut names, diags);
    let mut payload = IndexMap::new();
    let mut payload_names = HashMap::new();
    for (name, ty) in &event.payload {
        if unique_name(&mut payload_names, name, diags) {
            payload.insert(name.text.clone(), resolve_type(model, ty, diags));
        }
    }
    Some(EventDef {
        words,
        signature,
        payload,
        doc: event.doc.as_ref().map(|d| d.text.clone()),
        span: words_span,
    })
}

/// Every hole of a signature, optional groups included, in order.
pub(crate) fn holes(signature: &[SigPart]) -> Box<dyn Iterator<Item = &Param> + '_> {
    Box::new(signature.iter().flat_map(|part| -> Box<dyn Iterator<Item = &Param>> {
        match part {
            SigPart::Word(_) => Box::new(std::iter::empty()),
            SigPart::Hole(param) => Box::new(std::iter::once(param)),
            SigPart::Optional(group) => holes(group),
        }
    }))
}

fn signature(
    model: &Model,
    parts: &[ast::SigPart],
    in_group: bool,
    names: &mut HashMap<String, Span>,
    diags: &mut Diagnostics,
) -> Vec<SigPart> {
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            ast::SigPart::Word(word) => out.push(SigPart::Word(word.text.clone())),
            ast::SigPart::Hole(param) => {
                if !unique_name(names, &param.name, diags) {
                    continue;
                }
                let converted = param_def(model, param, !in_group, diags);
                if matches!(converted.ty, ParamType::KindFields) {
                    diags.push(misplaced_type(param, "a named parameter"));
                }
                out.push(SigPart::Hole(converted));
            }
            ast::SigPart::Optional(group, span) => {
                if group.is_empty() {
                    diags.push(Diagnostic::new(
                        Code::E0107,
                        "an optional group is empty",
                        *span,
                        "nothing inside",
                    ));
                    continue;
                }
                out.push(SigPart::Optional(signature(model, group, true, names, diags)));
            }
        }
    }
    out
}

fn misplaced_type(param: &ParamDecl, place: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0107,
        format!("parameter `{}` has a type allowed only for {place}", param.name.text),
        param.span,
        "misplaced special type",
    )
}

fn unique_name(names: &mut HashMap<String, Span>, name: &Ident, diags: &mut Diagnostics) -> bool {
    if let Some(first) = names.get(&name.text) {
        diags.push(duplicate("parameter", &name.text, name.span, *first));
        return false;
    }
    names.insert(name.text.clone(), name.span);
    true
}

fn param_def(model: &Model, param: &ParamDecl, required: bool, diags: &mut Diagnostics) -> Param {
    let ty = resolve_param_type(model, param.ty.as_ref(), diags);
    let default = param.default.as_ref().and_then(|d| param_default(model, &ty, d, diags));
    Param { name: param.name.text.clone(), ty, default, required, span: param.name.span }
}

/// A parameter default: a keyword alternative, `responsible` or `supervisor` (of the item the
/// call runs for), a literal, a plain text, `[]` or an enum member.
fn param_default(
    model: &Model,
    ty: &ParamType,
    expr: &ast::Expr,
    diags: &mut Diagnostics,
) -> Option<Arg> {
    let value_type = match ty {
        ParamType::Value(t) => t.clone(),
        ParamType::Keywords(_, Some(t)) => t.clone(),
        _ => Type::Error,
    };
    let span = expr.span;
    let typed = |kind, found: Type| model::Expr { kind, ty: found, span };
    let (arg, found) = match &expr.kind {
        ExprKind::Name(name) => {
            if let ParamType::Keywords(words, _) = ty {
                if words.contains(&name.text) {
                    return Some(Arg::Keyword(name.text.clone()));
                }
            }
            if let Type::Enum(members) = value_type.base() {
                if members.contains(&name.text) {
                    let kind = model::ExprKind::Literal(model::Literal::Enum(name.text.clone()));
                    return Some(Arg::Expr(typed(kind, value_type.base().clone())));
                }
            }
            match item_person(model, &name.text, span) {
                Some(person) => {
                    let found = person.ty.clone();
                    (Arg::Expr(person), found)
                }
                None => return invalid_param_default(span, diags),
            }
        }
        ExprKind::Literal(literal) => match convert_literal(literal) {
            Ok((value, found)) => {
                (Arg::Expr(typed(model::ExprKind::Literal(value), found.clone())), found)
            }
            Err(_) => return invalid_param_default(span, diags),
        },
        ExprKind::Text(template) => match template.as_plain() {
            Some(text) => {
                let kind = model::ExprKind::Literal(model::Literal::Text(text));
                (Arg::Expr(typed(kind, Type::Text)), Type::Text)
            }
            None => return invalid_param_default(span, diags),
        },
        ExprKind::List(items) if items.is_empty() => {
            let found = match value_type.base() {
                Type::List(_) => value_type.base().clone(),
                _ => Type::EmptyList,
            };
            (Arg::Expr(typed(model::ExprKind::List(Vec::new()), found.clone())), found)
        }
        _ => return invalid_param_default(span, diags),
    };
    if !fits(&found, &value_type) {
        diags.push(Diagnostic::new(
            Code::E0104,
            format!(
                "default of type `{}` for a parameter of type `{}`",
                model.type_name(&found),
                model.type_name(&value_type)
            ),
            span,
            "does not fit the parameter",
        ));
        return None;
    }
    Some(arg)
}

/// `responsible` → `Field(Item, "responsible")`; `supervisor` → its `supervisor` (SPEC §6.1),
/// typed by the fields of the stdlib `User` entity.
fn item_person(model: &Model, name: &str, span: Span) -> Option<model::Expr> {
    let item = model::Expr { kind: model::ExprKind::Item, ty: Type::Item, span };
    let responsible = model::Expr {
        kind: model::ExprKind::Field(Box::new(item), "responsible".into()),
        ty: Type::User,
        span,
    };
    match name {
        "responsible" => Some(responsible),
        "supervisor" => {
            let ty = model
                .entities
                .get("User")
                .and_then(|user| user.fields.get("supervisor"))
                .map_or(Type::User.optional(), |f| f.ty.clone());
            Some(model::Expr {
                kind: model::ExprKind::Field(Box::new(responsible), "supervisor".into()),
                ty,
                span,
            })
        }
        _ => None,
    }
}

fn invalid_param_default(span: Span, diags: &mut Diagnostics) -> Option<Arg> {
    diags.push(Diagnostic::new(
        Code::E0107,
        "a parameter default must be a literal, a keyword or `responsible`",
        span,
        "not a valid default",
    ));
    None
}

/// `in rule` / `in process`: where the action is allowed (both when none is given).
fn contexts(contexts: &[Ident], diags: &mut Diagnostics) -> (bool, bool) {
    if contexts.is_empty() {
        return (true, true);
    }
    let mut allowed = (false, false);
    for context in contexts {
        match context.text.as_str() {
            "rule" => allowed.0 = true,
            "process" => allowed.1 = true,
            other => diags.push(
                Diagnostic::new(
                    Code::E0107,
                    format!("unknown context `{other}`"),
                    context.span,
                    "not a context",
                )
                .with_help(format!("write one of: {}", CONTEXTS.join(", "))),
            ),
        }
    }
    allowed
}
