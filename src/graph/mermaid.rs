//! The Mermaid flowchart of a `Diagram`.
//!
//! Every label is a quoted string in which the characters Mermaid could read as syntax or HTML
//! are written as entity codes (`#quot;`, `#lt;`, `#123;` …, which Mermaid decodes), and lines
//! are joined with `<br/>`. Node ids are made of letters, digits and `_` and start with `p`, `q`
//! or `e`, so they are never `end` and never read as `o`/`x` arrow heads.

use std::fmt::Write;

use super::{Diagram, Edge, EdgeKind, Node, Shape};

/// The diagram as a Mermaid `flowchart`, ending with a newline.
pub fn mermaid(diagram: &Diagram) -> String {
    let mut out = String::from("flowchart LR\n");
    for cluster in &diagram.clusters {
        let _ = writeln!(out, "  subgraph {}[\"{}\"]", cluster.id, label(&cluster.title));
        out.push_str("    direction LR\n");
        for node in &cluster.nodes {
            let _ = writeln!(out, "    {}", node_text(node));
        }
        out.push_str("  end\n");
    }
    for node in &diagram.nodes {
        let _ = writeln!(out, "  {}", node_text(node));
    }
    let mut order_links = Vec::new();
    for (index, edge) in diagram.edges.iter().enumerate() {
        if edge.kind == EdgeKind::Order {
            order_links.push(index.to_string());
        }
        let _ = writeln!(out, "  {}", edge_text(edge));
    }
    out.push_str(CLASSES);
    if !order_links.is_empty() {
        let _ = writeln!(out, "  linkStyle {} stroke:#9ca3af", order_links.join(","));
    }
    out
}

/// The styles of final stages, notes, process starts and "any stage" nodes.
const CLASSES: &str =
    "  classDef success fill:#dcfce7,stroke:#15803d,stroke-width:2px,color:#14532d
  classDef failure fill:#fee2e2,stroke:#b91c1c,stroke-width:2px,color:#7f1d1d
  classDef note fill:#fef9c3,stroke:#a16207,color:#422006
  classDef start fill:#e0e7ff,stroke:#4338ca,color:#1e1b4b
  classDef any fill:#f3f4f6,stroke:#9ca3af,stroke-dasharray:3 3,color:#374151
";

fn node_text(node: &Node) -> String {
    let text = label(&node.label);
    let id = &node.id;
    match node.shape {
        Shape::Stage => format!("{id}(\"{text}\")"),
        Shape::SuccessStage => format!("{id}([\"{text}\"]):::success"),
        Shape::FailureStage => format!("{id}([\"{text}\"]):::failure"),
        Shape::AnyStage => format!("{id}((\"{text}\")):::any"),
        Shape::Note => format!("{id}>\"{text}\"]:::note"),
        Shape::Start => format!("{id}([\"{text}\"]):::start"),
        Shape::Wait => format!("{id}[/\"{text}\"/]"),
        Shape::Step => format!("{id}[\"{text}\"]"),
        Shape::End => format!("{id}((\"{text}\"))"),
        Shape::External => format!("{id}[[\"{text}\"]]"),
    }
}

fn edge_text(edge: &Edge) -> String {
    let arrow = match edge.kind {
        EdgeKind::Order | EdgeKind::Note => "-.-",
        EdgeKind::Trigger | EdgeKind::Flow => "-->",
        EdgeKind::Move => "==>",
        EdgeKind::ConditionalMove | EdgeKind::Starts => "-.->",
    };
    if edge.label.is_empty() {
        format!("{} {arrow} {}", edge.from, edge.to)
    } else {
        format!("{} {arrow}|\"{}\"| {}", edge.from, label(&edge.label), edge.to)
    }
}

/// Lines of plain text as the inside of a Mermaid string: escaped, joined with `<br/>`.
fn label(lines: &[String]) -> String {
    let lines: Vec<String> = lines.iter().flat_map(|l| l.split('\n')).map(escape).collect();
    lines.join("<br/>")
}

/// Writes the characters Mermaid could take for syntax or markup as entity codes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
