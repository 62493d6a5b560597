//! Unit tests of the checker over whole programs (stdlib included).

use crate::ast;
use crate::diag::{Code, Diagnostic};
use crate::model::{Arg, ExprKind, Literal, Model, StmtKind, Timing};
use crate::span::{FileId, Ident, Span};
use crate::types::Type;

/// Compiles one user file `sales.bp` with the stdlib.
fn compile(source: &str) -> crate::Compilation {
    crate::compile(&[("sales.bp".to_string(), source.to_string())])
}

fn render(compilation: &crate::Compilation) -> String {
    let mut out = String::new();
    for d in &compilation.diagnostics {
        out.push_str(&line(d, compilation));
        out.push('\n');
    }
    out
}

fn line(d: &Diagnostic, compilation: &crate::Compilation) -> String {
    let (l, c) = compilation.sources.start_of(d.primary.span);
    let file = &compilation.sources.get(d.primary.span.file).name;
    format!(
        "{} {file}:{l}:{c} {} [{}] {}",
        d.code,
        d.message,
        compilation.sources.snippet(d.primary.span),
        d.help.clone().unwrap_or_default()
    )
}

#[test]
fn stdlib_checks_clean() {
    let compilation = compile("");
    assert_eq!(render(&compilation), "");
    let model = &compilation.model;
    assert!(model.entities.contains_key("Deal"));
    assert!(model.actions.contains_key("create task"));
    assert!(model.events.contains_key("field changed"));
}

/// Compiles `source` and asserts it checks with no diagnostic.
fn model_of(source: &str) -> std::sync::Arc<Model> {
    let compilation = compile(source);
    assert_eq!(render(&compilation), "", "the program must check cleanly");
    compilation.model
}

/// The codes of the diagnostics of `source`, in order.
fn codes(source: &str) -> Vec<Code> {
    compile(source).diagnostics.iter().map(|d| d.code).collect()
}

/// The statements of the first rule of the first stage of pipeline `sales`.
fn first_rule(model: &Model) -> Vec<StmtKind> {
    let stage = &model.pipelines["sales"].stages[0];
    stage.rules[0].body.iter().map(|s| s.kind.clone()).collect()
}

fn call_args(statement: &StmtKind) -> &indexmap::IndexMap<String, Arg> {
    match statement {
        StmtKind::Call(call) | StmtKind::LetCall { call, .. } => &call.args,
        other => panic!("not a call: {other:?}"),
    }
}

fn is_item_field(arg: &Arg, field: &str) -> bool {
    matches!(arg, Arg::Expr(e) if matches!(&e.kind, ExprKind::Field(base, f)
        if f == field && matches!(base.kind, ExprKind::Item)))
}

const SALES: &str = "pipeline sales for Deal {\n  stage new {\n    on enter {\n{BODY}\n    }\n  }\n  stage discussion\n  stage won success\n}\n";

fn sales(body: &str) -> String {
    SALES.replace("{BODY}", body)
}

#[test]
fn defaults_fill_every_missing_argument() {
    let model = model_of(&sales(
        r#"      create task "Call {{deal.title}}"
      add history "Note""#,
    ));
    let body = first_rule(&model);
    let task = call_args(&body[0]);
    assert!(is_item_field(&task["assignee"], "responsible"));
    assert!(matches!(&task["title"], Arg::Expr(e) if matches!(e.kind, ExprKind::Template(_))));
    assert!(!task.contains_key("deadline"), "an optional argument without default is absent");
    let history = call_args(&body[1]);
    assert!(is_item_field(&history["author"], "responsible"));
    assert!(matches!(&history["type"], Arg::Keyword(k) if k == "info"));
    let keys: Vec<&str> = history.keys().map(String::as_str).collect();
    assert_eq!(keys, ["text", "author", "type"], "arguments are in declaration order");
}

#[test]
fn supervisor_is_the_responsible_s_supervisor() {
    let model = model_of(&sales(r#"      notify supervisor "Late""#));
    let body = first_rule(&model);
    let Arg::Expr(to) = &call_args(&body[0])["to"] else { panic!("an expression") };
    let ExprKind::Field(base, field) = &to.kind else { panic!("a field") };
    assert_eq!(field, "supervisor");
    assert!(
        matches!(&base.kind, ExprKind::Field(item, f) if f == "responsible" && matches!(item.kind, ExprKind::Item))
    );
    assert_eq!(to.ty, Type::User.optional());
}

#[test]
fn runs_keywords_kinds_conditions_and_in_durations() {
    let model = model_of(&sales(
        r#"      complete tasks from stage new, discussion in pipeline sales
      let other = find deal where it.amount > 5
      schedule activity "Call" { due: in 2 hours in working hours, auto_complete: false }
      create from source invoice, quote
      create contact { name: "Jean" }
      add history "{{other.title}}""#,
    ));
    let body = first_rule(&model);
    let Arg::Expr(stages) = &call_args(&body[0])["stages"] else { panic!("a list") };
    let ExprKind::List(items) = &stages.kind else { panic!("a list") };
    assert_eq!(items.len(), 2);
    assert!(matches!(items[1].kind, ExprKind::Literal(Literal::Stage(s)) if s.index == 1));
    assert!(
        matches!(&call_args(&body[0])["pipeline"], Arg::Expr(e) if matches!(e.kind, ExprKind::Literal(Literal::Pipeline(_))))
    );
    let find = call_args(&body[1]);
    assert!(matches!(find["kind"], Arg::Kind(k) if k == model.entity_id("Deal").unwrap()));
    let Arg::Condition(condition) = &find["condition"] else { panic!("a condition") };
    let ExprKind::Binary(_, left, _) = &condition.kind else { panic!("a comparison") };
    assert!(
        matches!(&left.kind, ExprKind::Field(it, f) if f == "amount" && matches!(&it.kind, ExprKind::Var(v) if v == "it"))
    );
    let activity = call_args(&body[2]);
    assert!(matches!(&activity["due"], Arg::In { working_hours: Some(_), .. }));
    assert!(
        matches!(&call_args(&body[3])["sources"], Arg::Keywords(k) if k == &["invoice", "quote"])
    );
    let create = call_args(&body[4]);
    assert!(matches!(&create["fields"], Arg::Record(fields) if fields.contains_key("name")));
    assert!(is_item_field(&create["responsible"], "responsible"));
}

#[test]
fn let_binds_the_result_type() {
    let model = model_of(&sales(
        r#"      let other = find deal where it.amount > 5
      let link = create payment link
      add history "{{other.title}} {{link.url}}""#,
    ));
    let body = first_rule(&model);
    assert_eq!(body.len(), 3);
}

#[test]
fn constants_are_inlined_and_rule_labels_numbered() {
    let model = model_of(
        "const delay = 2 days\nconst limit: Money = 500\npipeline sales for Deal {\n  stage new {\n    after delay { add history \"a\" }\n    after 2 days { add history \"b\" }\n    after 2 days if deal.amount > limit { add history \"c\" }\n  }\n  stage won success\n}\n",
    );
    let rules = &model.pipelines["sales"].stages[0].rules;
    let labels: Vec<&str> = rules.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["after delay", "after 2 days", "after 2 days #2"]);
    assert!(matches!(rules[0].timing, Timing::After(d) if d.days == 2));
    let condition = rules[2].condition.as_ref().expect("a condition");
    let ExprKind::Binary(_, _, right) = &condition.kind else { panic!("a comparison") };
    assert!(matches!(right.kind, ExprKind::Literal(Literal::Number(_))));
    assert_eq!(right.ty, Type::Money);
    assert_eq!(model.consts["limit"].value.ty, Type::Money);
}

#[test]
fn triggers_keep_their_arguments_by_parameter_name() {
    let model = model_of(
        "pipeline sales for Deal {\n  stage new\n  stage a {\n    when field changed deal.amount to 0\n  }\n  stage b {\n    when task status in_progress where task.title contains \"x\" as @bob allow backward\n  }\n  stage c {\n    when form submitted contact_us\n    when form submitted\n  }\n  stage won success\n}\n",
    );
    let stages = &model.pipelines["sales"].stages;
    let field = &stages[1].triggers[0];
    assert_eq!(model.event(field.event).words, "field changed");
    assert!(matches!(&field.args["path"], Arg::FieldPath(p) if p == &["amount"]));
    assert!(
        matches!(&field.args["value"], Arg::Expr(e) if e.ty == Type::Money),
        "0 takes the field's type"
    );
    let status = &stages[2].triggers[0];
    assert!(
        matches!(&status.args["status"], Arg::Expr(e) if matches!(&e.kind, ExprKind::Literal(Literal::Enum(m)) if m == "in_progress"))
    );
    assert!(status.allow_backward && status.as_user.is_some() && status.condition.is_some());
    assert_eq!(stages[3].triggers[0].args.len(), 1);
    assert!(stages[3].triggers[1].args.is_empty());
}

#[test]
fn processes_resolve_their_start_stages() {
    let model = model_of(
        "pipeline sales for Deal {\n  stage new\n  stage won success\n}\nprocess p for Deal on create, on stage won, manual {\n  wait until stage won\n}\n",
    );
    let process = &model.processes["p"];
    assert!(process.on_create && process.manual && !process.on_change);
    assert_eq!(process.on_stages.len(), 1);
    assert!(
        matches!(process.body[0].kind, StmtKind::WaitStage { ref stages } if stages.len() == 1)
    );
}

#[test]
fn resolve_stage_name_for_scenarios() {
    let model = model_of(
        "pipeline sales for Deal {\n  stage new\n  stage won success\n}\npipeline b2b for Deal {\n  stage intake\n  stage won success\n}\n",
    );
    let deal = model.entity_id("Deal").unwrap();
    let new = super::resolve_stage_name(&model, deal, "new").expect("new");
    assert_eq!((new.pipeline.0, new.index), (0, 0));
    let won = super::resolve_stage_name(&model, deal, "b2b.won").expect("b2b.won");
    assert_eq!((won.pipeline.0, won.index), (1, 1));
    let ambiguous = super::resolve_stage_name(&model, deal, "won").unwrap_err();
    assert!(ambiguous.contains("`sales.won` or `b2b.won`"), "{ambiguous}");
    let unknown = super::resolve_stage_name(&model, deal, "intak").unwrap_err();
    assert!(unknown.contains("did you mean `intake`?"), "{unknown}");
}

#[test]
fn check_expr_resolves_aliases_and_stages_of_the_compared_item() {
    let compilation = compile("pipeline sales for Deal {\n  stage new\n  stage won success\n}\n");
    let mut map = compilation.sources.clone();
    let file = map.add("<expect>", "d1.stage == won and d1.amount > 100");
    let text_len = map.get(file).text.len();
    let expr = crate::syntax::parse_expr(&map, file, 0, text_len).expect("parses");
    let deal = compilation.model.entity_id("Deal").unwrap();
    let scope = [("d1".to_string(), Type::Entity(deal))];
    let checked = super::check_expr(&compilation.model, &map, &expr, &scope, Some(&Type::Bool))
        .expect("checks");
    assert_eq!(checked.ty, Type::Bool);
    let file = map.add("<expect>", "d1.stage == wonn");
    let expr = crate::syntax::parse_expr(&map, file, 0, 16).expect("parses");
    let errors = super::check_expr(&compilation.model, &map, &expr, &scope, None).unwrap_err();
    assert_eq!(errors[0].code, Code::E0101);
    assert_eq!(errors[0].help.as_deref(), Some("did you mean `won`?"));
}

#[test]
fn the_hash_covers_user_files_only() {
    let a = compile("const x = 1\n").model.hash.clone();
    let b = compile("const x = 2\n").model.hash.clone();
    assert_eq!(a.len(), 64);
    assert_ne!(a, b);
    assert_eq!(a, compile("const x = 1\n").model.hash);
}

#[test]
fn one_root_cause_gives_one_diagnostic() {
    let table = [
        (
            r#"      let x = deal.contct.name
      add history "{{x}} {{x.foo}}""#,
            vec![Code::E0101],
        ),
        (r#"      notifi supervisor "x" { foo: 1 }"#, vec![Code::E0102]),
        (r#"      notify 5 "x" extra"#, vec![Code::E0104]),
        (r#"      create deal { titl: "x" }"#, vec![Code::E0102]),
        (r#"      move to stage nowhere"#, vec![Code::E0101]),
        (r#"      set deal.stage = won"#, vec![Code::E0105]),
        (r#"      let deal = 5"#, vec![Code::E0106]),
        (r#"      wait 2 days"#, vec![Code::E0105]),
        (r#"      add history "x" { type: meeting }"#, vec![Code::E0104]),
        (
            r#"      create task "x" { deadline: in 2 hours, deadline: in 3 hours }"#,
            vec![Code::E0106],
        ),
        (r#"      add history "x" { author: @bob }"#, vec![Code::E0102]),
        (r#"      send email "x" { body: in 2 days }"#, vec![Code::E0105]),
        (r#"      add history "{{deal.title + deal.title}}""#, vec![Code::E0104]),
        (r#"      add history "{{get details of contact}}""#, vec![Code::E0001]),
    ];
    for (body, expected) in table {
        assert_eq!(codes(&sales(body)), expected, "{body}");
    }
}

#[test]
fn records_cannot_be_interpolated_but_payment_links_can() {
    let source = sales(
        r#"      let details = get details of contact
      let link = create payment link
      add history "{{link}} {{details}}""#,
    );
    let compilation = compile(&source);
    let messages: Vec<&str> = compilation.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["cannot interpolate a `Details` record"]);
}

/// A span in the user file, for hand-built ASTs.
fn span() -> Span {
    Span::new(FileId(3), 0, 1)
}

fn ident(text: &str) -> Ident {
    Ident::new(text, span())
}

/// Odd ASTs the parser never builds must not panic the checker.
#[test]
fn the_checker_never_panics_on_odd_asts() {
    let mut map = crate::source::SourceMap::new();
    for (name, text) in crate::stdlib::FILES {
        map.add(*name, *text);
    }
    let file = map.add("odd.bp", "x");
    let mut program = ast::Program::default();
    for id in 0..3 {
        program.modules.push(crate::syntax::parse_module(&map, FileId(id)).0);
    }
    let empty_call = ast::Call { parts: Vec::new(), named: None, span: span() };
    let value_first = ast::Call {
        parts: vec![ast::CallPart {
            kind: ast::CallPartKind::Value(ast::Expr { kind: ast::ExprKind::Now, span: span() }),
            span: span(),
        }],
        named: None,
        span: span(),
    };
    let statements = vec![
        ast::Stmt { kind: ast::StmtKind::Call(empty_call.clone()), span: span() },
        ast::Stmt { kind: ast::StmtKind::Call(value_first), span: span() },
        ast::Stmt {
            kind: ast::StmtKind::Set {
                target: ast::Expr { kind: ast::ExprKind::Now, span: span() },
                value: ast::Expr { kind: ast::ExprKind::Now, span: span() },
            },
            span: span(),
        },
    ];
    let block = ast::Block { stmts: statements, span: span() };
    let rule = ast::Rule {
        timing: ast::RuleTiming::OnEnter { span: span() },
        modifiers: ast::RuleModifiers::default(),
        body: block,
        doc: None,
        header_span: span(),
        span: span(),
    };
    let trigger = ast::Trigger {
        event: empty_call,
        condition: None,
        as_user: None,
        allow_backward: None,
        doc: None,
        span: span(),
    };
    let stage = ast::Stage {
        id: ident("new"),
        title: None,
        outcome: None,
        members: vec![ast::StageMember::Rule(rule), ast::StageMember::Trigger(trigger)],
        doc: None,
        span: span(),
    };
    let pipeline = ast::PipelineDecl {
        name: ident("sales"),
        kind: ident("Deal"),
        stages: vec![stage],
        doc: None,
        header_span: span(),
        span: span(),
    };
    program.modules.push(ast::Module {
        file,
        items: vec![ast::Item::Pipeline(pipeline)],
        comments: Vec::new(),
    });
    let (_, diags) = super::check(&program, &map, true);
    assert!(diags.has_errors());
}

/// Compiles `source` against the real stdlib plus `extra_actions` appended to
/// stdlib/actions.bp (to test declaration checks and context restrictions).
fn compile_with_actions(extra_actions: &str, source: &str) -> Vec<Diagnostic> {
    let mut map = crate::source::SourceMap::new();
    for (name, text) in crate::stdlib::FILES {
        let text = if *name == "stdlib/actions.bp" {
            format!("{text}\n{extra_actions}\n")
        } else {
            text.to_string()
        };
        map.add(*name, text);
    }
    map.add("sales.bp", source);
    let mut program = ast::Program::default();
    let mut diags = Vec::new();
    for (id, _) in map.files() {
        let (module, syntax) = crate::syntax::parse_module(&map, id);
        diags.extend(syntax);
        program.modules.push(module);
    }
    let (_, check) = super::check(&program, &map, diags.is_empty());
    diags.extend(check);
    diags
}

#[test]
fn actions_restricted_to_a_context_are_e0105_elsewhere() {
    let extra = "/// Process only.\naction shout <text: Text> in process\n";
    let diags = compile_with_actions(extra, &sales(r#"      shout "Hello""#));
    let found: Vec<(Code, &str)> = diags.iter().map(|d| (d.code, d.message.as_str())).collect();
    assert_eq!(found, [(Code::E0105, "`shout` is only allowed in a process")]);
    let process = "process p for Deal on create {\n  shout \"Hello\"\n}\n";
    assert!(compile_with_actions(extra, process).is_empty());
}

#[test]
fn stdlib_declaration_errors() {
    let table = [
        ("action notify <text: Text>", Code::E0106),
        ("action shout <text: Text> <text: Number>", Code::E0106),
        ("action shout <text: Txt>", Code::E0101),
        ("action shout { fields: KindFields }", Code::E0107),
        ("action shout <text: Text = 5>", Code::E0104),
    ];
    for (extra, code) in table {
        let diags = compile_with_actions(extra, "");
        let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
        assert_eq!(codes, [code], "{extra}");
    }
}

#[test]
fn a_let_the_parser_could_not_read_hides_no_later_use() {
    let source = sales(
        r#"      let total = deal.amount ** 2
      add history "{{total}}""#,
    );
    assert_eq!(codes(&source), [Code::E0001]);
}
