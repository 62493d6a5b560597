//! The one integration-test binary (STYLE §6): one module per suite; each suite's data sits in
//! the folder of the same name beside it.

mod check;
mod cli;
mod conformance;
mod fmt;
mod graph;
mod parse;
mod repl;
mod run;
mod state;
