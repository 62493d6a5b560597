//! Type checking: turns the untyped `ast::Program` (stdlib modules first, then the user's
//! files) into the resolved `model::Model` the runtime executes, reporting E0101–E0107.
//!
//! The passes run in this order, each feeding the tables the next one reads:
//!
//! 1. **declare** (`declare.rs`): collect every item by name; duplicates are E0106 (with a
//!    label at the first definition) and `action`/`event`/`record` outside stdlib are E0105.
//!    Everything later looks names up in these tables, so items may appear in any order.
//! 2. **schema** (`schema.rs`, `types.rs`): record types, standard and custom entities, user
//!    `schema` additions, field types and defaults. Types come before everything else because
//!    every other declaration mentions them.
//! 3. **calendars** (`calendars.rs`): timezones, weekdays, increasing ranges (E0107).
//! 4. **signatures** (`signatures.rs`): stdlib `action` and `event` declarations into
//!    `ActionDef`/`EventDef`; they need the types of pass 2 (`Task.status`).
//! 5. **skeletons** (`pipelines.rs`, `processes.rs`): pipelines with their stage lists (duplicate
//!    stages E0106, all-final E0107) and processes without bodies, so that every stage can be
//!    named from anywhere before any body is read.
//! 6. **consts** (`consts.rs`): cycles (E0107), then values in dependency order. References to
//!    a constant are inlined: the model's expressions hold the constant's checked value (with
//!    the span of the reference); `Model::consts` keeps the definitions for `:doc`.
//! 7. **bodies**: rules, triggers and process bodies, with the name resolution of SPEC §6.1
//!    (`scope.rs`), expressions and the type rules of §6.3 (`expressions.rs`, `operators.rs`,
//!    `stages.rs`), statements (`statements.rs`), action calls read as SPEC §5 says
//!    (`actions.rs`, `arguments.rs`), trigger events (`events.rs`), and wrong contexts (E0105,
//!    `placement.rs`) checked where the context is known.
//! 8. **lints** (`lints.rs`): only when the program parsed and checked without error (SPEC §6.5).
//!
//! Unresolved names get `Type::Error`, which fits everything, so one root cause gives one
//! diagnostic (STYLE §1.3). For the same reason, when the program has a syntax error, unknown
//! bare names are not reported: they are most likely bound by a line the parser could not read.

mod actions;
mod arguments;
mod calendars;
mod consts;
mod context;
mod declare;
mod events;
mod expressions;
mod label;
pub mod lints;
pub(crate) mod operators;
mod pipelines;
mod placement;
mod processes;
mod schema;
mod scope;
mod signatures;
mod stages;
mod statements;
mod types;

#[cfg(test)]
mod tests;

use sha2::{Digest, Sha256};

use crate::ast;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{EntityId, Model, StageRef};
use crate::source::SourceMap;
use crate::span::FileId;
use crate::types::Type;

use context::{Ctx, Env, Index};
use scope::Scope;

/// Checks a whole program (stdlib modules first) and builds the model.
/// Lints run only when `syntax_ok` and the check found no error (SPEC §6.5).
pub fn check(program: &ast::Program, map: &SourceMap, syntax_ok: bool) -> (Model, Diagnostics) {
    let mut diags = Diagnostics::new();
    let decls = declare::collect(program, map, &mut diags);
    let mut model = Model::default();
    schema::build(&decls, &mut model, &mut diags);
    calendars::build(&decls, &mut model, &mut diags);
    signatures::build(&decls, &mut model, &mut diags);
    pipelines::declare(&decls, &mut model, &mut diags);
    processes::declare(&decls, &mut model, &mut diags);
    let index = Index::build(&model);
    consts::build(&decls, &mut model, &index, &mut diags);
    let pipeline_bodies = pipelines::check_bodies(&decls, &model, &index, syntax_ok, &mut diags);
    let process_bodies = processes::check_bodies(&decls, &model, &index, syntax_ok, &mut diags);
    pipelines::install(&mut model, pipeline_bodies);
    processes::install(&mut model, process_bodies);
    model.hash = user_files_hash(program, map);
    if syntax_ok && !diags.has_errors() {
        lints::run(program, &model, map, &mut diags);
    }
    (model, diags)
}

/// Checks a free expression (a scenario `expect`, a `where` filter, a REPL line) against a
/// checked model. `scope` binds names (aliases such as `d1`, the candidate `it`) that become
/// `ExprKind::Var`; bare stage ids resolve against the pipelines of the compared item's kind.
pub fn check_expr(
    model: &Model,
    _map: &SourceMap,
    expr: &ast::Expr,
    scope: &[(String, Type)],
    expected: Option<&Type>,
) -> Result<crate::model::Expr, Vec<Diagnostic>> {
    let index = Index::build(model);
    let env = Env { model, index: &index, consts: &model.consts };
    let mut ctx = Ctx::new(&env, Scope::free(scope));
    let checked = match expected {
        Some(ty) => ctx.expect_type(expr, ty, "the expression"),
        None => ctx.expr(expr, None),
    };
    let mut diags = crate::diag::Diagnostics::new();
    ctx.finish(&mut diags, true);
    if diags.has_errors() {
        Err(diags.into_sorted())
    } else {
        Ok(checked)
    }
}

/// Resolves a stage written as `s` or `P.s` among the pipelines of `entity` (scenario
/// `move d1 to discussion`). A bare id must be unique among them.
pub fn resolve_stage_name(model: &Model, entity: EntityId, text: &str) -> Result<StageRef, String> {
    let index = Index::build(model);
    stages::resolve_by_text(model, &index, entity, text)
}

/// Whether `file` is one of the embedded stdlib files (registered first, under their paths).
pub(crate) fn is_stdlib(map: &SourceMap, file: FileId) -> bool {
    let index = file.0 as usize;
    index < crate::stdlib::FILES.len()
        && index < map.len()
        && map.get(file).name == crate::stdlib::FILES[index].0
}

/// sha256 (hex) of the user files' texts, in order, each preceded by its length so that moving
/// text from one file to the next changes the hash. File names are left out: `a.bp` and
/// `./a.bp` are the same program.
fn user_files_hash(program: &ast::Program, map: &SourceMap) -> String {
    let mut hasher = Sha256::new();
    for module in &program.modules {
        if is_stdlib(map, module.file) || module.file.0 as usize >= map.len() {
            continue;
        }
        let file = map.get(module.file);
        hasher.update((file.text.len() as u64).to_le_bytes());
        hasher.update(file.text.as_bytes());
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
