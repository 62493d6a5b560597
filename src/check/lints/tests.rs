//! Each lint on a firing case and on near misses that must stay quiet. The programs are parsed,
//! then linted directly (the golden suite `check` runs them through the whole checker).

use super::run;
use crate::ast::Program;
use crate::diag::{Code, Diagnostics};
use crate::model::Model;
use crate::source::SourceMap;
use crate::syntax::parse_module;

/// The warnings for `source` as (code, text under the primary label, texts under the secondary
/// labels), in the order the lints report them.
fn lint(source: &str) -> Vec<(Code, String, Vec<String>)> {
    let mut map = SourceMap::new();
    let file = map.add("sales.bp", source);
    let (module, syntax) = parse_module(&map, file);
    assert!(syntax.is_empty(), "test program must parse: {syntax:?}");
    let program = Program { modules: vec![module] };
    let mut diags = Diagnostics::new();
    run(&program, &Model::default(), &map, &mut diags);
    let text = |span: crate::span::Span| source[span.range()].to_string();
    diags
        .into_vec()
        .into_iter()
        .map(|d| (d.code, text(d.primary.span), d.secondary.iter().map(|l| text(l.span)).collect()))
        .collect()
}

fn codes(source: &str) -> Vec<Code> {
    lint(source).into_iter().map(|(code, _, _)| code).collect()
}

/// Wraps stage lines into `pipeline sales for Deal`, with a success stage at the end.
fn sales(stages: &str) -> String {
    format!("pipeline sales for Deal {{\n{stages}\n  stage won \"Deal won\" success\n}}\n")
}

// --- W0201 dead-rule ------------------------------------------------------------------------

#[test]
fn dead_rule_points_at_each_delayed_rule_and_at_the_move() {
    let source = sales(
        "  stage new {\n    on enter {\n      notify responsible \"New deal\"\n      move to stage \
         qualified\n    }\n    after 1 day unless moved {\n      notify supervisor \"late\"\n    \
         }\n    at deal.created_at + 2 days {\n      notify responsible \"follow up\"\n    }\n  \
         }\n  stage qualified",
    );
    let warnings = lint(&source);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[0].0, Code::W0201);
    assert_eq!(warnings[0].1, "after 1 day unless moved");
    assert_eq!(warnings[0].2, ["move to stage qualified"]);
    assert_eq!(warnings[1].1, "at deal.created_at + 2 days");
}

#[test]
fn dead_rule_counts_a_move_to_another_pipeline() {
    let source = format!(
        "{}pipeline b2b for Deal {{\n  stage intake\n  stage signed success\n}}\n",
        sales(
            "  stage new {\n    on enter { move to pipeline b2b }\n    after 2 hours { notify \
             responsible \"x\" }\n  }"
        )
    );
    assert_eq!(codes(&source), [Code::W0201]);
}

#[test]
fn dead_rule_stays_quiet_when_the_move_is_conditional_or_can_be_skipped() {
    let near_misses = [
        // the move is inside an `if`
        "    on enter {\n      if deal.amount > 1000 {\n        move to stage qualified\n      }\n    }",
        // the rule has a condition
        "    on enter if deal.amount > 1000 {\n      move to stage qualified\n    }",
        // a `stop` may end the rule before the move
        "    on enter {\n      if deal.amount == 0 {\n        stop\n      }\n      move to stage \
         qualified\n    }",
        // a move to the stage itself does nothing
        "    on enter {\n      move to stage new\n    }",
        // the move is in a delayed rule
        "    after 1 hour {\n      move to stage qualified\n    }",
    ];
    for on_enter in near_misses {
        let source = sales(&format!(
            "  stage new {{\n{on_enter}\n    after 1 day {{\n      notify supervisor \"late\"\n    \
             }}\n  }}\n  stage qualified"
        ));
        assert_eq!(codes(&source), [], "{on_enter}");
    }
}

// --- W0202 move-loop ------------------------------------------------------------------------

#[test]
fn move_loop_spells_the_cycle_and_labels_every_move_in_it() {
    let source = sales(
        "  stage new {\n    on enter { move to stage review }\n  }\n  stage review {\n    on \
         enter {\n      if deal.amount < 100 {\n        move to stage new\n      }\n    }\n  }",
    );
    let warnings = lint(&source);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, Code::W0202);
    assert_eq!(warnings[0].1, "move to stage review");
    assert_eq!(warnings[0].2, ["move to stage new"]);
}

#[test]
fn move_loop_follows_moves_across_pipelines_once_per_loop() {
    let source = format!(
        "{}pipeline b2b for Deal {{\n  stage intake {{\n    on enter {{ move to pipeline sales \
         stage new }}\n  }}\n  stage signed success\n}}\n",
        sales("  stage new {\n    on enter { move to pipeline b2b }\n  }")
    );
    assert_eq!(codes(&source), [Code::W0202]);
}

#[test]
fn move_loop_stays_quiet_on_a_chain_and_on_moves_outside_on_enter() {
    let chain = sales(
        "  stage new {\n    on enter { move to stage review }\n  }\n  stage review {\n    on \
         enter { move to stage won }\n  }",
    );
    assert_eq!(codes(&chain), []);
    let delayed_back = sales(
        "  stage new {\n    on enter { move to stage review }\n  }\n  stage review {\n    \
         after 1 day { move to stage new }\n  }",
    );
    assert_eq!(codes(&delayed_back), []);
    let to_itself = sales("  stage new {\n    on enter { move to stage new }\n  }");
    assert_eq!(codes(&to_itself), []);
}

// --- W0203 unused-let -----------------------------------------------------------------------

#[test]
fn unused_let_points_at_the_let_never_read() {
    let source = sales(
        "  stage new {\n    on enter {\n      let link = create payment link\n      let total = \
         deal.amount * 2\n      notify responsible \"Total {{total}}\"\n    }\n  }",
    );
    let warnings = lint(&source);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, Code::W0203);
    assert_eq!(warnings[0].1, "let link = create payment link");
}

#[test]
fn unused_let_sees_a_let_hidden_by_a_later_binding() {
    let source = "process follow_up for Deal on create {\n  let who = @alice\n  for each who in \
                  deal.observers {\n    notify who \"Boiler\"\n  }\n}\n";
    assert_eq!(codes(source), [Code::W0203]);
    let inner_block = "process follow_up for Deal on create {\n  if deal.amount > 0 {\n    let \
                       note = \"big\"\n  }\n  let note = \"small\"\n  add history note\n}\n";
    assert_eq!(lint(inner_block)[0].1, "let note = \"big\"");
}

#[test]
fn unused_let_counts_every_kind_of_read() {
    let reads = [
        "let who = @bob\n  notify who \"Boiler\"",
        "let task = create task \"Call\"\n  set task.description = \"x\"",
        "let limit = 1000\n  let big = find deal where it.amount > limit\n  notify responsible \
         \"{{big.title}}\"",
        "let owner = supervisor\n  create task \"Call\" { assignee: owner }",
        "let day = deal.close_date\n  wait until day",
        "let n = 1\n  if deal.amount > n { stop }",
    ];
    for body in reads {
        let source = format!("process follow_up for Deal on create {{\n  {body}\n}}\n");
        assert_eq!(codes(&source), [], "{body}");
    }
}

// --- W0204 no-success-stage -----------------------------------------------------------------

#[test]
fn no_success_stage_points_at_the_pipeline_header() {
    let source = "pipeline sales for Deal {\n  stage new\n  stage lost failure\n}\n";
    let warnings = lint(source);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, Code::W0204);
    assert_eq!(warnings[0].1, "pipeline sales for Deal");
    assert_eq!(codes("pipeline sales for Deal {\n  stage new\n  stage won success\n}\n"), []);
}

// --- W0205 backward-only-trigger ------------------------------------------------------------

#[test]
fn backward_only_trigger_points_at_a_trigger_on_the_initial_stage() {
    let source = sales("  stage new {\n    when invoice paid\n  }");
    let warnings = lint(&source);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, Code::W0205);
    assert_eq!(warnings[0].1, "when invoice paid");
    // The initial stage is the first that is not final.
    let after_final =
        "pipeline sales for Deal {\n  stage lost failure\n  stage new {\n    when email opened\n  \
         }\n  stage won success\n}\n";
    assert_eq!(codes(after_final), [Code::W0205]);
}

#[test]
fn backward_only_trigger_stays_quiet_with_allow_backward_or_on_a_later_stage() {
    let source = sales(
        "  stage new {\n    when field changed deal.amount allow backward\n  }\n  stage \
         proposal {\n    when invoice paid\n  }",
    );
    assert_eq!(codes(&source), []);
}

// --- W0206 shadowed-trigger -----------------------------------------------------------------

#[test]
fn shadowed_trigger_points_at_the_later_trigger_and_the_earlier_one() {
    let source = sales(
        "  stage new\n  stage paid {\n    when invoice paid\n    when invoice paid where \
         invoice.amount > 100\n  }",
    );
    let warnings = lint(&source);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, Code::W0206);
    assert_eq!(warnings[0].1, "when invoice paid where invoice.amount > 100");
    assert_eq!(warnings[0].2, ["when invoice paid"]);
}

#[test]
fn shadowed_trigger_compares_events_up_to_spelling() {
    let same = [
        ("when task completed", "when task status completed"),
        ("when field changed deal.amount", "when field changed amount as @bob"),
        ("when webhook erp_sync", "when webhook \"erp_sync\""),
    ];
    for (earlier, later) in same {
        let source =
            sales(&format!("  stage new\n  stage next {{\n    {earlier}\n    {later}\n  }}"));
        assert_eq!(codes(&source), [Code::W0206], "{earlier} / {later}");
    }
}

#[test]
fn shadowed_trigger_stays_quiet_on_near_misses() {
    let different = [
        // the earlier has a `where`
        ("when invoice paid where invoice.amount > 100", "when invoice paid"),
        // different arguments
        ("when field changed deal.amount to 0", "when field changed deal.amount"),
        ("when task status in_progress", "when task completed"),
        ("when form submitted contact_us", "when form submitted quote_request"),
        // the later also moves items back, the earlier does not
        ("when email opened", "when email opened allow backward"),
    ];
    for (earlier, later) in different {
        let source =
            sales(&format!("  stage new\n  stage next {{\n    {earlier}\n    {later}\n  }}"));
        assert_eq!(codes(&source), [], "{earlier} / {later}");
    }
}
