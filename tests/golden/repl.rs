//! Suite `repl`: the REPL (SPEC §12) through its `Session` API (one input in, one `Reply`
//! out), its completion candidates, the real binary on a pipe and on a pseudo-terminal.
//!
//! Each `repl/*.repl` is a transcript to replay: one input per line (a line with an open `{`
//! continues on the next ones, as at the prompt). An optional first line
//! `# args: FILE…` gives the files `bp repl` starts with (paths from the repository root). A
//! line ending in `<tab>` is not sent: the completion candidates of the text before the
//! marker are shown instead. The snapshot shows each input (`> `, continuation lines `. `)
//! followed by its reply, both streams in order, without colour.
//!
//! Every transcript is replayed twice and must give the same bytes, and every input that
//! fails must leave the CRM state exactly as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bp::repl::complete;
use bp::repl::{Options, Session};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const TAB: &str = "<tab>";

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(PathBuf::from(ROOT).join("tests/golden/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

/// The `# args:` line of a transcript.
fn args_of(text: &str) -> Vec<String> {
    let first = text.lines().next().unwrap_or("");
    match first.strip_prefix("# args:") {
        Some(args) => args.split_whitespace().map(String::from).collect(),
        None => Vec::new(),
    }
}

fn state_json(session: &Session) -> String {
    serde_json::to_string(session.runner().engine().state()).expect("a state serialises")
}

/// Replays a transcript; returns the text of the snapshot.
fn replay(text: &str, name: &str) -> String {
    let options = Options { files: args_of(text), ..Options::default() };
    let (mut session, reply) = Session::start(options).expect("the session starts");
    let mut transcript = String::new();
    if !reply.lines.is_empty() {
        transcript.push_str("(start)\n");
        transcript.push_str(&reply.text());
    }
    let mut pending = String::new();
    for line in text.lines() {
        if pending.is_empty() && line.starts_with("# args:") {
            continue;
        }
        if pending.is_empty() && line.trim().is_empty() {
            continue;
        }
        if let Some(before) = line.strip_suffix(TAB) {
            let index = session.completion_index();
            let completion = complete::complete(&index, before, before.len());
            transcript.push_str(&format!("> {line}\n{}\n", completion.candidates.join("  ")));
            continue;
        }
        let marker = if pending.is_empty() { "> " } else { ". " };
        transcript.push_str(&format!("{marker}{line}\n"));
        pending.push_str(line);
        pending.push('\n');
        if Session::needs_more(&pending) {
            continue;
        }
        let input = std::mem::take(&mut pending);
        let before = state_json(&session);
        let reply = session.eval(&input);
        if reply.failed {
            assert_eq!(
                before,
                state_json(&session),
                "{name}: `{input}` failed but changed the state"
            );
        }
        transcript.push_str(&reply.text());
        if reply.quit {
            transcript.push_str("(quit)\n");
            break;
        }
    }
    assert!(pending.is_empty(), "{name}: the transcript ends inside a block");
    transcript
}

#[test]
fn transcripts() {
    let settings = settings();
    insta::glob!("repl/*.repl", |path| {
        let name = path.file_name().and_then(|s| s.to_str()).expect("name").to_string();
        let text = std::fs::read_to_string(path).expect("a readable transcript");
        let transcript = replay(&text, &name);
        assert_eq!(transcript, replay(&text, &name), "{name}: determinism");
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("stem");
        let mut settings = settings.clone();
        settings.set_input_file(path);
        settings.bind(|| insta::assert_snapshot!(format!("repl@{stem}"), transcript));
    });
}

/// The story of the issue: load the example, create a deal, advance a day, see the
/// supervisor's notification, ask why, and complete stage names.
#[test]
fn the_employee_control_story_explains_the_supervisor_notification() {
    let path = Path::new(ROOT).join("tests/golden/repl/employee_control_story.repl");
    let text = std::fs::read_to_string(path).expect("the story transcript");
    let transcript = replay(&text, "employee_control_story.repl");
    assert!(transcript.contains(r#"notify to="user:bob" text="Alice Martin has not moved Boiler"#));
    let why = transcript.split("> why 5\n").nth(1).expect("the story asks `why 5`");
    assert!(why.contains("← rule `after 1 day unless moved` of stage sales.new"), "{why}");
    assert!(why.contains("examples/employee_control.bp:41"), "{why}");
    assert!(why.contains("← command at 2026-03-02 09:00: input "), "{why}");
    assert!(transcript.contains("> move d1 to <tab>\nnew  discussion  prepayment  won  lost\n"));
}

/// `--state`: a JSON state is rewritten after each command; a new session on the file has
/// the effects, the clock and the aliases.
#[test]
fn a_json_state_is_saved_after_each_command_and_reopened() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let state = dir.path().join("crm.json");
    let options = || Options {
        files: vec!["examples/employee_control.bp".to_string()],
        state: Some(state.clone()),
        ..Options::default()
    };
    let (mut session, _) = Session::start(options()).expect("starts");
    for input in [
        "clock 2026-03-02 09:00 Europe/Paris",
        "user bob \"Bob Durand\"",
        "user alice \"Alice Martin\" { supervisor: @bob }",
        "create deal d1 { title: \"Boiler\", amount: 1200, responsible: @alice }",
    ] {
        assert!(!session.eval(input).failed, "{input}");
    }
    // Saved after the command, without ending the session.
    let saved = std::fs::read_to_string(&state).expect("the state file exists");
    assert!(saved.contains("\"d1\""), "the aliases are saved");
    drop(session);
    let (mut again, _) = Session::start(options()).expect("reopens");
    let reply = again.eval("d1.title");
    assert_eq!(reply.value.expect("a value").value, "\"Boiler\"");
    let reply = again.eval("advance 1 day");
    assert!(reply.text().contains("notify"), "{}", reply.text());
}

/// `--state` with SQLite: each command commits; a second session sees it.
#[test]
fn a_sqlite_state_commits_each_command() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let state = dir.path().join("crm.db");
    let options = || Options {
        files: vec!["examples/employee_control.bp".to_string()],
        state: Some(state.clone()),
        ..Options::default()
    };
    {
        let (mut session, _) = Session::start(options()).expect("starts");
        assert!(!session.eval("user alice \"Alice Martin\"").failed);
        assert!(!session.eval("create deal d1 { title: \"Boiler\", responsible: @alice }").failed);
        // No `finish`: the session is dropped as if killed after the command.
    }
    let (mut again, _) = Session::start(options()).expect("reopens");
    let reply = again.eval("d1.stage");
    assert_eq!(reply.value.clone().expect("a value").value, "sales.new", "{}", reply.text());
}

/// `:reload` keeps the CRM state across a change of the program, mapping it by name; a
/// program with errors is refused and the old one stays.
#[test]
fn reload_keeps_the_state_and_refuses_a_broken_program() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("sales.bp");
    let program = |extra: &str| {
        format!(
            "pipeline sales for Deal {{\n  stage new {{\n    after 1 day {{\n      notify responsible \"late\"\n    }}\n  }}\n{extra}  stage won success\n}}\n"
        )
    };
    std::fs::write(&file, program("")).expect("write");
    let options =
        Options { files: vec![file.to_string_lossy().into_owned()], ..Options::default() };
    let (mut session, start) = Session::start(options).expect("starts");
    assert!(!start.failed, "{}", start.text());
    assert!(!session.eval("user alice \"Alice\"").failed);
    assert!(!session.eval("create deal d1 { title: \"Boiler\", responsible: @alice }").failed);

    std::fs::write(&file, program("  stage discussion\n")).expect("write");
    let reply = session.eval(":reload");
    assert!(!reply.failed, "{}", reply.text());
    assert!(reply.text().contains("loaded"), "{}", reply.text());
    let moved = session.eval("move d1 to discussion");
    assert!(moved.text().contains("to=\"discussion\""), "{}", moved.text());

    std::fs::write(&file, "pipeline sales for Deal {\n  stage new\n  stage won succes\n}\n")
        .expect("write");
    let reply = session.eval(":reload");
    assert!(reply.failed, "a broken program is refused");
    assert!(reply.text().contains("stays as it was"), "{}", reply.text());
    let reply = session.eval("d1.stage");
    assert_eq!(reply.value.expect("a value").value, "sales.discussion");
}

/// The binary on a pipe: replies without prompt decoration.
#[test]
fn the_binary_reads_commands_from_a_pipe_without_a_prompt() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bp"))
        .args(["repl", "examples/employee_control.bp"])
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .env("BP_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bp runs");
    let input = "user alice \"Alice Martin\"\ncreate deal d1 {\n  title: \"Boiler\", responsible: @alice\n}\nd1.amount * 2\nshw d1\n:quit\nd1.title\n";
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
    let output = child.wait_with_output().expect("bp ends");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stdout.contains("bp>"), "no prompt on a pipe: {stdout}");
    assert!(stdout.contains("entity_created title=\"Boiler\""), "{stdout}");
    assert!(stdout.contains("0.00 : Money"), "{stdout}");
    assert!(!stdout.contains("\"Boiler\" : Text"), ":quit ends the session: {stdout}");
    assert!(stderr.contains("did you mean `show`?"), "{stderr}");
    assert!(!stderr.contains('\x1b') && !stdout.contains('\x1b'), "no colour on a pipe");
}

/// An unreadable state file is a usage error (exit 2), as for `bp run`.
#[test]
fn an_unreadable_state_is_exit_2() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let state = dir.path().join("broken.json");
    std::fs::write(&state, "{ not json").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_bp"))
        .args(["repl", "examples/employee_control.bp", "--state"])
        .arg(&state)
        .current_dir(ROOT)
        .stdin(Stdio::null())
        .output()
        .expect("bp runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
}

/// The real binary on a pseudo-terminal: the prompt, Tab completion of a stage name, the
/// continuation prompt, Ctrl-C, history recall within a session and across sessions, Ctrl-D.
/// Each step waits for the output it causes (bounded by the session timeout), never a delay.
#[cfg(unix)]
#[test]
fn the_terminal_completes_stage_names_and_recalls_history() -> Result<(), rexpect::error::Error> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let history = dir.path().join("bp").join("history");
    let spawn = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bp"));
        command
            .args(["repl", "examples/employee_control.bp"])
            .current_dir(ROOT)
            .env("NO_COLOR", "1")
            .env("TERM", "xterm")
            .env("BP_HISTORY", &history);
        rexpect::session::spawn_command(command, Some(20_000))
    };
    const UP: &str = "\x1b[A";
    // A new prompt follows the newline that ends the previous input; redraws of the line
    // being edited start with `\r`, never a newline. Waiting for it before typing matters:
    // rustyline drops what it has read past the end of an input.
    fn prompt(repl: &mut rexpect::session::PtySession) -> Result<(), rexpect::error::Error> {
        repl.exp_regex("\n[^\n]*bp> ").map(|_| ())
    }
    // Keys are written at once (rexpect buffers `send` until a flush).
    fn keys(
        repl: &mut rexpect::session::PtySession,
        text: &str,
    ) -> Result<(), rexpect::error::Error> {
        repl.send(text)?;
        repl.flush()
    }

    let mut repl = spawn()?;
    repl.exp_string("bp repl: examples/employee_control.bp")?;
    prompt(&mut repl)?;
    repl.send_line("user alice \"Alice Martin\"")?;
    prompt(&mut repl)?;
    repl.send_line("create deal d1 { title: \"Boiler\", responsible: @alice }")?;
    repl.exp_string("entity_created title=\"Boiler\"")?;
    prompt(&mut repl)?;
    // Tab completes `disc` to the only stage that starts so; Enter does not take the hint.
    keys(&mut repl, "move d1 to disc")?;
    keys(&mut repl, "\t")?;
    keys(&mut repl, "\r")?;
    repl.exp_string("stage from=\"new\" to=\"discussion\"")?;
    prompt(&mut repl)?;
    repl.send_line("d1.amount + 7")?;
    repl.exp_string("7.00 : Money")?;
    prompt(&mut repl)?;
    // History recall: Up brings the last input back.
    keys(&mut repl, UP)?;
    keys(&mut repl, "\r")?;
    repl.exp_string("7.00 : Money")?;
    prompt(&mut repl)?;
    // An open `{` continues on the next line with the continuation prompt.
    repl.send_line("create contact c1 {")?;
    repl.exp_string("... ")?;
    repl.send_line("name: \"Jean Petit\" }")?;
    repl.exp_string("entity_created title=\"Jean Petit\"")?;
    prompt(&mut repl)?;
    // Ctrl-C cancels the line being typed; the session goes on.
    keys(&mut repl, "nonsense words")?;
    repl.send_control('c')?;
    prompt(&mut repl)?;
    repl.send_line("d1.title")?;
    repl.exp_string("\"Boiler\" : Text")?;
    prompt(&mut repl)?;
    repl.send_control('d')?;
    repl.exp_eof()?;

    let saved = std::fs::read_to_string(&history).expect("the history file is written");
    assert!(saved.contains("move d1 to discussion"), "the completed line is kept: {saved}");
    assert!(!saved.contains("nonsense"), "a cancelled line is not kept: {saved}");

    // A new session recalls the previous session's last input.
    let mut again = spawn()?;
    prompt(&mut again)?;
    keys(&mut again, UP)?;
    keys(&mut again, "\r")?;
    again.exp_string("unknown name `d1`")?;
    prompt(&mut again)?;
    again.send_line(":quit")?;
    again.exp_eof()?;
    Ok(())
}

/// `:reload` with a SQLite state (held exclusively while open): the file is released, opened
/// again for the new program, and keeps committing after the reload.
#[test]
fn reload_with_a_sqlite_state_reopens_the_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let state = dir.path().join("crm.db");
    let options = || Options {
        files: vec!["examples/employee_control.bp".to_string()],
        state: Some(state.clone()),
        ..Options::default()
    };
    {
        let (mut session, _) = Session::start(options()).expect("starts");
        assert!(!session.eval("user alice \"Alice Martin\"").failed);
        assert!(!session.eval("create deal d1 { title: \"Boiler\", responsible: @alice }").failed);
        let reply = session.eval(":reload");
        assert!(!reply.failed, "{}", reply.text());
        let reply = session.eval("move d1 to discussion");
        assert!(reply.text().contains("to=\"discussion\""), "{}", reply.text());
        let reply = session.eval(":save");
        assert!(reply.failed, "`:save` needs a path");
        let copy = dir.path().join("copy.json");
        let reply = session.eval(&format!(":save {}", copy.display()));
        assert!(!reply.failed, "{}", reply.text());
        assert!(std::fs::read_to_string(&copy).expect("the copy").contains("\"d1\""));
    }
    let (mut again, _) = Session::start(options()).expect("reopens");
    let reply = again.eval("d1.stage");
    assert_eq!(reply.value.clone().expect("a value").value, "sales.discussion", "{}", reply.text());
}
