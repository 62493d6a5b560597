//! The `{ name: value }` block of a call (SPEC §5 step 4: an unknown name is E0102, a missing
//! required one E0103), the `KindFields` spread of `create <kind>`, nested records (`set:`,
//! `fields:`), `in DURATION` for DateTime arguments, and field paths (`FieldPath` holes).

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::ast::{self, ArgValue, CallPart, CallPartKind, ExprKind, NamedArgs};
use crate::diag::{suggest, Code, Diagnostic};
use crate::model::{self, ActionDef, Arg, EntityDef, EntityId, FieldDef, ParamType};
use crate::span::{Ident, Span};
use crate::types::Type;

use super::actions::CallInfo;
use super::context::Ctx;
use super::declare::duplicate;
use super::expressions::{unknown_field, Fields};

impl<'a> Ctx<'a> {
    /// Binds the named arguments into `given`; `None` after the first failure.
    pub(crate) fn named_arguments(
        &mut self,
        action: &ActionDef,
        call: &ast::Call,
        info: &CallInfo,
        given: &mut HashMap<String, Arg>,
    ) -> Option<()> {
        let spread = action.named.values().find(|p| matches!(p.ty, ParamType::KindFields));
        let kind_fields = match (spread, info.kind) {
            (Some(_), Some(kind)) => Some(&self.model().entity(kind).fields),
            _ => None,
        };
        let mut fields: IndexMap<String, Arg> = IndexMap::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let entries = call.named.as_ref().map(|n| n.entries.as_slice()).unwrap_or_default();
        for entry in entries {
            let name = entry.name.text.as_str();
            if let Some(first) = seen.insert(name, entry.name.span) {
                self.push(duplicate("argument", name, entry.name.span, first));
                return None;
            }
            let before = self.error_count();
            match action.named.get(name).filter(|p| !matches!(p.ty, ParamType::KindFields)) {
                Some(param) => {
                    let arg = self.named_value(&param.ty, &entry.value, &format!("`{name}`"), info);
                    if let Some(arg) = arg {
                        given.insert(name.to_string(), arg);
                    }
                }
                None => match kind_fields.and_then(|f| f.get(name)) {
                    Some(field) => {
                        let ty = ParamType::Value(field.ty.clone());
                        if let Some(arg) =
                            self.named_value(&ty, &entry.value, &format!("`{name}`"), info)
                        {
                            fields.insert(name.to_string(), arg);
                        }
                    }
                    None => {
                        let kind = info.kind.map(|k| self.model().entity(k));
                        let diagnostic = unknown_argument(action, &entry.name, kind);
                        self.push(diagnostic);
                        return None;
                    }
                },
            }
            if self.error_count() > before {
                return None;
            }
        }
        if let Some(spread) = spread {
            given.insert(spread.name.clone(), Arg::Record(fields));
        }
        self.required_arguments(action, call, info, given)
    }

    /// E0103 for a required named parameter that is missing, or a required field of the kind
    /// a `create` call does not give (SPEC §3.1).
    fn required_arguments(
        &mut self,
        action: &ActionDef,
        call: &ast::Call,
        info: &CallInfo,
        given: &HashMap<String, Arg>,
    ) -> Option<()> {
        let span = call.named.as_ref().map_or(call.span, |n| n.span);
        if let Some(param) =
            action.named.values().find(|p| p.required && !given.contains_key(&p.name))
        {
            self.push(
                Diagnostic::new(
                    Code::E0103,
                    format!("missing argument `{}` for `{}`", param.name, action.words),
                    span,
                    format!("`{}` is required", param.name),
                )
                .with_secondary(param.span, "declared required here"),
            );
            return None;
        }
        let Some(spread) = action.named.values().find(|p| matches!(p.ty, ParamType::KindFields))
        else {
            return Some(());
        };
        let (Some(kind), Some(Arg::Record(fields))) = (info.kind, given.get(&spread.name)) else {
            return Some(());
        };
        let entity = self.model().entity(kind);
        let missing = entity.fields.values().find(|f| {
            f.required && !fields.contains_key(&f.name) && !action.named.contains_key(&f.name)
        });
        if let Some(field) = missing {
            self.push(
                Diagnostic::new(
                    Code::E0103,
                    format!("missing field `{}` to create a `{}`", field.name, entity.name),
                    span,
                    format!("`{}` is required", field.name),
                )
                .with_secondary(field.span, format!("`{}` is declared here", field.name))
                .with_help(format!("add `{}: …` to the block", field.name)),
            );
            return None;
        }
        Some(())
    }

    /// The value of one named argument for a parameter of type `ty`.
    fn named_value(
        &mut self,
        ty: &ParamType,
        value: &ArgValue,
        what: &str,
        info: &CallInfo,
    ) -> Option<Arg> {
        match (value, ty) {
            (ArgValue::In { delay, working_hours, span }, _) => {
                let is_moment = matches!(ty, ParamType::Value(t) if t.base() == &Type::DateTime);
                if !is_moment {
                    self.push(in_duration_misplaced(*span, what));
                    return None;
                }
                let working_hours = self.working_hours(working_hours.as_ref());
                Some(Arg::In { delay: self.delay(delay)?, working_hours })
            }
            (ArgValue::Record(block), ParamType::Value(Type::Record(id))) => {
                let record = self.model().record(*id);
                let owner = record.name.clone();
                self.record_argument(block, Some((&record.fields, owner, record.span)), info)
            }
            (ArgValue::Record(block), ParamType::AnyRecord) => {
                self.record_argument(block, None, info)
            }
            (ArgValue::Record(block), _) => {
                self.push(Diagnostic::new(
                    Code::E0104,
                    format!("{what} takes a value, not a `{{ … }}` block"),
                    block.span,
                    "a block of named values",
                ));
                None
            }
            (ArgValue::Expr(expr), ParamType::Keywords(keywords, alternative)) => {
                if let ExprKind::Name(name) = &expr.kind {
                    if keywords.contains(&name.text) && !self.is_value_name(&name.text) {
                        return Some(Arg::Keyword(name.text.clone()));
                    }
                }
                match alternative {
                    Some(ty) => Some(Arg::Expr(self.expect_checked(expr, ty, what)?)),
                    None => {
                        let part =
                            CallPart { kind: CallPartKind::Value(expr.clone()), span: expr.span };
                        let options: Vec<String> =
                            keywords.iter().map(|k| format!("`{k}`")).collect();
                        let mut diagnostic = Diagnostic::new(
                            Code::E0104,
                            format!("{what} expects {}", options.join(" or ")),
                            part.span,
                            "not one of the keywords",
                        );
                        if let ExprKind::Name(name) = &expr.kind {
                            diagnostic = diagnostic.with_help_opt(suggest::did_you_mean(
                                &name.text,
                                keywords.iter().map(String::as_str),
                            ));
                        }
                        self.push(diagnostic);
                        None
                    }
                }
            }
            (ArgValue::Expr(expr), ParamType::Value(Type::Record(_)) | ParamType::AnyRecord) => {
                self.push(
                    Diagnostic::new(
                        Code::E0104,
                        format!("{what} takes a `{{ name: value }}` block"),
                        expr.span,
                        "a single value",
                    )
                    .with_help("write the values in braces: `{ name: value, … }`"),
                );
                None
            }
            (ArgValue::Expr(expr), ParamType::Value(ty)) => {
                let ty = self.kind_item_type(ty, info);
                Some(Arg::Expr(self.expect_checked(expr, &ty, what)?))
            }
            (ArgValue::Expr(expr), ParamType::Name) => {
                Some(Arg::Expr(self.expect_checked(expr, &Type::Text, what)?))
            }
            (ArgValue::Expr(expr), _) => {
                let part = CallPart { kind: CallPartKind::Value(expr.clone()), span: expr.span };
                let param = model::Param {
                    name: what.trim_matches('`').to_string(),
                    ty: ty.clone(),
                    default: None,
                    required: false,
                    span: expr.span,
                };
                let mut info = info.clone();
                self.hole_argument(&param, &part, &mut info, what)
            }
        }
    }

    /// Checks `expr` against `ty`; `None` (with the diagnostic) when it does not fit.
    fn expect_checked(&mut self, expr: &ast::Expr, ty: &Type, what: &str) -> Option<model::Expr> {
        let before = self.error_count();
        let value = self.expect_type(expr, ty, what);
        (self.error_count() == before).then_some(value)
    }

    /// A nested `{ … }` block: keys must be fields of the record type when one is declared.
    fn record_argument(
        &mut self,
        block: &NamedArgs,
        record: Option<(&IndexMap<String, FieldDef>, String, Span)>,
        info: &CallInfo,
    ) -> Option<Arg> {
        let mut values = IndexMap::new();
        for entry in &block.entries {
            if let Some(first) = values.get_index_of(&entry.name.text) {
                let first_span = block.entries[first].name.span;
                self.push(duplicate("key", &entry.name.text, entry.name.span, first_span));
                return None;
            }
            let ty = match &record {
                Some((fields, owner, declared)) => match fields.get(&entry.name.text) {
                    Some(field) => ParamType::Value(field.ty.clone()),
                    None => {
                        let mut diagnostic =
                            unknown_field(&entry.name, owner, Some(*declared), fields);
                        diagnostic.code = Code::E0102;
                        diagnostic.message =
                            format!("unknown key `{}` for `{owner}`", entry.name.text);
                        self.push(diagnostic);
                        return None;
                    }
                },
                None => match &entry.value {
                    ArgValue::Record(_) => ParamType::AnyRecord,
                    _ => ParamType::Value(Type::Error),
                },
            };
            let arg =
                self.named_value(&ty, &entry.value, &format!("`{}`", entry.name.text), info)?;
            values.insert(entry.name.text.clone(), arg);
        }
        Some(Arg::Record(values))
    }

    /// A `FieldPath` part: `deal.contact.phone` (rooted at the item) or a bare field name of
    /// the item. Returns the path from the item and the field's type.
    pub(crate) fn field_path(
        &mut self,
        part: &CallPart,
        what: &str,
    ) -> Option<(Vec<String>, Type)> {
        let Some(item) = self.scope.item.clone() else {
            self.push(not_a_field_path(part.span, what, None));
            return None;
        };
        let segments: Vec<&Ident> = match &part.kind {
            CallPartKind::Word(word) => vec![word],
            CallPartKind::Value(expr) => match path_segments(expr) {
                Some((root, rest)) if root.text == item.name && !rest.is_empty() => rest,
                _ => {
                    self.push(not_a_field_path(part.span, what, Some(&item.name)));
                    return None;
                }
            },
            _ => {
                self.push(not_a_field_path(part.span, what, Some(&item.name)));
                return None;
            }
        };
        let mut ty = Type::Entity(item.entity);
        let mut path = Vec::with_capacity(segments.len());
        for segment in segments {
            ty = self.path_step(&ty, segment, item.entity)?;
            path.push(segment.text.clone());
        }
        Some((path, ty))
    }

    fn path_step(&mut self, ty: &Type, segment: &Ident, item: EntityId) -> Option<Type> {
        match self.fields_of(ty) {
            Fields::Known { fields, owner, declared } => match fields.get(&segment.text) {
                Some(field) => Some(field.ty.clone()),
                None => {
                    self.push(unknown_field(segment, owner, declared, fields));
                    None
                }
            },
            Fields::Error => None,
            Fields::Map(_) | Fields::None => {
                let item_name = self.model().entity(item).item_name.clone();
                self.push(not_a_field_path(segment.span, "the path", Some(&item_name)));
                None
            }
        }
    }
}

/// `a.b.c` as its root name and field names.
fn path_segments(expr: &ast::Expr) -> Option<(&Ident, Vec<&Ident>)> {
    let mut segments = Vec::new();
    let mut current = expr;
    while let ExprKind::Field(base, field) = &current.kind {
        segments.push(field);
        current = base;
    }
    segments.reverse();
    match &current.kind {
        ExprKind::Name(root) => Some((root, segments)),
        _ => None,
    }
}

fn not_a_field_path(span: Span, what: &str, item: Option<&str>) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        Code::E0104,
        format!("{what} expects a field of the item"),
        span,
        "not a field path",
    );
    match item {
        Some(item) => {
            diagnostic.with_help(format!("write a path from the item, such as `{item}.amount`"))
        }
        None => diagnostic,
    }
}

fn in_duration_misplaced(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0105,
        format!("`in DURATION` does not fit {what}"),
        span,
        "a moment from now",
    )
    .with_note("`in 2 hours` is allowed only for a date-time argument such as `deadline`")
}

/// E0102 for a named argument the declaration does not have. For `create <kind>`, the
/// arguments are the kind's fields, so the message names the entity.
fn unknown_argument(action: &ActionDef, name: &Ident, kind: Option<&EntityDef>) -> Diagnostic {
    let spread = action.named.values().any(|p| matches!(p.ty, ParamType::KindFields));
    let mut names: Vec<&str> = action
        .named
        .values()
        .filter(|p| !matches!(p.ty, ParamType::KindFields))
        .map(|p| p.name.as_str())
        .collect();
    let mut diagnostic = match kind.filter(|_| spread) {
        Some(entity) => {
            names.extend(entity.fields.keys().map(String::as_str));
            Diagnostic::new(
                Code::E0102,
                format!("unknown field `{}` on `{}`", name.text, entity.name),
                name.span,
                format!("`{}` has no field `{}`", entity.name, name.text),
            )
            .with_secondary(
                entity.span,
                format!("the fields of `{}` are declared here", entity.name),
            )
        }
        None => Diagnostic::new(
            Code::E0102,
            format!("unknown argument `{}` for `{}`", name.text, action.words),
            name.span,
            format!("`{}` has no argument `{}`", action.words, name.text),
        )
        .with_secondary(action.span, format!("`{}` is declared here", action.words)),
    };
    diagnostic = match suggest::did_you_mean(&name.text, names.iter().copied()) {
        Some(help) => diagnostic.with_help(help),
        None if names.is_empty() => {
            diagnostic.with_help(format!("`{}` takes no named arguments", action.words))
        }
        None => diagnostic.with_help(format!("its arguments are: {}", names.join(", "))),
    };
    diagnostic
}
