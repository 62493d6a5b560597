//! Unit tests of the lexical and expression details of `.bp` parsing (SPEC §2, §6.2), written
//! as tables of (input, expected).

use crate::ast::{
    ArgValue, CallPartKind, Duration, Expr, ExprKind, Item, LetValue, Literal, StageMember,
    StmtKind, TemplatePart,
};
use crate::diag::{Code, Diagnostic};
use crate::source::SourceMap;

use super::{parse_expr, parse_module, print};

fn expr(text: &str) -> Result<Expr, Vec<Diagnostic>> {
    let mut map = SourceMap::new();
    let id = map.add("t.bp", text);
    parse_expr(&map, id, 0, text.len())
}

fn ok(text: &str) -> Expr {
    expr(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
}

/// The canonical text of an expression (fully checked by `canonical_printing`).
fn canon(text: &str) -> String {
    print::expr(&ok(text))
}

fn module(text: &str) -> (crate::ast::Module, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let id = map.add("t.bp", text);
    parse_module(&map, id)
}

fn errors(text: &str) -> Vec<String> {
    module(text).1.into_iter().map(|d| d.message).collect()
}

fn duration_of(text: &str) -> Duration {
    match ok(text).kind {
        ExprKind::Literal(Literal::Duration(d)) => d,
        other => panic!("{text:?} is not a duration: {other:?}"),
    }
}

#[test]
fn durations() {
    let d = |weeks, days, hours, minutes| Duration { weeks, days, hours, minutes };
    for (text, expected) in [
        ("30 minutes", d(0, 0, 0, 30)),
        ("1 minute", d(0, 0, 0, 1)),
        ("2 hours", d(0, 0, 2, 0)),
        ("1 day", d(0, 1, 0, 0)),
        ("3 days 4 hours", d(0, 3, 4, 0)),
        ("2 weeks", d(2, 0, 0, 0)),
        ("1 week 2 days 3 hours 4 minutes", d(1, 2, 3, 4)),
        ("0 minutes", d(0, 0, 0, 0)),
    ] {
        assert_eq!(duration_of(text), expected, "{text}");
    }
}

#[test]
fn an_integer_followed_by_a_unit_is_always_a_duration() {
    // SPEC §2: `now + 1 day 1 hour` is `now + (1 day 1 hour)`.
    let e = ok("now + 1 day 1 hour");
    let ExprKind::Binary(_, _, rhs) = e.kind else { panic!("{e:?}") };
    assert_eq!(
        rhs.kind,
        ExprKind::Literal(Literal::Duration(Duration { days: 1, hours: 1, ..Duration::default() }))
    );
}

#[test]
fn bad_durations_are_syntax_errors() {
    for (text, message) in [
        ("1.5 days", "a duration takes whole numbers, found `1.5`"),
        ("30 seconds", "`seconds` is not a duration unit"),
        ("1 second", "`second` is not a duration unit"),
        ("2 months", "`months` is not a duration unit"),
        ("1 year", "`year` is not a duration unit"),
        ("1 hour 2 days", "`days` cannot follow `hour` in a duration"),
        ("1 day 1 day", "`day` cannot follow `day` in a duration"),
        ("99999999999999999999 days", "duration `99999999999999999999` is too large"),
    ] {
        let errors = expr(text).expect_err(text);
        assert_eq!(errors[0].message, message, "{text}");
        assert_eq!(errors[0].code, Code::E0001);
    }
}

#[test]
fn dates_and_date_times() {
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(ok("2026-03-02").kind, ExprKind::Literal(Literal::Date(date(2026, 3, 2))));
    assert_eq!(ok("2024-02-29").kind, ExprKind::Literal(Literal::Date(date(2024, 2, 29))));
    let moment = date(2026, 3, 2).and_hms_opt(9, 30, 0).unwrap();
    for text in ["2026-03-02 09:30", "2026-03-02T09:30"] {
        assert_eq!(ok(text).kind, ExprKind::Literal(Literal::DateTime(moment)), "{text}");
    }
    // Two spaces: a date, then a stray time.
    assert!(expr("2026-03-02  09:30").is_err());
    // Dates are tried before numbers: `2026-03-02` is never a subtraction.
    assert_eq!(canon("2026-03-02 - 1 day"), "2026-03-02 - 1 day");
}

#[test]
fn impossible_and_malformed_dates_are_syntax_errors() {
    for (text, message) in [
        ("2026-02-30", "impossible date `2026-02-30`"),
        ("2025-02-29", "impossible date `2025-02-29`"),
        ("2026-00-10", "impossible date `2026-00-10`"),
        ("2026-03-02 24:00", "impossible time `24:00`"),
        ("2026-03-02T09:60", "impossible time `09:60`"),
        ("2026-3-2", "malformed date `2026-3-2`"),
        ("09:30", "a time of day such as `09:30` is only allowed in a calendar"),
    ] {
        let errors = expr(text).expect_err(text);
        assert_eq!(errors[0].message, message, "{text}");
    }
}

#[test]
fn numbers_users_and_keyword_literals() {
    assert_eq!(ok("1200.50").kind, ExprKind::Literal(Literal::Number("1200.50".into())));
    assert_eq!(ok("42").kind, ExprKind::Literal(Literal::Number("42".into())));
    assert_eq!(ok("@alice").kind, ExprKind::Literal(Literal::User("alice".into())));
    assert_eq!(ok("true").kind, ExprKind::Literal(Literal::Bool(true)));
    assert_eq!(ok("none").kind, ExprKind::Literal(Literal::None));
    assert_eq!(ok("now").kind, ExprKind::Now);
    assert_eq!(canon("@alice.name"), "@alice.name");
    assert_eq!(canon("-42"), "-42");
}

fn template_parts(text: &str) -> Vec<TemplatePart> {
    match ok(text).kind {
        ExprKind::Text(template) => template.parts,
        other => panic!("{text:?} is not a text: {other:?}"),
    }
}

fn plain(text: &str) -> String {
    match ok(text).kind {
        ExprKind::Text(template) => template.as_plain().unwrap_or_else(|| panic!("{text}")),
        other => panic!("{text:?} is not a text: {other:?}"),
    }
}

#[test]
fn string_escapes() {
    for (source, value) in [
        (r#""plain""#, "plain"),
        (r#""a \" b""#, "a \" b"),
        (r#""a \\ b""#, "a \\ b"),
        (r#""line\nbreak""#, "line\nbreak"),
        (r#""tab\there""#, "tab\there"),
        (r#""\{{x}}""#, "{{x}}"),
        (r#""a { b } c""#, "a { b } c"),
        (r#""""#, ""),
        (r#""café ✓""#, "café ✓"),
    ] {
        assert_eq!(plain(source), value, "{source}");
    }
    let errors = expr(r#""a \q""#).expect_err("unknown escape");
    assert_eq!(errors[0].message, "unknown escape `\\q`");
}

#[test]
fn interpolations_may_contain_strings() {
    let parts = template_parts(r#""Hi {{ deal.title ?? "there" }}!""#);
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], TemplatePart::Text("Hi ".into()));
    let TemplatePart::Expr(inner) = &parts[1] else { panic!("{parts:?}") };
    assert_eq!(print::expr(inner), r#"deal.title ?? "there""#);
    assert_eq!(parts[2], TemplatePart::Text("!".into()));
}

#[test]
fn unterminated_strings_are_syntax_errors() {
    assert_eq!(errors("const a = \"open\nconst b = 1\n"), ["unterminated text"]);
    assert_eq!(errors("const a = \"\"\"open\nconst b = 1\n"), ["unterminated text"]);
}

#[test]
fn triple_quoted_strings_drop_the_first_newline_and_the_closing_indentation() {
    for (source, value) in [
        ("\"\"\"\n    Hello\n    World\n    \"\"\"", "Hello\nWorld\n"),
        ("\"\"\"\n    Hello\n      indented\n    \"\"\"", "Hello\n  indented\n"),
        ("\"\"\"\n    a\n  less\n    \"\"\"", "a\nless\n"),
        ("\"\"\"one line\"\"\"", "one line"),
        ("\"\"\"\nno indent\n\"\"\"", "no indent\n"),
        ("\"\"\"\n    text\"\"\"", "    text"),
        ("\"\"\"\r\n    crlf\r\n    \"\"\"", "crlf\n"),
        ("\"\"\"\n    \\tescaped tab\n    \"\"\"", "\tescaped tab\n"),
        ("\"\"\"\n    a \"quote\" inside\n    \"\"\"", "a \"quote\" inside\n"),
    ] {
        assert_eq!(plain(source), value, "{source:?}");
    }
    let parts = template_parts("\"\"\"\n    Hi {{x}},\n    bye\n    \"\"\"");
    assert_eq!(parts[0], TemplatePart::Text("Hi ".into()));
    assert_eq!(parts[2], TemplatePart::Text(",\nbye\n".into()));
}

#[test]
fn precedence_follows_the_spec_table() {
    for (source, canonical) in [
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("a or b and c", "a or b and c"),
        ("(a or b) and c", "(a or b) and c"),
        ("not a == b", "not a == b"),
        ("(not a) == b", "(not a) == b"),
        ("not a and b", "not a and b"),
        ("not (a and b)", "not (a and b)"),
        ("-a ?? b", "-a ?? b"),
        ("(-a) ?? b", "(-a) ?? b"),
        ("a ?? b ?? c", "a ?? b ?? c"),
        ("(a ?? b) ?? c", "(a ?? b) ?? c"),
        ("a - b - c", "a - b - c"),
        ("a - (b - c)", "a - (b - c)"),
        ("a * (b + c)", "a * (b + c)"),
        ("a * b ?? c", "a * b ?? c"),
        ("(a * b) ?? c", "(a * b) ?? c"),
        ("(a ?? b).c", "(a ?? b).c"),
        ("-(a + b)", "-(a + b)"),
        ("(a < b) == c", "(a < b) == c"),
        ("a == (b == c)", "a == (b == c)"),
        ("a + b < c * d", "a + b < c * d"),
        ("x in [1, 2] or y contains \"a\"", "x in [1, 2] or y contains \"a\""),
        ("s starts with \"a\"", "s starts with \"a\""),
        ("deal.contact != none", "deal.contact != none"),
        ("((((a))))", "a"),
    ] {
        assert_eq!(canon(source), canonical, "{source}");
    }
}

#[test]
fn precedence_shapes() {
    let shape = |text: &str| shape(&ok(text));
    assert_eq!(shape("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(shape("-a ?? b"), "(- (?? a b))");
    assert_eq!(shape("a ?? b ?? c"), "(?? a (?? b c))");
    assert_eq!(shape("not a == b"), "(not (== a b))");
    assert_eq!(shape("not a and b"), "(and (not a) b)");
    assert_eq!(shape("a - b - c"), "(- (- a b) c)");
    assert_eq!(shape("-a.b"), "(- a.b)");
    assert_eq!(shape("a or b and c"), "(or a (and b c))");
}

/// A fully parenthesised rendering of the tree.
fn shape(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Binary(op, l, r) => format!("({} {} {})", op.as_str(), shape(l), shape(r)),
        ExprKind::Unary(crate::ast::UnaryOp::Not, x) => format!("(not {})", shape(x)),
        ExprKind::Unary(crate::ast::UnaryOp::Neg, x) => format!("(- {})", shape(x)),
        _ => print::expr(e),
    }
}

#[test]
fn comparisons_are_non_associative() {
    for text in ["a < b < c", "a == b == c", "a < b == c", "a in b contains c"] {
        let errors = expr(text).expect_err(text);
        assert_eq!(errors[0].message, "comparisons cannot be chained", "{text}");
        assert_eq!(errors.len(), 1);
    }
    assert!(expr("(a < b) < c").is_ok());
    assert!(expr("a < b and b < c").is_ok());
}

#[test]
fn keywords_match_only_as_whole_words() {
    assert_eq!(shape(&ok("andy + notice")), "(+ andy notice)");
    assert_eq!(shape(&ok("order or instance")), "(or order instance)");
    assert_eq!(shape(&ok("nowhere")), "nowhere");
    assert!(expr("and").is_err());
    assert!(expr("in + 1").is_err());
}

#[test]
fn newline_continues_after_operators_commas_and_open_brackets() {
    for (text, canonical) in [
        ("const a = 1 +\n  2", "1 + 2"),
        ("const a = a and\n  b or\n  c", "a and b or c"),
        ("const a = not\n  b", "not b"),
        ("const a = [\n  1,\n  2,\n]", "[1, 2]"),
        ("const a = (\n  a + b\n)", "a + b"),
        ("const a = x +  // comment\n  1", "x + 1"),
    ] {
        let (module, diags) = module(text);
        assert!(diags.is_empty(), "{text:?}: {diags:?}");
        let [Item::Const(constant)] = module.items.as_slice() else { panic!("{text:?}") };
        assert_eq!(print::expr(&constant.value), canonical, "{text:?}");
    }
}

#[test]
fn newline_ends_a_statement_before_an_operator() {
    // A newline before `+` ends the constant; `+ 2` alone is not an item.
    assert_eq!(errors("const a = 1\n  + 2\n").len(), 1);
    // `else` must be on the line of the `}`.
    let messages = errors("process p for Deal {\n  if a { stop }\n  else { stop }\n}\n");
    assert_eq!(messages, ["`else` must follow the `}` of its `if` on the same line"]);
}

#[test]
fn statements_end_at_newline_semicolon_or_closing_brace() {
    let (module, diags) = module(
        "process p for Deal { move to stage b }\nprocess q for Deal { stop; stop\n stop }\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let [Item::Process(p), Item::Process(q)] = module.items.as_slice() else { panic!() };
    assert!(matches!(p.body.stmts[0].kind, StmtKind::MoveStage { .. }));
    assert_eq!(q.body.stmts.len(), 3);
}

#[test]
fn let_reads_an_expression_first_then_an_action_call() {
    let (module, diags) = module(
        "process p for Deal {\n  let a = deal.amount * 2\n  let b = create payment link\n  let c = find deal where it.amount > 5\n}\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let [Item::Process(p)] = module.items.as_slice() else { panic!() };
    let values: Vec<&LetValue> = p
        .body
        .stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Let { value, .. } => value,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(matches!(values[0], LetValue::Expr(_)));
    assert!(matches!(values[1], LetValue::Call(_)));
    let LetValue::Call(find) = values[2] else { panic!() };
    let Some(CallPartKind::Where(cond)) = find.parts.last().map(|p| &p.kind) else { panic!() };
    assert_eq!(print::expr(cond), "it.amount > 5");
}

#[test]
fn calls_read_words_values_runs_and_named_arguments() {
    let (module, diags) = module(
        "process p for Deal {\n  complete tasks from stage a, b in pipeline c { due: in 2 hours in working hours of x }\n}\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let [Item::Process(p)] = module.items.as_slice() else { panic!() };
    let StmtKind::Call(call) = &p.body.stmts[0].kind else { panic!() };
    let words: Vec<&str> = call.leading_words().map(|w| w.as_str()).collect();
    assert_eq!(words, ["complete", "tasks", "from", "stage"]);
    assert!(matches!(&call.parts[4].kind, CallPartKind::Run(run) if run.len() == 2));
    assert!(matches!(&call.parts[5].kind, CallPartKind::Word(w) if w.as_str() == "in"));
    let named = call.named.as_ref().expect("named arguments");
    let ArgValue::In { working_hours: Some(hours), .. } = &named.entries[0].value else { panic!() };
    assert_eq!(hours.calendar.as_ref().map(|c| c.as_str()), Some("x"));
}

#[test]
fn doc_comments_attach_to_the_next_node() {
    let (module, diags) = module(
        "/// Sales.\n/// Second line.\npipeline sales for Deal {\n  /// New.\n  stage new {\n    /// On entry.\n    on enter { stop }\n    /// Trigger.\n    when invoice paid\n  }\n}\n// plain\nconst a = 1\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let Item::Pipeline(pipeline) = &module.items[0] else { panic!() };
    assert_eq!(pipeline.doc.as_ref().map(|d| d.text.as_str()), Some("Sales.\nSecond line."));
    let stage = &pipeline.stages[0];
    assert_eq!(stage.doc.as_ref().map(|d| d.text.as_str()), Some("New."));
    let StageMember::Rule(rule) = &stage.members[0] else { panic!() };
    assert_eq!(rule.doc.as_ref().map(|d| d.text.as_str()), Some("On entry."));
    let StageMember::Trigger(trigger) = &stage.members[1] else { panic!() };
    assert_eq!(trigger.doc.as_ref().map(|d| d.text.as_str()), Some("Trigger."));
    let Item::Const(constant) = &module.items[1] else { panic!() };
    assert!(constant.doc.is_none());
    assert_eq!(module.comments.len(), 6);
    assert_eq!(module.comments.iter().filter(|c| c.doc).count(), 5);
}

#[test]
fn spans_are_exact() {
    let text = "pipeline sales for Deal {\n  stage won \"Deal won\" success // c\n}\n";
    let (module, _) = module(text);
    let Item::Pipeline(pipeline) = &module.items[0] else { panic!() };
    let stage = &pipeline.stages[0];
    let at = |span: crate::span::Span| &text[span.range()];
    assert_eq!(at(pipeline.header_span), "pipeline sales for Deal");
    assert_eq!(at(stage.span), "stage won \"Deal won\" success");
    assert_eq!(at(stage.title.as_ref().unwrap().1), "\"Deal won\"");
    assert_eq!(at(stage.id.span), "won");
    let e = ok("deal.contact.name");
    let ExprKind::Field(base, name) = &e.kind else { panic!() };
    assert_eq!(name.span.range(), 13..17);
    assert_eq!(base.span.range(), 0..12);
}

#[test]
fn printing_is_canonical_and_reads_back_the_same() {
    for source in [
        "deal.close_date - 1 day",
        "\"Hi {{deal.contact.name}} \\\"x\\\" \\\\ \\n\"",
        "\"\\{{literal}}\"",
        "[@ann, @ben]",
        "2026-03-02 09:30",
        "3 days 4 hours",
        "not (a or b) and -x ?? 0 > 5",
    ] {
        let first = canon(source);
        assert_eq!(canon(&first), first, "{source}");
    }
    assert_eq!(canon("a+b*c"), "a + b * c");
    assert_eq!(canon("2026-03-02T09:30"), "2026-03-02 09:30");
    assert_eq!(canon("\"a {\" "), "\"a {\"");
}

#[test]
fn durations_print_in_words() {
    let d = |weeks, days, hours, minutes| Duration { weeks, days, hours, minutes };
    for (duration, text) in [
        (d(0, 1, 0, 0), "1 day"),
        (d(0, 3, 4, 0), "3 days 4 hours"),
        (d(2, 0, 0, 0), "2 weeks"),
        (d(0, 0, 0, 1), "1 minute"),
        (d(0, 0, 0, 0), "0 minutes"),
    ] {
        assert_eq!(print::duration(&duration), text);
    }
}

#[test]
fn rule_labels_leave_out_unless_and_if() {
    let text = "pipeline p for Deal {\n  stage s {\n    on enter if a { stop }\n    after 1 day unless moved { stop }\n    after 2 hours in working hours if x { stop }\n    after 2 hours in working hours of support { stop }\n    at deal.close_date - 1 day unless moved { stop }\n    after reminder { stop }\n  }\n}\n";
    let (module, diags) = module(text);
    assert!(diags.is_empty(), "{diags:?}");
    let Item::Pipeline(pipeline) = &module.items[0] else { panic!() };
    let labels: Vec<String> = pipeline.stages[0]
        .members
        .iter()
        .map(|m| match m {
            StageMember::Rule(rule) => print::rule_label(rule),
            StageMember::Trigger(_) => panic!(),
        })
        .collect();
    assert_eq!(
        labels,
        [
            "on enter",
            "after 1 day",
            "after 2 hours in working hours",
            "after 2 hours in working hours of support",
            "at deal.close_date - 1 day",
            "after reminder",
        ]
    );
}

#[test]
fn parse_expr_reads_a_range_of_a_file_with_file_spans() {
    let mut map = SourceMap::new();
    let text = "expect d1.stage == won\n";
    let id = map.add("s.bps", text);
    let e = parse_expr(&map, id, 7, 22).expect("an expression");
    assert_eq!(&text[e.span.range()], "d1.stage == won");
    assert!(parse_expr(&map, id, 7, 10).is_err(), "7..10 is `d1.`");
}

#[test]
fn parse_expr_reports_bad_input() {
    for text in ["", "a +", "a b", "(", "a < b < c", "\"open"] {
        assert!(expr(text).is_err(), "{text:?}");
    }
}

#[test]
fn hostile_input_does_not_crash() {
    for text in [
        String::new(),
        "\u{FEFF}const a = 1".to_string(),
        "}".repeat(10),
        "{".repeat(100_000),
        "\"{{".repeat(1000),
        "- ".repeat(50_000) + "1",
        "a ?? ".repeat(5_000) + "b",
        "const a = ".to_string() + &"a + ".repeat(20_000) + "b",
        "\u{FFFD}\u{FFFD}\0\x01".repeat(100),
    ] {
        let _ = module(&text);
        let _ = expr(&text);
    }
}

#[test]
fn a_large_file_parses_the_same_in_pieces_as_in_one() {
    let unit = "/// A pipeline.\npipeline p for Deal {\n  stage new {\n    on enter { notify responsible \"}\" }\n    after 1 day { stag + }\n  }\n}\nconst a = 1 +\n  2\nprocess q for Deal on create,\n  on change { let x = [1,\n 2] }\n";
    let mut text = String::new();
    while text.len() < 2 * super::PARALLEL_THRESHOLD {
        text.push_str(unit);
    }
    text.push_str("pipelin broken\n");
    let mut map = SourceMap::new();
    let id = map.add("big.bp", text.as_str());
    let (one, one_diags) = super::parse_module_with(&map, id, 1);
    let (four, four_diags) = super::parse_module_with(&map, id, 4);
    assert!(super::pieces(text.len(), &super::comments::scan(&text, id, 0).splits, 4).len() == 4);
    assert_eq!(one.items.len(), four.items.len());
    assert!(one == four, "the pieces give another tree");
    assert_eq!(one_diags, four_diags);
    assert_eq!(one_diags.len(), 101, "100 errors and the summary");
}

#[test]
fn the_deepest_accepted_nesting_parses_on_a_small_stack() {
    // 63 nested blocks (the process's own `{` is the 64th), then 64 nested interpolations: both
    // at the limit, on a 2 MiB test thread in a debug build.
    let depth = super::MAX_NESTING - 1;
    let blocks = format!(
        "process p for Deal {{\n{}stop\n{}}}\n",
        "if a {\n".repeat(depth),
        "}\n".repeat(depth)
    );
    let (parsed, diags) = module(&blocks);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(parsed.items.len(), 1);
    let strings = format!("const a = {}x{}\n", "\"{{".repeat(32), "}}\"".repeat(32));
    let (parsed, diags) = module(&strings);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(parsed.items.len(), 1);
    let lists = format!("const a = {}1{}\n", "[".repeat(64), "]".repeat(64));
    assert!(module(&lists).1.is_empty());
    let too_deep = format!("const a = {}1{}\n", "[".repeat(65), "]".repeat(65));
    assert_eq!(errors(&too_deep), ["nesting too deep"]);
}
