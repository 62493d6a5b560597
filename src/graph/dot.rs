//! The Graphviz DOT graph of a `Diagram`.
//!
//! Every id and label is a double-quoted DOT string: `\` and `"` are escaped, and lines are
//! joined with DOT's `\n` line break. `<`, `>`, `{` and `}` need nothing there (they are special
//! only in HTML labels and record shapes, which are not used).

use std::fmt::Write;

use super::{Diagram, Edge, EdgeKind, Node, Shape};

/// The diagram as a DOT `digraph`, ending with a newline.
pub fn dot(diagram: &Diagram) -> String {
    let mut out = String::from("digraph bp {\n");
    out.push_str("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12];\n");
    out.push_str("  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for cluster in &diagram.clusters {
        let _ = writeln!(out, "  subgraph {} {{", quote(&format!("cluster_{}", cluster.id)));
        let _ = writeln!(out, "    label={};", label(&cluster.title));
        out.push_str("    style=\"rounded\";\n    color=\"#9ca3af\";\n");
        for node in &cluster.nodes {
            let _ = writeln!(out, "    {}", node_text(node));
        }
        out.push_str("  }\n");
    }
    for node in &diagram.nodes {
        let _ = writeln!(out, "  {}", node_text(node));
    }
    for edge in &diagram.edges {
        let _ = writeln!(out, "  {}", edge_text(edge));
    }
    out.push_str("}\n");
    out
}

fn node_text(node: &Node) -> String {
    let style = match node.shape {
        Shape::Stage => "",
        Shape::SuccessStage => {
            ", style=\"rounded,filled,bold\", fillcolor=\"#dcfce7\", color=\"#15803d\""
        }
        Shape::FailureStage => {
            ", style=\"rounded,filled,bold\", fillcolor=\"#fee2e2\", color=\"#b91c1c\""
        }
        Shape::AnyStage => ", shape=ellipse, style=\"dashed\", color=\"#9ca3af\", fontsize=9",
        Shape::Note => ", shape=note, style=\"filled\", fillcolor=\"#fef9c3\", color=\"#a16207\"",
        Shape::Start => ", shape=oval, style=\"filled\", fillcolor=\"#e0e7ff\", color=\"#4338ca\"",
        Shape::Wait => ", shape=parallelogram, style=\"\"",
        Shape::Step => ", style=\"\"",
        Shape::End => ", shape=doublecircle, style=\"\", fontsize=9",
        Shape::External => ", shape=component, style=\"\"",
    };
    format!("{} [label={}{style}];", quote(&node.id), label(&node.label))
}

fn edge_text(edge: &Edge) -> String {
    let mut attributes = Vec::new();
    if !edge.label.is_empty() {
        attributes.push(format!("label={}", label(&edge.label)));
    }
    let style = match edge.kind {
        EdgeKind::Order => "style=dotted, arrowhead=none, color=\"#9ca3af\"",
        EdgeKind::Note => "style=dotted, arrowhead=none, color=\"#a16207\"",
        EdgeKind::Trigger | EdgeKind::Flow => "",
        EdgeKind::Move => "penwidth=2",
        EdgeKind::ConditionalMove => "style=dashed, penwidth=2",
        EdgeKind::Starts => "style=dashed, color=\"#4338ca\"",
    };
    if !style.is_empty() {
        attributes.push(style.to_string());
    }
    let mut text = format!("{} -> {}", quote(&edge.from), quote(&edge.to));
    if !attributes.is_empty() {
        let _ = write!(text, " [{}]", attributes.join(", "));
    }
    text.push(';');
    text
}

/// Lines of plain text as one DOT string, joined with DOT's `\n`.
fn label(lines: &[String]) -> String {
    let lines: Vec<String> = lines.iter().flat_map(|l| l.split('\n')).map(escape).collect();
    format!("\"{}\"", lines.join("\\n"))
}

fn quote(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

/// Escapes a text for the inside of a DOT string.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
