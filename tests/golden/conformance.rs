//! Suite `conformance`: the engine against SPEC §8, §5, §7 and §9, case by case.
//!
//! Each folder of `tests/conformance/` is one case, in the form of `/work/shared/conformance`
//! (see `tests/conformance/README.md`): the program (`*.bp`, passed in file-name order), a
//! scenario (`scenario.bps`) and `expected.json`. The built binary runs
//! `bp run <the .bp files> --scenario scenario.bps --format json` in the case folder; every
//! stdout line must be one JSON effect, and:
//! - `effects`: patterns that must appear in this order (other effects may come between);
//! - `absent`: patterns that must not appear at all;
//! - `max_count`: `{ "kind": n }`, at most n effects of that kind;
//! - `exit`: the exit status (0 when absent);
//! - `deterministic` (default true): a second run must print the same bytes.
//!
//! A pattern lists keys the effect must have with exactly these values (JSON equality, so
//! `150` does not match `150.0`); a key ending in `~` means "the text contains".
//! Every effect line is also checked against the shape SPEC §9 fixes: the keys `seq`, `at`,
//! `kind`, `entity` first, then exactly the keys of its kind in the table's order, with `seq`
//! counting 1, 2, … from the empty state.
//!
//! All failures are collected and reported together, each with its case and first mismatch.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

/// The cases' folder.
fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("conformance")
}

/// A run that takes longer than this is reported as a hang (a guard, not a timing assertion).
const HANG_GUARD: Duration = Duration::from_secs(120);

/// The keys of each effect kind after `seq`, `at`, `kind`, `entity` (SPEC §9, in order).
fn kind_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "entity_created" => &["title", "pipeline", "stage"],
        "stage" => &["from", "to", "by", "pipeline", "from_pipeline"],
        "notify" => &["to", "text"],
        "history" => &["text", "author", "type"],
        "task_created" => &["task", "title", "assignee", "deadline"],
        "task_completed" => &["task"],
        "activity_created" | "activity_completed" => &["activity", "subject", "responsible", "due"],
        "email" => &["email", "to", "subject", "body"],
        "sms" => &["to", "text"],
        "comment" => &["text", "author"],
        "document_created" | "sign_requested" => &["document", "template", "url"],
        "details_changed" => &["target", "template", "address", "fields"],
        "payment_link" => &["url", "amount"],
        "field_changed" => &["field", "old", "new"],
        "entity_deleted" => &["deleted"],
        "audience" => &["audience"],
        "booking" | "booking_cancelled" => &["field", "start", "duration"],
        "event" => &["event", "source"],
        "rule_cancelled" | "rule_skipped" => &["stage", "rule"],
        "process_started" => &["process", "instance"],
        "process_finished" => &["process", "instance", "reason"],
        "error" => &["message", "rule", "process"],
        _ => return None,
    })
}

/// What one run of `bp run` gave.
struct Output {
    status: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

fn bp_run(dir: &Path) -> Result<Output, String> {
    let mut programs: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("cannot read the case folder: {e}"))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".bp"))
        .collect();
    programs.sort();
    if programs.is_empty() {
        return Err("no .bp file in the case folder".to_string());
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_bp"))
        .arg("run")
        .args(&programs)
        .args(["--scenario", "scenario.bps", "--format", "json"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start bp: {e}"))?;
    let mut out = child.stdout.take().ok_or("no stdout pipe")?;
    let mut err = child.stderr.take().ok_or("no stderr pipe")?;
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > HANG_GUARD => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("bp run did not finish within {}s", HANG_GUARD.as_secs()));
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for bp failed: {e}")),
        }
    };
    let stdout = out_reader.join().map_err(|_| "stdout reader panicked")?;
    let stderr = err_reader.join().map_err(|_| "stderr reader panicked")?;
    Ok(Output { status: status.code(), stdout, stderr: String::from_utf8_lossy(&stderr).into() })
}

/// The expectations of one case.
struct Expected {
    effects: Vec<Map<String, Value>>,
    absent: Vec<Map<String, Value>>,
    max_count: Vec<(String, u64)>,
    exit: i64,
    deterministic: bool,
}

fn patterns(value: Option<&Value>, name: &str) -> Result<Vec<Map<String, Value>>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Object(map) => Ok(map.clone()),
                other => Err(format!("`{name}` holds a non-object pattern: {other}")),
            })
            .collect(),
        Some(other) => Err(format!("`{name}` must be an array, not {other}")),
    }
}

fn read_expected(dir: &Path) -> Result<Expected, String> {
    let text = fs::read_to_string(dir.join("expected.json"))
        .map_err(|e| format!("cannot read expected.json: {e}"))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("expected.json is not JSON: {e}"))?;
    let object = json.as_object().ok_or("expected.json is not an object")?;
    for key in object.keys() {
        if !["effects", "absent", "max_count", "exit", "deterministic"].contains(&key.as_str()) {
            return Err(format!("expected.json has an unknown key `{key}`"));
        }
    }
    let max_count = match object.get("max_count") {
        None => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(kind, n)| {
                n.as_u64()
                    .map(|n| (kind.clone(), n))
                    .ok_or_else(|| format!("max_count of `{kind}` is not a count: {n}"))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("`max_count` must be an object, not {other}")),
    };
    Ok(Expected {
        effects: patterns(object.get("effects"), "effects")?,
        absent: patterns(object.get("absent"), "absent")?,
        max_count,
        exit: object.get("exit").and_then(Value::as_i64).unwrap_or(0),
        deterministic: object.get("deterministic").and_then(Value::as_bool).unwrap_or(true),
    })
}

/// Whether `effect` has every key of `pattern` with its value (`key~`: contains the text).
fn matches(effect: &Map<String, Value>, pattern: &Map<String, Value>) -> bool {
    pattern.iter().all(|(key, want)| match key.strip_suffix('~') {
        Some(key) => match (effect.get(key), want) {
            (Some(Value::String(have)), Value::String(want)) => have.contains(want.as_str()),
            _ => false,
        },
        None => effect.get(key) == Some(want),
    })
}

fn show(map: &Map<String, Value>) -> String {
    Value::Object(map.clone()).to_string()
}

/// The §9 shape of one effect line: first keys, kind keys in order, consecutive `seq`.
fn shape_error(effect: &Map<String, Value>, index: usize) -> Option<String> {
    let keys: Vec<&str> = effect.keys().map(String::as_str).collect();
    if keys.len() < 4 || keys[..4] != ["seq", "at", "kind", "entity"] {
        return Some(format!("effect #{} does not start with seq, at, kind, entity", index + 1));
    }
    if effect.get("seq").and_then(Value::as_u64) != Some(index as u64 + 1) {
        return Some(format!(
            "effect #{} has seq {} (expected {})",
            index + 1,
            effect["seq"],
            index + 1
        ));
    }
    let kind = effect.get("kind").and_then(Value::as_str).unwrap_or("");
    let Some(expected) = kind_keys(kind) else {
        return Some(format!("effect #{} has an unknown kind `{kind}`", index + 1));
    };
    if keys[4..] != *expected {
        return Some(format!(
            "effect #{} ({kind}) has keys {:?} after entity; SPEC §9 lists {:?}",
            index + 1,
            &keys[4..],
            expected
        ));
    }
    None
}

/// Checks one case; the first mismatch of each kind of expectation is reported.
fn check_case(dir: &Path) -> Vec<String> {
    let expected = match read_expected(dir) {
        Ok(expected) => expected,
        Err(e) => return vec![e],
    };
    let first = match bp_run(dir) {
        Ok(output) => output,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let stderr_head = || {
        let lines: Vec<&str> = first
            .stderr
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .take(6)
            .collect();
        if lines.is_empty() {
            String::new()
        } else {
            format!("\n      stderr: {}", lines.join("\n              "))
        }
    };
    if first.status != Some(expected.exit as i32) {
        problems.push(format!(
            "exit status {:?}, expected {}{}",
            first.status,
            expected.exit,
            stderr_head()
        ));
    }
    let text = String::from_utf8_lossy(&first.stdout);
    let mut effects = Vec::new();
    for (n, line) in text.lines().enumerate() {
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => effects.push(map),
            _ => {
                problems.push(format!("stdout line {} is not a JSON object: {line}", n + 1));
                return problems;
            }
        }
    }
    if let Some(error) = effects.iter().enumerate().find_map(|(i, e)| shape_error(e, i)) {
        problems.push(error);
    }
    // `effects`: an ordered subsequence.
    let mut cursor = 0;
    for (i, pattern) in expected.effects.iter().enumerate() {
        match effects[cursor..].iter().position(|e| matches(e, pattern)) {
            Some(offset) => cursor += offset + 1,
            None => {
                let kind = pattern.get("kind").and_then(Value::as_str);
                let same_kind: Vec<String> = effects[cursor..]
                    .iter()
                    .filter(|e| kind.is_none() || e.get("kind").and_then(Value::as_str) == kind)
                    .take(4)
                    .map(show)
                    .collect();
                let anywhere = effects.iter().position(|e| matches(e, pattern));
                problems.push(format!(
                    "effect pattern #{} {} not found{}{}; candidates of that kind there: {}{}",
                    i + 1,
                    show(pattern),
                    if cursor > 0 {
                        format!(" after seq {}", effects[cursor - 1]["seq"])
                    } else {
                        String::new()
                    },
                    match anywhere {
                        Some(at) => format!(" (it is at seq {}, out of order)", effects[at]["seq"]),
                        None => String::new(),
                    },
                    if same_kind.is_empty() { "none".to_string() } else { same_kind.join(" | ") },
                    if problems.is_empty() { stderr_head() } else { String::new() }
                ));
                break;
            }
        }
    }
    for pattern in &expected.absent {
        if let Some(found) = effects.iter().find(|e| matches(e, pattern)) {
            problems.push(format!("absent pattern {} matched {}", show(pattern), show(found)));
        }
    }
    for (kind, max) in &expected.max_count {
        let count = effects
            .iter()
            .filter(|e| e.get("kind").and_then(Value::as_str) == Some(kind.as_str()))
            .count() as u64;
        if count > *max {
            problems.push(format!("{count} effects of kind `{kind}`, at most {max} expected"));
        }
    }
    if expected.deterministic {
        match bp_run(dir) {
            Ok(second) if second.stdout != first.stdout => {
                problems.push("a second run printed different bytes".to_string())
            }
            Ok(_) => {}
            Err(e) => problems.push(format!("second run: {e}")),
        }
    }
    problems
}

#[test]
fn conformance_cases() {
    let root = cases_dir();
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 48, "expected at least 48 conformance cases, found {}", dirs.len());
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for problem in check_case(dir) {
            failures.push(format!("{name}: {problem}"));
        }
    }
    let failed_cases = {
        let mut names: Vec<&str> = failures.iter().filter_map(|f| f.split(':').next()).collect();
        names.dedup();
        names.len()
    };
    assert!(
        failures.is_empty(),
        "{failed_cases} of {} conformance cases failed:\n  {}",
        dirs.len(),
        failures.join("\n  ")
    );
}

#[test]
fn conformance_patterns_follow_the_readme() {
    let object = |text: &str| match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        other => panic!("bad test object {text}: {other:?}"),
    };
    let effect = object(
        r#"{"seq":3,"at":"2026-01-05T09:00:00+00:00","kind":"email","entity":"deal:1",
            "email":"email:1","to":"lia@example.com","subject":"Welcome","body":"Pay 300.00 here: x"}"#,
    );
    let table = [
        (r#"{"kind":"email"}"#, true),
        (r#"{"kind":"email","body~":"Pay 300.00 here: "}"#, true),
        (r#"{"kind":"email","body":"Pay 300.00 here: "}"#, false),
        (r#"{"kind":"email","subject~":"welcome"}"#, false),
        (r#"{"kind":"notify"}"#, false),
        (r#"{"kind":"email","cc":null}"#, false),
        (r#"{"seq":3.0}"#, false),
    ];
    for (pattern, expected) in table {
        assert_eq!(matches(&effect, &object(pattern)), expected, "{pattern}");
    }
    assert_eq!(shape_error(&effect, 2), None);
    assert!(shape_error(&effect, 0).is_some(), "seq 3 is not the first effect");
    let reordered =
        object(r#"{"seq":1,"at":"x","kind":"notify","entity":null,"text":"hi","to":"user:bob"}"#);
    assert!(shape_error(&reordered, 0).is_some(), "notify keys are to, text");
}
