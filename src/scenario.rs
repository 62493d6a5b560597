//! Scenarios (SPEC §10): the commands shared by `bp run`, `bp test` and the REPL.
//!
//! `parse` turns a `.bps` text (or a REPL input) into `Command`s with `grammar/scenario.pest`;
//! `run::Runner` applies them one at a time to a `runtime::Engine` through its public API,
//! resolving aliases, kinds, fields, stages and events against the model (`values`); `expect`
//! matches `expect` patterns against the effect log and evaluates scenario expressions. The
//! CLI (`cli/run.rs`, `cli/test.rs`) and the REPL only print what the runner replies.
//!
//! ```text
//! .bps text ──parse──▶ Vec<Result<Command, Diagnostic>> ──Runner::apply──▶ Reply | ScenarioError
//!                                                              │
//!                                                              ▼
//!                                                       runtime::Engine
//! ```

pub mod command;
mod expect;
pub mod parse;
mod resolve;
pub mod run;
pub mod split;
mod values;

pub use command::{Command, CommandKind};
pub use expect::{kind_keys, COMMON_KEYS};
pub use parse::parse_scenario;
pub use run::{Observer, Reply, RunStop, Runner, ScenarioError};
pub use split::{needs_more, parse_datetime_text, uses_line};

#[cfg(test)]
mod tests;
