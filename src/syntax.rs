//! Parsing `.bp` files (being written by the parser work; this is a placeholder API).

use crate::ast;
use crate::diag::Diagnostic;
use crate::source::SourceMap;
use crate::span::FileId;

/// Parses one registered file into a module, with its syntax diagnostics (E0001).
pub fn parse_module(_map: &SourceMap, file: FileId) -> (ast::Module, Vec<Diagnostic>) {
    (ast::Module { file, items: Vec::new(), comments: Vec::new() }, Vec::new())
}
