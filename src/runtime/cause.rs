//! The cause of each effect (for the REPL's `why`, in `why.rs`): a compact link of the chain
//! that produced it — the command, the rule (with its stage and scheduling), the trigger, the
//! process — pointing to its parent, up to the command or timed job that started the chain.

use serde::{Deserialize, Serialize};

use super::queue::Millis;
use super::value::EntityRef;
use crate::model::{ProcessId, StageRef};

/// What made an effect happen: one link of the chain that produced it. Causes form a tree
/// through `parent`, up to the command (or timed job) that started the chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cause {
    pub parent: Option<u32>,
    /// When this link ran.
    pub at: Millis,
    pub kind: CauseKind,
}

/// What an external command was (the scenario runner may give its text instead).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verb {
    Create,
    Set,
    Move,
    CompleteTask,
    CompleteActivity,
    Pay,
    OpenEmail,
    ClickEmail,
    SignDocument,
    ViewDocument,
    Emit,
    StartProcess,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Set => "set",
            Verb::Move => "move",
            Verb::CompleteTask => "complete task",
            Verb::CompleteActivity => "complete activity",
            Verb::Pay => "pay",
            Verb::OpenEmail => "open email",
            Verb::ClickEmail => "click email",
            Verb::SignDocument => "sign document",
            Verb::ViewDocument => "view document",
            Verb::Emit => "emit",
            Verb::StartProcess => "start process",
        }
    }
}

/// The kinds of links of a chain (compact: one is stored per command, rule run, trigger and
/// process run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CauseKind {
    /// An external command: what and on which entity; `text` indexes `State::origins`, the
    /// text the runner gave (`line 7: move d1 to won`).
    Command { verb: Verb, target: Option<EntityRef>, text: Option<u32> },
    /// A rule ran. A `delayed` rule was scheduled when its parent cause ran; `calendar` names
    /// the declared calendar of a working-time delay (`None` with working hours: built-in).
    Rule { item: EntityRef, stage: StageRef, rule: u32, delayed: bool, calendar: Option<u32> },
    /// A trigger moved the item.
    Trigger { item: EntityRef, stage: StageRef, trigger: u32 },
    /// A process instance ran (started or resumed).
    Process { process: ProcessId, instance: u32, item: EntityRef },
    /// A raised event was handled.
    Event { item: EntityRef, event: crate::model::EventId },
}
