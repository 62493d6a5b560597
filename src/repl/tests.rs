//! Unit tests of the REPL: completion candidates and hints as data, the history path, colours,
//! and the session's contract (one input in, one reply out; a failed input changes nothing).

use super::complete::complete;
use super::hint::hint;
use super::session::{first_word, Reader};
use super::terminal::{history_path, paint};
use super::{Options, Reply, Session, Stream, Style};
use crate::cli::load::{LoadedFile, ReadError};

const PROGRAM: &str = r#"
schema Deal {
  project_type: Enum(house, flat)?
}

/// Sales.
pipeline sales for Deal {
  stage new {
    after 1 day unless moved {
      notify responsible "late"
    }
  }
  stage discussion
  stage won success
  stage lost failure
}

pipeline b2b for Deal {
  stage intake
  stage signed success
}

process follow_up for Deal manual {
  notify responsible "hello"
}
"#;

/// A reader serving `sales.bp` from memory.
fn reader() -> Reader {
    Box::new(|path: &str| match path {
        "sales.bp" => Ok(LoadedFile {
            name: path.to_string(),
            text: PROGRAM.to_string(),
            invalid_utf8_at: None,
        }),
        _ => Err(ReadError { path: path.to_string(), reason: "no such file".to_string() }),
    })
}

/// A session on `sales.bp` with users, a deal `d1` and a contact `c1`.
fn session() -> Session {
    let options = Options { files: vec!["sales.bp".to_string()], ..Options::default() };
    let (mut session, reply) = Session::start_with(options, reader()).expect("starts");
    assert!(!reply.failed, "{}", reply.text());
    for input in [
        "user alice \"Alice Martin\"",
        "user bob \"Bob Durand\"",
        "create deal d1 { title: \"Boiler\", responsible: @alice }",
        "create contact c1 { name: \"Jean Petit\" }",
    ] {
        let reply = session.eval(input);
        assert!(!reply.failed, "{input}: {}", reply.text());
    }
    session
}

#[test]
fn completion_candidates_come_from_the_model_and_the_session() {
    let session = session();
    let index = session.completion_index();
    let cases: &[(&str, &[&str])] = &[
        ("cr", &["create"]),
        ("create d", &["deal", "document"]),
        ("move ", &["d1"]),
        ("move d1 ", &["to"]),
        (
            "move d1 to ",
            &[
                "new",
                "discussion",
                "won",
                "lost",
                "intake",
                "signed",
                "sales.new",
                "sales.discussion",
                "sales.won",
                "sales.lost",
                "b2b.intake",
                "b2b.signed",
            ],
        ),
        ("move d1 to d", &["discussion"]),
        ("move d1 to b2b.", &["b2b.intake", "b2b.signed"]),
        ("move d1 to won as @", &["@alice", "@bob"]),
        ("d1.ti", &["d1.title"]),
        ("d1.contact.na", &["d1.contact.name"]),
        ("d1.nothing.", &[]),
        ("create deal d2 { pro", &["products", "project_type"]),
        ("create deal d2 { project_type: ", &["none", "house", "flat"]),
        ("create deal d2 { pipeline: ", &["sales", "b2b"]),
        ("create deal d2 { contact: ", &["none", "c1"]),
        ("set d1.project_type = f", &["flat"]),
        ("start process ", &["follow_up"]),
        ("start process follow_up on ", &["d1"]),
        ("emit webhook ", &[]),
        ("emit webhook erp_sync ", &["d1"]),
        ("emit task completed ", &["d1"]),
        ("expect no ta", &["task_created", "task_completed"]),
        ("expect notify { t", &["to", "text"]),
        ("complete task of d1 where it.ti", &["it.title"]),
        ("user carol \"Carol\" { sup", &["supervisor"]),
        (":re", &[":reload"]),
        (":stages b", &["b2b"]),
        (":doc sales.w", &["sales.won"]),
        (":type d1.am", &["d1.amount"]),
        ("d", &["d1"]),
    ];
    for (line, expected) in cases {
        let completion = complete(&index, line, line.len());
        assert_eq!(completion.candidates, *expected, "completing `{line}`");
        if !expected.is_empty() {
            let typed = line.rsplit([' ', '{', ',']).next().unwrap_or("");
            assert_eq!(completion.start, line.len() - typed.len(), "start of the word in `{line}`");
        }
    }
}

#[test]
fn completion_in_the_middle_of_a_line_looks_before_the_cursor() {
    let session = session();
    let index = session.completion_index();
    let line = "move d1 to d as @alice";
    let completion = complete(&index, line, "move d1 to d".len());
    assert_eq!(completion.candidates, ["discussion"]);
    assert_eq!(completion.start, "move d1 to ".len());
    // A cursor past the end or inside a character is clamped, never a panic.
    assert_eq!(complete(&index, "é", 1).start, 0);
    assert!(complete(&index, "", 10).candidates.len() > 10);
}

#[test]
fn hints_show_a_usage_or_the_rest_of_the_only_completion() {
    let session = session();
    let index = session.completion_index();
    let cases: &[(&str, Option<&str>)] = &[
        ("move ", Some("REF to STAGE [as @USER]")),
        (":load ", Some("FILE")),
        ("move d1 to disc", Some("ussion")),
        ("move d1 to ", None),
        ("", None),
        ("zzz", None),
    ];
    for (line, expected) in cases {
        assert_eq!(hint(&index, line).as_deref(), *expected, "hint of `{line}`");
    }
}

#[test]
fn the_history_file_follows_bp_history_then_xdg_then_home() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| std::ffi::OsString::from(v))
        }
    };
    type Env = &'static [(&'static str, &'static str)];
    let cases: &[(Env, Option<&str>)] = &[
        (&[("BP_HISTORY", "/tmp/h"), ("HOME", "/home/a")], Some("/tmp/h")),
        (&[("BP_HISTORY", ""), ("HOME", "/home/a")], None),
        (&[("XDG_DATA_HOME", "/data"), ("HOME", "/home/a")], Some("/data/bp/history")),
        (&[("XDG_DATA_HOME", ""), ("HOME", "/home/a")], Some("/home/a/.local/share/bp/history")),
        (&[], None),
    ];
    for (pairs, expected) in cases {
        let path = history_path(&env(pairs));
        assert_eq!(path.as_deref(), expected.map(std::path::Path::new), "{pairs:?}");
    }
}

#[test]
fn colour_wraps_a_styled_line_and_leaves_coloured_text_alone() {
    assert_eq!(paint(Style::Ok, "ok"), "\x1b[32mok\x1b[0m");
    assert_eq!(paint(Style::Plain, "text"), "text");
    assert_eq!(paint(Style::Error, "\x1b[31mred\x1b[0m"), "\x1b[31mred\x1b[0m");
    assert_eq!(paint(Style::Dim, ""), "");
}

#[test]
fn a_failed_input_leaves_the_state_as_it_was() {
    let mut session = session();
    fn state(session: &Session) -> String {
        serde_json::to_string(session.runner().engine().state()).expect("serialises")
    }
    let before = state(&session);
    for input in [
        "move d1 to nowhere",
        "create deal d1 { title: \"Again\", responsible: @alice }",
        "set d1.amount = \"much\"",
        "clock 2020-01-01 09:00",
        "advance to 2020-01-01 09:00",
        "expect d1.stage == won",
        "d1.amount * d1.amount",
        ":load missing.bp",
        "why 1000",
        "}",
    ] {
        let reply = session.eval(input);
        assert!(reply.failed, "`{input}` fails: {}", reply.text());
        assert!(!reply.quit, "`{input}` does not end the session");
        assert!(!reply.stream_text(Stream::Err).is_empty(), "`{input}` explains on stderr");
        assert_eq!(before, state(&session), "`{input}` changed the state");
    }
}

#[test]
fn a_reply_carries_the_value_and_type_of_an_expression() {
    let mut session = session();
    let cases = [
        ("d1.amount + 2", "2.00", "Money"),
        ("d1.title", "\"Boiler\"", "Text"),
        ("d1", "deal:1 (Boiler)", "Deal"),
        ("d1.stage", "sales.new", "Stage"),
        ("d1.responsible", "@alice", "User"),
        ("d1.contact", "none", "Contact?"),
        ("[1, 2]", "[1, 2]", "List(Number)"),
        ("d1.stage == new and not d1.excluded", "true", "Bool"),
    ];
    for (input, value, ty) in cases {
        let reply = session.eval(input);
        let text = reply.text();
        let evaluated = reply.value.unwrap_or_else(|| panic!("{input}: {text}"));
        assert_eq!((evaluated.value.as_str(), evaluated.ty.as_str()), (value, ty), "{input}");
    }
}

#[test]
fn blank_lines_and_comments_reply_nothing_and_quit_ends_the_session() {
    let mut session = session();
    for input in ["", "   \n", "# a comment", "# one\n# two\n"] {
        let reply = session.eval(input);
        assert!(reply.lines.is_empty() && !reply.failed && !reply.quit, "{input:?}");
    }
    assert!(session.eval(":quit").quit);
    assert!(session.eval(":q").quit);
}

#[test]
fn inspection_output_goes_to_stdout_and_effects_show_their_seq() {
    let mut session = session();
    let reply = session.eval("show d1");
    assert!(reply.stream_text(Stream::Out).starts_with("deal:1\n"), "{}", reply.text());
    let reply = session.eval("pending d1");
    assert!(reply.stream_text(Stream::Out).contains("rule `after 1 day`"), "{}", reply.text());
    let reply = session.eval("advance 1 day");
    let out = reply.stream_text(Stream::Out);
    assert!(out.contains("#4") && out.contains("notify"), "{out}");
    assert!(out.ends_with("clock: 2026-01-06 09:00 UTC\n"), "{out}");
    let reply: Reply = session.eval("why 4");
    assert!(reply.text().contains("rule `after 1 day unless moved` of stage sales.new"));
    assert!(reply.text().contains("(sales.bp:9)"), "{}", reply.text());
}

#[test]
fn the_leading_word_decides_how_an_input_is_read() {
    let cases = [("move d1", "move"), ("d1.amount", "d1"), (":help", ""), ("why 3", "why")];
    for (text, word) in cases {
        assert_eq!(first_word(text), word, "{text}");
    }
}

#[test]
fn a_comment_line_before_a_command_does_not_change_how_it_is_read() {
    let mut session = session();
    let reply = session.eval("# a note\nshow d1\n");
    assert!(reply.stream_text(Stream::Out).starts_with("deal:1"), "{}", reply.text());
    let reply = session.eval("# a note\nwhy 1\n");
    assert!(reply.text().contains("#1"), "{}", reply.text());
}

#[test]
fn an_unreadable_file_at_start_is_reported_once_and_left_out() {
    let options = Options {
        files: vec!["sales.bp".to_string(), "missing.bp".to_string()],
        ..Options::default()
    };
    let (mut session, reply) = Session::start_with(options, reader()).expect("starts");
    assert!(reply.text().contains("cannot read `missing.bp`"), "{}", reply.text());
    assert_eq!(session.loaded_files(), ["sales.bp"]);
    let reply = session.eval(":reload");
    assert!(!reply.failed, "{}", reply.text());
}

#[test]
fn reload_drops_pending_work_of_a_removed_rule_and_says_so() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let text = Rc::new(RefCell::new(PROGRAM.to_string()));
    let served = text.clone();
    let read: Reader = Box::new(move |path: &str| {
        Ok(LoadedFile {
            name: path.to_string(),
            text: served.borrow().clone(),
            invalid_utf8_at: None,
        })
    });
    let options = Options { files: vec!["sales.bp".to_string()], ..Options::default() };
    let (mut session, _) = Session::start_with(options, read).expect("starts");
    assert!(!session.eval("user alice \"Alice\"").failed);
    assert!(!session.eval("create deal d1 { title: \"Boiler\", responsible: @alice }").failed);
    let without_rule = PROGRAM.replace(
        "stage new {\n    after 1 day unless moved {\n      notify responsible \"late\"\n    }\n  }",
        "stage new",
    );
    assert_ne!(without_rule, PROGRAM);
    *text.borrow_mut() = without_rule;
    let reply = session.eval(":reload");
    assert!(!reply.failed, "{}", reply.text());
    assert!(reply.text().contains("note:"), "the dropped job is reported: {}", reply.text());
    let reply = session.eval("advance 2 days");
    assert!(!reply.text().contains("notify"), "{}", reply.text());
    assert_eq!(session.eval("d1.title").value.map(|v| v.value).as_deref(), Some("\"Boiler\""));

    // A program without the item's stage is refused; the session keeps the old one.
    *text.borrow_mut() =
        "pipeline sales for Deal {\n  stage other\n  stage won success\n}\n".into();
    let reply = session.eval(":reload");
    assert!(reply.failed, "{}", reply.text());
    assert_eq!(session.eval("d1.stage").value.map(|v| v.value).as_deref(), Some("sales.new"));
}
