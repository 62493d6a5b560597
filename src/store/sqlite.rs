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

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::doc::{self, SeqOf, StoredJob};
use super::{io_reason, Meta, Snapshot, Store, StoreError, FORMAT, SCHEMA_VERSION};
use crate::runtime::effects::{CauseKind, EffectKind};
use crate::runtime::queue::{Millis, QueueChange};
use crate::runtime::rng::Rng;
use crate::runtime::state::{Booking, Clock, Details, UserRow};
use crate::runtime::{EntityRef, State};

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

fn read_rows(conn: &Connection) -> Result<Json, String> {
    let mut kinds: Vec<Json> = Vec::new();
    let mut stmt = conn
        .prepare("SELECT kind, n, body FROM rows ORDER BY kind, n")
        .map_err(|e| sql_reason(&e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))
        .map_err(|e| sql_reason(&e))?;
    for row in rows {
        let (kind, n, body) = row.map_err(|e| sql_reason(&e))?;
        let kind = usize::try_from(kind).map_err(|_| format!("row kind {kind}"))?;
        while kinds.len() <= kind {
            kinds.push(Json::Array(Vec::new()));
        }
        let Some(Json::Array(list)) = kinds.get_mut(kind) else { continue };
        if n != list.len() as i64 + 1 {
            return Err(format!("rows of kind {kind} are not numbered 1, 2, … (found {n})"));
        }
        list.push(serde_json::from_str(&body).map_err(|e| format!("row {kind}/{n}: {e}"))?);
    }
    Ok(Json::Array(kinds))
}

/// The effects, causes and origins of the `log` rows, in order; and the next row id.
fn read_log(conn: &Connection) -> Result<([Vec<Json>; 3], i64), String> {
    let mut lists: [Vec<Json>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut next_id = 0;
    let mut stmt = conn
        .prepare("SELECT id, effects, causes, origins, body FROM log ORDER BY id")
        .map_err(|e| sql_reason(&e))?;
    let rows = stmt
        .query_map([], |r| {
            let starts = [r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?];
            Ok((r.get::<_, i64>(0)?, starts, r.get::<_, String>(4)?))
        })
        .map_err(|e| sql_reason(&e))?;
    for row in rows {
        let (id, starts, body) = row.map_err(|e| sql_reason(&e))?;
        let mut body: serde_json::Map<String, Json> =
            serde_json::from_str(&body).map_err(|e| format!("log {id}: {e}"))?;
        for ((name, list), start) in
            ["effects", "causes", "origins"].iter().zip(&mut lists).zip(starts)
        {
            if start != list.len() as i64 {
                return Err(format!("log {id}: {name} start at {start}, expected {}", list.len()));
            }
            if let Some(Json::Array(items)) = body.remove(*name) {
                list.extend(items);
            }
        }
        next_id = id + 1;
    }
    Ok((lists, next_id))
}

fn read_keyed(conn: &Connection, query: &str) -> Result<Vec<(i64, Json)>, String> {
    let mut stmt = conn.prepare(query).map_err(|e| sql_reason(&e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| sql_reason(&e))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, body) = row.map_err(|e| sql_reason(&e))?;
        out.push((id, serde_json::from_str(&body).map_err(|e| format!("{query}: {id}: {e}"))?));
    }
    Ok(out)
}

/// The small parts of the state, written as the meta value `core`. Every `State` field that
/// is not stored in a table of its own must be here (a unit test holds this list to
/// `State`'s fields).
#[derive(Serialize)]
struct Core<'a> {
    clock: &'a Clock,
    rng: &'a Rng,
    users: &'a indexmap::IndexMap<String, UserRow>,
    last_seq: u64,
    last_instance: u32,
    last_token: u32,
    cursors: &'a std::collections::BTreeMap<String, u32>,
    details: &'a std::collections::BTreeMap<String, Details>,
    bookings: &'a std::collections::BTreeMap<String, Booking>,
    started: bool,
    queue_next_seq: u64,
}

/// `State` fields stored in tables of their own (the rest is `Core`).
#[cfg(test)]
pub(super) const TABLE_FIELDS: [&str; 6] =
    ["entities", "effects", "causes", "origins", "queue", "processes"];
/// `State` fields stored in `core`.
#[cfg(test)]
pub(super) const CORE_FIELDS: [&str; 10] = [
    "clock",
    "rng",
    "users",
    "last_seq",
    "last_instance",
    "last_token",
    "cursors",
    "details",
    "bookings",
    "started",
];

fn core_of(state: &State) -> Core<'_> {
    Core {
        clock: &state.clock,
        rng: &state.rng,
        users: &state.users,
        last_seq: state.last_seq,
        last_instance: state.last_instance,
        last_token: state.last_token,
        cursors: &state.cursors,
        details: &state.details,
        bookings: &state.bookings,
        started: state.started,
        queue_next_seq: state.queue.next_seq(),
    }
}

/// The meta values as last written, to write only those that changed.
#[derive(Default)]
struct Written {
    program_hash: String,
    symbols: super::Symbols,
    scenarios: indexmap::IndexMap<String, super::Progress>,
    /// `Meta::aliases` and `Meta::inert` only grow (the session appends): their lengths.
    aliases: usize,
    inert: usize,
    core: String,
}

impl Written {
    /// What a file holds after `meta` and `state` were written whole.
    fn of(meta: &Meta, state: &State) -> Result<Written, String> {
        Ok(Written {
            program_hash: meta.program_hash.clone(),
            symbols: meta.symbols.clone(),
            scenarios: meta.scenarios.clone(),
            aliases: meta.aliases.len(),
            inert: meta.inert.len(),
            core: text(&core_of(state))?,
        })
    }
}

fn text<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}

/// Writes the meta values that changed since `written` (all of them when `all`).
fn write_meta(
    tx: &Transaction,
    meta: &Meta,
    state: &State,
    written: &mut Written,
    all: bool,
) -> Result<(), String> {
    let put = |key: &str, value: String| -> Result<(), String> {
        tx.prepare_cached("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![key, value]))
            .map(|_| ())
            .map_err(|e| sql_reason(&e))
    };
    if all {
        put("format", text(FORMAT)?)?;
        put("version", text(&SCHEMA_VERSION)?)?;
    }
    if all || written.program_hash != meta.program_hash {
        put("program_hash", text(&meta.program_hash)?)?;
        written.program_hash = meta.program_hash.clone();
    }
    if all || written.symbols != meta.symbols {
        put("symbols", text(&meta.symbols)?)?;
        written.symbols = meta.symbols.clone();
    }
    if all || written.scenarios != meta.scenarios {
        put("scenarios", text(&meta.scenarios)?)?;
        written.scenarios = meta.scenarios.clone();
    }
    // Aliases only grow: append the new ones (a scenario of N creates binds N aliases).
    let from = if all { 0 } else { written.aliases };
    for (i, (name, entity)) in meta.aliases.iter().enumerate().skip(from) {
        tx.prepare_cached("INSERT OR REPLACE INTO aliases(id, name, entity) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![i as i64, name, entity]))
            .map_err(|e| sql_reason(&e))?;
    }
    written.aliases = meta.aliases.len();
    if all || written.inert != meta.inert.len() {
        put("inert", text(&meta.inert)?)?;
        written.inert = meta.inert.len();
    }
    let core = text(&core_of(state))?;
    if all || written.core != core {
        put("core", core.clone())?;
        written.core = core;
    }
    Ok(())
}

/// One `log` row: the effects, causes and origins in the given ranges.
fn append_log(
    tx: &Transaction,
    id: i64,
    state: &State,
    effects: (usize, usize),
    causes: (usize, usize),
    origins: (usize, usize),
) -> Result<(), String> {
    #[derive(Serialize)]
    struct Batch<'a> {
        effects: &'a [crate::runtime::Effect],
        causes: &'a [crate::runtime::effects::Cause],
        origins: &'a [String],
    }
    let batch = Batch {
        effects: state.effects.get(effects.0..effects.1).unwrap_or_default(),
        causes: state.causes.get(causes.0..causes.1).unwrap_or_default(),
        origins: state.origins.get(origins.0..origins.1).unwrap_or_default(),
    };
    let body = text(&batch)?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO log(id, effects, causes, origins, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| {
        s.execute(params![id, effects.0 as i64, causes.0 as i64, origins.0 as i64, body])
    })
    .map_err(|e| sql_reason(&e))?;
    Ok(())
}

fn put_body<T: Serialize>(tx: &Transaction, table: &str, id: i64, item: &T) -> Result<(), String> {
    let body = serde_json::to_string(item).map_err(|e| e.to_string())?;
    tx.prepare_cached(&format!("INSERT OR REPLACE INTO {table}(id, body) VALUES (?1, ?2)"))
        .and_then(|mut s| s.execute(params![id, body]))
        .map_err(|e| sql_reason(&e))?;
    Ok(())
}

fn put_row(
    tx: &Transaction,
    kind: usize,
    i: usize,
    row: &crate::runtime::state::Row,
    seqs: &SeqOf,
) -> Result<(), String> {
    let body = doc::row_to_json(row, seqs)?.to_string();
    tx.prepare_cached("INSERT OR REPLACE INTO rows(kind, n, body) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute(params![kind as i64, i as i64 + 1, body]))
        .map_err(|e| sql_reason(&e))?;
    Ok(())
}

/// A job's body: the stored job without its `seq` (the key).
fn put_job(tx: &Transaction, job: &StoredJob) -> Result<(), String> {
    let mut body = serde_json::to_value(job).map_err(|e| e.to_string())?;
    if let Json::Object(obj) = &mut body {
        obj.remove("seq");
    }
    tx.prepare_cached("INSERT OR REPLACE INTO jobs(seq, body) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![job.seq as i64, body.to_string()]))
        .map_err(|e| sql_reason(&e))?;
    Ok(())
}

/// Writes the whole state into `conn` in one transaction (the schema included, so a file is
/// never seen with tables and no state); returns the meta texts written.
fn fill(conn: &mut Connection, meta: &Meta, state: &State) -> Result<(Written, i64), String> {
    let seqs = SeqOf::new(&state.queue);
    let tx = conn.transaction().map_err(|e| sql_reason(&e))?;
    tx.execute_batch(SCHEMA).map_err(|e| sql_reason(&e))?;
    tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(|e| sql_reason(&e))?;
    for table in TABLES {
        tx.execute(&format!("DELETE FROM {table}"), []).map_err(|e| sql_reason(&e))?;
    }
    let mut written = Written::default();
    write_meta(&tx, meta, state, &mut written, true)?;
    let mut log_id = 0;
    let (mut e, mut c, mut o) = (0, 0, 0);
    while e < state.effects.len() || c < state.causes.len() || o < state.origins.len() {
        let end = |from: usize, len: usize| len.min(from + LOG_BATCH);
        let (e2, c2, o2) =
            (end(e, state.effects.len()), end(c, state.causes.len()), end(o, state.origins.len()));
        append_log(&tx, log_id, state, (e, e2), (c, c2), (o, o2))?;
        (e, c, o) = (e2, c2, o2);
        log_id += 1;
    }
    for (kind, rows) in state.entities.iter().enumerate() {
        for (i, row) in rows.iter().enumerate() {
            put_row(&tx, kind, i, row, &seqs)?;
        }
    }
    for job in doc::stored_jobs(&state.queue, &seqs) {
        put_job(&tx, &job)?;
    }
    for (id, instance) in &state.processes {
        put_body(&tx, "processes", i64::from(*id), instance)?;
    }
    tx.commit().map_err(|e| sql_reason(&e))?;
    Ok((written, log_id))
}

/// The incremental part of a save (see the module comment).
fn write_diff(
    tx: &Transaction,
    synced: &mut Synced,
    meta: &Meta,
    state: &State,
) -> Result<(), String> {
    // Jobs: replay the queue's changes.
    let mut write: HashMap<u64, crate::runtime::queue::JobHandle> = HashMap::new();
    let mut delete: BTreeSet<u64> = BTreeSet::new();
    for change in state.queue.changes().take() {
        match change {
            QueueChange::Pushed { handle, due, seq } => {
                synced.seqs.insert(handle, seq);
                synced.dues.insert(seq, due);
                write.insert(seq, handle);
            }
            QueueChange::Removed { handle } => {
                if let Some(seq) = synced.seqs.remove(handle) {
                    synced.dues.remove(&seq);
                    write.remove(&seq);
                    delete.insert(seq);
                }
            }
            QueueChange::Linked { handle } => {
                if let Some(seq) = synced.seqs.get(handle) {
                    write.insert(seq, handle);
                }
            }
        }
    }
    for seq in &delete {
        tx.prepare_cached("DELETE FROM jobs WHERE seq = ?1")
            .and_then(|mut s| s.execute(params![*seq as i64]))
            .map_err(|e| sql_reason(&e))?;
    }
    let mut sorted: Vec<_> = write.into_iter().collect();
    sorted.sort_by_key(|(seq, _)| *seq);
    for (seq, handle) in sorted {
        let Some(job) = state.queue.get(handle) else { continue };
        let due = synced.dues.get(&seq).copied().unwrap_or_default();
        let next = state.queue.next_of(handle).and_then(|h| synced.seqs.get(h));
        put_job(tx, &StoredJob { seq, due, next, job: job.clone() })?;
    }

    // Rows: the new ones and the ones borrowed mutably.
    let mut rows: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (kind, list) in state.entities.iter().enumerate() {
        let from = synced.rows.get(kind).copied().unwrap_or(0);
        rows.extend((from..list.len()).map(|i| (kind, i)));
    }
    for r in state.touched.take() {
        let EntityRef { entity, n } = r;
        if n >= 1 {
            rows.insert((entity.index(), n as usize - 1));
        }
    }
    for (kind, i) in rows {
        if let Some(row) = state.entities.get(kind).and_then(|l| l.get(i)) {
            put_row(tx, kind, i, row, &synced.seqs)?;
        }
    }
    synced.rows = state.entities.iter().map(Vec::len).collect();

    // Process instances named by the new causes and effects.
    let mut instances: BTreeSet<u32> = BTreeSet::new();
    for cause in state.causes.iter().skip(synced.causes) {
        if let CauseKind::Process { instance, .. } = cause.kind {
            instances.insert(instance);
        }
    }
    for effect in state.effects.iter().skip(synced.effects) {
        match effect.kind {
            EffectKind::ProcessStarted { instance, .. }
            | EffectKind::ProcessFinished { instance, .. } => {
                instances.insert(instance);
            }
            _ => {}
        }
    }
    for id in instances {
        match state.processes.get(&id) {
            Some(instance) => {
                put_body(tx, "processes", i64::from(id), instance)?;
                synced.processes.insert(id);
            }
            None => {
                tx.prepare_cached("DELETE FROM processes WHERE id = ?1")
                    .and_then(|mut s| s.execute(params![i64::from(id)]))
                    .map_err(|e| sql_reason(&e))?;
                synced.processes.remove(&id);
            }
        }
    }
    if synced.processes.len() != state.processes.len() {
        // Something changed instances without a cause: rewrite them all.
        tx.execute("DELETE FROM processes", []).map_err(|e| sql_reason(&e))?;
        for (id, instance) in &state.processes {
            put_body(tx, "processes", i64::from(*id), instance)?;
        }
        synced.processes = state.processes.keys().copied().collect();
    }

    // The logs: append.
    let ends = (state.effects.len(), state.causes.len(), state.origins.len());
    if ends != (synced.effects, synced.causes, synced.origins) {
        append_log(
            tx,
            synced.log_id,
            state,
            (synced.effects, ends.0),
            (synced.causes, ends.1),
            (synced.origins, ends.2),
        )?;
        synced.log_id += 1;
    }
    synced.effects = state.effects.len();
    synced.causes = state.causes.len();
    synced.origins = state.origins.len();

    write_meta(tx, meta, state, &mut synced.meta, false)
}
