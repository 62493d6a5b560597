//! The program of a session: `:reload`, `:load`, `:check` and `:save`, and how files are read
//! and compiled at start (SPEC §12: "errors shown, the session goes on").
//!
//! At start, files that cannot be read or that have errors are reported and the session goes
//! on with the files that compile together. `:reload` and `:load` swap the program only when
//! the new one has no error, carrying the CRM state over by name (`store::remap`, as for a
//! state file opened by another program version).

use std::path::Path;
use std::sync::Arc;

use super::session::{Reader, Session};
use super::{Reply, Stream, Style};
use crate::cli::load::{self, LoadedFile};
use crate::diag::human;
use crate::model::Model;
use crate::store::{self, Migrate, OpenError, Session as StoreSession, Store};
use crate::Compilation;

impl Session {
    /// `:reload`: reads the program's files again and, when they compile without error,
    /// swaps the program, keeping the CRM state. `extra` is a file `:load` adds.
    pub(super) fn reload(&mut self, extra: Option<&str>) -> Reply {
        let mut reply = Reply::default();
        let mut paths = self.paths.clone();
        if let Some(path) = extra {
            if let Err(error) = (self.read)(path) {
                reply.fail(error.to_string());
                return reply;
            }
            paths.push(path.to_string());
        }
        let files = read_files(&self.read, &paths, &mut reply);
        if reply.failed {
            reply.err(Style::Warning, "note: the program stays as it was");
            return reply;
        }
        let compilation = load::compile(&files);
        report_diagnostics(&compilation, self.color, &mut reply);
        if compilation.has_errors() {
            reply.failed = true;
            reply.err(Style::Warning, "note: the program has errors; it stays as it was");
            return reply;
        }
        match self.replace_program(compilation) {
            Ok(notes) => {
                for note in notes {
                    reply.err(Style::Warning, format!("note: {note}"));
                }
                self.paths = paths.clone();
                self.loaded = paths;
                let summary = program_summary(&self.compilation.model);
                reply.out(Style::Ok, format!("loaded {} ({summary})", quote_list(&self.loaded)));
            }
            Err(message) => {
                reply.fail(format!("error: {message}"));
                reply.err(Style::Warning, "note: the program stays as it was");
            }
        }
        reply
    }

    /// Swaps the program, carrying the CRM state over by name. Pending work of rules or
    /// processes the new program no longer has is dropped (and reported) unless `--migrate`
    /// says otherwise; an item in a stage it no longer declares refuses the swap.
    fn replace_program(&mut self, compilation: Compilation) -> Result<Vec<String>, String> {
        self.store.finish(&self.runner).map_err(|e| e.to_string())?;
        let mut store = match self.state_path.clone() {
            Some(path) => self.reopen_state(&path, &compilation.model)?,
            None => {
                let meta = self.store.meta().clone();
                let state = self.runner.engine().state().clone();
                migrating(self.migrate, |migrate| {
                    let mut memory = store::memory::MemoryStore::default();
                    memory.save_snapshot(&meta, &state)?;
                    StoreSession::with_store(Box::new(memory), &compilation.model, migrate)
                })?
            }
        };
        let notes = std::mem::take(&mut store.notes);
        self.runner = store.runner(&compilation);
        self.store = store;
        self.compilation = compilation;
        Ok(notes)
    }

    /// Opens the state file again for `model`. SQLite holds its file exclusively, so the
    /// session's store is released first, and opened again for the old program on failure.
    fn reopen_state(&mut self, path: &Path, model: &Arc<Model>) -> Result<StoreSession, String> {
        let old_model = self.compilation.model.clone();
        self.store = StoreSession::in_memory(&old_model);
        match migrating(self.migrate, |migrate| StoreSession::open(path, model, migrate)) {
            Ok(store) => Ok(store),
            Err(error) => {
                self.store = StoreSession::open(path, &old_model, self.migrate)
                    .map_err(|e| format!("{error}; reopening the state failed: {e}"))?;
                self.runner = self.store.runner(&self.compilation);
                Err(error)
            }
        }
    }

    /// `:check`: reads the program's files again and reports their diagnostics, without
    /// changing the session.
    pub(super) fn check(&mut self) -> Reply {
        let mut reply = Reply::default();
        let files = read_files(&self.read, &self.paths, &mut reply);
        let compilation = load::compile(&files);
        report_diagnostics(&compilation, self.color, &mut reply);
        if compilation.has_errors() {
            reply.failed = true;
        } else if compilation.diagnostics.is_empty() && !reply.failed {
            let what = if self.paths.is_empty() {
                "the standard library".to_string()
            } else {
                quote_list(&self.paths)
            };
            reply.out(Style::Ok, format!("ok: {what}: no problems"));
        }
        reply
    }

    /// `:save PATH`: the state (and aliases) written to a state file.
    pub(super) fn save_as(&mut self, path: &str) -> Reply {
        let mut reply = Reply::default();
        if path.is_empty() {
            reply.fail("usage: :save PATH (a .json or .db file)");
            return reply;
        }
        let target = Path::new(path);
        let result = if self.state_path.as_deref() == Some(target) {
            self.store.finish(&self.runner)
        } else {
            self.store.save_as(target, &self.runner)
        };
        match result {
            Ok(()) => {
                let count = self.runner.engine().effects().len();
                reply.out(Style::Ok, format!("saved the state to {path} ({count} effects)"));
            }
            Err(error) => reply.fail(format!("error: {error}")),
        }
        reply
    }

    /// The end of the session: a file-backed state is written durably.
    pub fn finish(&mut self) -> Result<(), String> {
        match self.state_path {
            Some(_) => self.store.finish(&self.runner).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
}

/// Opens a store with `open`; without `--migrate`, pending work that names removed
/// declarations is dropped (the REPL reports it) rather than refusing the program.
fn migrating(
    migrate: Option<Migrate>,
    open: impl Fn(Option<Migrate>) -> Result<StoreSession, OpenError>,
) -> Result<StoreSession, String> {
    match open(migrate) {
        Err(OpenError::Migration { error, .. }) if migrate.is_none() && error.fatal.is_empty() => {
            open(Some(Migrate::Drop)).map_err(|e| e.to_string())
        }
        other => other.map_err(|e| e.to_string()),
    }
}

/// Reads every path; each unreadable one is an error line.
pub(super) fn read_files(read: &Reader, paths: &[String], reply: &mut Reply) -> Vec<LoadedFile> {
    let mut files = Vec::new();
    for path in paths {
        match read(path) {
            Ok(file) => files.push(file),
            Err(error) => reply.fail(error.to_string()),
        }
    }
    files
}

/// The program's diagnostics, rendered on stderr.
pub(super) fn report_diagnostics(compilation: &Compilation, color: bool, reply: &mut Reply) {
    if compilation.diagnostics.is_empty() {
        return;
    }
    let text = human::render_all(&compilation.diagnostics, &compilation.sources, color);
    reply.block(Stream::Err, Style::Error, &text);
    reply.failed |= compilation.has_errors();
    reply.diagnostics.extend(compilation.diagnostics.iter().cloned());
}

/// The files that compile together without error, taken greedily in order (a file that adds
/// an error is left out), and their compilation.
pub(super) fn best_subset(files: &[LoadedFile]) -> (Vec<LoadedFile>, Compilation) {
    let mut kept: Vec<LoadedFile> = Vec::new();
    let mut best = load::compile(&[]);
    for file in files {
        let mut candidate = kept.clone();
        candidate.push(file.clone());
        let compilation = load::compile(&candidate);
        if !compilation.has_errors() {
            kept = candidate;
            best = compilation;
        }
    }
    (kept, best)
}

/// `1 pipeline, 2 processes`.
pub(super) fn program_summary(model: &Model) -> String {
    let pipelines = model.pipelines.len();
    let processes = model.processes.len();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let processes =
        if processes == 1 { "1 process".to_string() } else { format!("{processes} processes") };
    format!("{}, {processes}", plural(pipelines, "pipeline"))
}

/// `a.bp, b.bp`, or `no file`.
pub(super) fn quote_list(names: &[String]) -> String {
    if names.is_empty() {
        return "no file".to_string();
    }
    names.join(", ")
}
