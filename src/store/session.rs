//! `Session`: a store attached to a scenario runner — what `bp run --state` (and the REPL's
//! `--state`, `:save`) use.
//!
//! ```text
//! Session::open(path, model, migrate) ── load, check, remap onto the program (§13)
//!   .runner(compilation)               ── an engine over the loaded state, aliases bound
//!   .begin_scenario(text, resume)      ── how many commands `--resume` skips
//!   .command_done(runner, Some(i))     ── after each command: progress, aliases, save
//!   .finish(runner)                    ── the end of the run: a durable snapshot
//! ```

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::remap::{remap, Migrate, MigrationError};
use super::symbols::Symbols;
use super::{Meta, Store, StoreError};
use crate::model::Model;
use crate::runtime::{Engine, EntityRef, State};
use crate::scenario::Runner;
use crate::Compilation;

/// Why a state could not be opened (exit 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenError {
    Store(StoreError),
    /// The state names things this program no longer declares.
    Migration {
        path: std::path::PathBuf,
        error: MigrationError,
    },
}

impl From<StoreError> for OpenError {
    fn from(e: StoreError) -> OpenError {
        OpenError::Store(e)
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Store(e) => write!(f, "{e}"),
            OpenError::Migration { path, error } if !error.fatal.is_empty() => {
                writeln!(
                    f,
                    "state file `{}` cannot be opened with this program: items are in stages \
                     or pipelines it no longer declares",
                    path.display()
                )?;
                for line in &error.fatal {
                    writeln!(f, "  {line}")?;
                }
                write!(
                    f,
                    "  help: declare those stages again, or move the items with the program \
                     that wrote the state"
                )
            }
            OpenError::Migration { path, error } => {
                writeln!(
                    f,
                    "state file `{}` was written by another version of the program and holds \
                     pending work or data that names declarations this version no longer has:",
                    path.display()
                )?;
                for line in &error.orphans {
                    writeln!(f, "  {line}")?;
                }
                write!(
                    f,
                    "  help: run with `--migrate drop` to discard them, or `--migrate keep` to \
                     keep them in the state, inert"
                )
            }
        }
    }
}

/// A store with the bookkeeping that goes with a state: the program's symbols, scenario
/// progress, aliases.
pub struct Session {
    store: Box<dyn Store>,
    meta: Meta,
    /// The state loaded, until `runner` takes it.
    loaded: Option<State>,
    /// The hash of the scenario being run.
    scenario: Option<String>,
    /// How many of the runner's aliases are already in `meta.aliases`.
    aliases_seen: usize,
    /// The next save must rewrite the whole file.
    full: bool,
    /// What a migration did (`--migrate keep|drop`), to report.
    pub notes: Vec<String>,
}

impl Session {
    /// Opens the state at `path` (created at the first save when missing) for `model`.
    pub fn open(
        path: &Path,
        model: &Arc<Model>,
        migrate: Option<Migrate>,
    ) -> Result<Session, OpenError> {
        Session::with_store(super::open(path)?, model, migrate)
    }

    /// An in-memory session (the default of the REPL).
    pub fn in_memory(model: &Arc<Model>) -> Session {
        Session {
            store: super::memory(),
            meta: fresh_meta(model),
            loaded: Some(State::new()),
            scenario: None,
            aliases_seen: 0,
            full: false,
            notes: Vec::new(),
        }
    }

    /// Loads `store`'s state for `model`, mapping it by name when the program changed.
    pub fn with_store(
        mut store: Box<dyn Store>,
        model: &Arc<Model>,
        migrate: Option<Migrate>,
    ) -> Result<Session, OpenError> {
        let mut notes = Vec::new();
        let (meta, state, full) = match store.load()? {
            None => (fresh_meta(model), State::new(), true),
            Some(mut snapshot) => {
                let full = snapshot.meta.symbols != Symbols::of(model);
                if full {
                    notes = remap(&mut snapshot, model, migrate).map_err(|error| {
                        OpenError::Migration {
                            path: store.path().map(Path::to_path_buf).unwrap_or_default(),
                            error,
                        }
                    })?;
                    store.invalidate();
                }
                snapshot.meta.program_hash = model.hash.clone();
                (snapshot.meta, snapshot.state, full)
            }
        };
        Ok(Session {
            store,
            meta,
            loaded: Some(state),
            scenario: None,
            aliases_seen: 0,
            full,
            notes,
        })
    }

    /// A runner over the loaded state with the stored aliases bound (call once).
    pub fn runner(&mut self, compilation: &Compilation) -> Runner {
        let state = self.loaded.take().unwrap_or_default();
        let engine = Engine::with_state(compilation.model.clone(), state);
        let mut runner = Runner::with_engine(compilation.sources.clone(), engine);
        for (alias, id) in &self.meta.aliases {
            if let Some(entity) = parse_id(&compilation.model, id) {
                runner.bind_alias(alias.clone(), entity);
            }
        }
        self.aliases_seen = runner.aliases().len();
        runner
    }

    /// Starts a scenario; returns how many of its commands to skip (`--resume`: those the
    /// state already applied).
    pub fn begin_scenario(&mut self, text: &str, resume: bool) -> usize {
        let hash = super::scenario_hash(text);
        let applied = self.meta.scenarios.get(&hash).map_or(0, |p| p.applied);
        self.scenario = Some(hash);
        if resume {
            applied
        } else {
            0
        }
    }

    /// A command was applied (`index`: its position in the scenario, or `None` for work
    /// outside a scenario such as `--until`): records progress and aliases, then saves.
    pub fn command_done(
        &mut self,
        runner: &Runner,
        index: Option<usize>,
    ) -> Result<(), StoreError> {
        if let (Some(hash), Some(index)) = (&self.scenario, index) {
            self.meta.scenarios.entry(hash.clone()).or_default().applied = index + 1;
        }
        self.sync_aliases(runner);
        let state = runner.engine().state();
        if self.full {
            self.store.invalidate();
            self.store.save_command(&self.meta, state)?;
            self.full = false;
            Ok(())
        } else {
            self.store.save_command(&self.meta, state)
        }
    }

    /// The end of a run (or `:save` to the session's own file): everything, durably.
    pub fn finish(&mut self, runner: &Runner) -> Result<(), StoreError> {
        self.sync_aliases(runner);
        if self.full {
            self.store.invalidate();
            self.full = false;
        }
        self.store.save_snapshot(&self.meta, runner.engine().state())
    }

    /// `:save PATH`: the session's state written to another file.
    pub fn save_as(&mut self, path: &Path, runner: &Runner) -> Result<(), StoreError> {
        self.sync_aliases(runner);
        let mut store = super::open(path)?;
        store.save_snapshot(&self.meta, runner.engine().state())
    }

    /// What the file records besides the state.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    pub fn path(&self) -> Option<&Path> {
        self.store.path()
    }

    fn sync_aliases(&mut self, runner: &Runner) {
        let aliases = runner.aliases();
        if aliases.len() == self.aliases_seen {
            return;
        }
        // Aliases are bound once and appended: only the tail is new.
        let model = runner.model();
        for (alias, entity) in aliases.iter().skip(self.aliases_seen) {
            if !self.meta.aliases.contains_key(alias) {
                self.meta.aliases.insert(alias.clone(), entity.id(model));
            }
        }
        self.aliases_seen = aliases.len();
    }
}

/// The meta of a new state for `model`.
fn fresh_meta(model: &Model) -> Meta {
    Meta { program_hash: model.hash.clone(), symbols: Symbols::of(model), ..Meta::default() }
}

/// `deal:1` → the entity reference, against `model`.
fn parse_id(model: &Model, id: &str) -> Option<EntityRef> {
    let (kind, n) = id.split_once(':')?;
    Some(EntityRef::new(model.entity_by_item_name(kind)?, n.parse().ok()?))
}
