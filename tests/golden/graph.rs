//! Suite `graph`: `bp graph` in Mermaid and DOT (docs/style.md, "`bp graph`").
//!
//! - Every `examples/*.bp` and `graph/*.bp` (cases chosen for their labels and moves) is drawn
//!   in both formats; the snapshots hold the output.
//! - The DOT of each one, and of every `check/pass/*.bp`, is rendered by Graphviz (`dot -Tsvg`) when the `dot` binary is there
//!   (CI installs the `graphviz` package); without it the test prints a note and checks nothing
//!   more.
//! - The Mermaid output is checked for what makes Mermaid fail: an unescaped quote or angle
//!   bracket inside a label, an edge to an undeclared node, a keyword used as an id.
//! - The command line: errors in the program exit 1 with the diagnostics on stderr, an unknown
//!   `--pipeline` exits 2, `--pipeline` keeps one pipeline and the processes of its kind.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BP: &str = env!("CARGO_BIN_EXE_bp");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

fn bp(args: &[&str]) -> Output {
    Command::new(BP)
        .args(args)
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("bp runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `bp graph FILE --format FORMAT`, which must succeed.
fn draw(path: &Path, format: &str) -> String {
    let file = path.display().to_string();
    let output = bp(&["graph", &file, "--format", format]);
    assert_eq!(output.status.code(), Some(0), "{file}: {}", stderr(&output));
    assert_eq!(stderr(&output), "", "{file}");
    stdout(&output)
}

/// Every program drawn by the suite: the examples, the suite's own cases, and the programs
/// that check clean (`check/pass`).
fn programs() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in ["examples", "tests/golden/graph", "tests/golden/check/pass"] {
        let Ok(entries) = std::fs::read_dir(Path::new(ROOT).join(folder)) else { continue };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "bp"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

#[test]
fn examples_as_mermaid() {
    settings().bind(|| {
        insta::glob!("../../examples", "*.bp", |path| {
            insta::assert_snapshot!("mermaid", draw(path, "mermaid"));
        });
        insta::glob!("graph/*.bp", |path| {
            insta::assert_snapshot!("mermaid", draw(path, "mermaid"));
        });
    });
}

#[test]
fn examples_as_dot() {
    settings().bind(|| {
        insta::glob!("../../examples", "*.bp", |path| {
            insta::assert_snapshot!("dot", draw(path, "dot"));
        });
        insta::glob!("graph/*.bp", |path| {
            insta::assert_snapshot!("dot", draw(path, "dot"));
        });
    });
}

#[test]
fn graphviz_renders_the_dot_of_every_program() {
    let available = Command::new("dot").arg("-V").output().is_ok_and(|o| o.status.success());
    if !available {
        println!("note: the Graphviz `dot` binary is not installed; DOT rendering not tested");
        return;
    }
    for path in programs() {
        let text = draw(&path, "dot");
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dot runs");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(text.as_bytes()).expect("write the graph");
        }
        let output = child.wait_with_output().expect("dot finishes");
        let (svg, warnings) = (stdout(&output), stderr(&output));
        assert!(output.status.success(), "{}: dot failed: {warnings}\n{text}", path.display());
        assert_eq!(warnings, "", "{}: dot warned\n{text}", path.display());
        assert!(svg.contains("<svg"), "{}: no SVG", path.display());
    }
}

/// The text between the quotes of each `"…"` of a Mermaid line.
fn quoted_labels(line: &str) -> Vec<&str> {
    line.split('"').skip(1).step_by(2).collect()
}

#[test]
fn mermaid_labels_are_escaped_and_edges_join_declared_nodes() {
    for path in programs() {
        let text = draw(&path, "mermaid");
        let name = path.display();
        assert!(text.starts_with("flowchart LR\n"), "{name}");
        let mut declared = BTreeSet::new();
        let mut linked = BTreeSet::new();
        for line in text.lines().skip(1) {
            let line = line.trim();
            assert_eq!(line.matches('"').count() % 2, 0, "{name}: odd quotes in {line}");
            for label in quoted_labels(line) {
                let without_breaks = label.replace("<br/>", "");
                assert!(!without_breaks.contains(['<', '>', '{', '}', '|', '`']), "{name}: {line}");
            }
            let id: String =
                line.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            let words: Vec<&str> = line.split(' ').collect();
            let is_edge = words.len() >= 3
                && ["-.-", "-->", "==>", "-.->"]
                    .iter()
                    .any(|a| words[1] == *a || words[1].starts_with(&format!("{a}|")));
            if is_edge {
                linked.insert(words[0].to_string());
                linked.insert(words[words.len() - 1].to_string());
            } else if line.starts_with(&format!("{id}("))
                || line.starts_with(&format!("{id}["))
                || line.starts_with(&format!("{id}>"))
            {
                assert!(id != "end" && !id.starts_with(['o', 'x']), "{name}: bad id {id}");
                declared.insert(id);
            }
        }
        let undeclared: Vec<_> = linked.difference(&declared).collect();
        assert!(undeclared.is_empty(), "{name}: edges to undeclared nodes {undeclared:?}");
    }
}

#[test]
fn a_program_with_errors_is_not_drawn() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let path = folder.path().join("bad.bp");
    std::fs::write(&path, "pipeline sales for Deal {\n  stage new { when task complete }\n}\n")
        .expect("write");
    let output = bp(&["graph", &path.display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert!(stderr(&output).contains("E0102"), "{}", stderr(&output));
}

#[test]
fn an_unknown_pipeline_is_a_usage_error_naming_the_pipelines() {
    let output =
        bp(&["graph", "tests/golden/graph/moves_triggers_and_processes.bp", "--pipeline", "salse"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "error: no pipeline named `salse`; the pipelines are: sales, vip\n"
    );
}

#[test]
fn one_pipeline_is_drawn_with_the_processes_of_its_kind() {
    let file = "tests/golden/graph/moves_triggers_and_processes.bp";
    let output = bp(&["graph", file, "--pipeline", "vip", "--format", "dot"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("pipeline vip for Deal"));
    assert!(!text.contains("pipeline sales for Deal"));
    // The move to a pipeline that is not drawn goes to a node standing for it.
    assert!(text.contains("label=\"pipeline sales, stage offer\", shape=component"), "{text}");
    // `follow_up` starts on a stage of `sales` (not drawn) but also on create: it is kept;
    // the Lead process is not.
    assert!(text.contains("process follow_up for Deal"));
    assert!(!text.contains("nothing_to_wait"));
}

#[test]
fn the_output_is_the_same_on_every_run() {
    let file = "tests/golden/graph/moves_triggers_and_processes.bp";
    let first = stdout(&bp(&["graph", file]));
    for _ in 0..3 {
        assert_eq!(stdout(&bp(&["graph", file])), first);
    }
}
