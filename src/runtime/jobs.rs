//! The job loop (SPEC §8 "Jobs and chains"): each external command is a chain; after it,
//! every job due at or before the clock runs, in (due, sequence) order. A consequence
//! continues the chain that queued it, a timed job starts a new chain; the cascade guard
//! counts each chain's jobs (a 1001st is refused).

use chrono::{DateTime, Utc};

use super::effects::{CauseKind, Verb};
use super::queue::{Job, JobKind};
use super::value::EntityRef;
use super::Engine;
use crate::model::{ProcessId, StageRef};

/// The cascade guard's count for one chain (SPEC §8 "Cascades").
#[derive(Clone, Debug, Default)]
pub struct ChainInfo {
    pub entries: u32,
    pub jobs: u32,
    /// Jobs of the chain still queued: the chain is over when none is left and none runs.
    pub queued: u32,
    /// The stage entries made, for naming the cycle.
    pub trace: Vec<(EntityRef, StageRef)>,
    /// What each job did, for naming a cycle of jobs.
    pub job_trace: Vec<JobKey>,
}

/// What a job does, compactly (the cascade guard names a cycle of jobs with these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKey {
    Rule(StageRef, u32),
    Enter(StageRef),
    Start(ProcessId),
    Wake(u32),
    Event(crate::model::EventId),
}

impl JobKey {
    pub fn of(job: &super::queue::Job) -> JobKey {
        use super::queue::JobKind;
        match &job.kind {
            JobKind::Rule { stage, rule, .. } => JobKey::Rule(*stage, *rule),
            JobKind::Enter { stage, .. } => JobKey::Enter(*stage),
            JobKind::Start { process, .. } => JobKey::Start(*process),
            JobKind::WakeStage { instance, .. } | JobKind::WakeTimer { instance, .. } => {
                JobKey::Wake(*instance)
            }
            JobKind::Event(ev) => JobKey::Event(ev.event),
        }
    }
}

/// The chains in progress, with a pool of cleared infos so a command allocates nothing here.
///
/// A chain is forgotten as soon as it is over (`end_if_idle`): an `advance` that fires many
/// timers starts one chain per timed job, and those must not pile up (a linear search over
/// them made a long advance quadratic).
#[derive(Debug, Default)]
pub struct Chains {
    active: Vec<(u32, ChainInfo)>,
    spare: Vec<ChainInfo>,
}

impl Chains {
    /// The info of `chain`, created empty when new.
    pub fn get(&mut self, chain: u32) -> &mut ChainInfo {
        let index = match self.active.iter().rposition(|(id, _)| *id == chain) {
            Some(i) => i,
            None => {
                let info = self.spare.pop().unwrap_or_default();
                self.active.push((chain, info));
                self.active.len() - 1
            }
        };
        &mut self.active[index].1
    }

    /// Forgets every chain (they have all ended), keeping the allocations.
    pub fn clear(&mut self) {
        for (_, info) in self.active.drain(..) {
            self.spare.push(ChainInfo::cleared(info));
        }
    }

    /// A job of `chain` was queued.
    pub fn queued(&mut self, chain: u32) {
        self.get(chain).queued += 1;
    }

    /// A job of `chain` left the queue to run.
    pub fn dequeued(&mut self, chain: u32) {
        if let Some((_, info)) = self.active.iter_mut().rev().find(|(id, _)| *id == chain) {
            info.queued = info.queued.saturating_sub(1);
        }
    }

    /// Forgets `chain` when none of its jobs is queued (call when none of its jobs runs).
    pub fn end_if_idle(&mut self, chain: u32) {
        if let Some(i) = self.active.iter().rposition(|(id, _)| *id == chain) {
            if self.active[i].1.queued == 0 {
                let (_, info) = self.active.remove(i);
                self.spare.push(ChainInfo::cleared(info));
            }
        }
    }
}

impl ChainInfo {
    /// The info emptied for reuse, keeping its allocations.
    fn cleared(mut info: ChainInfo) -> ChainInfo {
        info.entries = 0;
        info.jobs = 0;
        info.queued = 0;
        info.trace.clear();
        info.job_trace.clear();
        info
    }
}

/// A chain may make at most this many stage entries and run this many jobs.
pub const MAX_ENTRIES: u32 = 100;
pub const MAX_JOBS: u32 = 1000;

impl Engine {
    /// Starts the chain of an external command, with its root cause.
    pub(crate) fn begin_command(&mut self, verb: Verb, target: Option<EntityRef>) {
        self.last_chain += 1;
        self.chain = Some(self.last_chain);
        self.aborted = false;
        let text = self.origin.take().map(|t| {
            self.state.origins.push(t);
            (self.state.origins.len() - 1) as u32
        });
        let now = self.now_ms();
        let kind = CauseKind::Command { verb, target, text };
        self.state.causes.push(super::effects::Cause { parent: None, at: now, kind });
        self.cause = (self.state.causes.len() - 1) as u32;
        self.state.started = true;
    }

    /// Ends a command: runs every job due now, then forgets the finished chains.
    pub(crate) fn end_command(&mut self) {
        let now = self.state.clock.now;
        self.run_due(now);
        self.chains.clear();
        self.chain = None;
        self.aborted = false;
    }

    /// Runs every job due at or before `limit`, in (due, sequence) order, moving the clock to
    /// each job's time.
    pub(crate) fn run_due(&mut self, limit: DateTime<Utc>) {
        let limit = limit.timestamp_millis();
        while let Some(popped) = self.state.queue.pop_due(limit) {
            let super::queue::Popped { due, handle, job, next } = popped;
            if let JobKind::Rule { item, .. } = job.kind {
                self.unlink_pending(item, handle, next);
            }
            if due > self.now_ms() {
                self.state.clock.now = Engine::moment(due);
            }
            let chain = match job.chain {
                Some(c) => {
                    self.chains.dequeued(c);
                    c
                }
                None => {
                    self.last_chain += 1;
                    self.last_chain
                }
            };
            if self.chain != Some(chain) {
                self.chain = Some(chain);
                self.aborted = false;
            }
            if !self.aborted && self.count_job(chain, &job) {
                self.cause = job.cause;
                self.run_job(job);
            }
            self.chains.end_if_idle(chain);
        }
        // Chains whose jobs all ran are over.
        self.chains.clear();
        self.chain = None;
        self.aborted = false;
    }

    /// Counts a job of a chain; false (loop error logged) for a 1001st.
    fn count_job(&mut self, chain: u32, job: &Job) -> bool {
        let key = JobKey::of(job);
        let info = self.chains.get(chain);
        if info.jobs >= MAX_JOBS {
            let start =
                info.job_trace.iter().rposition(|k| *k == key).unwrap_or(info.job_trace.len());
            let mut cycle: Vec<JobKey> = info.job_trace[start..].to_vec();
            cycle.push(key);
            let names: Vec<String> = cycle.iter().map(|k| self.job_label(*k)).collect();
            let message = format!(
                "loop stopped: {} (more than {MAX_JOBS} jobs in one chain)",
                names.join(" → ")
            );
            let item = match &job.kind {
                JobKind::Rule { item, .. }
                | JobKind::Enter { item, .. }
                | JobKind::Start { item, .. } => Some(*item),
                JobKind::Event(ev) => Some(ev.item),
                JobKind::WakeStage { instance, .. } | JobKind::WakeTimer { instance, .. } => {
                    self.state.processes.get(instance).map(|i| i.item)
                }
            };
            self.loop_detected(chain, item, message);
            return false;
        }
        info.jobs += 1;
        if info.job_trace.len() < 2 * MAX_JOBS as usize {
            info.job_trace.push(key);
        }
        true
    }

    /// A short name for a job, for naming a cycle of jobs.
    fn job_label(&self, key: JobKey) -> String {
        let model = &self.model;
        match key {
            JobKey::Rule(stage, rule) => format!(
                "{} `{}`",
                super::value::stage_id(model, stage),
                super::effects::rule_label(model, stage, rule).unwrap_or("rule")
            ),
            JobKey::Enter(stage) => super::value::stage_id(model, stage).to_string(),
            JobKey::Start(process) => {
                format!("process {}", super::effects::process_name(model, process).unwrap_or("?"))
            }
            JobKey::Wake(instance) => format!("process:{instance}"),
            JobKey::Event(event) => self.event_words(event).to_string(),
        }
    }

    fn run_job(&mut self, job: Job) {
        match job.kind {
            JobKind::Rule { item, stage, rule, calendar } => {
                let scheduled_at = self.state.causes.get(job.cause as usize).map_or(0, |c| c.at);
                self.run_delayed_rule(item, stage, rule, (scheduled_at, calendar));
            }
            JobKind::Enter { item, stage } => {
                if self.state.live(item).is_some() {
                    self.enter_stage(item, stage, None, true, None);
                }
            }
            JobKind::Start { process, item } => self.start_process_now(process, item),
            JobKind::WakeStage { instance, stage } => self.wake_stage(instance, stage),
            JobKind::WakeTimer { instance, token } => self.wake_timer(instance, token),
            JobKind::Event(ev) => self.handle_event(*ev),
        }
    }
}
