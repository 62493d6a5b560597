use super::*;
use crate::source::SourceMap;

fn diagram(text: &str, only: Option<&str>) -> Result<Diagram, GraphError> {
    let mut map = SourceMap::new();
    let file = map.add("test.bp", text);
    let (module, diagnostics) = crate::syntax::parse_module(&map, file);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    build(&[module], only)
}

fn edges(diagram: &Diagram) -> Vec<(String, String, String, EdgeKind)> {
    diagram
        .edges
        .iter()
        .map(|e| (e.from.clone(), e.to.clone(), e.label.join(" / "), e.kind))
        .collect()
}

fn edge(from: &str, to: &str, label: &str, kind: EdgeKind) -> (String, String, String, EdgeKind) {
    (from.to_string(), to.to_string(), label.to_string(), kind)
}

#[test]
fn mermaid_escapes_every_character_it_could_read_as_syntax() {
    let cases = [
        ("plain text", "plain text"),
        ("say \"hi\"", "say #quot;hi#quot;"),
        ("{{x}} <b> a|b", "#123;#123;x#125;#125; #lt;b#gt; a#124;b"),
        ("#1 & `x`", "#35;1 #amp; #96;x#96;"),
    ];
    for (text, expected) in cases {
        assert_eq!(mermaid::escape(text), expected, "{text}");
    }
}

#[test]
fn dot_escapes_quotes_and_backslashes_only() {
    let cases = [
        ("plain <b> {x}", "plain <b> {x}"),
        ("say \"hi\"", "say \\\"hi\\\""),
        ("a \\n b", "a \\\\n b"),
    ];
    for (text, expected) in cases {
        assert_eq!(dot::escape(text), expected, "{text}");
    }
}

#[test]
fn stages_are_joined_in_order_and_triggers_come_from_the_stage_before() {
    let text = "pipeline sales for Deal {
  stage new { when call missed }
  stage offer { when email opened }
  stage won success { when invoice paid allow backward }
}
";
    let diagram = diagram(text, None).expect("diagram");
    assert_eq!(
        edges(&diagram),
        vec![
            edge("p1_new", "p1_offer", "", EdgeKind::Order),
            edge("p1_offer", "p1_won", "", EdgeKind::Order),
            edge("p1any", "p1_new", "call missed", EdgeKind::Trigger),
            edge("p1_new", "p1_offer", "email opened", EdgeKind::Trigger),
            edge("p1any", "p1_won", "invoice paid", EdgeKind::Trigger),
        ]
    );
    let shapes: Vec<Shape> = diagram.clusters[0].nodes.iter().map(|n| n.shape).collect();
    assert_eq!(shapes, [Shape::Stage, Shape::Stage, Shape::SuccessStage, Shape::AnyStage]);
}

#[test]
fn rule_moves_are_labelled_with_the_rule_and_delayed_rules_get_a_note() {
    let text = "pipeline sales for Deal {
  stage new {
    on enter { move to stage won }
    after 1 day unless moved {
      if deal.amount > 1 { move to stage lost }
    }
  }
  stage won success
  stage lost failure
}
";
    let diagram = diagram(text, None).expect("diagram");
    let moves: Vec<_> = edges(&diagram).into_iter().filter(|e| e.3 != EdgeKind::Order).collect();
    assert_eq!(
        moves,
        vec![
            edge("p1_new", "p1_won", "on enter", EdgeKind::Move),
            edge("p1_new", "p1n1", "", EdgeKind::Note),
            edge("p1_new", "p1_lost", "after 1 day", EdgeKind::ConditionalMove),
        ]
    );
    let note = diagram.clusters[0].nodes.iter().find(|n| n.id == "p1n1").expect("note");
    assert_eq!(note.label, vec!["after 1 day unless moved".to_string()]);
}

#[test]
fn a_process_is_its_waits_and_moves_between_a_start_and_an_end() {
    let text = "pipeline sales for Deal {
  stage new
  stage won success
}
process p for Deal on stage won {
  notify responsible \"x\"
  wait 2 days
  if deal.amount > 1 { stop }
}
";
    let diagram = diagram(text, None).expect("diagram");
    let process = &diagram.clusters[1];
    let labels: Vec<String> = process.nodes.iter().map(|n| n.label.join(" ")).collect();
    assert_eq!(labels, ["on stage won", "wait 2 days", "stop", "end"]);
    let flow: Vec<_> = edges(&diagram).into_iter().filter(|e| e.3 != EdgeKind::Order).collect();
    assert_eq!(
        flow,
        vec![
            edge("p1_won", "q1_start", "", EdgeKind::Starts),
            edge("q1_start", "q1_1", "", EdgeKind::Flow),
            edge("q1_1", "q1_2", "if deal.amount > 1", EdgeKind::Flow),
            edge("q1_2", "q1_end", "", EdgeKind::Flow),
            edge("q1_1", "q1_end", "else", EdgeKind::Flow),
        ]
    );
}

#[test]
fn an_unknown_pipeline_lists_the_known_ones() {
    let text = "pipeline sales for Deal {\n  stage new\n}\n";
    let error = diagram(text, Some("b2b")).expect_err("unknown pipeline");
    assert_eq!(error.to_string(), "no pipeline named `b2b`; the pipelines are: sales");
}
