//! Type checking (being written; this is a placeholder API).

use crate::ast;
use crate::diag::Diagnostics;
use crate::model::Model;
use crate::source::SourceMap;

/// Checks a whole program (stdlib modules first) and builds the model.
pub fn check(_program: &ast::Program, _map: &SourceMap) -> (Model, Diagnostics) {
    (Model::default(), Diagnostics::new())
}
