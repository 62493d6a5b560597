//! Suite `run`: scenarios run through `bp run` (SPEC §9, §10, §11), via the library.
//!
//! Each `run/*.bps` is one case. Its leading comment lines say how to run it:
//!
//! ```text
//! # uses: sales.bp            (first line: the program, relative to the scenario)
//! # exit: 1                   (optional: the exit status; default 0, so every expect passes)
//! # until: 2026-03-10 09:00   (optional: `--until`)
//! ```
//!
//! The snapshot holds the exit status, the json effect log (stdout) and stderr. Every case is
//! run twice and must print the same bytes; every stdout line must be a §9 object. The other
//! tests pin the text format, `bp test`'s output, and the exit codes of unreadable files and
//! broken programs. `examples/*.bps` must all pass.

use std::path::{Path, PathBuf};

use bp::cli::run::{Args as RunArgs, Format};
use bp::cli::test::Args as TestArgs;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The leading `# key: value` lines of a scenario.
struct Header {
    uses: Vec<String>,
    exit: u8,
    until: Option<String>,
}

fn header(text: &str, folder: &str) -> Header {
    let mut header = Header { uses: Vec::new(), exit: 0, until: None };
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        let Some((key, value)) = line.trim_start_matches('#').split_once(':') else { continue };
        let value = value.trim();
        match key.trim() {
            "uses" => {
                header.uses = value.split(',').map(|f| format!("{folder}/{}", f.trim())).collect()
            }
            "exit" => header.exit = value.parse().expect("# exit: N"),
            "until" => header.until = Some(value.to_string()),
            _ => {}
        }
    }
    header
}

/// Runs `bp run` in process; returns (exit status, stdout, stderr).
fn run(
    files: Vec<String>,
    scenario: &str,
    format: Format,
    until: Option<&str>,
) -> (u8, String, String) {
    let until = until.map(|u| bp::scenario::parse_datetime_text(u).expect("a moment"));
    let args = RunArgs {
        files,
        scenario: scenario.to_string(),
        format,
        until,
        state: None,
        resume: false,
        migrate: None,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = bp::cli::run::run(args, &mut out, &mut err);
    (code, String::from_utf8(out).expect("utf-8 stdout"), String::from_utf8(err).expect("utf-8"))
}

/// Runs `bp test` in process; returns (exit status, stdout, stderr).
fn test(paths: &[&str]) -> (u8, String, String) {
    let args = TestArgs { paths: paths.iter().map(|p| p.to_string()).collect() };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = bp::cli::test::run(args, &mut out, &mut err);
    (code, String::from_utf8(out).expect("utf-8 stdout"), String::from_utf8(err).expect("utf-8"))
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(PathBuf::from(ROOT).join("tests/golden/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

/// The path of a data file relative to the repository root (tests run from there), so
/// output that names files is the same on every machine.
fn relative(path: &Path) -> String {
    let text = path.to_string_lossy();
    text.strip_prefix(&format!("{ROOT}/")).unwrap_or(&text).to_string()
}

/// Every line of stdout is a §9 object whose first keys are seq, at, kind, entity.
fn assert_effect_lines(stdout: &str, case: &str) {
    let mut previous_seq = 0;
    for line in stdout.lines() {
        let value: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{case}: {e}: {line}"));
        let keys: Vec<&str> =
            value.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys[..4], ["seq", "at", "kind", "entity"], "{case}: {line}");
        let seq = value["seq"].as_u64().expect("seq is a number");
        assert_eq!(seq, previous_seq + 1, "{case}: seq counts from 1 without gaps");
        previous_seq = seq;
    }
}

#[test]
fn scenarios() {
    let settings = settings();
    insta::glob!("run/*.bps", |path| {
        let scenario = relative(path);
        let text = std::fs::read_to_string(path).expect("readable scenario");
        let header = header(&text, "tests/golden/run");
        assert!(!header.uses.is_empty(), "{scenario}: first line `# uses: …`");
        let until = header.until.as_deref();
        let (code, stdout, stderr) = run(header.uses.clone(), &scenario, Format::Json, until);
        let again = run(header.uses.clone(), &scenario, Format::Json, until);
        assert_eq!(
            (code, &stdout, &stderr),
            (again.0, &again.1, &again.2),
            "{scenario}: determinism"
        );
        assert_effect_lines(&stdout, &scenario);
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("name");
        let mut settings = settings.clone();
        settings.set_input_file(path);
        settings.bind(|| {
            insta::assert_snapshot!(
                format!("run@{stem}"),
                format!("--- exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}")
            );
        });
        assert_eq!(code, header.exit, "{scenario}: exit status\n{stderr}");
        if header.exit == 1 {
            assert!(stderr.contains(&format!("{scenario}:")), "{scenario}: stderr names the line");
        }
    });
}

#[test]
fn text_format_shows_the_same_log_for_people() {
    let files = vec!["tests/golden/run/sales.bp".to_string()];
    let scenario = "tests/golden/run/advance_runs_delayed_rules.bps";
    let (code, stdout, stderr) = run(files.clone(), scenario, Format::Text, None);
    assert_eq!(code, 0, "{stderr}");
    let (_, json, _) = run(files, scenario, Format::Json, None);
    assert_eq!(stdout.lines().count(), json.lines().count(), "one line per effect");
    settings().bind(|| insta::assert_snapshot!("run_text_format", stdout));
}

#[test]
fn bp_test_prints_one_line_per_scenario_then_the_totals() {
    let (code, stdout, stderr) = test(&["tests/golden/run/suite"]);
    assert_eq!(code, 1, "a failing scenario fails the run\n{stderr}");
    let last = stdout.lines().last().expect("a totals line");
    assert_eq!(last, "2 passed, 3 failed");
    for line in stdout.lines().take(stdout.lines().count() - 1) {
        assert!(line.starts_with("PASS ") || line.starts_with("FAIL "), "{line}");
    }
    settings().bind(|| {
        insta::assert_snapshot!(
            "run_bp_test_suite",
            format!("--- stdout\n{stdout}--- stderr\n{stderr}")
        )
    });
}

#[test]
fn bp_test_on_a_single_passing_file_exits_0() {
    let (code, stdout, _) = test(&["tests/golden/run/suite/passes.bps"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "PASS tests/golden/run/suite/passes.bps\n1 passed, 0 failed\n")
    );
}

#[test]
fn bp_test_on_a_missing_path_is_a_usage_error() {
    let (code, stdout, stderr) = test(&["tests/golden/run/no_such_folder"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(stderr.contains("no_such_folder"), "{stderr}");
}

#[test]
fn every_example_scenario_passes() {
    let (code, stdout, stderr) = test(&["examples"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.lines().filter(|l| l.starts_with("PASS ")).count() >= 4, "{stdout}");
}

#[test]
fn unreadable_files_exit_2_and_print_nothing_on_stdout() {
    let program = vec!["tests/golden/run/sales.bp".to_string()];
    let (code, stdout, stderr) = run(program, "tests/golden/run/no_such.bps", Format::Json, None);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.contains("no_such.bps"), "{stderr}");
    let missing = vec!["tests/golden/run/no_such.bp".to_string()];
    let scenario = "tests/golden/run/create_and_move_items.bps";
    let (code, stdout, _) = run(missing, scenario, Format::Json, None);
    assert_eq!((code, stdout.as_str()), (2, ""));
}

#[test]
fn a_program_with_errors_exits_1_without_running() {
    let program = vec!["tests/golden/run/suite/broken.bp".to_string()];
    let scenario = "tests/golden/run/create_and_move_items.bps";
    let (code, stdout, stderr) = run(program, scenario, Format::Json, None);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.contains("E0"), "the diagnostics are on stderr: {stderr}");
}

#[test]
fn run_rejects_a_malformed_until_and_unknown_flags() {
    use clap::Parser;
    let parsed = bp::cli::Cli::try_parse_from([
        "bp",
        "run",
        "a.bp",
        "--scenario",
        "s.bps",
        "--until",
        "2026-02-30 10:00",
    ]);
    assert!(parsed.is_err(), "an impossible moment is a usage error");
    let unknown =
        bp::cli::Cli::try_parse_from(["bp", "run", "a.bp", "--scenario", "s.bps", "--bogus"]);
    assert!(unknown.is_err(), "unknown flags are refused");
}
