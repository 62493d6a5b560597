//! Type checking (being written; this is a placeholder API).

use crate::ast;
use crate::diag::Diagnostics;
use crate::model::Model;
use crate::source::SourceMap;

/// Checks a whole program (stdlib modules first) and builds the model.
/// Lints run only when `syntax_ok` and the check found no error (SPEC §6.5).
pub fn check(_program: &ast::Program, _map: &SourceMap, _syntax_ok: bool) -> (Model, Diagnostics) {
    (Model::default(), Diagnostics::new())
}
