//! Unit tests of the stores: the stored form, the symbol remap, each store's save and load.
//! The end-to-end behaviour (`bp run --state`, kill -9, bad files, migration, export and
//! import) is in `tests/golden/state.rs`.

use std::collections::BTreeSet;

use super::symbols::Remap;
use super::*;
use crate::model::{EntityId, PipelineId, StageRef};
use crate::scenario::{Observer, Runner};

const PROGRAM: &str = r#"
pipeline sales for Deal {
  stage new "New" {
    after 1 day unless moved {
      notify supervisor "{{deal.title}} was not moved"
    }
    after 2 hours {
      add history "Two hours in New"
    }
  }
  stage won "Won" success
}

process follow_up for Deal on create {
  wait 1 day
  notify deal.responsible "Follow up {{deal.title}}"
  wait until stage won
}
"#;

const SCENARIO: &str = r#"seed 3
user bob "Bob Durand"
user alice "Alice Martin" { supervisor: @bob }
create deal d1 { title: "Boiler", amount: 1200, responsible: @alice }
create deal d2 { title: "Roof", responsible: @alice }
advance 3 hours
move d2 to won
"#;

fn compile(text: &str) -> crate::Compilation {
    let compilation = crate::compile(&[("crm.bp".to_string(), text.to_string())]);
    assert!(!compilation.has_errors(), "{:?}", compilation.diagnostics);
    compilation
}

struct Quiet;
impl Observer for Quiet {}

/// The engine state after `scenario`.
fn run(compilation: &crate::Compilation, scenario: &str) -> Runner {
    let mut runner = Runner::new(compilation);
    let file = runner.add_source("s.bps", scenario);
    let commands = runner.parse(file);
    runner.run_all(&commands, 0, &mut Quiet).expect("the scenario runs");
    runner
}

fn meta_of(model: &crate::model::Model) -> Meta {
    Meta { program_hash: model.hash.clone(), symbols: Symbols::of(model), ..Meta::default() }
}

#[test]
fn core_and_tables_cover_every_state_field() {
    // The SQLite store writes `State` in pieces; a field added to `State` must be added to
    // one of the two lists (and to `sqlite::Core`), or it would be lost.
    let value = serde_json::to_value(crate::runtime::State::new()).expect("json");
    let fields: BTreeSet<&str> =
        value.as_object().expect("object").keys().map(String::as_str).collect();
    let stored: BTreeSet<&str> =
        sqlite::CORE_FIELDS.iter().chain(sqlite::TABLE_FIELDS.iter()).copied().collect();
    assert_eq!(fields, stored);
}

#[test]
fn the_document_round_trips_through_text() {
    let compilation = compile(PROGRAM);
    let runner = run(&compilation, SCENARIO);
    let meta = meta_of(&compilation.model);
    let state = runner.engine().state();
    assert!(!state.queue.is_empty() && !state.processes.is_empty(), "timers and processes wait");
    let text = doc::to_text(&meta, state).expect("text");
    let back = doc::from_text(&text).expect("parses");
    assert_eq!(back.meta, meta);
    assert_eq!(doc::to_text(&back.meta, &back.state).expect("text"), text);
    // The queue is canonical: slot i holds the i-th job in sequence order.
    let slots: Vec<u32> = back.state.queue.entries().iter().map(|(_, _, h, ..)| h.slot).collect();
    assert_eq!(slots, (0..slots.len() as u32).collect::<Vec<_>>());
}

#[test]
fn a_reloaded_state_runs_on_like_the_original() {
    let compilation = compile(PROGRAM);
    let mut original = run(&compilation, SCENARIO);
    let text = doc::to_text(&meta_of(&compilation.model), original.engine().state()).expect("text");
    let loaded = doc::from_text(&text).expect("parses");
    let engine = crate::runtime::Engine::with_state(compilation.model.clone(), loaded.state);
    let mut reloaded = Runner::with_engine(compilation.sources.clone(), engine);
    for runner in [&mut original, &mut reloaded] {
        let file = runner.add_source("more.bps", "advance 2 days\n");
        let commands = runner.parse(file);
        runner.run_all(&commands, 0, &mut Quiet).expect("runs");
    }
    let json = |r: &Runner| doc::state_to_json(r.engine().state()).expect("json");
    assert_eq!(json(&reloaded), json(&original));
    assert!(original.engine().state().queue.is_empty(), "every timer fired");
}

#[test]
fn the_same_symbols_map_every_id_to_itself() {
    let compilation = compile(PROGRAM);
    let model = &compilation.model;
    let remap = Remap::between(&Symbols::of(model), model);
    for i in 0..model.entities.len() as u32 {
        assert_eq!(remap.entity_of(EntityId(i)), Some(EntityId(i)));
    }
    let stage = StageRef { pipeline: PipelineId(0), index: 0 };
    assert_eq!(remap.stage_of(stage), Some(stage));
    assert_eq!(remap.rule_of(stage, 1), Some(1));
}

#[test]
fn ids_map_by_name_across_versions() {
    let old = compile(PROGRAM);
    let newer = format!(
        "pipeline leads for Lead {{\n  stage open\n  stage done success\n}}\n{}",
        PROGRAM.replace(
            "stage new \"New\" {\n",
            "stage new \"New\" {\n    on enter {\n      add history \"In\"\n    }\n"
        )
    );
    let new = compile(&newer);
    let remap = Remap::between(&Symbols::of(&old.model), &new.model);
    let sales_new = StageRef { pipeline: PipelineId(0), index: 0 };
    let moved = StageRef { pipeline: PipelineId(1), index: 0 };
    assert_eq!(remap.stage_of(sales_new), Some(moved), "sales is now the second pipeline");
    assert_eq!(remap.rule_of(sales_new, 0), Some(1), "`after 1 day` is now the second rule");
    assert_eq!(remap.rule_of(sales_new, 1), Some(2));
    assert_eq!(remap.pipeline_of(PipelineId(0)), Some(PipelineId(1)));
}

#[test]
fn a_remapped_state_keeps_its_timers_on_their_renumbered_rules() {
    let old = compile(PROGRAM);
    let runner = run(&old, SCENARIO);
    let mut snapshot =
        Snapshot { meta: meta_of(&old.model), state: runner.engine().state().clone() };
    let newer =
        format!("pipeline leads for Lead {{\n  stage open\n  stage done success\n}}\n{PROGRAM}");
    let new = compile(&newer);
    let notes = remap::remap(&mut snapshot, &new.model, None).expect("everything maps");
    assert!(notes.is_empty());
    assert_eq!(snapshot.meta.symbols, Symbols::of(&new.model));
    for (_, _, _, job, _) in snapshot.state.queue.entries() {
        if let crate::runtime::queue::JobKind::Rule { stage, .. } = job.kind {
            assert_eq!(stage.pipeline, PipelineId(1), "{job:?}");
        }
    }
    // The deal rows still name their stage, in the new numbering.
    let engine = crate::runtime::Engine::with_state(new.model.clone(), snapshot.state);
    let deal = crate::runtime::EntityRef::new(EntityId(0), 1);
    let stage = engine.field(deal, "stage");
    assert_eq!(
        stage,
        Some(crate::runtime::Value::Stage(StageRef { pipeline: PipelineId(1), index: 0 }))
    );
}

#[test]
fn a_removed_rule_with_a_pending_job_is_listed() {
    let old = compile(PROGRAM);
    let runner = run(&old, SCENARIO);
    let newer = PROGRAM.replace("after 1 day unless moved", "after 3 days unless moved");
    let new = compile(&newer);
    let fresh = || Snapshot { meta: meta_of(&old.model), state: runner.engine().state().clone() };
    let error = remap::remap(&mut fresh(), &new.model, None).expect_err("a job is orphaned");
    assert_eq!(error.orphans.len(), 1, "{:?}", error.orphans);
    assert!(error.orphans[0].starts_with("deal:1: rule `after 1 day` of stage `sales.new`, due"));
    let mut dropped = fresh();
    remap::remap(&mut dropped, &new.model, Some(Migrate::Drop)).expect("dropped");
    assert!(dropped.meta.inert.is_empty());
    let mut kept = fresh();
    let notes = remap::remap(&mut kept, &new.model, Some(Migrate::Keep)).expect("kept");
    assert_eq!(kept.meta.inert.len(), 1);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(kept.state.queue.len(), dropped.state.queue.len());
    assert_eq!(kept.state.queue.len() + 1, runner.engine().state().queue.len());
}

#[test]
fn the_json_store_writes_the_document_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("crm.json");
    let compilation = compile(PROGRAM);
    let runner = run(&compilation, SCENARIO);
    let meta = meta_of(&compilation.model);
    let mut store = open(&path).expect("open");
    assert_eq!(store.load().expect("load"), None, "a missing file is a new state");
    store.save_command(&meta, runner.engine().state()).expect("save");
    assert!(!path.exists(), "a command alone writes nothing");
    store.save_snapshot(&meta, runner.engine().state()).expect("save");
    let text = std::fs::read_to_string(&path).expect("written");
    assert_eq!(text, doc::to_text(&meta, runner.engine().state()).expect("text"));
    let names: Vec<_> =
        std::fs::read_dir(dir.path()).expect("dir").filter_map(|e| e.ok()).collect();
    assert_eq!(names.len(), 1, "no temporary file left");
}

#[test]
fn the_sqlite_store_saves_commands_incrementally() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("crm.db");
    let compilation = compile(PROGRAM);
    let mut runner = Runner::new(&compilation);
    let file = runner.add_source("s.bps", SCENARIO);
    let commands = runner.parse(file);
    let meta = meta_of(&compilation.model);
    {
        let mut store = open(&path).expect("open");
        for command in commands.iter().flatten() {
            runner.apply(command).expect("applies");
            store.save_command(&meta, runner.engine().state()).expect("saved");
        }
    }
    let mut store = open(&path).expect("open");
    let loaded = store.load().expect("load").expect("a state");
    let json = |s: &crate::runtime::State| doc::state_to_json(s).expect("json");
    assert_eq!(json(&loaded.state), json(runner.engine().state()));
    assert_eq!(loaded.meta, meta);
}

#[test]
fn the_memory_store_keeps_the_last_snapshot() {
    let compilation = compile(PROGRAM);
    let runner = run(&compilation, SCENARIO);
    let meta = meta_of(&compilation.model);
    let mut store = memory();
    assert_eq!(store.path(), None);
    assert_eq!(store.load().expect("load"), None);
    store.save_snapshot(&meta, runner.engine().state()).expect("save");
    let loaded = store.load().expect("load").expect("saved");
    assert_eq!(loaded.state, *runner.engine().state());
}

#[test]
fn documents_that_are_not_states_say_why() {
    let cases = [
        ("", "truncated JSON"),
        ("deal:1", "not valid JSON"),
        ("{\"format\": \"bp-state\"", "truncated JSON"),
        ("[1, 2]", "not a bp state"),
        ("{\"format\": \"other\", \"version\": 1}", "not a bp state"),
        ("{\"format\": \"bp-state\", \"version\": 2}", "schema version 2"),
        ("{\"format\": \"bp-state\", \"version\": 1}", "`state` is missing"),
    ];
    for (text, expected) in cases {
        let error = doc::from_text(text).expect_err(text);
        assert!(error.contains(expected), "{text}: {error}");
    }
}

#[test]
fn paths_choose_the_store_by_extension() {
    use std::path::Path;
    assert_eq!(kind_of(Path::new("crm.db")), Ok(Kind::Sqlite));
    assert_eq!(kind_of(Path::new("a/crm.json")), Ok(Kind::Json));
    assert!(kind_of(Path::new("crm.sqlite")).is_err());
    assert!(kind_of(Path::new("crm")).is_err());
}
