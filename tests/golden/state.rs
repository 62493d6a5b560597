//! Suite `state`: file-backed CRM state (SPEC §13) through the built `bp` binary.
//!
//! Data in `state/`: `crm.bp` (timers that outlive a run, a waiting process, a trigger),
//! `whole.bps` and its halves `first.bps` / `second.bps`, and later versions of the program
//! (`crm_v2.bp`: declarations added and reordered, one rule replaced; `crm_v3.bp`: a stage
//! renamed) with `second_v2.bps`.
//!
//! - two runs of the halves on one `.db` / `.json` state equal one run of the whole;
//! - `--resume` skips what the state already applied; a `bp run` killed (SIGKILL) at random
//!   moments leaves a state that opens, and resuming gives the uninterrupted run's state;
//! - bad state files: exit 2, one line naming the file, the file untouched;
//! - another program version: the pending rule it lost is an error unless `--migrate`;
//! - `bp state export` / `bp state import` round trips.
//!
//! Nothing here asserts timing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BP: &str = env!("CARGO_BIN_EXE_bp");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn data(name: &str) -> String {
    format!("{ROOT}/tests/golden/state/{name}")
}

/// Runs the binary; returns (exit status, stdout, stderr).
fn bp(args: &[&str]) -> (i32, String, String) {
    let output: Output =
        Command::new(BP).args(args).env("NO_COLOR", "1").output().expect("the bp binary runs");
    let code = output.status.code().expect("exited normally");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "bp {args:?} panicked:\n{stderr}");
    (code, String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
}

fn bp_owned(args: &[String]) -> (i32, String, String) {
    bp(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `bp run crm.bp --scenario S --format json [extra…]`, which must succeed; its stdout.
fn run_ok(program: &str, scenario: &str, extra: &[&str]) -> String {
    let (program, scenario) = (data(program), data(scenario));
    let mut args = vec!["run", &program, "--scenario", &scenario, "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = bp(&args);
    assert_eq!(code, 0, "bp {args:?}\n{err}");
    out
}

/// `bp state export PATH`, parsed.
fn export(path: &Path) -> Value {
    let (code, out, err) = bp(&["state", "export", path_str(path)]);
    assert_eq!(code, 0, "export {}: {err}", path.display());
    serde_json::from_str(&out).expect("export prints one JSON document")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

/// The exported state without what legitimately differs between one run and two runs of the
/// same commands: the texts `why` shows (`line 3: advance 1 day`) and per-scenario progress.
fn comparable(mut doc: Value) -> Value {
    if let Some(state) = doc.get_mut("state").and_then(Value::as_object_mut) {
        state.remove("origins");
    }
    if let Some(doc) = doc.as_object_mut() {
        doc.remove("scenarios");
    }
    doc
}

fn insta_settings(dir: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(PathBuf::from(ROOT).join("tests/golden/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.add_filter(&regex_escape(path_str(dir)), "[TMP]");
    settings.add_filter(&regex_escape(ROOT), "[ROOT]");
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

// -- two runs equal one run ------------------------------------------------------------------

fn two_runs_equal_one_run(ext: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let whole = run_ok("crm.bp", "whole.bps", &[]);
    let two = dir.path().join(format!("two.{ext}"));
    let first = run_ok("crm.bp", "first.bps", &["--state", path_str(&two)]);
    let middle = export(&two);
    let jobs = middle["state"]["queue"]["jobs"].as_array().map_or(0, Vec::len);
    let waiting = middle["state"]["processes"].as_object().map_or(0, |p| p.len());
    assert!(jobs >= 3 && waiting == 2, "the split leaves timers pending and processes waiting");
    let second = run_ok("crm.bp", "second.bps", &["--state", path_str(&two)]);
    assert_eq!(format!("{first}{second}"), whole, "the halves print the whole's effects");
    let seqs: Vec<u64> = second
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json")["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs.first().copied(), Some(first.lines().count() as u64 + 1), "seq continues");

    let one = dir.path().join(format!("one.{ext}"));
    let once = run_ok("crm.bp", "whole.bps", &["--state", path_str(&one)]);
    assert_eq!(once, whole);
    assert_eq!(comparable(export(&two)), comparable(export(&one)), "same final state");
    let final_doc = export(&two);
    assert_eq!(final_doc["state"]["queue"]["jobs"].as_array().map(Vec::len), Some(0));
    assert_eq!(final_doc["state"]["processes"].as_object().map(|p| p.len()), Some(0));
}

#[test]
fn two_runs_on_a_sqlite_state_equal_one_run() {
    two_runs_equal_one_run("db");
}

#[test]
fn two_runs_on_a_json_state_equal_one_run() {
    two_runs_equal_one_run("json");
}

#[test]
fn resume_skips_the_commands_already_applied() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("crm.db");
    let whole = run_ok("crm.bp", "whole.bps", &["--state", path_str(&state)]);
    // Resuming a finished scenario applies nothing and prints nothing.
    let again = run_ok("crm.bp", "whole.bps", &["--state", path_str(&state), "--resume"]);
    assert_eq!(again, "");
    let doc = export(&state);
    let applied: Vec<u64> = doc["scenarios"]
        .as_object()
        .expect("scenarios")
        .values()
        .map(|p| p["applied"].as_u64().expect("applied"))
        .collect();
    let commands = std::fs::read_to_string(data("whole.bps"))
        .expect("whole.bps")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count() as u64;
    assert_eq!(applied, vec![commands]);
    assert_eq!(doc["state"]["effects"].as_array().map(Vec::len), Some(whole.lines().count()));
    // Without --resume, the same scenario runs again on the state (and fails: `clock` after
    // the state changed), keeping the state as it was.
    let (code, out, err) = bp(&[
        "run",
        &data("crm.bp"),
        "--scenario",
        &data("whole.bps"),
        "--state",
        path_str(&state),
    ]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("`clock` after a command that changed the state"), "{err}");
    assert_eq!(comparable(export(&state)), comparable(doc));
}

#[test]
fn resume_needs_a_state() {
    let (code, _, err) =
        bp(&["run", &data("crm.bp"), "--scenario", &data("whole.bps"), "--resume"]);
    assert_eq!(code, 2, "{err}");
}

// -- kill -9 ---------------------------------------------------------------------------------

/// A long scenario: many small commands, timers firing along the way.
fn long_scenario(deals: usize) -> String {
    let mut text = String::from(
        "clock 2026-03-02 09:00 Europe/Paris\nuser bob \"Bob Durand\"\n\
         user alice \"Alice Martin\" { supervisor: @bob }\n",
    );
    for i in 1..=deals {
        text.push_str(&format!(
            "create deal d{i} {{ title: \"Deal {i}\", amount: {}, responsible: @alice }}\n",
            i * 10
        ));
        if i % 3 == 0 {
            text.push_str(&format!("move d{i} to discussion\n"));
        }
        if i % 5 == 0 {
            text.push_str("advance 37 minutes\n");
        }
    }
    text.push_str("advance 3 days\n");
    text
}

/// SplitMix64, for reproducible kill delays.
struct Prng(u64);

impl Prng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn applied(doc: &Value) -> u64 {
    doc["scenarios"]
        .as_object()
        .and_then(|s| s.values().next())
        .map_or(0, |p| p["applied"].as_u64().expect("applied"))
}

fn killed_runs_resume_to_the_uninterrupted_state(ext: &str, iterations: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let scenario = dir.path().join("long.bps");
    std::fs::write(&scenario, long_scenario(600)).expect("write the scenario");
    let program = data("crm.bp");
    let args = |state: &Path, resume: bool| {
        let mut args = vec![
            "run".to_string(),
            program.clone(),
            "--scenario".into(),
            path_str(&scenario).into(),
            "--state".into(),
            path_str(state).into(),
        ];
        if resume {
            args.push("--resume".into());
        }
        args
    };

    let reference = dir.path().join(format!("reference.{ext}"));
    let (code, _, err) = bp_owned(&args(&reference, false));
    assert_eq!(code, 0, "{err}");
    let expected = export(&reference);

    let state = dir.path().join(format!("killed.{ext}"));
    let mut prng = Prng(0x5EED);
    let mut progress = 0;
    for _ in 0..iterations {
        let mut child = Command::new(BP)
            .args(args(&state, true))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn bp run");
        let delay = 20 + prng.next() % 400;
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if !state.exists() {
            continue; // killed before the first command was saved
        }
        // The state opens, is consistent, and never goes back.
        let doc = export(&state);
        let now = applied(&doc);
        assert!(now >= progress, "progress went back from {progress} to {now}");
        progress = now;
        let effects = doc["state"]["effects"].as_array().expect("effects");
        let last_seq = doc["state"]["last_seq"].as_u64().expect("last_seq");
        assert_eq!(effects.len() as u64, last_seq, "the effect log matches its seq");
    }
    let (code, _, err) = bp_owned(&args(&state, true));
    assert_eq!(code, 0, "{err}");
    let finished = export(&state);
    assert_eq!(finished["state"]["effects"], expected["state"]["effects"], "same effect log");
    assert_eq!(finished, expected, "same final state");
    let mut leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read the directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("killed") && name != &format!("killed.{ext}"))
        .filter(|name| !name.ends_with(".tmp") && !name.contains(".tmp-"))
        .collect();
    leftovers.sort();
    assert_eq!(leftovers, Vec::<String>::new(), "no side files after a clean end");
}

#[cfg(unix)]
#[test]
fn a_killed_sqlite_run_resumes_to_the_uninterrupted_state() {
    killed_runs_resume_to_the_uninterrupted_state("db", 14);
}

#[cfg(unix)]
#[test]
fn a_killed_json_run_resumes_to_the_uninterrupted_state() {
    killed_runs_resume_to_the_uninterrupted_state("json", 6);
}

// -- bad state files ---------------------------------------------------------------------------

/// A valid state of each kind, for corrupting.
fn valid_state(dir: &Path, ext: &str) -> PathBuf {
    let path = dir.join(format!("valid.{ext}"));
    run_ok("crm.bp", "first.bps", &["--state", path_str(&path)]);
    path
}

/// One bad file: its name and how to make it.
fn bad_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let db = std::fs::read(valid_state(dir, "db")).expect("valid db");
    let json = std::fs::read(valid_state(dir, "json")).expect("valid json");
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.db", db[..db.len() / 2].to_vec()),
        ("truncated_header.db", db[..60].to_vec()),
        ("not_sqlite.db", b"hello, this is not a database\n".repeat(20)),
        ("empty.db", Vec::new()),
        ("json_in_a.db", json.clone()),
        ("truncated.json", json[..json.len() / 2].to_vec()),
        ("not_json.json", b"deal:1 is in stage new\n".to_vec()),
        ("empty.json", Vec::new()),
        ("another_document.json", b"{\"name\": \"package\", \"version\": 1}\n".to_vec()),
        ("invalid_utf8.json", vec![b'{', 0xff, 0xfe, b'}']),
    ];
    let wrong_version = String::from_utf8(json.clone()).expect("utf-8").replacen(
        "\"version\": 1,",
        "\"version\": 99,",
        1,
    );
    cases.push(("wrong_version.json", wrong_version.into_bytes()));
    let mut out: Vec<(String, PathBuf)> = cases
        .into_iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).expect("write a bad file");
            (name.to_string(), path)
        })
        .collect();
    // SQLite files that are not ours, or not of this version.
    let foreign = dir.join("another_tool.db");
    let conn = rusqlite::Connection::open(&foreign).expect("sqlite");
    conn.execute_batch("CREATE TABLE contacts(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO contacts(name) VALUES ('Jean');")
        .expect("create");
    drop(conn);
    out.push(("another_tool.db".into(), foreign));
    let other_meta = dir.join("another_meta.db");
    let conn = rusqlite::Connection::open(&other_meta).expect("sqlite");
    conn.execute_batch("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('format', '\"other\"');")
        .expect("create");
    drop(conn);
    out.push(("another_meta.db".into(), other_meta));
    let wrong = dir.join("wrong_version.db");
    std::fs::copy(dir.join("valid.db"), &wrong).expect("copy");
    let conn = rusqlite::Connection::open(&wrong).expect("sqlite");
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'version'", []).expect("update");
    conn.pragma_update(None, "journal_mode", "DELETE").expect("journal mode");
    drop(conn);
    out.push(("wrong_version.db".into(), wrong));
    for name in ["directory.db", "directory.json"] {
        let path = dir.join(name);
        std::fs::create_dir(&path).expect("mkdir");
        out.push((name.to_string(), path));
    }
    out
}

/// Every file under `path` (a file, or a directory's entries) with its bytes.
fn contents(path: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    if path.is_dir() {
        let mut all: Vec<_> = std::fs::read_dir(path)
            .expect("read dir")
            .filter_map(|e| e.ok())
            .map(|e| (e.path(), std::fs::read(e.path()).unwrap_or_default()))
            .collect();
        all.sort();
        all
    } else {
        vec![(path.to_path_buf(), std::fs::read(path).expect("read"))]
    }
}

#[test]
fn bad_state_files_are_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut report = String::new();
    for (name, path) in bad_files(dir.path()) {
        let before = contents(&path);
        let siblings = std::fs::read_dir(dir.path()).expect("read dir").count();
        let (code, out, err) = bp(&[
            "run",
            &data("crm.bp"),
            "--scenario",
            &data("second.bps"),
            "--state",
            path_str(&path),
        ]);
        assert_eq!((code, out.as_str()), (2, ""), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line\n{err}");
        assert!(err.starts_with("error: state file `"), "{name}: names the file\n{err}");
        assert!(err.contains(path_str(&path)), "{name}: names the file\n{err}");
        let (code, _, export_err) = bp(&["state", "export", path_str(&path)]);
        assert_eq!(code, 2, "{name}: export\n{export_err}");
        assert_eq!(export_err, err, "{name}: export says the same");
        assert_eq!(contents(&path), before, "{name}: the file is untouched");
        let after = std::fs::read_dir(dir.path()).expect("read dir").count();
        assert_eq!(after, siblings, "{name}: no file created beside it");
        report.push_str(&format!("{name}\n  {err}"));
    }
    let mut settings = insta_settings(dir.path());
    // The sizes depend on the schema, not on the behaviour.
    settings.add_filter(
        r"\(\d+ bytes; its header says \d+ bytes\)",
        "(N bytes; its header says M bytes)",
    );
    settings.bind(|| insta::assert_snapshot!("state@bad_files", report));
}

#[cfg(unix)]
#[test]
fn an_unreadable_state_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a temporary directory");
    for ext in ["db", "json"] {
        let path = valid_state(dir.path(), ext);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if std::fs::read(&path).is_ok() {
            // Root reads anything: nothing to test here.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            continue;
        }
        let (code, _, err) = bp(&["state", "export", path_str(&path)]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("cannot be read: permission denied"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
}

#[test]
fn a_state_path_must_end_in_db_or_json() {
    let (code, _, err) =
        bp(&["run", &data("crm.bp"), "--scenario", &data("first.bps"), "--state", "crm.sqlite"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("must end in `.db` (SQLite) or `.json` (JSON)"), "{err}");
}

#[test]
fn a_locked_sqlite_state_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = valid_state(dir.path(), "db");
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;").expect("lock");
    let (code, _, err) = bp(&["state", "export", path_str(&path)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("in use by another process"), "{err}");
    conn.execute_batch("COMMIT;").expect("unlock");
}

// -- another program version ---------------------------------------------------------------

/// Runs `second_v2.bps` with `program` on a copy of the state `first.bps` left.
fn migrate_case(
    dir: &Path,
    program: &str,
    migrate: Option<&str>,
) -> (i32, String, String, PathBuf) {
    let name = format!("{program}-{}.db", migrate.unwrap_or("none"));
    let state = dir.join(name);
    run_ok("crm.bp", "first.bps", &["--state", path_str(&state)]);
    let before = std::fs::read(&state).expect("state");
    let (program, scenario) = (data(program), data("second_v2.bps"));
    let mut args = vec!["run", &program, "--scenario", &scenario, "--format", "json"];
    args.extend(["--state", path_str(&state)]);
    if let Some(m) = migrate {
        args.extend(["--migrate", m]);
    }
    let (code, out, err) = bp(&args);
    if code != 0 {
        assert_eq!(std::fs::read(&state).expect("state"), before, "an error leaves the state");
    }
    (code, out, err, state)
}

#[test]
fn a_lost_rule_with_pending_jobs_needs_migrate() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut report = String::new();
    for (program, migrate) in [
        ("crm_v2.bp", None),
        ("crm_v2.bp", Some("drop")),
        ("crm_v2.bp", Some("keep")),
        ("crm_v3.bp", Some("drop")),
    ] {
        let (code, out, err, state) = migrate_case(dir.path(), program, migrate);
        let flag = migrate.map_or(String::new(), |m| format!(" --migrate {m}"));
        report.push_str(&format!(
            "$ bp run {program} --scenario second_v2.bps --state S{flag}\n--- exit: {code}\n\
             --- stdout\n{out}--- stderr\n{err}\n"
        ));
        match (program, migrate) {
            ("crm_v2.bp", None) | ("crm_v3.bp", _) => assert_eq!(code, 2, "{err}"),
            (_, Some(m)) => {
                assert_eq!(code, 0, "{err}");
                let doc = export(&state);
                let inert = doc["inert"].as_array().map_or(0, Vec::len);
                assert_eq!(inert, usize::from(m == "keep"), "keep keeps the job, inert");
                assert!(err.contains("deal:1: rule `after 1 day` of stage `sales.new`"), "{err}");
                assert_eq!(doc["symbols"]["pipelines"][0]["name"], "leads", "the new program's");
            }
            _ => unreachable!(),
        }
    }
    insta_settings(dir.path()).bind(|| insta::assert_snapshot!("state@migrate", report));
}

#[test]
fn an_unchanged_program_with_another_hash_needs_no_migration() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("crm.json");
    run_ok("crm.bp", "first.bps", &["--state", path_str(&state)]);
    // The same declarations with a comment added: another hash, the same symbols.
    let program = dir.path().join("crm_commented.bp");
    let text = std::fs::read_to_string(data("crm.bp")).expect("crm.bp");
    std::fs::write(&program, format!("// A comment changes the hash.\n{text}")).expect("write");
    let scenario = data("second.bps");
    let (code, out, err) = bp(&[
        "run",
        path_str(&program),
        "--scenario",
        &scenario,
        "--state",
        path_str(&state),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let whole = run_ok("crm.bp", "whole.bps", &[]);
    assert!(whole.ends_with(&out), "the second half's effects");
}

// -- export / import -------------------------------------------------------------------------

#[test]
fn export_import_round_trips_between_sqlite_and_json() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("a.db");
    run_ok("crm.bp", "first.bps", &["--state", path_str(&db)]);
    let (code, first, err) = bp(&["state", "export", path_str(&db)]);
    assert_eq!(code, 0, "{err}");
    let exported = dir.path().join("exported.json");
    std::fs::write(&exported, &first).expect("write");

    let json = dir.path().join("b.json");
    let (code, out, err) = bp(&["state", "import", path_str(&exported), path_str(&json)]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (_, second, _) = bp(&["state", "export", path_str(&json)]);
    assert_eq!(second, first, ".db → .json");
    assert_eq!(std::fs::read_to_string(&json).expect("b.json"), first, "the file is the export");

    let back = dir.path().join("c.db");
    let (code, _, err) = bp(&["state", "import", path_str(&json), path_str(&back)]);
    assert_eq!(code, 0, "{err}");
    let (_, third, _) = bp(&["state", "export", path_str(&back)]);
    assert_eq!(third, first, ".db → .json → .db");

    // The imported state runs on: the second half gives the whole's effects.
    let rest = run_ok("crm.bp", "second.bps", &["--state", path_str(&back)]);
    let whole = run_ok("crm.bp", "whole.bps", &[]);
    assert!(whole.ends_with(&rest) && !rest.is_empty());

    // Import never overwrites; a missing state is an error.
    let (code, _, err) = bp(&["state", "import", path_str(&exported), path_str(&db)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already exists"), "{err}");
    let missing = dir.path().join("missing.db");
    let (code, _, err) = bp(&["state", "export", path_str(&missing)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(!missing.exists(), "export creates nothing");
}

// -- every conformance case, split and reloaded ----------------------------------------------

/// Saves after each command, as `bp run --state` does.
struct Saver<'a>(&'a mut bp::store::Session);

impl bp::scenario::Observer for Saver<'_> {
    fn applied(&mut self, runner: &bp::scenario::Runner, index: usize) -> Result<(), String> {
        self.0.command_done(runner, Some(index)).map_err(|e| e.to_string())
    }
}

/// Runs `commands[range]` of a scenario on the state at `path` (a new session); returns the
/// state's canonical JSON after the session finished.
fn run_part(
    compilation: &bp::Compilation,
    name: &str,
    text: &str,
    path: &Path,
    range: std::ops::Range<usize>,
) {
    let mut session =
        bp::store::Session::open(path, &compilation.model, None).expect("the state opens");
    let mut runner = session.runner(compilation);
    let file = runner.add_source(name, text);
    let commands = runner.parse(file);
    let end = range.end.min(commands.len());
    session.begin_scenario(text, true);
    let _ = runner.run_all(&commands[..end], range.start, &mut Saver(&mut session));
    session.finish(&runner).expect("the state is written");
}

/// Every conformance case, run in memory, and run in two halves on a `.db` and on a `.json`
/// state with a reload between them, ends in the same state: the incremental SQLite saves,
/// the canonical queue and the reload lose nothing.
#[test]
fn every_conformance_case_survives_a_reload_halfway() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = PathBuf::from(ROOT).join("tests/conformance");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/conformance")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("scenario.bps").exists())
        .collect();
    cases.sort();
    assert!(cases.len() > 50, "the conformance corpus is there");
    let mut checked = 0;
    for case in cases {
        let mut programs: Vec<PathBuf> = std::fs::read_dir(&case)
            .expect("case folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "bp"))
            .collect();
        programs.sort();
        let files: Vec<(String, String)> = programs
            .iter()
            .map(|p| (p.display().to_string(), std::fs::read_to_string(p).expect("program")))
            .collect();
        let compilation = bp::compile(&files);
        if compilation.has_errors() {
            continue;
        }
        let name = case.join("scenario.bps").display().to_string();
        let text = std::fs::read_to_string(case.join("scenario.bps")).expect("scenario");

        let mut memory = bp::scenario::Runner::new(&compilation);
        let file = memory.add_source(name.clone(), text.clone());
        let commands = memory.parse(file);
        struct Quiet;
        impl bp::scenario::Observer for Quiet {}
        let _ = memory.run_all(&commands, 0, &mut Quiet);
        let expected = bp::store::doc::state_to_json(memory.engine().state()).expect("json");
        let half = commands.len() / 2;

        let case_name = case.file_name().and_then(|n| n.to_str()).expect("name").to_string();
        for ext in ["db", "json"] {
            let path = dir.path().join(format!("{case_name}.{ext}"));
            run_part(&compilation, &name, &text, &path, 0..half);
            run_part(&compilation, &name, &text, &path, half..usize::MAX);
            let mut store = bp::store::open(&path).expect("open");
            let snapshot = store.load().expect("load").expect("a state");
            let got = bp::store::doc::state_to_json(&snapshot.state).expect("json");
            assert!(got == expected, "{case_name} ({ext}): the reloaded state differs");
        }
        checked += 1;
    }
    assert!(checked > 50, "only {checked} cases checked");
}

#[test]
fn a_failed_command_keeps_the_commands_before_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for ext in ["db", "json"] {
        let state = dir.path().join(format!("crm.{ext}"));
        let args = |resume: bool| {
            let mut args = vec![
                "run".to_string(),
                data("crm.bp"),
                "--scenario".into(),
                data("fails_halfway.bps"),
                "--state".into(),
                path_str(&state).into(),
                "--format".into(),
                "json".into(),
            ];
            if resume {
                args.push("--resume".into());
            }
            args
        };
        let (code, out, err) = bp_owned(&args(false));
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("expect failed"), "{err}");
        let doc = export(&state);
        assert_eq!(applied(&doc), 5, "the five commands before the failed expect");
        let effects = doc["state"]["effects"].as_array().map_or(0, Vec::len);
        assert_eq!(effects, out.lines().count(), "every printed effect is in the state");
        assert!(doc["aliases"]["d1"] == "deal:1");
        // Resuming starts at the failed line, which fails again; nothing is applied twice.
        let (code, out, _) = bp_owned(&args(true));
        assert_eq!((code, out.as_str()), (1, ""));
        assert_eq!(export(&state), doc);
    }
}
