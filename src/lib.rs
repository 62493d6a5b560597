//! `bp`: business processes as code.
//!
//! The pipeline is one-way (STYLE §1): `syntax` (pest) → `ast` → `check` → `model` →
//! `runtime`, with `diag` shared by every stage. `scenario` is the one command interpreter
//! shared by `bp run`, `bp test` and the REPL; `store` persists the runtime state; `fmt` and
//! `graph` read the AST; `cli` is the thin command-line edge.

pub mod ast;
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
