//! Suite `cli`: end-to-end runs of the built `bp` binary (SPEC §11).
//!
//! Each `cli/*.cmd` file is one case, run from the repository root:
//!
//! ```text
//! # what the case shows              (comments)
//! env NO_COLOR=1                     (optional, repeatable: environment of the run)
//! needs parser|checker|lints         (optional: skipped while that stage is a placeholder)
//! exit 1                             (the exit status the run must return)
//! bp check tests/golden/cli/x.bp --format json
//! ```
//!
//! The snapshot holds the command, the exit status, stdout and stderr together. The other
//! tests parse the machine formats and assert their shape, and run the binary on a terminal
//! (through `script`) to see that colour appears there and disappears with `NO_COLOR`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BP: &str = env!("CARGO_BIN_EXE_bp");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One parsed `.cmd` file.
struct Case {
    env: Vec<(String, String)>,
    needs: Option<String>,
    exit: i32,
    args: Vec<String>,
}

fn parse_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).expect("readable .cmd file");
    let mut case = Case { env: Vec::new(), needs: None, exit: -1, args: Vec::new() };
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "env" => {
                let (key, value) = rest.split_once('=').expect("env KEY=VALUE");
                case.env.push((key.to_string(), value.to_string()));
            }
            "needs" => case.needs = Some(rest.to_string()),
            "exit" => case.exit = rest.parse().expect("exit N"),
            "bp" => case.args = rest.split_whitespace().map(String::from).collect(),
            other => panic!("{}: unknown line `{other}`", path.display()),
        }
    }
    assert!(case.exit >= 0, "{}: missing `exit N`", path.display());
    case
}

/// Runs the binary from the repository root, with a clean colour environment.
fn run_bp(args: &[String], env: &[(String, String)]) -> Output {
    let mut command = Command::new(BP);
    command.args(args).current_dir(ROOT).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the bp binary runs")
}

/// Whether a compiler stage is still a placeholder: the parser when a broken file gives no
/// diagnostic, the checker when an unknown entity gives none, the lints when a pipeline
/// without a success stage gives none.
fn stage_missing(stage: &str) -> bool {
    let probe = match stage {
        "parser" => "pipeline {",
        "checker" => "pipeline p for NoSuchEntity {\n  stage a success\n}\n",
        "lints" => "pipeline p for Deal {\n  stage a\n  stage b failure\n}\n",
        other => panic!("unknown stage `{other}` in a `needs` line"),
    };
    bp::compile(&[("probe.bp".to_string(), probe.to_string())]).diagnostics.is_empty()
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(PathBuf::from(ROOT).join("tests/golden/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.add_filter(&regex_escape(ROOT), "[ROOT]");
    settings
}

/// A literal as an insta filter regex.
fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

#[test]
fn cli_cases() {
    let mut settings = settings();
    insta::glob!("cli/*.cmd", |path| {
        let case = parse_case(path);
        if let Some(stage) = case.needs.as_deref().filter(|s| stage_missing(s)) {
            eprintln!("skipped {}: the {stage} is still a placeholder", path.display());
            return;
        }
        let output = run_bp(&case.args, &case.env);
        let code = output.status.code().expect("exited normally");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("file name");
        let name = format!("cli@{stem}");
        settings.set_input_file(path);
        settings.bind(|| {
            insta::assert_snapshot!(
                name.as_str(),
                format!(
                    "$ bp{}\n--- exit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}",
                    case.args.iter().map(|a| format!(" {a}")).collect::<String>()
                )
            );
        });
        assert_eq!(code, case.exit, "{}: exit status\n{stdout}\n{stderr}", path.display());
        assert!(!stderr.contains("panicked"), "{}: panic\n{stderr}", path.display());
    });
}

/// `bp check --format json` on a file, parsed.
fn check_json(file: &str) -> (i32, Value) {
    let args = ["check", file, "--format", "json"].map(String::from);
    let output = run_bp(&args, &[]);
    let value = serde_json::from_slice(&output.stdout).expect("stdout is one json document");
    (output.status.code().expect("exit code"), value)
}

/// The codes a data file's `// expect:` line lists.
fn expected_codes(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).expect("readable data file");
    let text = String::from_utf8_lossy(&bytes);
    let first = text.lines().next().unwrap_or("");
    let codes = first.strip_prefix("// expect:").unwrap_or("");
    codes.split([',', ' ']).filter(|c| !c.is_empty()).map(String::from).collect()
}

#[test]
fn json_diagnostics_have_the_spec_keys_in_order() {
    let (code, value) = check_json("tests/golden/cli/invalid_utf8.bp");
    assert_eq!(code, 1);
    let root: Vec<&String> = value.as_object().expect("an object").keys().collect();
    assert_eq!(root, ["diagnostics"]);
    let entry = &value["diagnostics"][0];
    let keys: Vec<&str> = entry.as_object().expect("object").keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        ["code", "severity", "message", "file", "line", "column", "end_line", "end_column", "help"]
    );
    assert_eq!(entry["code"], "E0001");
    assert_eq!(entry["severity"], "error");
    assert_eq!(entry["file"], "tests/golden/cli/invalid_utf8.bp");
    assert_eq!((entry["line"].as_u64(), entry["column"].as_u64()), (Some(3), Some(7)));
    assert_eq!((entry["end_line"].as_u64(), entry["end_column"].as_u64()), (Some(3), Some(8)));
    assert!(entry["help"].is_string());
}

#[test]
fn every_data_file_gives_the_codes_its_first_line_expects() {
    let parser_missing = stage_missing("parser");
    let checker_missing = stage_missing("checker");
    let lints_missing = stage_missing("lints");
    let dir = Path::new(ROOT).join("tests/golden/cli");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("cli data folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "bp"))
        .collect();
    files.sort();
    for path in files {
        let expected = expected_codes(&path);
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        let needs_checker = expected.iter().any(|c| c != "E0001");
        let needs_lints = expected.iter().any(|c| c.starts_with('W'));
        let utf8_case = name.starts_with("invalid_utf8");
        if (parser_missing && !utf8_case && !expected.is_empty())
            || (checker_missing && needs_checker)
            || (lints_missing && needs_lints)
        {
            eprintln!("skipped {name}: the parser, checker or lints are still placeholders");
            continue;
        }
        let (code, value) = check_json(&format!("tests/golden/cli/{name}"));
        let entries = value["diagnostics"].as_array().expect("diagnostics");
        let mut codes: Vec<String> =
            entries.iter().filter_map(|d| d["code"].as_str().map(String::from)).collect();
        codes.dedup();
        assert_eq!(codes, expected, "{name}");
        let has_error = entries.iter().any(|d| d["severity"] == "error");
        assert_eq!(code, i32::from(has_error), "{name}: exit status follows the errors");
    }
}

#[test]
fn sarif_output_has_the_required_properties() {
    let args = ["check", "tests/golden/cli/invalid_utf8.bp", "--format", "sarif"].map(String::from);
    let output = run_bp(&args, &[]);
    assert_eq!(output.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&output.stdout).expect("sarif is json");
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].is_string());
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "bp");
    assert_eq!(driver["rules"][0]["id"], "E0001");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "E0001");
    assert_eq!(result["level"], "error");
    assert!(result["message"]["text"].as_str().is_some_and(|t| t.contains("UTF-8")));
    let physical = &result["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "tests/golden/cli/invalid_utf8.bp");
    assert_eq!(physical["region"]["startLine"], 3);
    assert_eq!(physical["region"]["startColumn"], 7);
    assert_eq!(physical["region"]["endLine"], 3);
    assert_eq!(physical["region"]["endColumn"], 8);
}

#[test]
fn github_output_is_one_workflow_command_per_diagnostic() {
    let args = ["check", "tests/golden/cli/invalid_utf8.bp", "--format", "github"];
    let output = run_bp(&args.map(String::from), &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout,
        "::error file=tests/golden/cli/invalid_utf8.bp,line=3,col=7::E0001 invalid UTF-8 in source file\n"
    );
}

/// Runs `bp ARGS` with stdout on a pseudo-terminal through util-linux `script`; `None` when
/// `script` is not installed.
fn run_on_terminal(args: &str, no_color: bool) -> Option<String> {
    let mut command = Command::new("script");
    command.args(["-qec", &format!("{BP} {args}"), "/dev/null"]).current_dir(ROOT);
    command.env_remove("NO_COLOR");
    if no_color {
        command.env("NO_COLOR", "1");
    }
    let output = command.output().ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn colour_on_a_terminal_only_without_no_color() {
    let args = "check tests/golden/cli/invalid_utf8.bp";
    // Never colour when stdout is a pipe.
    let piped = run_bp(&["check", "tests/golden/cli/invalid_utf8.bp"].map(String::from), &[]);
    assert!(!piped.stdout.contains(&0x1b), "no escape codes through a pipe");
    let Some(coloured) = run_on_terminal(args, false) else {
        eprintln!("skipped the terminal half: `script` is not installed");
        return;
    };
    assert!(coloured.contains("E0001") && coloured.contains('\u{1b}'), "{coloured}");
    let plain = run_on_terminal(args, true).expect("script ran once already");
    assert!(plain.contains("E0001") && !plain.contains('\u{1b}'), "{plain}");
}

#[test]
fn no_command_prints_usage_on_stderr_and_exits_2() {
    let output = run_bp(&[], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Usage: bp <COMMAND>"));
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    for flag in ["--help", "--version"] {
        let output = run_bp(&[flag.to_string()], &[]);
        assert_eq!(output.status.code(), Some(0), "{flag}");
        assert!(!output.stdout.is_empty() && output.stderr.is_empty(), "{flag}");
    }
}

#[test]
fn bench_check_prints_one_json_line_with_the_documented_keys() {
    let output = run_bp(&["bench", "check", "--lines", "400"].map(String::from), &[]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1);
    let value: Value = serde_json::from_str(&stdout).expect("one json line");
    let keys: Vec<&str> = value.as_object().expect("object").keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        ["bench", "lines", "bytes", "parse_check_s", "mb_per_s", "peak_rss_mib", "diagnostics"]
    );
    assert_eq!(value["bench"], "check");
    assert!(value["lines"].as_u64().is_some_and(|n| n >= 400));
    assert!(value["bytes"].as_u64().is_some_and(|n| n > 400 * 10));
    assert_eq!(value["diagnostics"], 0, "the generated program checks clean");
}
