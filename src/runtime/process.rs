//! Process instances as resumable data (SPEC §3.6, §8 "Processes").
//!
//! An instance is plain serialisable data, so a waiting process survives a save and a load:
//! its variables and its position, a stack of frames. A frame names its block by a path of
//! (statement index, child index) pairs from the process body — never a pointer into the
//! model — plus a statement counter; a `for each` frame keeps its snapshot and index; a
//! `parallel` frame keeps one thread per branch. A thread that waits records what it waits
//! for; timed waits carry a token that their wake-up job names.

use serde::{Deserialize, Serialize};

use super::value::{EntityRef, Value};
use crate::model::{ProcessId, StageRef, Stmt, StmtKind};

/// A started process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessInstance {
    /// `process:N`
    pub id: u32,
    pub process: ProcessId,
    pub item: EntityRef,
    pub thread: Thread,
    /// The cause that started it (`why`).
    pub cause: u32,
}

/// A sequence of frames with its variables: the whole process, or one `parallel` branch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    /// `let` and `for each` names in scope; `None` is "no value" (its `let` failed).
    pub vars: Vec<(String, Option<Value>)>,
    pub frames: Vec<Frame>,
    /// What the thread waits for, when it waits.
    pub wait: Option<Wait>,
    /// A `parallel` branch that has ended.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub done: bool,
}

/// One level of the position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Frame {
    /// Running the statements of a block; `next` is the index of the next statement.
    Block {
        path: Vec<(u32, u32)>,
        next: u32,
        /// How many variables were in scope when the block began (dropped at its end).
        mark: u32,
        /// Set when the block is a `for each` body.
        each: Option<Box<EachState>>,
    },
    /// Waiting for the branches of a `parallel` statement to end.
    Parallel { branches: Vec<Thread> },
}

/// A `for each` in progress: the snapshot of the list and the next element.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EachState {
    pub name: String,
    pub items: Vec<Value>,
    pub next: u32,
}

/// What a waiting thread waits for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Wait {
    /// `wait D` or `wait until EXPR`: the wake-up job carries `token`.
    Timer { token: u32 },
    /// `wait until stage S, …`: wakes when the item enters one of them or any final stage.
    Stage { stages: Vec<StageRef> },
}

impl Thread {
    /// A thread that runs the block at `path` with `vars` in scope.
    pub fn new(path: Vec<(u32, u32)>, vars: Vec<(String, Option<Value>)>) -> Thread {
        let mark = vars.len() as u32;
        Thread {
            vars,
            frames: vec![Frame::Block { path, next: 0, mark, each: None }],
            wait: None,
            done: false,
        }
    }

    /// The tokens of timed waits and the stage waits of this thread and its branches, in
    /// branch order (`f` sees each waiting thread's wait).
    pub fn each_wait<'a>(&'a self, f: &mut dyn FnMut(&'a Wait)) {
        if let Some(w) = &self.wait {
            f(w);
        }
        for frame in &self.frames {
            if let Frame::Parallel { branches } = frame {
                for b in branches {
                    b.each_wait(f);
                }
            }
        }
    }

    /// Whether this thread or one of its branches waits on a stage wait that `stage` (final
    /// or not) satisfies.
    pub fn waits_for_stage(&self, stage: StageRef, is_final: bool) -> bool {
        let mut found = false;
        self.each_wait(&mut |w| {
            if let Wait::Stage { stages } = w {
                if is_final || stages.contains(&stage) {
                    found = true;
                }
            }
        });
        found
    }
}

/// The statements of the block at `path` under `root` (`None` for a path the program does
/// not have, e.g. after a reload).
pub fn block_at<'m>(root: &'m [Stmt], path: &[(u32, u32)]) -> Option<&'m [Stmt]> {
    let mut block = root;
    for &(stmt, child) in path {
        block = child_block(block.get(stmt as usize)?, child)?;
    }
    Some(block)
}

/// Child block `child` of a statement: an `if`'s branches then its `else`, a `for each` body
/// (0), a `parallel` branch.
pub fn child_block(stmt: &Stmt, child: u32) -> Option<&[Stmt]> {
    let child = child as usize;
    match &stmt.kind {
        StmtKind::If { branches, otherwise } => {
            if child < branches.len() {
                Some(&branches[child].1)
            } else if child == branches.len() {
                Some(otherwise)
            } else {
                None
            }
        }
        StmtKind::ForEach { body, .. } if child == 0 => Some(body),
        StmtKind::Parallel { branches } => branches.get(child).map(|b| b.as_slice()),
        _ => None,
    }
}
