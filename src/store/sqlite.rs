//! The SQLite store (`PATH.db`): WAL mode, one transaction per external command.
//!
//! Tables (each `body` is the JSON of `doc.rs`'s stored form of one piece):
//!
//! ```sql
//! meta(key PRIMARY KEY, value)      -- format, version, program_hash, symbols, scenarios,
//!                                   -- inert, core (clock, rng, users, counters …)
//! log(id PRIMARY KEY, effects, causes, origins, body)
//!                                   -- append-only: per command, the effects, `why` causes
//!                                   -- and command texts it added (the columns: where each
//!                                   -- list starts), one row so a command touches one page
//! rows(kind, n, body)               -- one entity per row
//! aliases(id PRIMARY KEY, name, entity) -- scenario aliases in binding order, append-only
//! jobs(seq PRIMARY KEY, body)       -- pending jobs: due, next link, job
//! processes(id PRIMARY KEY, body)   -- waiting process instances
//! ```
//!
//! A command writes what it changed, not the world: one `log` row with the effects, causes
//! and origins past what the file holds; the rows the engine borrowed mutably (`State::touched`) and the new
//! ones; the jobs the queue reports pushed, removed or relinked (`Queue::changes`); the
//! process instances named by the command's new causes and effects; and `core` and the other
//! meta values when their text changed. Everything else (a new file, a state remapped onto
//! another program, `:save`) is a full write. See docs/state.md for the measurements.
//!
//! Opening validates first through a read-only connection (SQLite header, `meta` table,
//! format, version, `PRAGMA quick_check`), so a bad or foreign file is never modified. The
//! writing connection uses `locking_mode=EXCLUSIVE`: a second `bp` on the same file is refused
//! instead of interleaving its commands.

mod read;
mod write;

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{Map, Value as Json};

use super::doc::{self, SeqOf};
use super::{io_reason, Meta, Snapshot, Store, StoreError};
use crate::runtime::queue::Millis;
use crate::runtime::State;
use read::{read_keyed, read_log, read_rows};
use write::{fill, write_diff, Written};
#[cfg(test)]
pub(super) use write::{CORE_FIELDS, TABLE_FIELDS};

/// `PRAGMA application_id` of a bp state ("bpST").
const APPLICATION_ID: i32 = 0x6270_5354;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log(id INTEGER PRIMARY KEY, effects INTEGER NOT NULL,
                               causes INTEGER NOT NULL, origins INTEGER NOT NULL,
                               body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows(kind INTEGER NOT NULL, n INTEGER NOT NULL, body TEXT NOT NULL,
                                PRIMARY KEY(kind, n)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aliases(id INTEGER PRIMARY KEY, name TEXT NOT NULL, entity TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs(seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS processes(id INTEGER PRIMARY KEY, body TEXT NOT NULL);
";

const TABLES: [&str; 6] = ["meta", "log", "rows", "jobs", "processes", "aliases"];

/// How many log entries a full write puts in one `log` row.
const LOG_BATCH: usize = 4096;

/// Pages the WAL may hold before SQLite folds it into the database (default 1000): fewer,
/// larger checkpoints write each page once for many commands (measured in docs/state.md).
const WAL_AUTOCHECKPOINT: i64 = 10_000;

/// A state kept in a SQLite database.
pub struct SqliteStore {
    path: PathBuf,
    conn: Option<Connection>,
    /// What the database holds, when it holds exactly the state last saved or loaded.
    synced: Option<Synced>,
    /// The id of the next `log` row (known after a load or a full write).
    next_log_id: i64,
}

/// What the file holds, so a command writes only the difference.
struct Synced {
    effects: usize,
    causes: usize,
    origins: usize,
    /// The id of the next `log` row.
    log_id: i64,
    /// Rows per kind.
    rows: Vec<usize>,
    /// Sequence numbers and due times of the queued jobs, by handle.
    seqs: SeqOf,
    dues: HashMap<u64, Millis>,
    /// The ids of the stored process instances.
    processes: BTreeSet<u32>,
    /// The meta values as written.
    meta: Written,
}

impl SqliteStore {
    pub fn new(path: &Path) -> SqliteStore {
        SqliteStore { path: path.to_path_buf(), conn: None, synced: None, next_log_id: 0 }
    }

    fn error(&self, message: impl Into<String>) -> StoreError {
        StoreError::new(&self.path, message)
    }

    fn sql_error(&self, e: rusqlite::Error) -> StoreError {
        self.error(sql_reason(&e))
    }

    /// The writing connection, opened (and the file created) on first use.
    fn connection(&mut self) -> Result<&mut Connection, StoreError> {
        if self.conn.is_none() {
            let conn = open_writer(&self.path).map_err(|e| self.sql_error(e))?;
            self.conn = Some(conn);
        }
        self.conn.as_mut().ok_or_else(|| StoreError::new(Path::new(""), "no connection"))
    }

    /// Checks an existing file without modifying it.
    fn validate(&self) -> Result<(), StoreError> {
        let mut file = std::fs::File::open(&self.path)
            .map_err(|e| self.error(format!("cannot be read: {}", io_reason(&e))))?;
        let mut header = [0u8; 100];
        let mut read = 0;
        while read < header.len() {
            match file.read(&mut header[read..]) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) => return Err(self.error(format!("cannot be read: {}", io_reason(&e)))),
            }
        }
        if read == 0 {
            return Err(self.error("empty file, not a bp state (delete it to start a new state)"));
        }
        if read < 16 || &header[..16] != b"SQLite format 3\0" {
            return Err(self.error("not a SQLite database, not a bp state"));
        }
        if read < 100 {
            return Err(self.error(format!("truncated SQLite database ({read} bytes)")));
        }
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let page_size = match u16::from_be_bytes([header[16], header[17]]) {
            1 => 65536,
            n => u64::from(n),
        };
        let pages = u64::from(u32::from_be_bytes([header[28], header[29], header[30], header[31]]));
        let wal = sibling(&self.path, "-wal");
        if !wal.exists() && page_size > 0 && pages > 0 && len < page_size * pages {
            return Err(self.error(format!(
                "truncated SQLite database ({len} bytes; its header says {} bytes)",
                page_size * pages
            )));
        }
        // A read-only connection to a WAL database creates a `-shm` index beside it; remove
        // it afterwards when it was not there before (the writer, exclusive, needs none).
        let shm = sibling(&self.path, "-shm");
        let shm_existed = shm.exists();
        let result = self.validate_contents();
        if !shm_existed {
            let _ = std::fs::remove_file(&shm);
        }
        result
    }

    /// The checks of `validate` that need SQLite (read-only).
    fn validate_contents(&self) -> Result<(), StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| self.sql_error(e))?;
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| self.sql_error(e))?;
        if check != "ok" {
            return Err(self.error(format!("damaged SQLite database ({check})")));
        }
        let has_meta: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.sql_error(e))?;
        if !has_meta {
            return Err(
                self.error("a SQLite database, but not a bp state (it has no `meta` table)")
            );
        }
        let value = |key: &str| -> Result<Option<String>, StoreError> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(|e| {
                    self.error(format!(
                        "a SQLite database, but not a bp state ({})",
                        sql_reason(&e)
                    ))
                })
        };
        let format = value("format")?.and_then(|t| serde_json::from_str::<Json>(&t).ok());
        let version = value("version")?.and_then(|t| serde_json::from_str::<Json>(&t).ok());
        doc::check_header(format.as_ref(), version.as_ref()).map_err(|m| self.error(m))?;
        for table in TABLES {
            let found: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .map_err(|e| self.sql_error(e))?;
            if found == 0 {
                return Err(self.error(format!("malformed state: table `{table}` is missing")));
            }
        }
        Ok(())
    }

    /// Reads the whole state (after `validate`).
    fn read(&mut self) -> Result<Snapshot, StoreError> {
        let path = self.path.clone();
        let malformed = move |m: String| StoreError::new(&path, format!("malformed state: {m}"));
        let conn = self.connection()?;
        let mut meta = Map::new();
        {
            let mut stmt = conn.prepare("SELECT key, value FROM meta").map_err(sql(&malformed))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(sql(&malformed))?;
            for row in rows {
                let (key, value) = row.map_err(sql(&malformed))?;
                let value: Json = serde_json::from_str(&value)
                    .map_err(|e| malformed(format!("meta `{key}`: {e}")))?;
                meta.insert(key, value);
            }
        }
        let mut aliases = Map::new();
        {
            let mut stmt = conn
                .prepare("SELECT name, entity FROM aliases ORDER BY id")
                .map_err(sql(&malformed))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(sql(&malformed))?;
            for row in rows {
                let (name, entity) = row.map_err(sql(&malformed))?;
                aliases.insert(name, Json::String(entity));
            }
        }
        meta.insert("aliases".into(), Json::Object(aliases));
        let Some(Json::Object(mut state)) = meta.remove("core") else {
            return Err(malformed("meta `core` is missing".into()));
        };
        let next_seq = state.remove("queue_next_seq").unwrap_or(Json::from(0));
        let entities = read_rows(conn).map_err(&malformed)?;
        state.insert("entities".into(), entities);
        let (logs, log_id) = read_log(conn).map_err(&malformed)?;
        for (table, list) in ["effects", "causes", "origins"].into_iter().zip(logs) {
            state.insert(table.into(), Json::Array(list));
        }
        let mut processes = Map::new();
        for (id, body) in
            read_keyed(conn, "SELECT id, body FROM processes ORDER BY id").map_err(&malformed)?
        {
            processes.insert(id.to_string(), body);
        }
        state.insert("processes".into(), Json::Object(processes));
        let mut jobs = Vec::new();
        for (seq, body) in
            read_keyed(conn, "SELECT seq, body FROM jobs ORDER BY seq").map_err(&malformed)?
        {
            let Json::Object(mut job) = body else {
                return Err(malformed(format!("job {seq} is not an object")));
            };
            job.insert("seq".into(), Json::from(seq));
            jobs.push(Json::Object(job));
        }
        let mut queue = Map::new();
        queue.insert("next_seq".into(), next_seq);
        queue.insert("jobs".into(), Json::Array(jobs));
        state.insert("queue".into(), Json::Object(queue));
        meta.insert("state".into(), Json::Object(state));
        self.next_log_id = log_id;
        doc::from_json(Json::Object(meta)).map_err(|m| self.error(m))
    }

    /// Rewrites the whole file in one transaction. A file that does not exist yet is built
    /// beside it under a temporary name and renamed into place, so it appears complete.
    fn write_full(&mut self, meta: &Meta, state: &State) -> Result<(), StoreError> {
        let cannot =
            |path: &Path, m: String| StoreError::new(path, format!("cannot be written: {m}"));
        let (written, log_id) = if self.conn.is_none() && !self.path.exists() {
            let temp = sibling(&self.path, &format!(".{}.tmp", std::process::id()));
            let _ = std::fs::remove_file(&temp);
            let built = (|| -> Result<(Written, i64), String> {
                let mut conn = open_writer(&temp).map_err(|e| sql_reason(&e))?;
                let written = fill(&mut conn, meta, state)?;
                conn.close().map_err(|(_, e)| sql_reason(&e))?;
                std::fs::rename(&temp, &self.path).map_err(|e| io_reason(&e))?;
                Ok(written)
            })();
            let written = match built {
                Ok(written) => written,
                Err(m) => {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(sibling(&temp, suffix));
                    }
                    return Err(cannot(&self.path, m));
                }
            };
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Ok(dir) = std::fs::File::open(dir) {
                    let _ = dir.sync_all();
                }
            }
            self.connection()?;
            written
        } else {
            let path = self.path.clone();
            let conn = self.connection()?;
            fill(conn, meta, state).map_err(|m| cannot(&path, m))?
        };
        self.next_log_id = log_id;
        let seqs = SeqOf::new(&state.queue);
        let dues = state.queue.entries().iter().map(|(due, seq, ..)| (*seq, *due)).collect();
        state.queue.changes().enable();
        state.touched.enable();
        self.synced = Some(Synced {
            effects: state.effects.len(),
            causes: state.causes.len(),
            origins: state.origins.len(),
            log_id: self.next_log_id,
            rows: state.entities.iter().map(Vec::len).collect(),
            seqs,
            dues,
            processes: state.processes.keys().copied().collect(),
            meta: written,
        });
        Ok(())
    }

    /// Writes what changed since the last save, in one transaction.
    fn write_changes(&mut self, meta: &Meta, state: &State) -> Result<(), StoreError> {
        let Some(mut synced) = self.synced.take() else { return self.write_full(meta, state) };
        if !state.queue.changes().is_enabled() || !state.touched.is_enabled() {
            return self.write_full(meta, state);
        }
        let path = self.path.clone();
        let conn = self.connection()?;
        let tx = conn.transaction().map_err(|e| StoreError::new(&path, sql_reason(&e)))?;
        let result = write_diff(&tx, &mut synced, meta, state);
        if let Err(m) = result {
            // The file keeps the previous command; the next save rewrites everything.
            drop(tx);
            return Err(StoreError::new(&path, format!("cannot be written: {m}")));
        }
        tx.commit().map_err(|e| {
            StoreError::new(&path, format!("cannot be written: {}", sql_reason(&e)))
        })?;
        self.synced = Some(synced);
        Ok(())
    }
}

impl Store for SqliteStore {
    fn path(&self) -> Option<&Path> {
        Some(&self.path)
    }

    fn load(&mut self) -> Result<Option<Snapshot>, StoreError> {
        if !self.path.exists() {
            return Ok(None);
        }
        self.validate()?;
        let snapshot = self.read()?;
        // The file now holds exactly this state: later commands write only their changes.
        let seqs = SeqOf::new(&snapshot.state.queue);
        let dues =
            snapshot.state.queue.entries().iter().map(|(due, seq, ..)| (*seq, *due)).collect();
        snapshot.state.queue.changes().enable();
        snapshot.state.touched.enable();
        let written = Written::of(&snapshot.meta, &snapshot.state).unwrap_or_default();
        self.synced = Some(Synced {
            effects: snapshot.state.effects.len(),
            causes: snapshot.state.causes.len(),
            origins: snapshot.state.origins.len(),
            log_id: self.next_log_id,
            rows: snapshot.state.entities.iter().map(Vec::len).collect(),
            seqs,
            dues,
            processes: snapshot.state.processes.keys().copied().collect(),
            meta: written,
        });
        Ok(Some(snapshot))
    }

    fn save_command(&mut self, meta: &Meta, state: &State) -> Result<(), StoreError> {
        self.write_changes(meta, state)
    }

    fn invalidate(&mut self) {
        self.synced = None;
    }

    fn save_snapshot(&mut self, meta: &Meta, state: &State) -> Result<(), StoreError> {
        self.write_changes(meta, state)?;
        // Fold the WAL into the database file so the file alone is the state.
        let path = self.path.clone();
        let conn = self.connection()?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| StoreError::new(&path, sql_reason(&e)))
    }
}

/// The writing connection: WAL, exclusive lock, `synchronous=NORMAL` (a commit survives a
/// killed process; see docs/state.md), the schema.
fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT)?;
    // Take the lock now: a second bp on the same file fails here, before doing anything.
    conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")?;
    Ok(conn)
}

/// `x.db-wal`, `x.db-shm`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A SQLite error in a sentence (a locked file says so).
fn sql_reason(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseBusy => {
            "is in use by another process (the database is locked)".to_string()
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            "not a SQLite database, not a bp state".to_string()
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseCorrupt => {
            "damaged SQLite database (database disk image is malformed)".to_string()
        }
        other => other.to_string(),
    }
}

fn sql<'a>(
    malformed: &'a impl Fn(String) -> StoreError,
) -> impl Fn(rusqlite::Error) -> StoreError + 'a {
    move |e| malformed(sql_reason(&e))
}
