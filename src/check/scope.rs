//! Names in scope (SPEC §6.1): the item (`deal`), `responsible` and `supervisor`, payload
//! names in a trigger's `where`, `it` in `find … where`, `let` and `for each` names in their
//! block, scenario aliases, constants and `now`. Also where the code being checked sits
//! (rule, process, trigger …), which the placement checks read.

use crate::model::{self, EntityId, PipelineId};
use crate::span::Span;
use crate::types::Type;

/// The item's responsible (SPEC §6.1); `responsible` in an expression is this field.
pub(crate) const RESPONSIBLE: &str = "responsible";
/// The responsible's supervisor (SPEC §6.1): the `supervisor` field of a user.
pub(crate) const SUPERVISOR: &str = "supervisor";
/// Names that can never be bound by `let` or `for each` (SPEC §4), besides the item name.
pub(crate) const RESERVED: &[&str] = &[RESPONSIBLE, SUPERVISOR, "now", "none"];

/// Where the code being checked sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// An automation rule's body or header.
    Rule,
    /// A process body.
    Process,
    /// A trigger's event, `where` and `as`.
    Trigger,
    /// A constant's value: only literals and other constants.
    Const,
    /// A free expression (scenario, REPL).
    Free,
}

/// The item of a pipeline or process: its name in expressions and its kind.
#[derive(Clone, Debug)]
pub(crate) struct ItemScope {
    pub name: String,
    pub entity: EntityId,
}

/// A name bound by `let`, `for each`, an event payload, `find`'s `it` or a scenario alias.
#[derive(Clone, Debug)]
pub(crate) struct Binding {
    pub name: String,
    pub ty: Type,
    /// Where it is bound (none for payload names and aliases).
    pub span: Option<Span>,
}

#[derive(Clone, Debug)]
pub(crate) struct Scope {
    pub item: Option<ItemScope>,
    /// The pipeline whose stage body is being checked (bare stage ids are looked up there).
    pub pipeline: Option<PipelineId>,
    pub mode: Mode,
    /// Innermost last.
    pub vars: Vec<Binding>,
    /// In an `at` header, arithmetic on an optional is allowed (SPEC §6.3).
    pub at_header: bool,
}

impl Scope {
    fn new(mode: Mode, item: Option<ItemScope>, pipeline: Option<PipelineId>) -> Scope {
        Scope { item, pipeline, mode, vars: Vec::new(), at_header: false }
    }

    /// A constant's value.
    pub fn constant() -> Scope {
        Scope::new(Mode::Const, None, None)
    }

    /// A free expression with scenario aliases (`d1`, `it`).
    pub fn free(aliases: &[(String, Type)]) -> Scope {
        let mut scope = Scope::new(Mode::Free, None, None);
        for (name, ty) in aliases {
            scope.bind(name, ty.clone(), None);
        }
        scope
    }

    /// A rule or trigger of a stage of `pipeline`.
    pub fn stage(mode: Mode, item: ItemScope, pipeline: PipelineId) -> Scope {
        Scope::new(mode, Some(item), Some(pipeline))
    }

    /// A process body.
    pub fn process(item: ItemScope) -> Scope {
        Scope::new(Mode::Process, Some(item), None)
    }

    pub fn bind(&mut self, name: &str, ty: Type, span: Option<Span>) {
        self.vars.push(Binding { name: name.to_string(), ty, span });
    }

    /// The innermost binding of `name`.
    pub fn lookup(&self, name: &str) -> Option<&Binding> {
        self.vars.iter().rev().find(|b| b.name == name)
    }

    /// The number of bindings, to restore at the end of a block.
    pub fn mark(&self) -> usize {
        self.vars.len()
    }

    pub fn restore(&mut self, mark: usize) {
        self.vars.truncate(mark);
    }

    pub fn item_entity(&self) -> Option<EntityId> {
        self.item.as_ref().map(|item| item.entity)
    }

    /// The kind of statement being checked, as written in messages.
    pub fn mode_name(&self) -> &'static str {
        match self.mode {
            Mode::Rule => "a rule",
            Mode::Process => "a process",
            Mode::Trigger => "a trigger",
            Mode::Const => "a constant",
            Mode::Free => "an expression",
        }
    }
}

/// The item itself, typed by its kind.
pub(crate) fn item_expr(entity: EntityId, span: Span) -> model::Expr {
    model::Expr { kind: model::ExprKind::Item, ty: Type::Entity(entity), span }
}
