//! Writing a SQLite state: whole (`fill`) or what one command changed (`write_diff`).

use std::collections::{BTreeSet, HashMap};

use rusqlite::{params, Connection, Transaction};
use serde::Serialize;
use serde_json::Value as Json;

use super::super::doc::{self, SeqOf, StoredJob};
use super::super::{Meta, FORMAT, SCHEMA_VERSION};
use super::{sql_reason, Synced, APPLICATION_ID, LOG_BATCH, SCHEMA, TABLES};
use crate::runtime::effects::{CauseKind, EffectKind};
use crate::runtime::queue::{JobHandle, QueueChange};
use crate::runtime::rng::Rng;
use crate::runtime::state::{Booking, Clock, Details, Row, UserRow};
use crate::runtime::{EntityRef, State};

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
pub(in crate::store) const TABLE_FIELDS: [&str; 6] =
    ["entities", "effects", "causes", "origins", "queue", "processes"];
/// `State` fields stored in `core`.
#[cfg(test)]
pub(in crate::store) const CORE_FIELDS: [&str; 10] = [
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
pub(super) struct Written {
    program_hash: String,
    symbols: super::super::Symbols,
    scenarios: indexmap::IndexMap<String, super::super::Progress>,
    /// `Meta::aliases` and `Meta::inert` only grow (the session appends): their lengths.
    aliases: usize,
    inert: usize,
    core: String,
}

impl Written {
    /// What a file holds after `meta` and `state` were written whole.
    pub(super) fn of(meta: &Meta, state: &State) -> Result<Written, String> {
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

pub(super) fn text<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
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

fn put_row(tx: &Transaction, kind: usize, i: usize, row: &Row, seqs: &SeqOf) -> Result<(), String> {
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
pub(super) fn fill(
    conn: &mut Connection,
    meta: &Meta,
    state: &State,
) -> Result<(Written, i64), String> {
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
pub(super) fn write_diff(
    tx: &Transaction,
    synced: &mut Synced,
    meta: &Meta,
    state: &State,
) -> Result<(), String> {
    // Jobs: replay the queue's changes.
    let mut write: HashMap<u64, JobHandle> = HashMap::new();
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
