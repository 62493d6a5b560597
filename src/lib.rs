//! `bp`: business processes as code.
//!
//! The pipeline is one-way (STYLE §1): `syntax` (pest) → `ast` → `check` → `model` →
//! `runtime`, with `diag` shared by every stage. `scenario` is the one command interpreter
//! shared by `bp run`, `bp test` and the REPL; `store` persists the runtime state; `fmt` and
//! `graph` read the AST; `cli` is the thin command-line edge.

pub mod ast;
pub mod bench;
pub mod check;
pub mod cli;
pub mod diag;
pub mod fmt;
pub mod graph;
pub mod model;
pub mod repl;
pub mod runtime;
pub mod scenario;
pub mod source;
pub mod span;
pub mod stdlib;
pub mod store;
pub mod syntax;
pub mod types;

use std::sync::Arc;

use diag::Diagnostic;
use source::SourceMap;

/// The result of compiling a set of `.bp` files together with the stdlib.
#[derive(Debug)]
pub struct Compilation {
    /// Every file: stdlib first, then the user's files in the order given.
    pub sources: SourceMap,
    pub program: ast::Program,
    /// The checked model; meaningful only when `diagnostics` has no error.
    pub model: Arc<model::Model>,
    /// Syntax, check and lint diagnostics, sorted by (file, position).
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and checks `files` (display name, text) with the stdlib. Lints run only when there
/// is no error (SPEC §6.5).
pub fn compile(files: &[(String, String)]) -> Compilation {
    let mut sources = SourceMap::new();
    let mut ids = Vec::new();
    for (name, text) in stdlib::FILES {
        ids.push(sources.add(*name, *text));
    }
    for (name, text) in files {
        ids.push(sources.add(name.clone(), text.clone()));
    }
    let mut diagnostics = diag::Diagnostics::new();
    let mut program = ast::Program::default();
    for id in ids {
        let (module, syntax_diags) = syntax::parse_module(&sources, id);
        diagnostics.extend(syntax_diags);
        program.modules.push(module);
    }
    let syntax_ok = !diagnostics.has_errors();
    let (model, check_diags) = check::check(&program, &sources, syntax_ok);
    diagnostics.extend(check_diags);
    Compilation { sources, program, model: Arc::new(model), diagnostics: diagnostics.into_sorted() }
}
