//! Scenario parser tests, as tables of (input, expected).

use super::command::*;
use super::parse::parse_scenario;
use super::split::{needs_more, split_commands, uses_line};
use crate::source::SourceMap;

/// Parses `text` as a scenario file and returns each command summarised, or its error as
/// `ERR CODE message`.
fn summarise(text: &str) -> Vec<String> {
    let mut map = SourceMap::new();
    let file = map.add("s.bps", text);
    parse_scenario(&map, file)
        .into_iter()
        .map(|result| match result {
            Ok(command) => summary(&command, &map),
            Err(d) => format!("ERR {} {}", d.code, d.message),
        })
        .collect()
}

fn summary(command: &Command, map: &SourceMap) -> String {
    let text = |span| map.snippet(span).to_string();
    match &command.kind {
        CommandKind::Clock { at, timezone } => {
            format!("clock {at} {}", timezone.as_ref().map_or("-", |t| t.as_str()))
        }
        CommandKind::Seed(n) => format!("seed {n}"),
        CommandKind::User { id, name, fields } => {
            format!("user {id} {name:?} {}", record(fields.as_ref()))
        }
        CommandKind::Create { kind, alias, fields } => {
            format!("create {kind} {alias} {}", record(fields.as_ref()))
        }
        CommandKind::Set { target, path, value } => {
            let path: Vec<&str> = path.iter().map(|p| p.as_str()).collect();
            format!("set {target} {} = {}", path.join("."), value_text(value))
        }
        CommandKind::Move { item, stage, by } => format!(
            "move {item} {}{} by {}",
            stage.pipeline.as_ref().map_or(String::new(), |p| format!("{p}.")),
            stage.stage,
            by.as_ref().map_or("-", |b| b.as_str())
        ),
        CommandKind::Act { action, target, fields } => {
            let target = match target {
                Target::Ref(r) => r.to_string(),
                Target::Of { item, condition } => format!(
                    "of {item}{}",
                    condition.map_or(String::new(), |c| format!(" where [{}]", text(c)))
                ),
            };
            format!("{} {target} {}", action.words(), record(fields.as_ref()))
        }
        CommandKind::Emit { words, item, payload } => {
            let words: Vec<&str> = words.iter().map(|w| w.as_str()).collect();
            format!("emit [{}] {item} {}", words.join(" "), record(payload.as_ref()))
        }
        CommandKind::StartProcess { process, item } => format!("start {process} {item}"),
        CommandKind::Advance(d) => {
            format!("advance {}w {}d {}h {}m", d.weeks, d.days, d.hours, d.minutes)
        }
        CommandKind::AdvanceTo(at) => format!("advance to {at}"),
        CommandKind::Show(r) => format!("show {r}"),
        CommandKind::Timeline(r) => format!("timeline {r}"),
        CommandKind::Tasks(r) => {
            format!("tasks {}", r.as_ref().map_or("-".into(), |r| r.to_string()))
        }
        CommandKind::Pending(r) => {
            format!("pending {}", r.as_ref().map_or("-".into(), |r| r.to_string()))
        }
        CommandKind::Effects => "effects".into(),
        CommandKind::ExpectEffect { negated, kind, patterns } => {
            let patterns: Vec<String> = patterns
                .iter()
                .map(|p| {
                    let op = match p.op {
                        PatternOp::Equals => ":",
                        PatternOp::Contains => " contains",
                    };
                    format!("{}{op} {}", p.key_text(), value_text(&p.value))
                })
                .collect();
            format!(
                "expect{} {kind} {{{}}}",
                if *negated { " no" } else { "" },
                patterns.join(", ")
            )
        }
        CommandKind::ExpectExpr { expr } => format!("expect [{}]", text(*expr)),
    }
}

fn record(record: Option<&Record>) -> String {
    match record {
        None => "-".into(),
        Some(r) => {
            let entries: Vec<String> =
                r.entries.iter().map(|e| format!("{}: {}", e.key, value_text(&e.value))).collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

fn value_text(value: &Value) -> String {
    match &value.kind {
        ValueKind::Text(t) => format!("{t:?}"),
        ValueKind::Number(n) => format!("num {n}"),
        ValueKind::Date(d) => format!("date {d}"),
        ValueKind::DateTime(d) => format!("datetime {d}"),
        ValueKind::Duration(d) => format!("dur {}d{}h{}m", d.days, d.hours, d.minutes),
        ValueKind::User(u) => format!("@{u}"),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::None => "none".into(),
        ValueKind::Name(n) => format!("name {n}"),
        ValueKind::Id { kind, n } => format!("id {kind}:{n}"),
        ValueKind::List(items) => {
            format!("[{}]", items.iter().map(value_text).collect::<Vec<_>>().join(", "))
        }
        ValueKind::Record(r) => record(Some(r)),
    }
}

#[test]
fn every_command_of_spec_section_10_parses() {
    let cases: &[(&str, &str)] = &[
        ("clock 2026-03-02 09:00 Europe/Paris", "clock 2026-03-02 09:00:00 Europe/Paris"),
        ("clock 2026-03-02T09:00", "clock 2026-03-02 09:00:00 -"),
        ("clock 2026-03-02", "clock 2026-03-02 00:00:00 -"),
        ("seed 42", "seed 42"),
        (
            r#"user alice "Alice Martin" { supervisor: @bob, email: "alice@example.com", calendar: part_time }"#,
            r#"user alice "Alice Martin" {supervisor: @bob, email: "alice@example.com", calendar: name part_time}"#,
        ),
        (r#"user bob "Bob Durand" { absent: true }"#, r#"user bob "Bob Durand" {absent: true}"#),
        (r#"user cat "Cat""#, r#"user cat "Cat" -"#),
        (
            r#"create deal d1 { title: "Boiler", amount: 1200, responsible: @alice }"#,
            r#"create deal d1 {title: "Boiler", amount: num 1200, responsible: @alice}"#,
        ),
        (
            r#"create deal d2 { title: "Roof", responsible: @alice, pipeline: b2b, stage: intake }"#,
            r#"create deal d2 {title: "Roof", responsible: @alice, pipeline: name b2b, stage: name intake}"#,
        ),
        (
            "create invoice i1 { deal: d1, amount: 1200.50 }",
            "create invoice i1 {deal: name d1, amount: num 1200.50}",
        ),
        ("create company co1", "create company co1 -"),
        ("set d1.contact = c1", "set d1 contact = name c1"),
        ("set task:1.status = in_progress", "set task:1 status = name in_progress"),
        (r#"set d1.contact.phone = "+33 6""#, r#"set d1 contact.phone = "+33 6""#),
        ("set d1.close_date = 2026-03-10", "set d1 close_date = date 2026-03-10"),
        ("set d1.amount = -5", "set d1 amount = num -5"),
        ("set d1.observers = [@alice, @bob,]", "set d1 observers = [@alice, @bob]"),
        ("set d1.comments = none", "set d1 comments = none"),
        ("move d1 to discussion", "move d1 discussion by -"),
        ("move d1 to won as @alice", "move d1 won by alice"),
        ("move deal:1 to b2b.intake", "move deal:1 b2b.intake by -"),
        ("complete task task:1", "complete task task:1 -"),
        ("complete task t1", "complete task t1 -"),
        ("complete task of d1", "complete task of d1 -"),
        (
            r#"complete task of d1 where it.title contains "Invoice"  "#,
            r#"complete task of d1 where [it.title contains "Invoice"] -"#,
        ),
        ("complete activity of d1", "complete activity of d1 -"),
        ("pay invoice i1", "pay invoice i1 -"),
        ("pay invoice of d1", "pay invoice of d1 -"),
        ("pay order of d1", "pay order of d1 -"),
        ("open email of d1", "open email of d1 -"),
        (
            r#"click email of d1 { url: "https://example.com/offer" }"#,
            r#"click email of d1 {url: "https://example.com/offer"}"#,
        ),
        (
            r#"click email of d1 where it.subject == "Hi" { url: "x" }"#,
            r#"click email of d1 where [it.subject == "Hi"] {url: "x"}"#,
        ),
        ("sign document of d1", "sign document of d1 -"),
        ("view document document:2", "view document document:2 -"),
        (
            r#"emit call missed d1 { phone: "+33 6 00 00 00 00" }"#,
            r#"emit [call missed] d1 {phone: "+33 6 00 00 00 00"}"#,
        ),
        (
            r#"emit form submitted contact_us d1 { fields: "…" }"#,
            r#"emit [form submitted contact_us] d1 {fields: "…"}"#,
        ),
        (
            r#"emit webhook erp_sync deal:1 { status: "ok" }"#,
            r#"emit [webhook erp_sync] deal:1 {status: "ok"}"#,
        ),
        ("start process payment_follow_up on d1", "start payment_follow_up d1"),
        ("advance 1 day", "advance 0w 1d 0h 0m"),
        ("advance 3 days 4 hours", "advance 0w 3d 4h 0m"),
        ("advance 2 weeks 30 minutes", "advance 2w 0d 0h 30m"),
        ("advance to 2026-03-05 10:00", "advance to 2026-03-05 10:00:00"),
        ("advance to 2026-03-05", "advance to 2026-03-05 00:00:00"),
        ("show d1", "show d1"),
        ("timeline deal:1", "timeline deal:1"),
        ("tasks", "tasks -"),
        ("tasks d1", "tasks d1"),
        ("pending", "pending -"),
        ("pending d1", "pending d1"),
        ("effects", "effects"),
        (
            r#"expect notify { to: @bob, text: "Alice Martin has not moved Boiler (1200.00)" }"#,
            r#"expect notify {to: @bob, text: "Alice Martin has not moved Boiler (1200.00)"}"#,
        ),
        (
            r#"expect notify { to: @bob, text contains "Boiler" }"#,
            r#"expect notify {to: @bob, text contains "Boiler"}"#,
        ),
        ("expect no notify { to: @bob }", "expect no notify {to: @bob}"),
        ("expect no error", "expect no error {}"),
        (
            "expect stage { entity: d1, to: won, at: 2026-03-02 10:00 }",
            "expect stage {entity: name d1, to: name won, at: datetime 2026-03-02 10:00:00}",
        ),
        (
            "expect details_changed { fields.name: \"x\" }",
            "expect details_changed {fields.name: \"x\"}",
        ),
        ("expect d1.stage == won", "expect [d1.stage == won]"),
        ("expect d1.stage == won   # trailing comment", "expect [d1.stage == won]"),
        ("expect ready", "expect [ready]"),
        ("expect not d1.excluded", "expect [not d1.excluded]"),
        ("expect d1.title == \"a # b\"", "expect [d1.title == \"a # b\"]"),
    ];
    for (input, expected) in cases {
        assert_eq!(summarise(input), vec![expected.to_string()], "input: {input}");
    }
}

#[test]
fn invalid_lines_are_diagnostics() {
    let cases: &[(&str, &str)] = &[
        ("crate deal d1", "ERR E0102 unknown command `crate`"),
        ("frobnicate", "ERR E0102 unknown command `frobnicate`"),
        ("!!", "ERR E0102 unknown command `!`"),
        ("create deal d1 { title: 2026-02-30 }", "ERR E0001 impossible date `2026-02-30`"),
        ("advance to 2026-13-01 10:00", "ERR E0001 impossible date or time `2026-13-01 10:00`"),
        ("clock 2026-03-02 25:00", "ERR E0001 impossible date or time `2026-03-02 25:00`"),
        ("advance 4 hours 3 days", "ERR E0001 duration units must be strictly decreasing"),
        (
            "advance 2 months",
            "ERR E0001 expected a unit (minutes, hours, days, weeks), found `months`",
        ),
        ("create deal { title: \"x\" }", "ERR E0001 expected a name, found `{`"),
        ("move d1 discussion", "ERR E0001 expected `to`, found `discussion`"),
        ("set d1 = 3", "ERR E0001 expected `.` and a field, found `=`"),
        ("create deal d1 { title \"x\" }", "ERR E0001 expected `:`, found `\"`"),
        ("set d1.amount 3", "ERR E0001 expected `=`, found `3`"),
        ("expect notfy { to: @bob }", "ERR E0102 unknown effect kind `notfy`"),
        ("expect", "ERR E0001 expected a name, `no` or an expression at the end of the command"),
        ("create deal d1 { title: \"x\", title: \"y\" }", "ERR E0106 `title` is given twice"),
        ("complete task task:0", "ERR E0001 invalid id `task:0`"),
        ("emit d1", "ERR E0001 expected the event's words before the item"),
        ("emit deal:1 missed d1", "ERR E0001 an entity id can only be the last word"),
        ("seed 99999999999999999999999", "ERR E0001 seed is too large"),
        ("create deal d1 { title: \"unterminated }", "ERR E0001 expected a value, found `\"`"),
    ];
    for (input, expected) in cases {
        assert_eq!(summarise(input), vec![expected.to_string()], "input: {input}");
    }
}

#[test]
fn commands_are_cut_at_newlines_outside_blocks_and_strings() {
    let text = "# uses: a.bp\n\nuser alice \"Alice\"  # a comment\ncreate deal d1 {\n  title: \"Boiler\",  # inside\n  amount: 5\n}\n   \nexpect d1.amount == 5\n";
    assert_eq!(
        summarise(text),
        vec![
            r#"user alice "Alice" -"#.to_string(),
            r#"create deal d1 {title: "Boiler", amount: num 5}"#.to_string(),
            "expect [d1.amount == 5]".to_string(),
        ]
    );
    let cases: &[(&str, usize)] = &[
        ("", 0),
        ("# only a comment\n\n", 0),
        ("a\nb\nc", 3),
        ("a {\n}\nb", 2),
        ("a \"{\"\nb", 2),
        ("a \"\\\"{\"\nb", 2),
        ("a [1,\n2]\nb", 2),
        ("a } }\nb", 2),
    ];
    for (text, count) in cases {
        assert_eq!(split_commands(text).len(), *count, "text: {text:?}");
    }
}

#[test]
fn a_bad_line_does_not_hide_the_next_ones() {
    let results = summarise("seed 1\nbogus line\nseed 2");
    assert_eq!(results, vec!["seed 1", "ERR E0102 unknown command `bogus`", "seed 2"]);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!("set d1.observers = {}{}", "[".repeat(200), "]".repeat(200));
    assert_eq!(summarise(&text), vec!["ERR E0001 brackets nested deeper than 64 levels"]);
    let ok = format!("set d1.observers = {}{}", "[".repeat(10), "]".repeat(10));
    assert!(summarise(&ok)[0].starts_with("set d1 observers"));
}

#[test]
fn uses_line_names_the_program_files() {
    let cases: &[(&str, Option<Vec<&str>>)] = &[
        ("# uses: a.bp, b.bp\nseed 1", Some(vec!["a.bp", "b.bp"])),
        ("#uses: ../x/a.bp", Some(vec!["../x/a.bp"])),
        ("# uses:", Some(vec![])),
        ("seed 1\n# uses: a.bp", None),
        ("# a comment", None),
        ("", None),
    ];
    for (text, expected) in cases {
        let expected = expected.as_ref().map(|v| v.iter().map(|s| s.to_string()).collect());
        assert_eq!(uses_line(text), expected, "text: {text:?}");
    }
}

#[test]
fn an_open_block_needs_more_lines() {
    let cases: &[(&str, bool)] = &[
        ("create deal d1 {", true),
        ("create deal d1 { title: \"{\" }", false),
        ("create deal d1 {\n title: \"x\"", true),
        ("create deal d1 {\n title: \"x\"\n}", false),
        ("set d1.observers = [@a,", true),
        ("show d1", false),
    ];
    for (text, expected) in cases {
        assert_eq!(needs_more(text), *expected, "text: {text:?}");
    }
}

#[test]
fn spans_point_into_the_file() {
    let mut map = SourceMap::new();
    map.add("other.bp", "pipeline x for Deal {}");
    let file = map.add("s.bps", "seed 1\nmove d9 to won\n");
    let results = parse_scenario(&map, file);
    let Ok(command) = &results[1] else { panic!("expected a command") };
    assert_eq!(map.start_of(command.span), (2, 1));
    let CommandKind::Move { item, .. } = &command.kind else { panic!("expected a move") };
    assert_eq!(map.snippet(item.span), "d9");
}

#[test]
fn every_grammar_rule_has_a_phrase() {
    for rule in super::parse::Rule::all_rules() {
        assert!(!super::parse::phrase(*rule).is_empty());
    }
}

#[test]
fn malformed_input_never_panics() {
    let inputs = [
        "\"",
        "}",
        "{",
        "create deal d1 {",
        "create deal d1 { title: \"x",
        "expect notify {",
        "emit",
        "move d1 to",
        "set task:99999999999.status = x",
        "advance 99999999999999999999 days",
        "clock 9999-99-99 99:99",
        "é",
        "create deal d1 { title: \"é\", amount: 1e5 }",
        "set d1.x = [[[[",
        "complete task of d1 where",
        "click email of d1 where { url: \"x\" }",
        "user",
        "\u{feff}seed 1",
        "tasks d1 d2",
        "show",
        "seed -1",
    ];
    for input in inputs {
        let results = summarise(input);
        assert_eq!(results.len(), 1, "input {input:?} gave {results:?}");
        assert!(results[0].starts_with("ERR E0"), "input {input:?} gave {results:?}");
    }
}

/// A runner over a small program, with `lines` applied (each must succeed).
fn runner_after(lines: &str) -> super::Runner {
    let program = "pipeline sales for Deal {\n  stage new\n  stage discussion {\n    on enter {\n      notify deal.responsible \"Offer for {{deal.title}} ({{deal.amount}})\"\n    }\n  }\n  stage won success\n}\n";
    let compilation = crate::compile(&[("sales.bp".to_string(), program.to_string())]);
    assert!(!compilation.has_errors(), "{:?}", compilation.diagnostics);
    let mut runner = super::Runner::new(&compilation);
    let file = runner.add_source("setup.bps", lines);
    for command in runner.parse(file) {
        let command = command.expect("a valid setup line");
        if let Err(error) = runner.apply(&command) {
            panic!("{}", error.render(runner.sources()));
        }
    }
    runner
}

/// Applies one line; `Ok(true)` when it passed, `Ok(false)` for a failed expect, `Err` for
/// an invalid line (its message).
fn apply_line(runner: &mut super::Runner, line: &str) -> Result<bool, String> {
    let file = runner.add_source("line.bps", line);
    let command = runner.parse(file).remove(0).map_err(|d| d.message)?;
    match runner.apply(&command) {
        Ok(_) => Ok(true),
        Err(super::ScenarioError::ExpectFailed { .. }) => Ok(false),
        Err(super::ScenarioError::Invalid(diagnostics)) => Err(diagnostics[0].message.clone()),
    }
}

#[test]
fn expect_patterns_compare_with_the_effect_log_encoding() {
    let mut runner = runner_after(
        "clock 2026-03-02 09:00 Europe/Paris\nuser alice \"Alice Martin\"\ncreate deal d1 { title: \"Boiler\", amount: 1200, responsible: @alice }\nmove d1 to discussion\n",
    );
    let cases: &[(&str, Result<bool, &str>)] = &[
        ("expect notify { to: @alice, text: \"Offer for Boiler (1200.00)\" }", Ok(true)),
        ("expect notify { text contains \"boiler\" }", Ok(true)),
        ("expect notify { text contains \"roof\" }", Ok(false)),
        ("expect notify { text: \"offer for boiler (1200.00)\" }", Ok(false)),
        ("expect notify { entity: d1 }", Ok(true)),
        ("expect notify { entity: deal:1 }", Ok(true)),
        ("expect notify { entity: \"deal:1\" }", Ok(true)),
        ("expect notify { at: 2026-03-02 09:00 }", Ok(true)),
        ("expect notify { at: 2026-03-02 08:00 }", Ok(false)),
        ("expect entity_created { entity: d1, title: \"Boiler\", stage: new }", Ok(true)),
        ("expect stage { from: none, to: new }", Ok(true)),
        ("expect stage { from: new, to: discussion, by: @alice }", Ok(true)),
        ("expect stage { to: won }", Ok(false)),
        ("expect no stage { to: won }", Ok(true)),
        ("expect no notify", Ok(false)),
        ("expect error", Ok(false)),
        ("expect no error", Ok(true)),
        ("expect d1.stage == discussion", Ok(true)),
        ("expect d1.amount == 1200.0", Ok(true)),
        ("expect deal:1.stage == won", Err("")),
        ("expect notify { txt: \"x\" }", Err("`notify` effects have no key `txt`")),
        ("expect notfy { to: @alice }", Err("unknown effect kind `notfy`")),
    ];
    for (line, expected) in cases {
        let got = apply_line(&mut runner, line);
        match expected {
            Err("") => assert!(got.is_err(), "{line}: {got:?}"),
            Err(message) => assert_eq!(got, Err(message.to_string()), "{line}"),
            Ok(passes) => assert_eq!(got, Ok(*passes), "{line}"),
        }
    }
}

#[test]
fn an_alias_and_its_id_are_interchangeable() {
    let mut runner = runner_after(
        "user alice \"Alice Martin\"\ncreate deal d1 { title: \"Boiler\", responsible: @alice }\n",
    );
    assert_eq!(apply_line(&mut runner, "move deal:1 to discussion"), Ok(true));
    assert_eq!(apply_line(&mut runner, "expect d1.stage == discussion"), Ok(true));
    assert_eq!(apply_line(&mut runner, "move d1 to won"), Ok(true));
    assert_eq!(apply_line(&mut runner, "expect stage { entity: deal:1, to: won }"), Ok(true));
    let errors: &[(&str, &str)] = &[
        ("move deal:2 to won", "no deal `deal:2` exists"),
        ("move d2 to won", "unknown alias `d2`"),
        ("move dael:1 to won", "unknown kind `dael`"),
        (
            "create deal d1 { title: \"x\", responsible: @alice }",
            "alias `d1` is already bound to deal:1",
        ),
        ("clock 2026-03-02 09:00", "`clock` after a command that changed the state"),
    ];
    for (line, message) in errors {
        assert_eq!(apply_line(&mut runner, line), Err(message.to_string()), "{line}");
    }
}

#[test]
fn a_reply_carries_the_new_effects_and_the_inspection_output() {
    let mut runner = runner_after("user alice \"Alice Martin\"\n");
    let file = runner.add_source("s.bps", "create deal d1 { title: \"Boiler\", responsible: @alice }\nshow d1\nexpect d1.stage == new");
    let commands: Vec<_> = runner.parse(file).into_iter().map(|c| c.expect("valid")).collect();
    let created = runner.apply(&commands[0]).expect("created");
    assert_eq!(created.effects, 0..2, "entity_created and the stage entry");
    let shown = runner.apply(&commands[1]).expect("shown");
    assert!(shown.effects.is_empty());
    assert!(shown.output.iter().any(|l| l.contains("Boiler")), "{:?}", shown.output);
    let checked = runner.apply(&commands[2]).expect("passes");
    assert_eq!(checked.passed.as_deref(), Some("`d1.stage == new` is true"));
    assert_eq!(runner.aliases().len(), 1);
}
