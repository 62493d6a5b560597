//! W0202 `move-loop`: a cycle of automatic moves.
//!
//! Every `move to stage S` (and `move to pipeline P [stage S]`) in an `on enter` rule of a stage
//! is an edge from that stage to the one the item enters at once (SPEC §8), whether or not the
//! move sits under a condition: the lint warns about a loop that *can* happen, which the runtime
//! would stop at the 101st stage entry. A move to the stage itself is a no-op and no edge.
//!
//! Each strongly connected group of stages gives one warning, at the first move (in source
//! order) between two of its stages; the message spells one cycle through that move
//! (`a → b → a`) and the other moves of that cycle are secondary labels.

use std::collections::HashMap;

use super::{move_target, rules, walk_statements, StageKey};
use crate::ast::{PipelineDecl, RuleTiming, Stmt};
use crate::diag::{Code, Diagnostic, Diagnostics};

/// One automatic move: from a stage to another, made by `statement`.
struct Edge<'a> {
    from: usize,
    to: usize,
    statement: &'a Stmt,
}

/// The graph of automatic moves: stages as numbered nodes, edges in source order.
#[derive(Default)]
struct Graph<'a> {
    nodes: Vec<StageKey<'a>>,
    index: HashMap<StageKey<'a>, usize>,
    edges: Vec<Edge<'a>>,
    /// Edge indices leaving each node.
    out: Vec<Vec<usize>>,
}

impl<'a> Graph<'a> {
    fn node(&mut self, key: StageKey<'a>) -> usize {
        if let Some(&id) = self.index.get(&key) {
            return id;
        }
        self.nodes.push(key);
        self.out.push(Vec::new());
        self.index.insert(key, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn build(pipelines: &[&'a PipelineDecl]) -> Graph<'a> {
        let mut graph = Graph::default();
        for &pipeline in pipelines {
            for stage in &pipeline.stages {
                let from = StageKey { pipeline: pipeline.name.as_str(), stage: stage.id.as_str() };
                for rule in rules(stage) {
                    if !matches!(rule.timing, RuleTiming::OnEnter { .. }) {
                        continue;
                    }
                    walk_statements(&rule.body, &mut |statement| match move_target(
                        &statement.kind,
                        pipeline,
                        pipelines,
                    ) {
                        Some(to) if to != from => graph.edge(from, to, statement),
                        _ => {}
                    });
                }
            }
        }
        graph
    }

    fn edge(&mut self, from: StageKey<'a>, to: StageKey<'a>, statement: &'a Stmt) {
        let (from, to) = (self.node(from), self.node(to));
        self.out[from].push(self.edges.len());
        self.edges.push(Edge { from, to, statement });
    }
}

/// Reports one warning per group of stages that can move an item around in a circle.
pub(super) fn check(pipelines: &[&PipelineDecl], diags: &mut Diagnostics) {
    let graph = Graph::build(pipelines);
    let component = strongly_connected(&graph);
    let mut reported = vec![false; graph.nodes.len()];
    for edge in &graph.edges {
        let group = component[edge.from];
        if group != component[edge.to] || reported[group] {
            continue;
        }
        reported[group] = true;
        let cycle = cycle_through(&graph, &component, edge);
        diags.push(move_loop(&graph, &cycle));
    }
}

/// Tarjan's algorithm, iterative (a generated program may have thousands of stages): the
/// component number of every node.
fn strongly_connected(graph: &Graph) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let count = graph.nodes.len();
    let (mut order, mut low) = (vec![UNSEEN; count], vec![0; count]);
    let mut component = vec![UNSEEN; count];
    let (mut on_stack, mut stack) = (vec![false; count], Vec::new());
    let (mut next_order, mut next_component) = (0, 0);
    for root in 0..count {
        if order[root] != UNSEEN {
            continue;
        }
        // (node, position in its out-edge list)
        let mut path = vec![(root, 0)];
        order[root] = next_order;
        low[root] = next_order;
        next_order += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut position)) = path.last_mut() {
            if let Some(&edge) = graph.out[node].get(*position) {
                *position += 1;
                let next = graph.edges[edge].to;
                if order[next] == UNSEEN {
                    order[next] = next_order;
                    low[next] = next_order;
                    next_order += 1;
                    stack.push(next);
                    on_stack[next] = true;
                    path.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(order[next]);
                }
                continue;
            }
            path.pop();
            if let Some(&(parent, _)) = path.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == order[node] {
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component[member] = next_component;
                    if member == node {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

/// A cycle starting with `first`: `first`, then the shortest way back to its start inside the
/// component (breadth-first, edges in source order). Returns the edges in order.
fn cycle_through<'g, 'a>(
    graph: &'g Graph<'a>,
    component: &[usize],
    first: &'g Edge<'a>,
) -> Vec<&'g Edge<'a>> {
    let group = component[first.from];
    let mut via: Vec<Option<usize>> = vec![None; graph.nodes.len()];
    let mut seen = vec![false; graph.nodes.len()];
    let mut queue = std::collections::VecDeque::from([first.to]);
    seen[first.to] = true;
    while let Some(node) = queue.pop_front() {
        if node == first.from {
            break;
        }
        for &edge in &graph.out[node] {
            let next = graph.edges[edge].to;
            if component[next] == group && !seen[next] {
                seen[next] = true;
                via[next] = Some(edge);
                queue.push_back(next);
            }
        }
    }
    let mut back = Vec::new();
    let mut node = first.from;
    while node != first.to {
        let Some(edge) = via[node] else { break };
        back.push(&graph.edges[edge]);
        node = graph.edges[edge].from;
    }
    back.reverse();
    let mut cycle = vec![first];
    cycle.extend(back);
    cycle
}

fn move_loop(graph: &Graph, cycle: &[&Edge]) -> Diagnostic {
    let pipeline = graph.nodes[cycle[0].from].pipeline;
    let one_pipeline = cycle.iter().all(|edge| graph.nodes[edge.to].pipeline == pipeline);
    let name = |node: usize| {
        let key = graph.nodes[node];
        if one_pipeline {
            key.stage.to_string()
        } else {
            format!("{}.{}", key.pipeline, key.stage)
        }
    };
    let mut path = vec![name(cycle[0].from)];
    path.extend(cycle.iter().map(|edge| name(edge.to)));
    let first = cycle[0];
    let mut diagnostic = Diagnostic::new(
        Code::W0202,
        format!("automatic moves form a loop: `{}`", path.join(" → ")),
        first.statement.span,
        format!(
            "moves the item to `{}` as soon as it enters `{}`",
            name(first.to),
            name(first.from)
        ),
    );
    for edge in &cycle[1..] {
        diagnostic = diagnostic.with_secondary(
            edge.statement.span,
            format!("then `{}` moves it to `{}`", name(edge.from), name(edge.to)),
        );
    }
    diagnostic
        .with_note(
            "a move in an `on enter` rule enters the next stage at once; at run time the 101st \
             stage entry of a chain stops it with an error",
        )
        .with_help("put one of these moves under a condition that ends the loop, or remove it")
}
