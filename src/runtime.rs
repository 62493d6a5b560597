//! The engine: executes the checked `Model` against a CRM state on a virtual clock (SPEC §8).
//!
//! One queue of jobs ordered by (due time, sequence) drives everything. Each external command
//! (a scenario line, a REPL command) is one method call below: it starts a chain, applies its
//! change, logs its effects, then runs every job due at or before the clock. The scenario
//! interpreter (`scenario/run.rs`), `bp run`, `bp test`, the REPL and `bp bench` all drive the
//! engine through these methods only.
//!
//! This file is the contract between the engine and its callers; the submodules implement it.

/// Why an external command could not be applied (an unknown user, a task of another item, a
/// clock moved backwards …). The state is unchanged when a command fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    pub message: String,
    pub help: Option<String>,
}

impl CommandError {
    pub fn new(message: impl Into<String>) -> CommandError {
        CommandError { message: message.into(), help: None }
    }
}

/// A user as the `user` scenario command gives it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserSpec {
    pub id: String,
    pub name: String,
    pub supervisor: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub absent: bool,
    pub calendar: Option<String>,
}
