//! Pass 6: constants (SPEC §3.3): `const NAME = EXPR` or `const NAME: TYPE = EXPR`, made of
//! literals and other constants. A cycle is E0107. Values are checked in dependency order, so
//! each constant is checked once and every reference to it can be inlined.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::ast::{self, ConstDecl, ExprKind, TemplatePart};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{ConstDef, Model};

use super::context::{Ctx, Env, Index};
use super::declare::Decls;
use super::scope::Scope;
use super::types::resolve_type;

pub(crate) fn build(decls: &Decls, model: &mut Model, index: &Index, diags: &mut Diagnostics) {
    let positions: HashMap<&str, usize> =
        decls.consts.iter().enumerate().map(|(i, c)| (c.name.text.as_str(), i)).collect();
    let dependencies: Vec<Vec<usize>> = decls
        .consts
        .iter()
        .map(|c| {
            let mut names = Vec::new();
            referenced_names(&c.value, &mut names);
            names.iter().filter_map(|n| positions.get(n).copied()).collect()
        })
        .collect();
    let (order, in_cycle) = dependency_order(&dependencies, &decls.consts, diags);
    let mut checked: IndexMap<String, ConstDef> = IndexMap::new();
    for i in order {
        let decl = decls.consts[i];
        let value = if in_cycle[i] {
            Ctx::error_expr(decl.value.span)
        } else {
            check_value(decl, model, index, &checked, diags)
        };
        let def = ConstDef { name: decl.name.text.clone(), value, span: decl.name.span };
        checked.insert(def.name.clone(), def);
    }
    // Keep declaration order in the model (for `:doc` and completion).
    for decl in &decls.consts {
        if let Some(def) = checked.shift_remove(&decl.name.text) {
            model.consts.insert(def.name.clone(), def);
        }
    }
}

fn check_value(
    decl: &ConstDecl,
    model: &Model,
    index: &Index,
    checked: &IndexMap<String, ConstDef>,
    diags: &mut Diagnostics,
) -> crate::model::Expr {
    let declared = decl.ty.as_ref().map(|ty| resolve_type(model, ty, diags));
    let env = Env { model, index, consts: checked };
    let mut ctx = Ctx::new(&env, Scope::constant());
    let mut value = match &declared {
        Some(ty) => ctx.expect_type(&decl.value, ty, &format!("constant `{}`", decl.name.text)),
        None => ctx.expr(&decl.value, None),
    };
    // The declared type is the constant's type (`const limit: Money = 500` is Money).
    if let Some(ty) = declared {
        if !value.ty.is_error() && !ty.is_error() {
            value.ty = ty;
        }
    }
    ctx.finish(diags, true);
    value
}

/// The bare names an expression mentions (candidates for constant references).
fn referenced_names<'e>(expr: &'e ast::Expr, out: &mut Vec<&'e str>) {
    match &expr.kind {
        ExprKind::Name(name) => out.push(&name.text),
        ExprKind::Field(base, _) => referenced_names(base, out),
        ExprKind::List(items) => items.iter().for_each(|i| referenced_names(i, out)),
        ExprKind::Unary(_, operand) => referenced_names(operand, out),
        ExprKind::Binary(_, left, right) => {
            referenced_names(left, out);
            referenced_names(right, out);
        }
        ExprKind::Text(template) => {
            for part in &template.parts {
                if let TemplatePart::Expr(e) = part {
                    referenced_names(e, out);
                }
            }
        }
        ExprKind::Literal(_) | ExprKind::Now => {}
    }
}

/// A topological order of the constants (dependencies first), found without recursion, and
/// which constants lie on a cycle (each cycle reported once, E0107).
fn dependency_order(
    dependencies: &[Vec<usize>],
    consts: &[&ConstDecl],
    diags: &mut Diagnostics,
) -> (Vec<usize>, Vec<bool>) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let count = dependencies.len();
    let mut state = vec![State::New; count];
    let mut in_cycle = vec![false; count];
    let mut order = Vec::with_capacity(count);
    for root in 0..count {
        if state[root] != State::New {
            continue;
        }
        // (constant, next dependency to visit)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = State::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dependency) = dependencies[node].get(*next) {
                *next += 1;
                match state[dependency] {
                    State::New => {
                        state[dependency] = State::Open;
                        stack.push((dependency, 0));
                    }
                    State::Open => {
                        let start = stack.iter().position(|(n, _)| *n == dependency).unwrap_or(0);
                        let members: Vec<usize> = stack[start..].iter().map(|(n, _)| *n).collect();
                        if members.iter().all(|m| !in_cycle[*m]) {
                            diags.push(cycle(consts, &members));
                        }
                        for member in members {
                            in_cycle[member] = true;
                        }
                    }
                    State::Done => {}
                }
            } else {
                state[node] = State::Done;
                order.push(node);
                stack.pop();
            }
        }
    }
    (order, in_cycle)
}

fn cycle(consts: &[&ConstDecl], members: &[usize]) -> Diagnostic {
    let first = consts[members[0]];
    let mut path: Vec<&str> = members.iter().map(|m| consts[*m].name.text.as_str()).collect();
    path.push(&first.name.text);
    let mut diagnostic = Diagnostic::new(
        Code::E0107,
        format!("constant `{}` depends on itself", first.name.text),
        first.name.span,
        "part of a cycle",
    )
    .with_note(format!("the cycle is {}", path.join(" → ")))
    .with_help("give one of these constants a literal value");
    for member in &members[1..] {
        let decl = consts[*member];
        diagnostic = diagnostic
            .with_secondary(decl.name.span, format!("`{}` is in the cycle", decl.name.text));
    }
    diagnostic
}
