//! The in-memory store (the default): the engine's state is the only copy; `save_snapshot`
//! keeps a copy that `load` returns (the REPL's `:reload`, tests).

use std::path::Path;

use super::{Meta, Snapshot, Store, StoreError};
use crate::runtime::State;

/// Keeps the last snapshot in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    saved: Option<Snapshot>,
}

impl Store for MemoryStore {
    fn path(&self) -> Option<&Path> {
        None
    }

    fn load(&mut self) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.saved.clone())
    }

    fn save_command(&mut self, _meta: &Meta, _state: &State) -> Result<(), StoreError> {
        // The engine holds the state; nothing outlives the process anyway.
        Ok(())
    }

    fn save_snapshot(&mut self, meta: &Meta, state: &State) -> Result<(), StoreError> {
        self.saved = Some(Snapshot { meta: meta.clone(), state: state.clone() });
        Ok(())
    }
}
