//! The JSON store (`PATH.json`): the whole document of `doc.rs`, pretty-printed, rewritten
//! atomically by `save_snapshot` — a temporary file in the same directory, written and
//! fsynced, renamed over the old file, then the directory fsynced — so a process killed at any
//! moment leaves either the old file or the new one. `save_command` writes nothing: the caller
//! saves a snapshot at the end of a run (keeping every command that completed), at `:save`
//! and after each REPL command (SPEC §13).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{doc, io_reason, Meta, Snapshot, Store, StoreError};
use crate::runtime::State;

/// A state kept in one JSON file.
#[derive(Debug)]
pub struct JsonStore {
    path: PathBuf,
}

impl JsonStore {
    pub fn new(path: &Path) -> JsonStore {
        JsonStore { path: path.to_path_buf() }
    }

    fn error(&self, message: impl Into<String>) -> StoreError {
        StoreError::new(&self.path, message)
    }
}

impl Store for JsonStore {
    fn path(&self) -> Option<&Path> {
        Some(&self.path)
    }

    fn load(&mut self) -> Result<Option<Snapshot>, StoreError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(format!("cannot be read: {}", io_reason(&e)))),
        };
        if bytes.is_empty() {
            return Err(self.error("empty file, not a bp state (delete it to start a new state)"));
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| self.error("not valid JSON (invalid UTF-8), not a bp state"))?;
        doc::from_text(text).map(Some).map_err(|message| self.error(message))
    }

    fn save_command(&mut self, _meta: &Meta, _state: &State) -> Result<(), StoreError> {
        Ok(())
    }

    fn save_snapshot(&mut self, meta: &Meta, state: &State) -> Result<(), StoreError> {
        let text = doc::to_text(meta, state).map_err(|e| self.error(e))?;
        write_atomically(&self.path, text.as_bytes())
            .map_err(|e| self.error(format!("cannot be written: {}", io_reason(&e))))
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory: write, fsync,
/// rename, fsync the directory. On failure the temporary file is removed and `path` is
/// untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map_or("state".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        // The rename is durable once the directory entry is.
        if let Ok(dir) = File::open(&dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}
