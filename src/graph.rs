//! `bp graph`: pipelines and processes drawn as Mermaid or Graphviz DOT.
//!
//! Where it sits: it reads the AST of a program that compiled without errors (`cli/graph.rs`
//! refuses the others) and builds a `Diagram` — clusters of nodes and labelled edges, in
//! source order — that `mermaid` and `dot` print. Nothing here knows either syntax.
//!
//! What is drawn (docs/style.md, "`bp graph`"):
//! - each pipeline is a cluster; its stages are nodes in order, joined by grey dotted lines
//!   that show the order; final stages are styled `success` (green) or `failure` (red);
//! - a trigger is an arrow into its stage labelled with the event words (`task completed`,
//!   then `where …` and `as …`), from the stage before it, or from an "any stage" node when it
//!   may come from anywhere (`allow backward`, or the first stage);
//! - a `move to stage` (or `move to pipeline`) in a rule is a thick arrow labelled with the
//!   rule (`on enter`, `after 1 day`); dashed when it is conditional (under `if`, `for each`,
//!   or a rule with `if`/`unless COND`);
//! - an `after`/`at` rule is a note beside its stage with its whole header
//!   (`after 1 day unless moved`);
//! - each process is a cluster: a start node (its start modes), its waits, moves and stops in
//!   order (branching at `if`, `for each` and `parallel` that contain some), and an end node;
//!   `on stage S` links S to the start.
//!
//! Doc comments (`///`) of pipelines, stages, rules and processes are shown under their title.

mod dot;
mod flow;
mod mermaid;

use crate::ast::{
    Block, Doc, Item, Module, Outcome, PipelineDecl, ProcessDecl, Rule, RuleTiming, Stage,
    StageMember, StageRef, StartMode, Stmt, StmtKind, Trigger, Unless,
};
use crate::fmt::{rule_header, text};
use crate::syntax::print;

use flow::Flow;

pub use dot::dot;
pub use mermaid::mermaid;

/// Everything to draw, in source order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagram {
    pub clusters: Vec<Cluster>,
    /// Nodes outside every cluster (a pipeline that is not drawn but moved to).
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// A pipeline or a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub id: String,
    /// The title, then the doc comment's lines.
    pub title: Vec<String>,
    pub nodes: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// A name made of letters, digits and `_`, never a keyword of either output language.
    pub id: String,
    /// One or more lines of plain text (escaped by the printers).
    pub label: Vec<String>,
    pub shape: Shape,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Stage,
    SuccessStage,
    FailureStage,
    /// Where a trigger that may fire from any stage comes from.
    AnyStage,
    /// A delayed rule's header.
    Note,
    /// A process's start modes.
    Start,
    /// A process `wait`.
    Wait,
    /// A process `move` or `stop`.
    Step,
    End,
    /// A pipeline that is not drawn.
    External,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Vec<String>,
    pub kind: EdgeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Consecutive stages of a pipeline (no arrow head).
    Order,
    Trigger,
    /// A `move` made by a rule.
    Move,
    /// A `move` made by a rule under a condition.
    ConditionalMove,
    /// A stage and the note of one of its delayed rules (no arrow head).
    Note,
    /// The order of a process's steps.
    Flow,
    /// A stage whose entry starts a process.
    Starts,
}

/// Why no diagram was built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GraphError {
    /// `--pipeline NAME` names no pipeline; `known` lists those that exist.
    UnknownPipeline { name: String, known: Vec<String> },
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GraphError::UnknownPipeline { name, known } if known.is_empty() => {
                write!(f, "no pipeline named `{name}`: the program declares none")
            }
            GraphError::UnknownPipeline { name, known } => {
                write!(f, "no pipeline named `{name}`; the pipelines are: {}", known.join(", "))
            }
        }
    }
}

/// Builds the diagram of the pipelines and processes declared in `modules` (the user's files,
/// not the stdlib); with `only`, of that pipeline and the processes of its kind.
pub fn build(modules: &[Module], only: Option<&str>) -> Result<Diagram, GraphError> {
    let items = || modules.iter().flat_map(|m| m.items.iter());
    let all: Vec<&PipelineDecl> = items()
        .filter_map(|i| match i {
            Item::Pipeline(p) => Some(p),
            _ => None,
        })
        .collect();
    let pipelines: Vec<&PipelineDecl> = match only {
        None => all.clone(),
        Some(name) => {
            let chosen: Vec<_> = all.iter().copied().filter(|p| p.name.text == name).collect();
            if chosen.is_empty() {
                let known = all.iter().map(|p| p.name.text.clone()).collect();
                return Err(GraphError::UnknownPipeline { name: name.to_string(), known });
            }
            chosen
        }
    };
    let mut builder = Builder { pipelines, diagram: Diagram::default() };
    for index in 0..builder.pipelines.len() {
        builder.pipeline(index);
    }
    let processes = items().filter_map(|i| match i {
        Item::Process(p) => Some(p),
        _ => None,
    });
    let mut number = 0;
    for process in processes {
        if only.is_none() || builder.concerns_drawn_pipeline(process) {
            number += 1;
            builder.process(process, number);
        }
    }
    Ok(builder.diagram)
}

struct Builder<'a> {
    /// The pipelines drawn, in source order; pipeline `i` is cluster `p{i+1}`.
    pipelines: Vec<&'a PipelineDecl>,
    diagram: Diagram,
}

impl<'a> Builder<'a> {
    fn pipeline(&mut self, index: usize) {
        let pipeline = self.pipelines[index];
        let cluster = format!("p{}", index + 1);
        let mut title = vec![format!("pipeline {} for {}", pipeline.name, pipeline.kind)];
        title.extend(doc_lines(&pipeline.doc));
        let mut nodes: Vec<Node> =
            pipeline.stages.iter().map(|s| stage_node(&cluster, s)).collect();
        for pair in nodes.windows(2) {
            self.edge(&pair[0].id, &pair[1].id, Vec::new(), EdgeKind::Order);
        }
        let mut notes = Vec::new();
        let mut needs_any = false;
        for (position, stage) in pipeline.stages.iter().enumerate() {
            let id = stage_id(&cluster, stage);
            for member in &stage.members {
                match member {
                    StageMember::Trigger(trigger) => {
                        let from = match position.checked_sub(1) {
                            Some(before) if trigger.allow_backward.is_none() => {
                                stage_id(&cluster, &pipeline.stages[before])
                            }
                            _ => {
                                needs_any = true;
                                format!("{cluster}any")
                            }
                        };
                        self.edge(&from, &id, trigger_label(trigger), EdgeKind::Trigger);
                    }
                    StageMember::Rule(rule) => {
                        if is_delayed(rule) {
                            let note = format!("{cluster}n{}", notes.len() + 1);
                            let mut label = vec![rule_header(rule)];
                            label.extend(doc_lines(&rule.doc));
                            notes.push(Node { id: note.clone(), label, shape: Shape::Note });
                            self.edge(&id, &note, Vec::new(), EdgeKind::Note);
                        }
                        self.rule_moves(index, &id, rule);
                    }
                }
            }
        }
        if needs_any {
            let label = vec!["any stage".to_string()];
            nodes.push(Node { id: format!("{cluster}any"), label, shape: Shape::AnyStage });
        }
        nodes.extend(notes);
        self.diagram.clusters.push(Cluster { id: cluster, title, nodes });
    }

    /// An arrow for every `move` of a rule, labelled with the rule.
    fn rule_moves(&mut self, pipeline: usize, from: &str, rule: &Rule) {
        let conditional = rule.modifiers.condition.is_some()
            || matches!(rule.modifiers.unless, Some(Unless::Condition(_)));
        let mut moves = Vec::new();
        collect_moves(&rule.body, conditional, &mut moves);
        for (stmt, conditional) in moves {
            let Some(to) = self.move_target(stmt, Some(pipeline)) else { continue };
            let kind = if conditional { EdgeKind::ConditionalMove } else { EdgeKind::Move };
            self.edge(from, &to, vec![print::rule_label(rule)], kind);
        }
    }

    /// The node a `move` statement goes to, when it is drawn (or drawn as external).
    fn move_target(&mut self, stmt: &Stmt, pipeline: Option<usize>) -> Option<String> {
        match &stmt.kind {
            StmtKind::MoveStage { stage } => {
                let kind = pipeline.map(|p| self.pipelines[p].kind.text.clone());
                self.resolve(stage, pipeline, kind.as_deref())
            }
            StmtKind::MovePipeline { pipeline: target, stage } => {
                let drawn = self.pipelines.iter().position(|p| p.name.text == target.text);
                let resolved = match (drawn, stage) {
                    (Some(index), Some(stage)) => self.resolve(stage, Some(index), None),
                    (Some(index), None) => self.initial_stage(index),
                    (None, _) => None,
                };
                resolved.or_else(|| Some(self.external(&target.text, stage.as_ref())))
            }
            _ => None,
        }
    }

    /// The node of a stage named in a statement or a header: `P.s` in pipeline `P`; `s` in
    /// the pipeline the statement belongs to, else in the first drawn pipeline of `kind`.
    fn resolve(
        &self,
        stage: &StageRef,
        within: Option<usize>,
        kind: Option<&str>,
    ) -> Option<String> {
        let candidates: Vec<usize> = match (&stage.pipeline, within) {
            (Some(name), _) => {
                self.pipelines.iter().position(|p| p.name.text == name.text).into_iter().collect()
            }
            (None, Some(index)) => vec![index],
            (None, None) => (0..self.pipelines.len())
                .filter(|&i| kind.is_none_or(|k| self.pipelines[i].kind.text == k))
                .collect(),
        };
        candidates.into_iter().find_map(|index| {
            let pipeline = self.pipelines[index];
            let found = pipeline.stages.iter().find(|s| s.id.text == stage.stage.text)?;
            Some(stage_id(&format!("p{}", index + 1), found))
        })
    }

    /// The first stage that is not final (SPEC §3.4).
    fn initial_stage(&self, index: usize) -> Option<String> {
        let pipeline = self.pipelines[index];
        let stage = pipeline.stages.iter().find(|s| s.outcome.is_none())?;
        Some(stage_id(&format!("p{}", index + 1), stage))
    }

    /// The node standing for a pipeline that is not drawn (one per distinct target).
    fn external(&mut self, pipeline: &str, stage: Option<&StageRef>) -> String {
        let label = match stage {
            Some(stage) => format!("pipeline {pipeline}, stage {}", stage.stage),
            None => format!("pipeline {pipeline}"),
        };
        if let Some(node) = self.diagram.nodes.iter().find(|n| n.label[0] == label) {
            return node.id.clone();
        }
        let id = format!("e{}", self.diagram.nodes.len() + 1);
        self.diagram.nodes.push(Node {
            id: id.clone(),
            label: vec![label],
            shape: Shape::External,
        });
        id
    }

    /// With `--pipeline`: a process of the pipeline's kind, unless it starts only `on stage`
    /// of stages that are not drawn.
    fn concerns_drawn_pipeline(&self, process: &ProcessDecl) -> bool {
        let kind = &process.kind.text;
        if !self.pipelines.iter().any(|p| &p.kind.text == kind) {
            return false;
        }
        let drawn_start = |start: &StartMode| match start {
            StartMode::OnStage(stage, _) => self.resolve(stage, None, Some(kind)).is_some(),
            _ => true,
        };
        process.starts.is_empty() || process.starts.iter().any(drawn_start)
    }

    fn process(&mut self, process: &'a ProcessDecl, number: usize) {
        let cluster = format!("q{number}");
        let mut title = vec![format!("process {} for {}", process.name, process.kind)];
        title.extend(doc_lines(&process.doc));
        let starts: Vec<String> = process.starts.iter().map(text::start_mode).collect();
        let start_label = if starts.is_empty() { "start".to_string() } else { starts.join(", ") };
        let start = format!("{cluster}_start");
        let mut flow = Flow {
            cluster: cluster.clone(),
            nodes: vec![Node { id: start.clone(), label: vec![start_label], shape: Shape::Start }],
            edges: Vec::new(),
            end: format!("{cluster}_end"),
        };
        let exits = flow.block(&process.body, vec![(start.clone(), Vec::new())]);
        flow.connect(exits, &flow.end.clone());
        flow.nodes.push(Node {
            id: flow.end.clone(),
            label: vec!["end".to_string()],
            shape: Shape::End,
        });
        for mode in &process.starts {
            if let StartMode::OnStage(stage, _) = mode {
                if let Some(node) = self.resolve(stage, None, Some(&process.kind.text)) {
                    self.edge(&node, &start, Vec::new(), EdgeKind::Starts);
                }
            }
        }
        self.diagram.edges.extend(flow.edges);
        self.diagram.clusters.push(Cluster { id: cluster, title, nodes: flow.nodes });
    }

    fn edge(&mut self, from: &str, to: &str, label: Vec<String>, kind: EdgeKind) {
        let edge = Edge { from: from.to_string(), to: to.to_string(), label, kind };
        self.diagram.edges.push(edge);
    }
}

/// Every `move` statement of a block, with whether it is under a condition.
fn collect_moves<'b>(block: &'b Block, conditional: bool, moves: &mut Vec<(&'b Stmt, bool)>) {
    for stmt in &block.stmts {
        match &stmt.kind {
            StmtKind::MoveStage { .. } | StmtKind::MovePipeline { .. } => {
                moves.push((stmt, conditional))
            }
            StmtKind::If { branches, otherwise } => {
                for (_, block) in branches {
                    collect_moves(block, true, moves);
                }
                if let Some(block) = otherwise {
                    collect_moves(block, true, moves);
                }
            }
            StmtKind::ForEach { body, .. } => collect_moves(body, true, moves),
            StmtKind::Parallel { branches } => {
                for block in branches {
                    collect_moves(block, conditional, moves);
                }
            }
            _ => {}
        }
    }
}

fn is_delayed(rule: &Rule) -> bool {
    matches!(rule.timing, RuleTiming::After { .. } | RuleTiming::At { .. })
}

/// `task completed`, then `where …` and `as …` on lines of their own.
fn trigger_label(trigger: &Trigger) -> Vec<String> {
    let mut label = vec![text::call_parts(&trigger.event.parts)];
    if let Some(condition) = &trigger.condition {
        label.push(format!("where {}", print::expr(condition)));
    }
    if let Some(user) = &trigger.as_user {
        label.push(format!("as {}", print::expr(user)));
    }
    label
}

fn stage_node(cluster: &str, stage: &Stage) -> Node {
    let title = stage.title.as_ref().map_or_else(|| stage.id.text.clone(), |(t, _)| t.clone());
    let mut label = vec![title];
    label.extend(doc_lines(&stage.doc));
    let shape = match stage.outcome {
        Some((Outcome::Success, _)) => Shape::SuccessStage,
        Some((Outcome::Failure, _)) => Shape::FailureStage,
        None => Shape::Stage,
    };
    Node { id: stage_id(cluster, stage), label, shape }
}

/// `p1_new`: the cluster, `_`, the stage id (stage ids start with a letter or `_`, so ids of
/// different clusters never collide).
fn stage_id(cluster: &str, stage: &Stage) -> String {
    format!("{cluster}_{}", stage.id)
}

fn doc_lines(doc: &Option<Doc>) -> Vec<String> {
    doc.as_ref()
        .map(|d| d.text.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
