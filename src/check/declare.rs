//! Pass 1: collect every top-level item by name, so later passes can look any name up
//! whatever the order of items and files (SPEC §3).
//!
//! Reports duplicate definitions (E0106, with a label at the first one; the first wins) and
//! stdlib-only declarations (`action`, `event`, `record`) outside the stdlib files (E0105).
//! Actions and events are keyed by their words, which only pass 4 computes, so their
//! duplicates are reported there.

use std::collections::HashMap;

use crate::ast::{self, Item, SchemaKind};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::SourceMap;
use crate::span::{Ident, Span};

use super::is_stdlib;
use super::types::BUILTIN_TYPE_NAMES;

/// The items of a program by kind, duplicates and misplaced declarations removed, each list in
/// program order (stdlib first).
#[derive(Default)]
pub(crate) struct Decls<'p> {
    pub records: Vec<&'p ast::RecordDecl>,
    /// `entity` declarations; `custom` is true for those of user files.
    pub entities: Vec<(&'p ast::SchemaDecl, bool)>,
    /// `schema X { … }` additions, in program order.
    pub schemas: Vec<&'p ast::SchemaDecl>,
    pub calendars: Vec<&'p ast::CalendarDecl>,
    pub consts: Vec<&'p ast::ConstDecl>,
    pub pipelines: Vec<&'p ast::PipelineDecl>,
    pub processes: Vec<&'p ast::ProcessDecl>,
    pub actions: Vec<&'p ast::ActionDecl>,
    pub events: Vec<&'p ast::EventDecl>,
}

/// Walks every module and sorts its items into `Decls`.
pub(crate) fn collect<'p>(
    program: &'p ast::Program,
    map: &SourceMap,
    diags: &mut Diagnostics,
) -> Decls<'p> {
    let mut decls = Decls::default();
    let mut seen = Namespaces::default();
    for module in &program.modules {
        let stdlib = module.file.0 < map.len() as u32 && is_stdlib(map, module.file);
        for item in &module.items {
            declare_item(item, stdlib, &mut decls, &mut seen, diags);
        }
    }
    decls
}

/// First definitions by name, one map per namespace.
#[derive(Default)]
struct Namespaces {
    /// Entities and records share the type namespace.
    types: HashMap<String, Span>,
    calendars: HashMap<String, Span>,
    consts: HashMap<String, Span>,
    pipelines: HashMap<String, Span>,
    processes: HashMap<String, Span>,
}

fn declare_item<'p>(
    item: &'p Item,
    stdlib: bool,
    decls: &mut Decls<'p>,
    seen: &mut Namespaces,
    diags: &mut Diagnostics,
) {
    match item {
        Item::Schema(schema) => declare_schema(schema, stdlib, decls, seen, diags),
        Item::Calendar(calendar) => {
            if first_definition(&mut seen.calendars, "calendar", &calendar.name, diags) {
                decls.calendars.push(calendar);
            }
        }
        Item::Const(constant) => {
            if first_definition(&mut seen.consts, "constant", &constant.name, diags) {
                decls.consts.push(constant);
            }
        }
        Item::Pipeline(pipeline) => {
            if first_definition(&mut seen.pipelines, "pipeline", &pipeline.name, diags) {
                decls.pipelines.push(pipeline);
            }
        }
        Item::Process(process) => {
            if first_definition(&mut seen.processes, "process", &process.name, diags) {
                decls.processes.push(process);
            }
        }
        Item::Action(action) => {
            if stdlib_only("action", action.span, stdlib, diags) {
                decls.actions.push(action);
            }
        }
        Item::Event(event) => {
            if stdlib_only("event", event.span, stdlib, diags) {
                decls.events.push(event);
            }
        }
        Item::Record(record) => {
            if stdlib_only("record", record.span.to(record.name.span), stdlib, diags)
                && first_definition(&mut seen.types, "type", &record.name, diags)
            {
                decls.records.push(record);
            }
        }
    }
}

fn declare_schema<'p>(
    schema: &'p ast::SchemaDecl,
    stdlib: bool,
    decls: &mut Decls<'p>,
    seen: &mut Namespaces,
    diags: &mut Diagnostics,
) {
    match schema.kind {
        SchemaKind::Extend => decls.schemas.push(schema),
        SchemaKind::Entity => {
            if !stdlib && !entity_name_is_valid(&schema.name, diags) {
                return;
            }
            if first_definition(&mut seen.types, "entity", &schema.name, diags) {
                decls.entities.push((schema, !stdlib));
            }
        }
    }
}

/// A custom entity is named like a type: capitalised, and not a built-in type (E0107).
fn entity_name_is_valid(name: &Ident, diags: &mut Diagnostics) -> bool {
    if BUILTIN_TYPE_NAMES.contains(&name.text.as_str()) {
        diags.push(
            Diagnostic::new(
                Code::E0107,
                format!("`{}` is a built-in type, not an entity name", name.text),
                name.span,
                "a built-in type name",
            )
            .with_help(format!("choose another name, such as `My{}`", name.text)),
        );
        return false;
    }
    if !name.text.starts_with(|c: char| c.is_ascii_uppercase()) {
        let mut fixed = name.text.clone();
        if let Some(first) = fixed.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        diags.push(
            Diagnostic::new(
                Code::E0107,
                format!("entity name `{}` must start with a capital letter", name.text),
                name.span,
                "an entity is named like a type",
            )
            .with_note(
                "the item name is the entity name in snake_case (`SmartItem` → `smart_item`)",
            )
            .with_help(format!("write `{fixed}`")),
        );
        return false;
    }
    true
}

/// Records `name` in `seen`; reports E0106 and returns false when it was already there.
fn first_definition(
    seen: &mut HashMap<String, Span>,
    what: &str,
    name: &Ident,
    diags: &mut Diagnostics,
) -> bool {
    match seen.get(&name.text) {
        Some(first) => {
            diags.push(duplicate(what, &name.text, name.span, *first));
            false
        }
        None => {
            seen.insert(name.text.clone(), name.span);
            true
        }
    }
}

/// E0106: `name` is defined again at `span`; it was first defined at `first`.
pub(crate) fn duplicate(what: &str, name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::E0106,
        format!("{what} `{name}` is defined twice"),
        span,
        format!("`{name}` is defined again here"),
    )
    .with_secondary(first, format!("`{name}` is first defined here"))
    .with_help(format!("rename or remove one of the two `{name}`"))
}

/// `action`, `event` and `record` are allowed only in stdlib files (SPEC §3.7, E0105).
fn stdlib_only(what: &str, span: Span, stdlib: bool, diags: &mut Diagnostics) -> bool {
    if !stdlib {
        diags.push(
            Diagnostic::new(
                Code::E0105,
                format!("`{what}` declarations are only allowed in stdlib"),
                span,
                format!("`{what}` in a user file"),
            )
            .with_note("actions, events and record types are declared by the files of `stdlib/`")
            .with_help("remove it; use the actions and events that stdlib declares"),
        );
    }
    stdlib
}
