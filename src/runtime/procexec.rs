//! Running process instances (SPEC §3.6, §4, §8 "Processes"): start, run until a wait or the
//! end, resume on a wake-up job.
//!
//! While it runs, an instance is taken out of `State::processes` and its thread is a local
//! value, so statements can change the state freely; a waiting instance is put back. A
//! `parallel` statement runs its branches in source order, each until it waits or ends; the
//! parent continues when all have ended; `stop` or a move in any branch ends the whole
//! process. A move ends the process first (`process_finished` reason `moved`), then the item
//! moves.

use super::effects::{CauseKind, EffectKind, FinishReason};
use super::exec::{Ctx, Flow};
use super::process::{block_at, EachState, Frame, ProcessInstance, Thread, Wait};
use super::queue::{Job, JobKind};
use super::value::{EntityRef, Value};
use super::Engine;
use crate::model::{ProcessId, StageRef, Stmt, StmtKind};

/// The instance being run, and why it must stop after its current statement (its item was
/// deleted or moved to another pipeline by its own statement).
#[derive(Clone, Debug)]
pub struct Running {
    pub item: EntityRef,
    pub stop: Option<FinishReason>,
}

/// How a thread's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ended,
    Waiting,
    Stop,
    Move(StageRef),
    Abort,
}

/// What wakes a waiting thread.
#[derive(Clone, Copy, Debug)]
enum Waker {
    Timer(u32),
    Stage(StageRef, bool),
}

/// The instance a thread belongs to.
#[derive(Clone, Copy)]
struct Proc {
    process: ProcessId,
    instance: u32,
    item: EntityRef,
}

impl Engine {
    /// A start job: a new instance `process:N` runs until it waits or ends.
    pub(crate) fn start_process_now(&mut self, process: ProcessId, item: EntityRef) {
        if self.state.live(item).is_none()
            || self.model.processes.get_index(process.index()).is_none()
        {
            return;
        }
        self.state.last_instance += 1;
        let id = self.state.last_instance;
        self.log(Some(item), EffectKind::ProcessStarted { process, instance: id });
        let saved = self.push_cause(CauseKind::Process { process, instance: id, item });
        let inst = ProcessInstance {
            id,
            process,
            item,
            thread: Thread::new(Vec::new(), Vec::new()),
            cause: self.cause,
        };
        self.drive(inst, None);
        self.cause = saved;
    }

    /// A wake-up job for a timed wait.
    pub(crate) fn wake_timer(&mut self, instance: u32, token: u32) {
        self.wake(instance, Waker::Timer(token));
    }

    /// A wake-up job for a stage wait.
    pub(crate) fn wake_stage(&mut self, instance: u32, stage: StageRef) {
        let is_final =
            self.model.pipelines.get_index(stage.pipeline.index()).is_some_and(|(_, p)| {
                p.stages.get(stage.index as usize).is_some_and(|s| s.is_final())
            });
        self.wake(instance, Waker::Stage(stage, is_final));
    }

    fn wake(&mut self, instance: u32, waker: Waker) {
        let Some(inst) = self.state.processes.remove(&instance) else { return };
        let saved = self.push_cause(CauseKind::Process {
            process: inst.process,
            instance,
            item: inst.item,
        });
        self.drive(inst, Some(waker));
        self.cause = saved;
    }

    /// Runs (or resumes) an instance and settles its outcome.
    fn drive(&mut self, mut inst: ProcessInstance, waker: Option<Waker>) {
        let proc = Proc { process: inst.process, instance: inst.id, item: inst.item };
        self.running = Some(Running { item: inst.item, stop: None });
        let mut thread = std::mem::take(&mut inst.thread);
        let outcome = match waker {
            None => self.run_thread(proc, &mut thread),
            Some(w) => self.resume(proc, &mut thread, w).unwrap_or(Outcome::Waiting),
        };
        let stop = self.running.take().and_then(|r| r.stop);
        inst.thread = thread;
        let finish = |engine: &mut Engine, reason: FinishReason| {
            engine.log(
                Some(proc.item),
                EffectKind::ProcessFinished {
                    process: proc.process,
                    instance: proc.instance,
                    reason,
                },
            );
        };
        match (outcome, stop) {
            (_, Some(reason)) => finish(self, reason),
            (Outcome::Waiting, None) => {
                self.state.processes.insert(inst.id, inst);
            }
            (Outcome::Ended, None) => finish(self, FinishReason::End),
            (Outcome::Stop, None) => finish(self, FinishReason::Stop),
            (Outcome::Abort, None) => finish(self, FinishReason::Cancelled),
            (Outcome::Move(target), None) => {
                finish(self, FinishReason::Moved);
                self.move_to(proc.item, target, None);
            }
        }
    }

    /// Resumes the thread (or the branch under it) that `waker` wakes; `None` when nothing
    /// in this thread waited for it.
    fn resume(&mut self, proc: Proc, th: &mut Thread, waker: Waker) -> Option<Outcome> {
        let woken = match (&th.wait, waker) {
            (Some(Wait::Timer { token }), Waker::Timer(t)) => *token == t,
            (Some(Wait::Stage { stages }), Waker::Stage(s, is_final)) => {
                is_final || stages.contains(&s)
            }
            _ => false,
        };
        if woken {
            th.wait = None;
            return Some(self.run_thread(proc, th));
        }
        let Some(Frame::Parallel { branches }) = th.frames.last_mut() else { return None };
        let mut any = false;
        for branch in branches.iter_mut().filter(|b| !b.done) {
            match self.resume(proc, branch, waker) {
                None => continue,
                Some(Outcome::Ended) => branch.done = true,
                Some(Outcome::Waiting) => {}
                Some(other) => return Some(other),
            }
            any = true;
            if matches!(waker, Waker::Timer(_)) {
                break;
            }
        }
        if !any {
            return None;
        }
        Some(self.run_thread(proc, th))
    }

    /// Runs a thread from its position until it waits or ends.
    fn run_thread(&mut self, proc: Proc, th: &mut Thread) -> Outcome {
        let model = self.model.clone();
        let Some((_, def)) = model.processes.get_index(proc.process.index()) else {
            return Outcome::Ended;
        };
        let body: &[Stmt] = &def.body;
        loop {
            if self.must_stop() {
                return Outcome::Abort;
            }
            let Some(frame) = th.frames.last_mut() else { return Outcome::Ended };
            let (path, index, stmt) = match frame {
                Frame::Parallel { branches } => {
                    if branches.iter().all(|b| b.done) {
                        th.frames.pop();
                        continue;
                    }
                    return Outcome::Waiting;
                }
                Frame::Block { path, next, mark, each } => {
                    let Some(block) = block_at(body, path) else { return Outcome::Ended };
                    if let Some(stmt) = block.get(*next as usize) {
                        let index = *next;
                        *next += 1;
                        (path.clone(), index, stmt)
                    } else {
                        let mark = *mark as usize;
                        th.vars.truncate(mark);
                        match each {
                            Some(state) if (state.next as usize) < state.items.len() => {
                                let item = state.items[state.next as usize].clone();
                                state.next += 1;
                                *next = 0;
                                th.vars.push((state.name.clone(), Some(item)));
                            }
                            _ => {
                                th.frames.pop();
                            }
                        }
                        continue;
                    }
                }
            };
            if let Some(outcome) = self.step(proc, th, path, index, stmt) {
                return outcome;
            }
        }
    }

    /// Runs one statement of a thread; `Some` when the thread stops running.
    fn step(
        &mut self,
        proc: Proc,
        th: &mut Thread,
        path: Vec<(u32, u32)>,
        index: u32,
        stmt: &Stmt,
    ) -> Option<Outcome> {
        let child = |k: u32| {
            let mut p = path.clone();
            p.push((index, k));
            p
        };
        match &stmt.kind {
            StmtKind::If { branches, otherwise: _ } => {
                let ctx = self.thread_ctx(proc, th);
                let chosen = self.choose_branch(&ctx, branches);
                th.vars = ctx.vars;
                let k = match chosen {
                    Some(Some(i)) => i as u32,
                    Some(None) => branches.len() as u32,
                    None => return None,
                };
                let mark = th.vars.len() as u32;
                th.frames.push(Frame::Block { path: child(k), next: 0, mark, each: None });
                None
            }
            StmtKind::ForEach { name, list, .. } => {
                let ctx = self.thread_ctx(proc, th);
                let items = self.eval_list(&ctx, list);
                th.vars = ctx.vars;
                let items = items.filter(|i| !i.is_empty())?;
                let mark = th.vars.len() as u32;
                th.vars.push((name.clone(), Some(items[0].clone())));
                let each = EachState { name: name.clone(), items, next: 1 };
                th.frames.push(Frame::Block {
                    path: child(0),
                    next: 0,
                    mark,
                    each: Some(Box::new(each)),
                });
                None
            }
            StmtKind::Parallel { branches } => {
                let threads: Vec<Thread> = (0..branches.len())
                    .map(|k| Thread::new(child(k as u32), th.vars.clone()))
                    .collect();
                th.frames.push(Frame::Parallel { branches: threads });
                let Some(Frame::Parallel { branches }) = th.frames.last_mut() else { return None };
                for branch in branches.iter_mut() {
                    match self.run_thread(proc, branch) {
                        Outcome::Ended => branch.done = true,
                        Outcome::Waiting => {}
                        other => return Some(other),
                    }
                }
                None
            }
            StmtKind::WaitDelay { delay, working_hours } => {
                let ctx = self.thread_ctx(proc, th);
                let end = self.delay_end(proc.item, delay, working_hours.as_ref());
                th.vars = ctx.vars.clone();
                match end {
                    Ok((due, _)) => self.wait_timer(proc, th, due),
                    Err(message) => {
                        self.log_error(&ctx, message);
                        None
                    }
                }
            }
            StmtKind::WaitUntil { moment } => {
                let ctx = self.thread_ctx(proc, th);
                let value = self.eval_expr(&ctx, moment);
                th.vars = ctx.vars.clone();
                let due = match value {
                    Ok(Value::DateTime(t)) => t.timestamp_millis(),
                    Ok(Value::Date(d)) => {
                        super::calendar::date_to_moment(d, self.tz).timestamp_millis()
                    }
                    Ok(other) => {
                        let text = self.render_value(&other);
                        self.log_error(
                            &ctx,
                            format!("`wait until` needs a date or date-time, not `{text}`"),
                        );
                        return None;
                    }
                    Err(e) => {
                        self.log_error(&ctx, e.0);
                        return None;
                    }
                };
                if due <= self.now_ms() {
                    return None;
                }
                self.wait_timer(proc, th, due)
            }
            StmtKind::WaitStage { stages } => {
                let current = self.stage_of(proc.item);
                let satisfied = current.is_some_and(|c| {
                    stages.contains(&c) || self.stage_def(c).is_some_and(|s| s.is_final())
                });
                if satisfied {
                    return None;
                }
                th.wait = Some(Wait::Stage { stages: stages.clone() });
                Some(Outcome::Waiting)
            }
            _ => {
                let mut ctx = self.thread_ctx(proc, th);
                let flow = self.exec_simple(&mut ctx, stmt);
                th.vars = ctx.vars;
                match flow {
                    Flow::Next => None,
                    Flow::Stop => Some(Outcome::Stop),
                    Flow::Move(target) => Some(Outcome::Move(target)),
                    Flow::Abort => Some(Outcome::Abort),
                }
            }
        }
    }

    /// Parks a thread until `due`: a timed wake-up job carrying a fresh token.
    fn wait_timer(&mut self, proc: Proc, th: &mut Thread, due: i64) -> Option<Outcome> {
        self.state.last_token += 1;
        let token = self.state.last_token;
        let kind = JobKind::WakeTimer { instance: proc.instance, token };
        self.state.queue.push(due.max(self.now_ms()), Job { kind, chain: None, cause: self.cause });
        th.wait = Some(Wait::Timer { token });
        Some(Outcome::Waiting)
    }

    /// The statement context of a thread (its variables are moved in; put them back).
    fn thread_ctx(&self, proc: Proc, th: &mut Thread) -> Ctx {
        Ctx {
            item: Some(proc.item),
            rule: None,
            process: Some((proc.process, proc.instance)),
            vars: std::mem::take(&mut th.vars),
        }
    }
}
