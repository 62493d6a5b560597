//! The drawing of a process: its start, its steps (`wait`, `move`, `stop`) in order, and its
//! end, branching at `if`, `for each` and `parallel` when they contain steps.

use super::{Edge, EdgeKind, Node, Shape};
use crate::ast::{Block, Stmt, StmtKind};
use crate::fmt::text;
use crate::syntax::print;

/// The steps of a process: its waits, moves and stops, branching where control does.
pub(super) struct Flow {
    pub(super) cluster: String,
    pub(super) nodes: Vec<Node>,
    pub(super) edges: Vec<Edge>,
    pub(super) end: String,
}

/// Where the flow continues from: a node and the label of the edge that leaves it.
pub(super) type Exits = Vec<(String, Vec<String>)>;

impl Flow {
    /// Draws the steps of `block`, entered from `entries`; returns where the flow continues.
    pub(super) fn block(&mut self, block: &Block, mut entries: Exits) -> Exits {
        for stmt in &block.stmts {
            if entries.is_empty() {
                break;
            }
            entries = self.stmt(stmt, entries);
        }
        entries
    }

    fn stmt(&mut self, stmt: &Stmt, entries: Exits) -> Exits {
        match &stmt.kind {
            StmtKind::WaitDelay { .. }
            | StmtKind::WaitStage { .. }
            | StmtKind::WaitUntil { .. } => {
                let node =
                    self.node(text::simple_statement(&stmt.kind).unwrap_or_default(), Shape::Wait);
                self.connect(entries, &node);
                vec![(node, Vec::new())]
            }
            StmtKind::MoveStage { .. } | StmtKind::MovePipeline { .. } | StmtKind::Stop => {
                // SPEC §4: a move in a process ends it, and so does `stop`.
                let node =
                    self.node(text::simple_statement(&stmt.kind).unwrap_or_default(), Shape::Step);
                self.connect(entries, &node);
                let end = self.end.clone();
                self.connect(vec![(node, Vec::new())], &end);
                Vec::new()
            }
            StmtKind::If { branches, otherwise } if has_steps_in(stmt) => {
                let mut exits = Vec::new();
                for (position, (condition, block)) in branches.iter().enumerate() {
                    let word = if position == 0 { "if" } else { "else if" };
                    let label = format!("{word} {}", print::expr(condition));
                    exits.extend(self.block(block, labelled(&entries, &label)));
                }
                match otherwise {
                    Some(block) => exits.extend(self.block(block, labelled(&entries, "else"))),
                    None => exits.extend(labelled(&entries, "else")),
                }
                exits
            }
            StmtKind::ForEach { name, list, body } if has_steps_in(stmt) => {
                let label = format!("for each {name} in {}", print::expr(list));
                let mut exits = self.block(body, labelled(&entries, &label));
                exits.extend(entries);
                exits
            }
            StmtKind::Parallel { branches } if has_steps_in(stmt) => {
                // The process goes on when every branch has ended, so a branch without steps
                // adds no way forward; branches are named only when several have steps.
                let with_steps: Vec<(usize, &Block)> = branches
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.stmts.iter().any(has_steps_in))
                    .collect();
                let mut exits = Vec::new();
                for (position, branch) in &with_steps {
                    let entries = if with_steps.len() > 1 {
                        labelled(&entries, &format!("branch {}", position + 1))
                    } else {
                        entries.clone()
                    };
                    exits.extend(self.block(branch, entries));
                }
                exits
            }
            _ => entries,
        }
    }

    fn node(&mut self, label: String, shape: Shape) -> String {
        let id = format!("{}_{}", self.cluster, self.nodes.len());
        self.nodes.push(Node { id: id.clone(), label: vec![label], shape });
        id
    }

    pub(super) fn connect(&mut self, entries: Exits, to: &str) {
        for (from, label) in entries {
            self.edges.push(Edge { from, to: to.to_string(), label, kind: EdgeKind::Flow });
        }
    }
}

/// The entries with one more line on their edge labels.
fn labelled(entries: &Exits, line: &str) -> Exits {
    entries
        .iter()
        .map(|(node, label)| {
            let mut label = label.clone();
            label.push(line.to_string());
            (node.clone(), label)
        })
        .collect()
}

/// Whether a statement is, or contains, a process step (wait, move or stop).
fn has_steps_in(stmt: &Stmt) -> bool {
    let any = |block: &Block| block.stmts.iter().any(has_steps_in);
    match &stmt.kind {
        StmtKind::WaitDelay { .. }
        | StmtKind::WaitStage { .. }
        | StmtKind::WaitUntil { .. }
        | StmtKind::MoveStage { .. }
        | StmtKind::MovePipeline { .. }
        | StmtKind::Stop => true,
        StmtKind::If { branches, otherwise } => {
            branches.iter().any(|(_, b)| any(b)) || otherwise.as_ref().is_some_and(any)
        }
        StmtKind::ForEach { body, .. } => any(body),
        StmtKind::Parallel { branches } => branches.iter().any(any),
        _ => false,
    }
}
