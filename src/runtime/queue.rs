//! The job queue (SPEC §8 "Jobs and chains"): every delayed rule, process start or wake-up and
//! raised event is a job ordered by (due time, sequence).
//!
//! A binary heap holds small keys `(due, seq, slot, generation)`; the job itself lives in a
//! slab slot. Cancelling bumps the slot's generation and frees it — O(1), no search — and a
//! heap key whose generation no longer matches is skipped when popped (lazy deletion). A
//! `JobHandle` (slot + generation) names a job without owning it.
//!
//! The pending delayed rules of an item form an intrusive list through the slots (`next`),
//! headed by the item's row, in scheduling order: no allocation per item, and a move cancels
//! its `unless moved` rules by walking a few links.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use super::value::{EntityRef, Value};
use crate::model::{EventId, ProcessId, StageRef};

/// Milliseconds since the Unix epoch (UTC): the clock's resolution (SPEC §8).
pub type Millis = i64;

/// What a job does when it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum JobKind {
    /// A delayed `after`/`at` rule of `stage`. It was scheduled when its cause ran (the
    /// cause's time is the scheduling time); `calendar`: the declared calendar that counted a
    /// working-time delay (for `why`).
    Rule { item: EntityRef, stage: StageRef, rule: u32, calendar: Option<u32> },
    /// The stage entry of an item a rule or process created (SPEC §8: a consequence).
    Enter { item: EntityRef, stage: StageRef },
    /// Start a process instance on an item.
    Start { process: ProcessId, item: EntityRef },
    /// Wake an instance's branches waiting on `stage` (or on any stage when it is final).
    WakeStage { instance: u32, stage: StageRef },
    /// Wake the branch of an instance whose timed wait carries `token`.
    WakeTimer { instance: u32, token: u32 },
    /// Handle a raised event: find the first eligible trigger (SPEC §8 "Triggers").
    Event(Box<RaisedEvent>),
}

/// An event about an item, with its payload fixed when raised (SPEC §7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaisedEvent {
    pub item: EntityRef,
    pub event: EventId,
    /// The event's arguments by parameter name (`status: completed`, `path: amount`).
    pub args: Vec<(String, Value)>,
    /// The payload names in scope of a trigger's `where` (`task`, `field`, `form` …).
    pub payload: Vec<(String, Value)>,
}

/// A job in its slot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub kind: JobKind,
    /// The chain it belongs to; `None` for a timed job, which starts its own chain when it
    /// runs (SPEC §8).
    pub chain: Option<u32>,
    /// The cause (`why`) of whatever queued it.
    pub cause: u32,
}

/// A job taken off the queue to run.
pub struct Popped {
    pub due: Millis,
    pub handle: JobHandle,
    pub job: Job,
    /// Its `next` link (for unlinking it from its item's pending-rule list).
    pub next: Option<JobHandle>,
}

/// Where a job lives and which occupant of the slot it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JobHandle {
    pub slot: u32,
    pub generation: u32,
}

/// A slot of the slab; its job's due time and sequence live in the heap key only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Slot {
    generation: u32,
    /// The next job of the same item's pending-rule list.
    next: Option<JobHandle>,
    job: Option<Job>,
}

/// The queue: a heap of keys over a slab of jobs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Queue {
    heap: BinaryHeap<Reverse<(Millis, u64, u32, u32)>>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// The next sequence number.
    next_seq: u64,
    live: usize,
    /// Changes since the store last took them (`None`: not tracked). Added for the SQLite
    /// store, which writes only the jobs a command changed (store/sqlite.rs).
    #[serde(skip)]
    changes: ChangeLog<QueueChange>,
}

/// A change of the queue, as the SQLite store sees it (`Queue::take_changes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueChange {
    /// A job was queued in `handle` at `due` with sequence number `seq`.
    Pushed { handle: JobHandle, due: Millis, seq: u64 },
    /// The job of `handle` ran or was cancelled.
    Removed { handle: JobHandle },
    /// The `next` link of `handle` changed.
    Linked { handle: JobHandle },
}

/// A list of changes that a store drains through a shared reference (the engine hands out
/// `&State` only). Off until `enable`; clones copy it; never compared, never serialised.
#[derive(Debug)]
pub struct ChangeLog<T>(std::sync::Mutex<Option<Vec<T>>>);

impl<T> Default for ChangeLog<T> {
    fn default() -> Self {
        ChangeLog(std::sync::Mutex::new(None))
    }
}

impl<T: Clone> Clone for ChangeLog<T> {
    fn clone(&self) -> Self {
        ChangeLog(std::sync::Mutex::new(self.lock().clone()))
    }
}

impl<T> PartialEq for ChangeLog<T> {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl<T> ChangeLog<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Vec<T>>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a change (when tracking).
    pub fn record(&mut self, change: T) {
        let log = self.0.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(changes) = log {
            changes.push(change);
        }
    }

    /// Starts tracking (dropping what was recorded) and returns nothing.
    pub fn enable(&self) {
        *self.lock() = Some(Vec::new());
    }

    /// The changes recorded since the last call (empty when not tracking).
    pub fn take(&self) -> Vec<T> {
        self.lock().as_mut().map(std::mem::take).unwrap_or_default()
    }

    pub fn is_enabled(&self) -> bool {
        self.lock().is_some()
    }
}

/// Two queues are equal when they hold the same jobs in the same order with the same
/// sequence numbers to come (their heap layouts may differ).
impl PartialEq for Queue {
    fn eq(&self, other: &Queue) -> bool {
        self.next_seq == other.next_seq && self.live_jobs() == other.live_jobs()
    }
}

impl Queue {
    /// Queues `job` due at `due`, with the next sequence number.
    pub fn push(&mut self, due: Millis, job: Job) -> JobHandle {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i as usize) {
                    s.job = Some(job);
                    s.next = None;
                }
                i
            }
            None => {
                self.slots.push(Slot { generation: 0, next: None, job: Some(job) });
                (self.slots.len() - 1) as u32
            }
        };
        let generation = self.slots.get(slot as usize).map_or(0, |s| s.generation);
        self.heap.push(Reverse((due, seq, slot, generation)));
        self.live += 1;
        let handle = JobHandle { slot, generation };
        self.changes.record(QueueChange::Pushed { handle, due, seq });
        handle
    }

    /// Whether the job of `handle` is still queued.
    pub fn is_pending(&self, handle: JobHandle) -> bool {
        self.slots
            .get(handle.slot as usize)
            .is_some_and(|s| s.generation == handle.generation && s.job.is_some())
    }

    /// The job of `handle`, if still queued.
    pub fn get(&self, handle: JobHandle) -> Option<&Job> {
        let s = self.slots.get(handle.slot as usize)?;
        if s.generation != handle.generation {
            return None;
        }
        s.job.as_ref()
    }

    /// Removes a queued job; returns it (None if it already ran or was cancelled).
    pub fn cancel(&mut self, handle: JobHandle) -> Option<Job> {
        self.remove(handle).map(|(job, _)| job)
    }

    /// Removes a queued job; returns it with its `next` link.
    pub fn remove(&mut self, handle: JobHandle) -> Option<(Job, Option<JobHandle>)> {
        let s = self.slots.get_mut(handle.slot as usize)?;
        if s.generation != handle.generation {
            return None;
        }
        let job = s.job.take()?;
        let next = s.next.take();
        s.generation = s.generation.wrapping_add(1);
        self.free.push(handle.slot);
        self.live -= 1;
        self.changes.record(QueueChange::Removed { handle });
        Some((job, next))
    }

    /// The `next` link of a queued job.
    pub fn next_of(&self, handle: JobHandle) -> Option<JobHandle> {
        let s = self.slots.get(handle.slot as usize)?;
        if s.generation != handle.generation || s.job.is_none() {
            return None;
        }
        s.next
    }

    /// Sets the `next` link of a queued job.
    pub fn set_next(&mut self, handle: JobHandle, next: Option<JobHandle>) {
        if let Some(s) = self.slots.get_mut(handle.slot as usize) {
            if s.generation == handle.generation && s.job.is_some() {
                s.next = next;
                self.changes.record(QueueChange::Linked { handle });
            }
        }
    }

    /// The due time of the next live job.
    pub fn next_due(&mut self) -> Option<Millis> {
        self.skip_dead();
        self.heap.peek().map(|Reverse((due, ..))| *due)
    }

    /// Pops the next live job if it is due at or before `limit`, with its `next` link.
    pub fn pop_due(&mut self, limit: Millis) -> Option<Popped> {
        self.skip_dead();
        let Reverse((due, _, slot, generation)) = *self.heap.peek()?;
        if due > limit {
            return None;
        }
        self.heap.pop();
        let handle = JobHandle { slot, generation };
        let (job, next) = self.remove(handle)?;
        Some(Popped { due, handle, job, next })
    }

    fn skip_dead(&mut self) {
        while let Some(Reverse((_, _, slot, generation))) = self.heap.peek() {
            let alive = self
                .slots
                .get(*slot as usize)
                .is_some_and(|s| s.generation == *generation && s.job.is_some());
            if alive {
                break;
            }
            self.heap.pop();
        }
    }

    /// Every live job with its handle and due time, in run order (due, sequence).
    pub fn live_jobs(&self) -> Vec<(Millis, JobHandle, &Job)> {
        let mut jobs: Vec<(Millis, u64, JobHandle, &Job)> = self
            .heap
            .iter()
            .filter_map(|Reverse((due, seq, slot, generation))| {
                let handle = JobHandle { slot: *slot, generation: *generation };
                Some((*due, *seq, handle, self.get(handle)?))
            })
            .collect();
        jobs.sort_by_key(|(due, seq, ..)| (*due, *seq));
        jobs.into_iter().map(|(due, _, h, j)| (due, h, j)).collect()
    }

    /// Cancels every live job of `chain` (the cascade guard drops a chain's pending jobs).
    pub fn drop_chain(&mut self, chain: u32) {
        let handles: Vec<JobHandle> = self
            .live_jobs()
            .into_iter()
            .filter(|(_, _, j)| j.chain == Some(chain))
            .map(|(_, h, _)| h)
            .collect();
        for h in handles {
            self.cancel(h);
        }
    }

    /// How many jobs are queued.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    // -- for the file stores (store/): a canonical form and change tracking ------------------

    /// The sequence number the next job will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Every live job in sequence order: (due, seq, handle, job, next link).
    pub fn entries(&self) -> Vec<(Millis, u64, JobHandle, &Job, Option<JobHandle>)> {
        let mut jobs: Vec<_> = self
            .heap
            .iter()
            .filter_map(|Reverse((due, seq, slot, generation))| {
                let handle = JobHandle { slot: *slot, generation: *generation };
                let job = self.get(handle)?;
                Some((*due, *seq, handle, job, self.next_of(handle)))
            })
            .collect();
        jobs.sort_by_key(|(_, seq, ..)| *seq);
        jobs
    }

    /// A queue holding `jobs` (due, seq, job, next as an index into `jobs`) in slots 0, 1, …
    /// in the given order, generation 0: job `i` has the handle `{ slot: i, generation: 0 }`.
    pub fn restore(next_seq: u64, jobs: Vec<(Millis, u64, Job, Option<u32>)>) -> Queue {
        let mut queue = Queue { next_seq, ..Queue::default() };
        for (i, (due, seq, job, next)) in jobs.into_iter().enumerate() {
            let next = next.map(|n| JobHandle { slot: n, generation: 0 });
            queue.slots.push(Slot { generation: 0, next, job: Some(job) });
            queue.heap.push(Reverse((due, seq, i as u32, 0)));
            queue.live += 1;
            queue.next_seq = queue.next_seq.max(seq + 1);
        }
        queue
    }

    /// The change log the SQLite store drains (`enable` starts it).
    pub fn changes(&self) -> &ChangeLog<QueueChange> {
        &self.changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityId, ProcessId};

    fn job(n: u32) -> Job {
        Job {
            kind: JobKind::Start { process: ProcessId(0), item: EntityRef::new(EntityId(0), n) },
            chain: None,
            cause: 0,
        }
    }

    fn n_of(j: &Job) -> u32 {
        match j.kind {
            JobKind::Start { item, .. } => item.n,
            _ => 0,
        }
    }

    #[test]
    fn jobs_pop_by_due_time_then_sequence() {
        let mut q = Queue::default();
        q.push(20, job(1));
        q.push(10, job(2));
        q.push(10, job(3));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop_due(100)).map(|p| n_of(&p.job)).collect();
        assert_eq!(order, vec![2, 3, 1]);
    }

    #[test]
    fn cancelled_jobs_never_run_and_slots_are_reused() {
        let mut q = Queue::default();
        let a = q.push(10, job(1));
        q.push(20, job(2));
        assert!(q.cancel(a).is_some());
        assert!(q.cancel(a).is_none());
        assert!(!q.is_pending(a));
        let c = q.push(5, job(3));
        assert_eq!(c.slot, a.slot);
        assert!(!q.is_pending(a));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop_due(100)).map(|p| n_of(&p.job)).collect();
        assert_eq!(order, vec![3, 2]);
        assert!(q.is_empty());
    }

    #[test]
    fn pop_due_respects_the_limit() {
        let mut q = Queue::default();
        q.push(50, job(1));
        assert!(q.pop_due(49).is_none());
        assert_eq!(q.next_due(), Some(50));
        assert!(q.pop_due(50).is_some());
    }
}
