//! File-backed CRM state (SPEC §13): the `Store` boundary and its three implementations.
//!
//! The engine never knows where its `State` lives. A `Store` loads a `Snapshot` (the state
//! plus what the file records about it: the program's hash and symbol table, per scenario how
//! many commands were applied, the scenario aliases, and entries kept inert by a migration)
//! and saves one after each external command (`save_command`) or all at once
//! (`save_snapshot`):
//!
//! - `memory::MemoryStore` — the default: keeps the last snapshot in memory;
//! - `json::JsonStore` (`PATH.json`) — one readable, pretty JSON document, rewritten
//!   atomically (temporary file, fsync, rename, fsync of the directory) by `save_snapshot`;
//!   `save_command` writes nothing;
//! - `sqlite::SqliteStore` (`PATH.db`) — SQLite in WAL mode, one transaction per command,
//!   which writes only what the command changed (new effects, changed rows and jobs …).
//!
//! `doc` is the stored form shared by both files (`bp state export` prints it), `symbols` and
//! `remap` make it independent of the program's model indices, `session` is the glue `bp run`
//! (and later the REPL) uses: open, validate, migrate, resume, save after each command.
//! IO lives here and in `cli/state.rs` only (STYLE §1).

pub mod doc;
pub mod json;
pub mod memory;
pub mod remap;
pub mod session;
pub mod sqlite;
pub mod symbols;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::runtime::State;

pub use doc::{Meta, Progress, Snapshot};
pub use remap::{Migrate, MigrationError};
pub use session::{OpenError, Session};
pub use symbols::Symbols;

/// The version of the stored form; a file with another version is refused (exit 2).
pub const SCHEMA_VERSION: u32 = 1;

/// The `format` marker of every state file.
pub const FORMAT: &str = "bp-state";

/// Why a state could not be opened, read or written: one line naming the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    /// The file (empty for the memory store).
    pub path: PathBuf,
    pub message: String,
}

impl StoreError {
    pub fn new(path: &Path, message: impl Into<String>) -> StoreError {
        StoreError { path: path.to_path_buf(), message: message.into() }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.as_os_str().is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "state file `{}`: {}", self.path.display(), self.message)
        }
    }
}

impl std::error::Error for StoreError {}

/// Where a state is kept. The engine and the scenario runner never see which one.
pub trait Store {
    /// The file, or `None` for the memory store.
    fn path(&self) -> Option<&Path>;

    /// The stored snapshot, or `None` when nothing was stored yet. Ids in the returned state
    /// are positions in `snapshot.meta.symbols` (see `remap` to map them onto a program).
    fn load(&mut self) -> Result<Option<Snapshot>, StoreError>;

    /// One external command completed. SQLite commits what changed in one transaction; the
    /// JSON and memory stores only remember that a snapshot is due.
    fn save_command(&mut self, meta: &Meta, state: &State) -> Result<(), StoreError>;

    /// Writes everything, durably (the end of a run, `:save`, an import).
    fn save_snapshot(&mut self, meta: &Meta, state: &State) -> Result<(), StoreError>;

    /// Forgets what the file holds: the next save rewrites it whole (after the loaded state
    /// was remapped onto another program, its ids no longer match the file's).
    fn invalidate(&mut self) {}
}

/// Which store a path asks for, by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Json,
}

/// `.db` → SQLite, `.json` → JSON; anything else is a usage error.
pub fn kind_of(path: &Path) -> Result<Kind, StoreError> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("db") => Ok(Kind::Sqlite),
        Some("json") => Ok(Kind::Json),
        _ => Err(StoreError::new(
            path,
            "unknown state format: the path must end in `.db` (SQLite) or `.json` (JSON)",
        )),
    }
}

/// Checks that `path` names a state format (`.db` or `.json`).
pub fn check_kind(path: &Path) -> Result<(), StoreError> {
    kind_of(path).map(|_| ())
}

/// Opens the store of `path` (nothing is read or created yet: `load` reads, the first save
/// creates). A path that exists but is a directory or unreadable is an error now.
pub fn open(path: &Path) -> Result<Box<dyn Store>, StoreError> {
    let kind = kind_of(path)?;
    check_path(path)?;
    Ok(match kind {
        Kind::Sqlite => Box::new(sqlite::SqliteStore::new(path)),
        Kind::Json => Box::new(json::JsonStore::new(path)),
    })
}

/// The default store: in memory.
pub fn memory() -> Box<dyn Store> {
    Box::new(memory::MemoryStore::default())
}

/// A path that exists must be a readable regular file.
fn check_path(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(StoreError::new(path, "is a directory, not a state file")),
        Ok(_) => std::fs::File::open(path)
            .map(|_| ())
            .map_err(|e| StoreError::new(path, format!("cannot be read: {}", io_reason(&e)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::new(path, format!("cannot be read: {}", io_reason(&e)))),
    }
}

/// An IO error without Rust's `(os error N)` suffix.
pub(crate) fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_lowercase(),
        None => text.to_lowercase(),
    }
}

/// The content hash a scenario is known by (`--resume`): SHA-256 of its bytes, hex.
pub fn scenario_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Aliases as stored: `d1` → `deal:1`.
pub type Aliases = IndexMap<String, String>;

/// One entry a migration kept aside (`--migrate keep`): what it was, and its stored form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inert {
    pub what: String,
    pub data: serde_json::Value,
}
