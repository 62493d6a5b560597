//! Pending delayed rules and their cancellation (SPEC §8): `unless moved` on leaving a
//! stage (step 1 of a stage entry), and every pending rule and process of an item on
//! `move to pipeline` and deletion.
//!
//! An item's pending rules form a list through the queue's slots (`Queue::next_of`), headed
//! by its row (`Row::pending`), in scheduling order.

use super::effects::{EffectKind, FinishReason};
use super::queue::{JobHandle, JobKind};
use super::value::EntityRef;
use super::Engine;
use crate::model::{StageRef, Unless};

impl Engine {
    /// Step 1: cancels the pending `unless moved` rules of the stage left.
    pub(crate) fn cancel_unless_moved(&mut self, item: EntityRef, left: StageRef) {
        let pending = self.pending_rules(item);
        if pending.is_empty() {
            return;
        }
        let mut keep = Vec::with_capacity(pending.len());
        for handle in pending {
            let Some(JobKind::Rule { stage, rule, .. }) =
                self.state.queue.get(handle).map(|j| &j.kind)
            else {
                continue;
            };
            let (stage, rule) = (*stage, *rule);
            let unless_moved = self
                .stage_def(stage)
                .and_then(|s| s.rules.get(rule as usize))
                .is_some_and(|r| matches!(r.unless, Some(Unless::Moved)));
            if unless_moved && stage == left {
                self.state.queue.cancel(handle);
                self.log(Some(item), EffectKind::RuleCancelled { stage, rule });
            } else {
                keep.push(handle);
            }
        }
        self.set_pending_rules(item, &keep);
    }

    /// The item's pending delayed rules, in scheduling order.
    pub(crate) fn pending_rules(&self, item: EntityRef) -> Vec<JobHandle> {
        let mut out = Vec::new();
        let mut current = self.state.row(item).and_then(|r| r.pending);
        while let Some(handle) = current {
            if !self.state.queue.is_pending(handle) || out.len() > self.state.queue.len() {
                break;
            }
            out.push(handle);
            current = self.state.queue.next_of(handle);
        }
        out
    }

    /// Relinks the item's pending-rule list to exactly `list`.
    fn set_pending_rules(&mut self, item: EntityRef, list: &[JobHandle]) {
        for pair in list.windows(2) {
            self.state.queue.set_next(pair[0], Some(pair[1]));
        }
        if let Some(last) = list.last() {
            self.state.queue.set_next(*last, None);
        }
        if let Some(row) = self.state.row_mut(item) {
            row.pending = list.first().copied();
        }
    }

    /// Appends a scheduled rule to the item's pending-rule list.
    pub(crate) fn push_pending(&mut self, item: EntityRef, handle: JobHandle) {
        let head = self
            .state
            .row(item)
            .and_then(|r| r.pending)
            .filter(|h| self.state.queue.is_pending(*h));
        let Some(mut tail) = head else {
            if let Some(row) = self.state.row_mut(item) {
                row.pending = Some(handle);
            }
            return;
        };
        let mut steps = 0;
        while let Some(next) = self.state.queue.next_of(tail) {
            steps += 1;
            if steps > self.state.queue.len() {
                break;
            }
            tail = next;
        }
        self.state.queue.set_next(tail, Some(handle));
    }

    /// Takes a job that is about to run out of its item's pending-rule list (`next` is the
    /// link the job had).
    pub(crate) fn unlink_pending(
        &mut self,
        item: EntityRef,
        handle: JobHandle,
        next: Option<JobHandle>,
    ) {
        let Some(row) = self.state.row_mut(item) else { return };
        if row.pending == Some(handle) {
            row.pending = next;
            return;
        }
        let mut current = row.pending;
        let mut steps = 0;
        while let Some(c) = current {
            let after = self.state.queue.next_of(c);
            if after == Some(handle) {
                self.state.queue.set_next(c, next);
                return;
            }
            steps += 1;
            if steps > self.state.queue.len() {
                return;
            }
            current = after;
        }
    }

    /// Cancels every pending rule (`rule_cancelled`, scheduling order) and process
    /// (`process_finished` with `reason`, by instance id) of an item: `move to pipeline` and
    /// deletion (SPEC §8).
    pub(crate) fn cancel_all(&mut self, item: EntityRef, reason: FinishReason) {
        let pending = self.pending_rules(item);
        if let Some(row) = self.state.row_mut(item) {
            row.pending = None;
        }
        for handle in pending {
            if let Some(job) = self.state.queue.cancel(handle) {
                if let JobKind::Rule { stage, rule, .. } = job.kind {
                    self.log(Some(item), EffectKind::RuleCancelled { stage, rule });
                }
            }
        }
        let instances: Vec<u32> = self
            .state
            .processes
            .iter()
            .filter(|(_, inst)| inst.item == item)
            .map(|(id, _)| *id)
            .collect();
        for id in instances {
            if let Some(inst) = self.state.processes.remove(&id) {
                self.log(
                    Some(item),
                    EffectKind::ProcessFinished { process: inst.process, instance: id, reason },
                );
            }
        }
        // The process being run (it asked for the move or deletion) stops after its statement.
        if let Some(run) = &mut self.running {
            if run.item == item && run.stop.is_none() {
                run.stop = Some(reason);
            }
        }
    }
}
