//! `bp state export PATH` and `bp state import FILE.json PATH` (SPEC §11, §13).
//!
//! `export` prints the stored document of a state (`store/doc.rs`), pretty JSON, on stdout;
//! it needs no program. `import` reads such a document and writes it into PATH (`.db` or
//! `.json`), which must not exist yet. Exit 2 for a missing, unreadable or bad state.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{emit, SUCCESS, USAGE};
use crate::store::{self, doc, json::JsonStore, Store, StoreError};

/// Arguments of `bp state`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do with a state.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Print a state (.db or .json) as JSON on stdout
    Export {
        #[arg(value_name = "PATH")]
        path: PathBuf,
    },
    /// Load a JSON state into PATH (.db or .json), which must not exist
    Import {
        #[arg(value_name = "FILE.json")]
        file: PathBuf,
        #[arg(value_name = "PATH")]
        path: PathBuf,
    },
}

/// Runs `bp state …`.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = match args.action {
        Action::Export { path } => export(&path, out),
        Action::Import { file, path } => import(&file, &path),
    };
    match result {
        Ok(()) => SUCCESS,
        Err(error) => {
            emit(err, &format!("error: {error}\n"));
            USAGE
        }
    }
}

fn export(path: &Path, out: &mut dyn Write) -> Result<(), StoreError> {
    let mut store = store::open(path)?;
    let snapshot = store.load()?.ok_or_else(|| StoreError::new(path, "does not exist"))?;
    let text =
        doc::to_text(&snapshot.meta, &snapshot.state).map_err(|e| StoreError::new(path, e))?;
    emit(out, &text);
    Ok(())
}

fn import(file: &Path, path: &Path) -> Result<(), StoreError> {
    store::check_kind(path)?;
    let snapshot =
        JsonStore::new(file).load()?.ok_or_else(|| StoreError::new(file, "does not exist"))?;
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(StoreError::new(
            path,
            "already exists; remove it first or import into another path",
        ));
    }
    let mut target = store::open(path)?;
    target.save_snapshot(&snapshot.meta, &snapshot.state)
}
