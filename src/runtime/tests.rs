//! Engine tests: small programs compiled with `bp::compile`, driven through the Engine API,
//! asserting on the effect log's JSON lines.

use std::sync::Arc;

use chrono::NaiveDate;
use indexmap::IndexMap;
use rust_decimal::Decimal;

use super::*;
use crate::model::Model;

fn compile(src: &str) -> Arc<Model> {
    let c = crate::compile(&[("test.bp".to_string(), src.to_string())]);
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| crate::diag::human::render(d, &c.sources, false))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    c.model
}

/// A test harness: an engine and shorthands for the scenario commands.
struct T {
    e: Engine,
}

fn num(n: i64) -> Value {
    Value::Number(Decimal::from(n))
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn user(id: &str) -> Value {
    Value::User(id.to_string())
}

impl T {
    fn new(src: &str) -> T {
        T { e: Engine::new(compile(src)) }
    }

    fn user(&mut self, id: &str, name: &str) {
        self.e
            .add_user(UserSpec { id: id.into(), name: name.into(), ..UserSpec::default() })
            .unwrap();
    }

    fn user_with(&mut self, spec: UserSpec) {
        self.e.add_user(spec).unwrap();
    }

    fn kind(&self, name: &str) -> EntityId {
        self.e.model().entity_by_item_name(name).unwrap()
    }

    fn create(&mut self, kind: &str, fields: &[(&str, Value)]) -> EntityRef {
        let fields: IndexMap<String, Value> =
            fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        self.e.create(self.kind(kind), fields, None, None).unwrap()
    }

    fn stage(&self, pipeline: &str, id: &str) -> StageRef {
        let model = self.e.model();
        let p = model.pipelines.get_index_of(pipeline).unwrap();
        let index = model.pipelines[p].stage_index(id).unwrap();
        StageRef { pipeline: PipelineId(p as u32), index }
    }

    fn mv(&mut self, item: EntityRef, pipeline: &str, stage: &str) {
        let s = self.stage(pipeline, stage);
        self.e.move_item(item, s, None).unwrap();
    }

    fn set(&mut self, item: EntityRef, field: &str, v: Value) {
        self.e.set_field(item, &[field.to_string()], v).unwrap();
    }

    fn advance(&mut self, days: i64, hours: i64, minutes: i64) {
        self.e.advance_by(ast::Duration { weeks: 0, days, hours, minutes }).unwrap();
    }

    fn lines(&self) -> Vec<String> {
        self.e.effects().iter().map(|x| self.e.effect_json(x)).collect()
    }

    /// Effects as compact `kind key=value …` strings (every key after `entity`), for
    /// readable assertions on order.
    fn brief(&self) -> Vec<String> {
        self.e
            .effects()
            .iter()
            .map(|x| {
                let v: serde_json::Value = serde_json::from_str(&self.e.effect_json(x)).unwrap();
                let obj = v.as_object().unwrap();
                let mut s = obj["kind"].as_str().unwrap().to_string();
                for (k, val) in obj.iter().skip(4) {
                    if !val.is_null() {
                        let shown = match val {
                            serde_json::Value::String(t) => t.clone(),
                            other => other.to_string(),
                        };
                        s.push_str(&format!(" {k}={shown}"));
                    }
                }
                s
            })
            .collect()
    }

    fn kinds(&self) -> Vec<&'static str> {
        self.e.effects().iter().map(|x| x.kind.name()).collect()
    }

    fn dump(&self) -> String {
        self.lines().join("\n")
    }
}

#[test]
fn conformance_backward_trigger() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    on enter {
      send email "Welcome" { body: "Hello {{deal.contact.name}}" }
    }
  }
  stage interested {
    when email opened
  }
  stage rework "Needs rework" {
    when field changed deal.amount allow backward
  }
  stage proposal {
    when field changed deal.comments
  }
  stage won success
}
"#,
    );
    t.user("ann", "Ann Lee");
    let c1 =
        t.create("contact", &[("name", text("Lia Conti")), ("email", text("lia@example.com"))]);
    let d1 = t.create(
        "deal",
        &[
            ("title", text("Roof")),
            ("amount", num(100)),
            ("responsible", user("ann")),
            ("contact", Value::Entity(c1)),
        ],
    );
    let email_kind = t.e.model().entity_id("Email").unwrap();
    let emails = t.e.open_records(d1, email_kind);
    assert_eq!(emails.len(), 1);
    t.e.open_email(emails[0]).unwrap();
    t.mv(d1, "sales", "proposal");
    t.set(d1, "amount", num(150));
    t.set(d1, "comments", text("revised"));
    t.mv(d1, "sales", "won");
    let expected = [
        r#"{"seq":1,"at":"2026-01-05T09:00:00+00:00","kind":"entity_created","entity":"contact:1","title":"Lia Conti","pipeline":null,"stage":null}"#,
        r#"{"seq":2,"at":"2026-01-05T09:00:00+00:00","kind":"entity_created","entity":"deal:1","title":"Roof","pipeline":"sales","stage":"new"}"#,
        r#"{"seq":3,"at":"2026-01-05T09:00:00+00:00","kind":"stage","entity":"deal:1","from":null,"to":"new","by":"user:ann","pipeline":"sales","from_pipeline":null}"#,
        r#"{"seq":4,"at":"2026-01-05T09:00:00+00:00","kind":"email","entity":"deal:1","email":"email:1","to":"lia@example.com","subject":"Welcome","body":"Hello Lia Conti"}"#,
        r#"{"seq":5,"at":"2026-01-05T09:00:00+00:00","kind":"field_changed","entity":"email:1","field":"opened","old":false,"new":true}"#,
        r#"{"seq":6,"at":"2026-01-05T09:00:00+00:00","kind":"event","entity":"deal:1","event":"email opened","source":"email:1"}"#,
        r#"{"seq":7,"at":"2026-01-05T09:00:00+00:00","kind":"stage","entity":"deal:1","from":"new","to":"interested","by":"user:ann","pipeline":"sales","from_pipeline":null}"#,
        r#"{"seq":8,"at":"2026-01-05T09:00:00+00:00","kind":"stage","entity":"deal:1","from":"interested","to":"proposal","by":"user:ann","pipeline":"sales","from_pipeline":null}"#,
        r#"{"seq":9,"at":"2026-01-05T09:00:00+00:00","kind":"field_changed","entity":"deal:1","field":"amount","old":100,"new":150}"#,
        r#"{"seq":10,"at":"2026-01-05T09:00:00+00:00","kind":"event","entity":"deal:1","event":"field changed amount","source":null}"#,
        r#"{"seq":11,"at":"2026-01-05T09:00:00+00:00","kind":"stage","entity":"deal:1","from":"proposal","to":"rework","by":"user:ann","pipeline":"sales","from_pipeline":null}"#,
        r#"{"seq":12,"at":"2026-01-05T09:00:00+00:00","kind":"field_changed","entity":"deal:1","field":"comments","old":null,"new":"revised"}"#,
        r#"{"seq":13,"at":"2026-01-05T09:00:00+00:00","kind":"event","entity":"deal:1","event":"field changed comments","source":null}"#,
        r#"{"seq":14,"at":"2026-01-05T09:00:00+00:00","kind":"stage","entity":"deal:1","from":"rework","to":"proposal","by":"user:ann","pipeline":"sales","from_pipeline":null}"#,
        r#"{"seq":15,"at":"2026-01-05T09:00:00+00:00","kind":"stage","entity":"deal:1","from":"proposal","to":"won","by":"user:ann","pipeline":"sales","from_pipeline":null}"#,
    ];
    assert_eq!(t.lines(), expected, "\n{}", t.dump());
}

#[test]
fn conformance_assign_in_turn() {
    let mut t = T::new(
        r#"
pipeline leads for Lead {
  stage new {
    on enter {
      assign responsible from [@ann, @ben, @cat] { order: in_turn, skip_absent: true }
      notify responsible "New lead {{lead.title}}"
    }
  }
  stage converted success
}
"#,
    );
    t.user("ann", "Ann Lee");
    t.user_with(UserSpec {
        id: "ben".into(),
        name: "Ben Ode".into(),
        absent: true,
        ..UserSpec::default()
    });
    t.user("cat", "Cat Ruiz");
    for title in ["L1", "L2", "L3", "L4"] {
        t.create("lead", &[("title", text(title)), ("responsible", user("ann"))]);
    }
    let notifies: Vec<String> = t.brief().into_iter().filter(|b| b.starts_with("notify")).collect();
    assert_eq!(
        notifies,
        [
            "notify to=user:ann text=New lead L1",
            "notify to=user:cat text=New lead L2",
            "notify to=user:ann text=New lead L3",
            "notify to=user:cat text=New lead L4",
        ]
    );
    // L1 keeps ann (no change); L2 changes ann → cat.
    assert!(t
        .brief()
        .contains(&"field_changed field=responsible old=user:ann new=user:cat".to_string()));
}

#[test]
fn conformance_payment_link() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new
  stage awaiting_payment "Awaiting payment" {
    on enter {
      let link = create payment link
      send email "Your payment link" { body: "Pay {{deal.amount}} here: {{link.url}}" }
    }
  }
  stage assembly "Product assembly" {
    when invoice paid
  }
  stage won success
}
"#,
    );
    let local = NaiveDate::from_ymd_opt(2026, 4, 6).unwrap().and_hms_opt(10, 0, 0).unwrap();
    t.e.set_clock(local, Some(chrono_tz::Europe::Rome)).unwrap();
    t.user("ugo", "Ugo Bassi");
    let c1 =
        t.create("contact", &[("name", text("Lia Conti")), ("email", text("lia@example.com"))]);
    let d1 = t.create(
        "deal",
        &[
            ("title", text("Kitchen")),
            ("amount", num(300)),
            ("responsible", user("ugo")),
            ("contact", Value::Entity(c1)),
        ],
    );
    t.mv(d1, "sales", "awaiting_payment");
    let i1 = t.create("invoice", &[("deal", Value::Entity(d1)), ("amount", num(300))]);
    t.advance(0, 2, 0);
    t.e.pay(i1).unwrap();
    let lines = t.lines();
    let find = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap_or(usize::MAX);
    let moved = find(r#""from":"new","to":"awaiting_payment""#);
    assert!(lines[moved].contains(r#""at":"2026-04-06T10:00:00+02:00""#), "{}", t.dump());
    assert!(lines[moved + 1].contains(r#""kind":"payment_link","entity":"deal:1","url":"https://bp.invalid/pay/deal/1/1","amount":300"#), "{}", t.dump());
    assert!(
        lines[moved + 2].contains(r#""body":"Pay 300.00 here: https://bp.invalid/pay/deal/1/1""#),
        "{}",
        t.dump()
    );
    let paid = find(
        r#""kind":"field_changed","entity":"invoice:1","field":"status","old":"unpaid","new":"paid""#,
    );
    assert!(lines[paid + 1].contains(
        r#""kind":"event","entity":"deal:1","event":"invoice paid","source":"invoice:1""#
    ));
    assert!(lines[paid + 2].contains(r#""at":"2026-04-06T12:00:00+02:00","kind":"stage","entity":"deal:1","from":"awaiting_payment","to":"assembly""#), "{}", t.dump());
}

const ORDER_PROGRAM: &str = r#"
pipeline sales for Deal {
  stage new {
    on enter {
      schedule activity "Call {{deal.title}}" { due: in 2 hours }
      schedule activity "Keep" { auto_complete: false }
    }
    after 1 day unless moved {
      notify responsible "late"
    }
    after 2 days {
      notify responsible "follow-up"
    }
  }
  stage discussion {
    on enter {
      notify responsible "in discussion"
    }
    on enter {
      add history "entered"
    }
  }
  stage won success
}
"#;

#[test]
fn stage_entry_runs_its_six_steps_in_order() {
    let mut t = T::new(ORDER_PROGRAM);
    t.user("alice", "Alice Martin");
    let d1 = t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    t.advance(0, 1, 0);
    t.mv(d1, "sales", "discussion");
    assert_eq!(
        t.brief()[1..],
        [
            "stage to=new by=user:alice pipeline=sales",
            "activity_created activity=activity:1 subject=Call Boiler responsible=user:alice due=2026-01-05T11:00:00+00:00",
            "activity_created activity=activity:2 subject=Keep responsible=user:alice",
            "rule_cancelled stage=new rule=after 1 day",
            "activity_completed activity=activity:1 subject=Call Boiler responsible=user:alice due=2026-01-05T11:00:00+00:00",
            "stage from=new to=discussion by=user:alice pipeline=sales",
            "notify to=user:alice text=in discussion",
            "history text=entered author=user:alice type=info",
        ],
        "\n{}",
        t.dump()
    );
    // The rule without `unless moved` still runs after the move (SPEC §14).
    t.advance(2, 0, 0);
    assert_eq!(t.brief().last().unwrap(), "notify to=user:alice text=follow-up");
    assert!(t.e.pending(None).is_empty());
}

#[test]
fn after_rule_runs_when_the_item_stays() {
    let mut t = T::new(ORDER_PROGRAM);
    t.user("alice", "Alice Martin");
    t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    assert_eq!(t.e.pending(None).len(), 2);
    t.advance(1, 0, 0);
    let last = t.lines().last().cloned().unwrap();
    assert_eq!(
        last,
        r#"{"seq":5,"at":"2026-01-06T09:00:00+00:00","kind":"notify","entity":"deal:1","to":"user:alice","text":"late"}"#
    );
    assert_eq!(t.e.now().to_rfc3339(), "2026-01-06T09:00:00+00:00");
}

#[test]
fn unless_and_if_conditions_are_checked_when_due() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    after 1 hour unless deal.amount > 100 {
      notify responsible "small"
    }
    after 2 hours if deal.amount > 100 {
      notify responsible "big"
    }
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    let d1 = t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    t.set(d1, "amount", num(500));
    t.advance(0, 1, 0);
    t.set(d1, "amount", num(50));
    t.advance(0, 1, 0);
    let tail: Vec<String> = t.brief().into_iter().filter(|b| b.starts_with("rule_")).collect();
    assert_eq!(
        tail,
        ["rule_cancelled stage=new rule=after 1 hour", "rule_skipped stage=new rule=after 2 hours"]
    );
}

#[test]
fn triggers_move_forward_only_unless_allowed_backward() {
    let src = r#"
pipeline sales for Deal {
  stage new {
    when webhook reopen
  }
  stage discussion {
    when webhook talk where payload.status == "ok"
  }
  stage review {
    when webhook review allow backward
  }
  stage won success
}
"#;
    let mut t = T::new(src);
    t.user("alice", "Alice Martin");
    t.user("bob", "Bob Durand");
    let d1 = t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    let webhook = t.e.model().events.get_index_of("webhook").map(|i| EventId(i as u32)).unwrap();
    let emit = |t: &mut T, name: &str, status: &str| {
        let args = IndexMap::from([("name".to_string(), text(name))]);
        let payload = IndexMap::from([("status".to_string(), text(status))]);
        t.e.emit(d1, webhook, args, payload).unwrap();
    };
    emit(&mut t, "talk", "no");
    assert_eq!(t.e.stage_of(d1), Some(t.stage("sales", "new")));
    emit(&mut t, "talk", "ok");
    assert_eq!(t.e.stage_of(d1), Some(t.stage("sales", "discussion")));
    t.mv(d1, "sales", "won");
    emit(&mut t, "reopen", "ok");
    assert_eq!(t.e.stage_of(d1), Some(t.stage("sales", "won")), "no backward move without allow");
    emit(&mut t, "review", "ok");
    assert_eq!(t.e.stage_of(d1), Some(t.stage("sales", "review")));
    let events: Vec<String> = t.brief().into_iter().filter(|b| b.starts_with("event")).collect();
    assert_eq!(events[0], "event event=webhook talk");
}

#[test]
fn process_waits_and_resumes() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new
  stage won success
  stage lost failure
}

process follow_up for Deal on create {
  notify responsible "start"
  wait 1 day
  notify responsible "after a day"
  wait until stage won
  if deal.stage == won {
    notify responsible "won"
  } else {
    notify responsible "lost"
  }
}
"#,
    );
    t.user("alice", "Alice Martin");
    let d1 = t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    assert_eq!(t.e.state().processes.len(), 1);
    t.advance(1, 0, 0);
    t.mv(d1, "sales", "lost");
    assert!(t.e.state().processes.is_empty());
    assert_eq!(
        t.brief()[2..],
        [
            "process_started process=follow_up instance=process:1",
            "notify to=user:alice text=start",
            "notify to=user:alice text=after a day",
            "stage from=new to=lost by=user:alice pipeline=sales",
            "notify to=user:alice text=lost",
            "process_finished process=follow_up instance=process:1 reason=end",
        ],
        "\n{}",
        t.dump()
    );
}

#[test]
fn parallel_branches_run_in_order_and_join() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new
  stage won success
}

process p for Deal manual {
  let x = "shared"
  parallel {
    branch {
      notify responsible "a1 {{x}}"
      wait 2 hours
      notify responsible "a2"
    }
    branch {
      notify responsible "b1"
      wait 1 hour
      notify responsible "b2"
    }
  }
  notify responsible "joined"
}
"#,
    );
    t.user("alice", "Alice Martin");
    let d1 = t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    let p = crate::model::ProcessId(0);
    t.e.start_process(p, d1).unwrap();
    t.advance(0, 3, 0);
    let texts: Vec<String> = t
        .brief()
        .into_iter()
        .filter(|b| b.starts_with("notify") || b.starts_with("process"))
        .collect();
    assert_eq!(
        texts,
        [
            "process_started process=p instance=process:1",
            "notify to=user:alice text=a1 shared",
            "notify to=user:alice text=b1",
            "notify to=user:alice text=b2",
            "notify to=user:alice text=a2",
            "notify to=user:alice text=joined",
            "process_finished process=p instance=process:1 reason=end",
        ]
    );
}

#[test]
fn a_move_by_a_process_ends_it_first() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new
  stage won success {
    on enter {
      notify responsible "won"
    }
  }
}

process closer for Deal on create {
  move to stage won
  notify responsible "never"
}
"#,
    );
    t.user("alice", "Alice Martin");
    t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    assert_eq!(
        t.brief()[2..],
        [
            "process_started process=closer instance=process:1",
            "process_finished process=closer instance=process:1 reason=moved",
            "stage from=new to=won by=user:alice pipeline=sales",
            "notify to=user:alice text=won",
        ]
    );
}

#[test]
fn move_to_pipeline_cancels_rules_and_processes() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    after 1 day {
      notify responsible "late"
    }
    after 2 days unless moved {
      notify responsible "later"
    }
  }
  stage won success
}

pipeline b2b for Deal {
  stage intake
  stage signed success
}

process watcher for Deal on create {
  wait until stage won
}

process mover for Deal manual {
  move to pipeline b2b
}
"#,
    );
    t.user("alice", "Alice Martin");
    let d1 = t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    t.e.start_process(crate::model::ProcessId(1), d1).unwrap();
    assert_eq!(
        t.brief()[3..],
        [
            "process_started process=mover instance=process:2",
            "process_finished process=mover instance=process:2 reason=moved",
            "rule_cancelled stage=new rule=after 1 day",
            "rule_cancelled stage=new rule=after 2 days",
            "process_finished process=watcher instance=process:1 reason=cancelled",
            "stage from=new to=intake by=user:alice pipeline=b2b from_pipeline=sales",
        ],
        "\n{}",
        t.dump()
    );
    assert!(t.e.pending(None).is_empty());
}

#[test]
fn runtime_errors_are_effects_and_the_rule_goes_on() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    on enter {
      notify supervisor "no supervisor"
      send email "Hello" { body: "x" }
      let ratio = deal.amount / 0
      notify responsible "ratio {{ratio}}"
      notify responsible "still running"
    }
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    let tail = t.brief()[2..].to_vec();
    assert_eq!(tail.len(), 5, "\n{}", t.dump());
    assert_eq!(
        tail[0],
        "error message=cannot notify: Alice Martin has no supervisor rule=on enter"
    );
    assert_eq!(
        tail[1],
        "error message=cannot send email: deal:1 \"Boiler\" has no contact rule=on enter"
    );
    assert_eq!(tail[2], "error message=division by zero rule=on enter");
    assert!(tail[3].starts_with("error message=`ratio` has no value"), "{}", tail[3]);
    assert_eq!(tail[4], "notify to=user:alice text=still running");
}

#[test]
fn a_loop_of_moves_is_stopped_with_one_error() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage a {
    on enter {
      move to stage b
    }
  }
  stage b {
    on enter {
      move to stage a
    }
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    let d1 = t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    let kinds = t.kinds();
    assert_eq!(kinds.iter().filter(|k| **k == "stage").count(), 100);
    assert_eq!(kinds.iter().filter(|k| **k == "error").count(), 1);
    let error = t.brief().into_iter().find(|b| b.starts_with("error")).unwrap();
    assert!(error.contains("a → b → a"), "{error}");
    // The state is consistent afterwards: the item is in the last stage it entered.
    assert_eq!(t.e.stage_of(d1), Some(t.stage("sales", "b")));
}

#[test]
fn the_same_scenario_gives_the_same_bytes_and_state_round_trips() {
    let run = |split: bool| {
        let mut t = T::new(ORDER_PROGRAM);
        t.user("alice", "Alice Martin");
        let d1 = t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
        t.advance(0, 3, 0);
        if split {
            let json = serde_json::to_string(t.e.state()).unwrap();
            let state: State = serde_json::from_str(&json).unwrap();
            t.e = Engine::with_state(t.e.model().clone(), state);
        }
        t.mv(d1, "sales", "discussion");
        t.advance(3, 0, 0);
        (t.dump(), t.e.into_state())
    };
    let (a, state_a) = run(false);
    let (b, state_b) = run(true);
    assert_eq!(a, b);
    assert_eq!(state_a.effects, state_b.effects);
    assert_eq!(state_a.queue, state_b.queue);
}

#[test]
fn every_action_and_event_has_one_implementation() {
    let model = compile("");
    let declared: Vec<&str> = model.actions.keys().map(String::as_str).collect();
    let implemented = super::actions::implemented_actions();
    for words in &declared {
        assert!(implemented.contains(words), "stdlib action `{words}` has no implementation");
    }
    for words in &implemented {
        assert!(declared.contains(words), "implementation `{words}` has no stdlib declaration");
    }
    let events: Vec<&str> = model.events.keys().map(String::as_str).collect();
    for words in &events {
        assert!(super::actions::EVENTS.contains(words), "stdlib event `{words}` is never raised");
    }
    for words in super::actions::EVENTS {
        assert!(events.contains(words), "raised event `{words}` has no stdlib declaration");
    }
}

#[test]
fn tasks_complete_from_their_stage_and_raise_task_completed() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    on enter {
      create task "Call {{deal.title}}" { deadline: in 2 days }
      create task "Invoice the deal"
    }
  }
  stage discussion {
    on enter {
      create task "Offer"
      complete tasks from stage new
    }
  }
  stage prepayment {
    when task completed where task.title contains "invoice the deal"
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    let d1 = t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    let manual = t.create(
        "task",
        &[("title", text("Manual")), ("assignee", user("alice")), ("item", Value::Entity(d1))],
    );
    t.mv(d1, "sales", "discussion");
    let brief = t.brief();
    assert!(brief.contains(&"task_created task=task:1 title=Call Boiler assignee=user:alice deadline=2026-01-07T09:00:00+00:00".to_string()), "\n{}", t.dump());
    let completed: Vec<&String> =
        brief.iter().filter(|b| b.starts_with("task_completed")).collect();
    assert_eq!(completed, ["task_completed task=task:1", "task_completed task=task:2"]);
    // The `task completed` of "Invoice the deal" moves the deal on.
    assert_eq!(t.e.stage_of(d1), Some(t.stage("sales", "prepayment")));
    let task_kind = t.kind("task");
    assert_eq!(t.e.open_records(d1, task_kind), vec![manual, EntityRef::new(task_kind, 4)]);
    assert_eq!(t.e.tasks(Some(d1)).len(), 4);
}

#[test]
fn documents_details_and_payment_links() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    on enter {
      let doc = create document "Contract" { public_link: true }
      send for signing "NDA" { signer: "client" }
      edit details of contact { template: "main", set: { city: "Lyon", tax_id: "FR1" } }
      let d = get details of contact { template: "main" }
      let e = get details of contact { template: "other" }
      add comment "{{doc.url}} {{doc.public_url}} {{d.city}} {{d.tax_id}} {{d.address}} {{e.address}} {{e.city}}"
      let o = find order where it.amount > 10
      let link = create payment link { order: o }
      let again = create payment link
      add history "{{link.url}} {{link.amount}} {{again.url}} {{again.amount}}"
    }
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    let c1 = t.create("contact", &[("name", text("Jean Petit")), ("address", text("1 rue"))]);
    t.create("order", &[("amount", num(5))]);
    t.create("order", &[("amount", num(42))]);
    t.create(
        "deal",
        &[
            ("title", text("Boiler")),
            ("amount", num(1200)),
            ("responsible", user("alice")),
            ("contact", Value::Entity(c1)),
        ],
    );
    let brief = t.brief();
    let tail: Vec<&String> = brief.iter().skip(5).collect();
    assert_eq!(
        tail,
        [
            "document_created document=document:1 template=Contract url=https://bp.invalid/document/1.pdf",
            "sign_requested document=document:2 template=NDA url=https://bp.invalid/document/2.pdf",
            r#"details_changed target=contact:1 template=main address=legal fields={"city":"Lyon","tax_id":"FR1"}"#,
            "comment text=https://bp.invalid/document/1.pdf https://bp.invalid/public/document/1 Lyon FR1 1 rue 1 rue  author=user:alice",
            "payment_link url=https://bp.invalid/pay/deal/1/1 amount=42",
            "payment_link url=https://bp.invalid/pay/deal/1/2 amount=1200",
            "history text=https://bp.invalid/pay/deal/1/1 42.00 https://bp.invalid/pay/deal/1/2 1200.00 author=user:alice type=info",
        ],
        "\n{}",
        t.dump()
    );
}

#[test]
fn items_created_by_rules_enter_their_pipeline_as_a_consequence() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    on enter {
      if deal.amount > 0 {
        let c = create contact { name: "Ann" }
        create deal { title: "Copy of {{deal.title}}", contact: c, stage: qualified }
        notify responsible "created"
      }
    }
  }
  stage qualified {
    on enter {
      notify responsible "qualified {{deal.title}} {{deal.contact.name}}"
    }
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    t.create(
        "deal",
        &[("title", text("Boiler")), ("amount", num(10)), ("responsible", user("alice"))],
    );
    assert_eq!(
        t.brief()[2..],
        [
            "entity_created title=Ann",
            "entity_created title=Copy of Boiler pipeline=sales stage=qualified",
            "notify to=user:alice text=created",
            "stage to=qualified by=user:alice pipeline=sales",
            "notify to=user:alice text=qualified Copy of Boiler Ann",
        ],
        "\n{}",
        t.dump()
    );
}

#[test]
fn delete_find_and_field_actions() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    on enter if deal.title == "Boiler" {
      let other = find deal where it.title == "Old"
      delete deal other
      add observers [@bob, @alice]
      remove observers [@alice]
      let p = find product where it.name == "Pump"
      add product p { quantity: 2 }
      add to exceptions
      add to audience facebook
      book resource deal.comments { start: now + 1 day, duration: 2 hours }
      cancel booking deal.comments
      cancel booking deal.comments
    }
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    t.user("bob", "Bob Durand");
    t.create("product", &[("name", text("Pump")), ("price", num(99))]);
    let old = t.create("deal", &[("title", text("Old")), ("responsible", user("alice"))]);
    t.create("deal", &[("title", text("Boiler")), ("responsible", user("alice"))]);
    assert!(!t.e.entity_exists(old));
    let tail: Vec<String> =
        t.brief().into_iter().skip_while(|b| !b.contains("title=Boiler")).skip(2).collect();
    assert_eq!(
        tail,
        [
            "entity_deleted deleted=deal:1",
            r#"field_changed field=observers old=[] new=["user:bob","user:alice"]"#,
            r#"field_changed field=observers old=["user:bob","user:alice"] new=["user:bob"]"#,
            r#"field_changed field=products old=[] new=[{"product":"product:1","price":99,"quantity":2,"discount":0}]"#,
            "field_changed field=excluded old=false new=true",
            "audience audience=facebook",
            "booking field=comments start=2026-01-06T09:00:00+00:00 duration=2 hours",
            "booking_cancelled field=comments start=2026-01-06T09:00:00+00:00 duration=2 hours",
            "error message=cannot cancel booking: deal:2 \"Boiler\" has no booking in `comments` rule=on enter",
        ],
        "\n{}",
        t.dump()
    );
}

#[test]
fn at_rules_skip_missing_dates_and_run_past_moments_now() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    at deal.close_date - 1 day {
      notify responsible "closing {{deal.title}}"
    }
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    t.create("deal", &[("title", text("A")), ("responsible", user("alice"))]);
    let past = Value::Date(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    t.create("deal", &[("title", text("B")), ("responsible", user("alice")), ("close_date", past)]);
    let future = Value::Date(NaiveDate::from_ymd_opt(2026, 1, 10).unwrap());
    t.create(
        "deal",
        &[("title", text("C")), ("responsible", user("alice")), ("close_date", future)],
    );
    assert!(
        t.brief().contains(&"rule_skipped stage=new rule=at deal.close_date - 1 day".to_string()),
        "\n{}",
        t.dump()
    );
    assert!(t.brief().contains(&"notify to=user:alice text=closing B".to_string()));
    t.advance(10, 0, 0);
    let last = t.lines().last().cloned().unwrap();
    assert!(
        last.starts_with(r#"{"seq":9,"at":"2026-01-09T00:00:00+00:00","kind":"notify""#),
        "{last}"
    );
}

#[test]
fn working_hours_delays_count_working_time() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    after 2 hours in working hours {
      notify responsible "checked"
    }
  }
  stage won success
}
"#,
    );
    // Friday 17:00 + 2 working hours → Monday 10:00 (SPEC §8).
    let friday = NaiveDate::from_ymd_opt(2026, 3, 6).unwrap().and_hms_opt(17, 0, 0).unwrap();
    t.e.set_clock(friday, Some(chrono_tz::Europe::Paris)).unwrap();
    t.user("alice", "Alice Martin");
    t.create("deal", &[("title", text("A")), ("responsible", user("alice"))]);
    t.advance(7, 0, 0);
    let last = t.lines().last().cloned().unwrap();
    assert!(last.contains(r#""at":"2026-03-09T10:00:00+01:00","kind":"notify""#), "{last}");
    let why = t.e.why(3);
    assert!(why.iter().any(|l| l.contains("rule `after 2 hours in working hours`")), "{why:?}");
    assert!(why.iter().any(|l| l.contains("calendar")), "{why:?}");
    assert!(why.last().unwrap().contains("create deal:1"), "{why:?}");
}

#[test]
fn on_change_processes_start_for_commands_and_rules_only() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new
  stage review {
    on enter {
      set deal.comments = "by rule"
    }
  }
  stage won success
}

process audit for Deal on change {
  notify responsible "changed"
}

process editor for Deal manual {
  set deal.source = "by process"
}
"#,
    );
    t.user("alice", "Alice Martin");
    let d1 = t.create("deal", &[("title", text("A")), ("responsible", user("alice"))]);
    t.set(d1, "amount", num(5));
    t.set(d1, "amount", num(5));
    t.mv(d1, "sales", "review");
    t.e.start_process(crate::model::ProcessId(1), d1).unwrap();
    let started: Vec<String> =
        t.brief().into_iter().filter(|b| b.starts_with("process_started")).collect();
    assert_eq!(
        started,
        [
            "process_started process=audit instance=process:1",
            "process_started process=audit instance=process:2",
            "process_started process=editor instance=process:3",
        ],
        "\n{}",
        t.dump()
    );
}

#[test]
fn random_assignment_follows_the_seed() {
    let src = r#"
pipeline leads for Lead {
  stage new {
    on enter {
      assign responsible from [@ann, @ben, @cat, @dan] { order: random }
    }
  }
  stage converted success
}
"#;
    let run = |seed: u64| {
        let mut t = T::new(src);
        t.e.set_seed(seed);
        for u in ["ann", "ben", "cat", "dan"] {
            t.user(u, u);
        }
        for i in 0..8 {
            t.create("lead", &[("title", text(&format!("L{i}"))), ("responsible", user("ann"))]);
        }
        let lead = t.kind("lead");
        (1..=8)
            .map(|n| t.e.field(EntityRef::new(lead, n), "responsible").unwrap())
            .collect::<Vec<_>>()
    };
    let a = run(7);
    assert_eq!(a, run(7));
    assert!(a.iter().all(|u| *u != user("ann")), "random never keeps the current responsible");
}

#[test]
fn messages_without_an_address_are_errors_and_nothing_is_sent() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    on enter {
      send email "Hi" { body: "x" }
      send sms "Hi"
      send email "Direct" { body: "y", to: "ops@example.com" }
    }
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    let c1 = t.create("contact", &[("name", text("Jean Petit"))]);
    t.create(
        "deal",
        &[("title", text("A")), ("responsible", user("alice")), ("contact", Value::Entity(c1))],
    );
    assert_eq!(
        t.brief()[3..],
        [
            "error message=cannot send email: contact:1 \"Jean Petit\" has no email address rule=on enter",
            "error message=cannot send sms: contact:1 \"Jean Petit\" has no phone number rule=on enter",
            "email email=email:1 to=ops@example.com subject=Direct body=y",
        ],
        "\n{}",
        t.dump()
    );
}

#[test]
fn commands_that_fail_leave_the_state_unchanged() {
    let mut t = T::new(ORDER_PROGRAM);
    t.user("alice", "Alice Martin");
    let before = serde_json::to_string(t.e.state()).unwrap();
    let deal = t.kind("deal");
    assert!(t.e.create(deal, IndexMap::new(), None, None).is_err());
    let bad = IndexMap::from([("titl".to_string(), text("x"))]);
    let err = t.e.create(deal, bad, None, None).unwrap_err();
    assert!(err.message.contains("did you mean `title`"), "{}", err.message);
    let local = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    assert!(t.e.advance_to(local).is_err());
    assert!(t.e.set_clock(local, None).is_err());
    assert_eq!(serde_json::to_string(t.e.state()).unwrap(), before);
}

#[test]
fn a_loop_of_jobs_is_stopped_at_the_1001st() {
    let mut t = T::new(
        r#"
process copy for Contact on create {
  create contact { name: "again" }
}
"#,
    );
    t.create("contact", &[("name", text("first"))]);
    let kinds = t.kinds();
    assert_eq!(kinds.iter().filter(|k| **k == "process_started").count(), 1000);
    assert_eq!(kinds.iter().filter(|k| **k == "entity_created").count(), 1001);
    let errors: Vec<String> = t.brief().into_iter().filter(|b| b.starts_with("error")).collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("process copy → process copy"), "{}", errors[0]);
    assert!(t.e.pending(None).is_empty(), "the chain's pending jobs are dropped");
}

/// The performance workload (run by hand: `cargo test --release --lib perf_many_waiting_deals
/// -- --ignored --nocapture`); prints throughput and memory, asserts only correctness.
#[test]
#[ignore]
fn perf_many_waiting_deals() {
    let n: u32 = std::env::var("BP_PERF_N").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new {
    after 1 day unless moved {
      notify responsible "late"
    }
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    let deal = t.kind("deal");
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS")).map(|l| l.to_string()))
            .unwrap_or_default()
    };
    eprintln!("before: {}", rss());
    let start = std::time::Instant::now();
    for i in 0..n {
        let fields = IndexMap::from([
            ("title".to_string(), text(&format!("Deal {i}"))),
            ("responsible".to_string(), user("alice")),
        ]);
        t.e.create(deal, fields, None, None).unwrap();
    }
    let elapsed = start.elapsed();
    eprintln!(
        "{n} deals in {elapsed:?}: {:.0} deals/s; after: {}",
        n as f64 / elapsed.as_secs_f64(),
        rss()
    );
    eprintln!(
        "sizes: Value {} Effect {} Row {} Cause {}",
        std::mem::size_of::<Value>(),
        std::mem::size_of::<Effect>(),
        std::mem::size_of::<state::Row>(),
        std::mem::size_of::<effects::Cause>()
    );
    assert_eq!(t.e.state().queue.len(), n as usize);
}

#[test]
fn references_to_a_deleted_entity_read_as_missing() {
    let mut t = T::new(
        r#"
pipeline sales for Deal {
  stage new
  stage review {
    on enter {
      delete contact deal.contact
      if deal.contact == none {
        notify responsible "no contact"
      }
    }
  }
  stage won success
}
"#,
    );
    t.user("alice", "Alice Martin");
    let c1 = t.create("contact", &[("name", text("Jean Petit"))]);
    let d1 = t.create(
        "deal",
        &[("title", text("A")), ("responsible", user("alice")), ("contact", Value::Entity(c1))],
    );
    t.mv(d1, "sales", "review");
    assert_eq!(
        t.brief()[4..],
        ["entity_deleted deleted=contact:1", "notify to=user:alice text=no contact"],
        "\n{}",
        t.dump()
    );
}
