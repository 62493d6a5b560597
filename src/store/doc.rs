//! The stored form of a state: one JSON document (`bp state export` prints it; the JSON store
//! is this document, the SQLite store keeps the same pieces in tables).
//!
//! ```text
//! { "format": "bp-state", "version": 1,
//!   "program_hash": "…", "symbols": { entities, pipelines (stages, rule labels), processes, … },
//!   "scenarios": { "<sha256 of a .bps>": { "applied": 12 } },
//!   "aliases": { "d1": "deal:1" },
//!   "inert": [ … entries a `--migrate keep` set aside … ],
//!   "state": { clock, rng, users, entities, effects, last_seq, causes, origins,
//!              queue: { next_seq, jobs: [ { seq, due, next, job } ] }, processes, … } }
//! ```
//!
//! The state is `runtime::State`'s own serde form with one change that makes it canonical:
//! the job queue is a list of jobs in sequence order, and a job's `next` link and a row's
//! `pending` head name jobs by sequence number instead of by slab slot. Two engines that
//! reached the same state by different paths (one run, or two runs and a reload) store the
//! same document.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::symbols::Symbols;
use super::{Aliases, Inert, FORMAT, SCHEMA_VERSION};
use crate::runtime::queue::{Job, JobHandle, Millis, Queue};
use crate::runtime::state::Row;
use crate::runtime::State;

/// What a state file records besides the engine's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// `Model::hash` of the program that wrote the state.
    pub program_hash: String,
    /// The names the state's ids refer to (symbols.rs).
    pub symbols: Symbols,
    /// Per scenario content hash, how many of its commands were applied (`--resume`).
    pub scenarios: IndexMap<String, Progress>,
    /// Scenario aliases bound so far (`d1` → `deal:1`), so a later run can use them.
    pub aliases: Aliases,
    /// Entries a migration kept aside, inert.
    pub inert: Vec<Inert>,
}

/// How far a scenario got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Commands applied, counted from the scenario's first command.
    pub applied: usize,
}

/// A loaded state: its ids are positions in `meta.symbols`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub meta: Meta,
    pub state: State,
}

/// A job as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredJob {
    pub seq: u64,
    pub due: Millis,
    /// The next job of the same item's pending-rule list, by sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
    pub job: Job,
}

/// The queue as stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredQueue {
    pub next_seq: u64,
    pub jobs: Vec<StoredJob>,
}

/// Sequence numbers of the live jobs of a queue, by handle.
pub struct SeqOf(HashMap<JobHandle, u64>);

impl SeqOf {
    pub fn new(queue: &Queue) -> SeqOf {
        SeqOf(queue.entries().into_iter().map(|(_, seq, handle, ..)| (handle, seq)).collect())
    }

    pub fn get(&self, handle: JobHandle) -> Option<u64> {
        self.0.get(&handle).copied()
    }

    pub fn insert(&mut self, handle: JobHandle, seq: u64) {
        self.0.insert(handle, seq);
    }

    pub fn remove(&mut self, handle: JobHandle) -> Option<u64> {
        self.0.remove(&handle)
    }
}

/// The whole document of a snapshot.
pub fn to_json(meta: &Meta, state: &State) -> Result<Json, String> {
    let mut doc = Map::new();
    doc.insert("format".into(), Json::from(FORMAT));
    doc.insert("version".into(), Json::from(SCHEMA_VERSION));
    let meta = serde_json::to_value(meta).map_err(|e| e.to_string())?;
    if let Json::Object(meta) = meta {
        doc.extend(meta);
    }
    doc.insert("state".into(), state_to_json(state)?);
    Ok(Json::Object(doc))
}

/// The document as pretty text, ending with a newline.
pub fn to_text(meta: &Meta, state: &State) -> Result<String, String> {
    let doc = to_json(meta, state)?;
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

/// Reads a document: checks its format and version first, so another file gives a clear
/// message rather than a serde error.
pub fn from_text(text: &str) -> Result<Snapshot, String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            format!("truncated JSON ({e})")
        } else {
            format!("not valid JSON ({e})")
        }
    })?;
    from_json(doc)
}

/// Reads a parsed document.
pub fn from_json(doc: Json) -> Result<Snapshot, String> {
    let Json::Object(mut doc) = doc else {
        return Err("not a bp state (a JSON document without `\"format\": \"bp-state\"`)".into());
    };
    check_header(doc.get("format"), doc.get("version"))?;
    let state = doc.remove("state").ok_or("malformed state: `state` is missing")?;
    doc.remove("format");
    doc.remove("version");
    let meta: Meta =
        serde_json::from_value(Json::Object(doc)).map_err(|e| format!("malformed state: {e}"))?;
    let state = state_from_json(state).map_err(|e| format!("malformed state: {e}"))?;
    Ok(Snapshot { meta, state })
}

/// The `format` and `version` of a state, checked.
pub fn check_header(format: Option<&Json>, version: Option<&Json>) -> Result<(), String> {
    if format.and_then(Json::as_str) != Some(FORMAT) {
        return Err(format!("not a bp state (no `\"format\": \"{FORMAT}\"` marker)"));
    }
    match version.and_then(Json::as_u64) {
        Some(v) if v == u64::from(SCHEMA_VERSION) => Ok(()),
        Some(v) => Err(format!(
            "written with state schema version {v}; this bp reads version {SCHEMA_VERSION}"
        )),
        None => Err("malformed state: `version` is missing".into()),
    }
}

/// `State`'s serde form with the canonical queue (see the module comment).
pub fn state_to_json(state: &State) -> Result<Json, String> {
    let seq_of = SeqOf::new(&state.queue);
    let mut value = serde_json::to_value(state).map_err(|e| e.to_string())?;
    let Json::Object(obj) = &mut value else { return Err("state is not an object".into()) };
    obj.insert("queue".into(), queue_to_json(&state.queue, &seq_of)?);
    if let Some(Json::Array(kinds)) = obj.get_mut("entities") {
        for rows in kinds.iter_mut().filter_map(Json::as_array_mut) {
            for row in rows.iter_mut().filter_map(Json::as_object_mut) {
                canonical_pending(row, &seq_of);
            }
        }
        // Kinds without rows at the end are not stored (the engine grows the list on use).
        while kinds.last().and_then(Json::as_array).is_some_and(Vec::is_empty) {
            kinds.pop();
        }
    }
    Ok(value)
}

/// The canonical queue.
pub fn queue_to_json(queue: &Queue, seq_of: &SeqOf) -> Result<Json, String> {
    let stored = StoredQueue { next_seq: queue.next_seq(), jobs: stored_jobs(queue, seq_of) };
    serde_json::to_value(stored).map_err(|e| e.to_string())
}

/// The live jobs of a queue, in sequence order.
pub fn stored_jobs(queue: &Queue, seq_of: &SeqOf) -> Vec<StoredJob> {
    queue
        .entries()
        .into_iter()
        .map(|(due, seq, _, job, next)| StoredJob {
            seq,
            due,
            next: next.and_then(|h| seq_of.get(h)),
            job: job.clone(),
        })
        .collect()
}

/// One row's stored form (`pending` by sequence number).
pub fn row_to_json(row: &Row, seq_of: &SeqOf) -> Result<Json, String> {
    let mut value = serde_json::to_value(row).map_err(|e| e.to_string())?;
    if let Json::Object(obj) = &mut value {
        canonical_pending(obj, seq_of);
    }
    Ok(value)
}

fn canonical_pending(row: &mut Map<String, Json>, seq_of: &SeqOf) {
    if let Some(pending) = row.get_mut("pending") {
        let handle: Option<JobHandle> = serde_json::from_value(pending.clone()).ok();
        match handle.and_then(|h| seq_of.get(h)) {
            Some(seq) => *pending = Json::from(seq),
            None => {
                row.remove("pending");
            }
        }
    }
}

/// Reads the canonical state form back into a `State` with a rebuilt queue (job `i` in
/// sequence order gets slot `i`).
pub fn state_from_json(mut value: Json) -> Result<State, String> {
    let Json::Object(obj) = &mut value else { return Err("`state` is not an object".into()) };
    let queue = obj.remove("queue").ok_or("`state.queue` is missing")?;
    let mut queue: StoredQueue =
        serde_json::from_value(queue).map_err(|e| format!("`state.queue`: {e}"))?;
    let placeholder = serde_json::to_value(Queue::default()).map_err(|e| e.to_string())?;
    obj.insert("queue".into(), placeholder);
    let mut heads = Vec::new();
    if let Some(Json::Array(kinds)) = obj.get_mut("entities") {
        for (kind, rows) in kinds.iter_mut().enumerate() {
            let Some(rows) = rows.as_array_mut() else { continue };
            for (i, row) in rows.iter_mut().enumerate() {
                let Some(row) = row.as_object_mut() else { continue };
                if let Some(pending) = row.remove("pending") {
                    let seq = pending.as_u64().ok_or("a row's `pending` is not a number")?;
                    heads.push((kind, i, seq));
                }
            }
        }
    }
    let mut state: State = serde_json::from_value(value).map_err(|e| e.to_string())?;
    queue.jobs.sort_by_key(|j| j.seq);
    let slot_of: HashMap<u64, u32> =
        queue.jobs.iter().enumerate().map(|(i, j)| (j.seq, i as u32)).collect();
    let find = |seq: u64| {
        slot_of.get(&seq).copied().ok_or(format!("no job has the sequence number {seq}"))
    };
    let mut jobs = Vec::with_capacity(queue.jobs.len());
    for job in queue.jobs {
        let next = job.next.map(find).transpose()?;
        jobs.push((job.due, job.seq, job.job, next));
    }
    state.queue = Queue::restore(queue.next_seq, jobs);
    for (kind, i, seq) in heads {
        let slot = find(seq)?;
        if let Some(row) = state.entities.get_mut(kind).and_then(|rows| rows.get_mut(i)) {
            row.pending = Some(JobHandle { slot, generation: 0 });
        }
    }
    Ok(state)
}
