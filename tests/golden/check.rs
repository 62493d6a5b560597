//! Suite `check`: the whole front end (parser, checker, lints) on `.bp` programs.
//!
//! - `check/pass/*.bp` and `examples/*.bp` must check with no diagnostic at all.
//! - `check/fail/*.bp` start with `// expect: CODE[, CODE…]`: the test asserts exactly that
//!   multiset of codes, and snapshots `--- source` then `--- diagnostics` (rendered by
//!   `diag::human` without colour), so the wording is reviewed in one place.

use std::path::Path;

use bp::diag::{human, Code, Diagnostic};
use bp::source::SourceMap;

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compiles one file under its bare file name (so snapshots do not depend on paths).
fn compile(path: &Path, text: &str) -> bp::Compilation {
    let name = path.file_name().map_or("test.bp".into(), |n| n.to_string_lossy().into_owned());
    bp::compile(&[(name, text.to_string())])
}

fn render(diagnostics: &[Diagnostic], map: &SourceMap) -> String {
    diagnostics.iter().map(|d| human::render(d, map, false)).collect::<Vec<_>>().join("\n")
}

fn assert_clean(path: &Path) {
    let text = read(path);
    let compilation = compile(path, &text);
    assert!(
        compilation.diagnostics.is_empty(),
        "{} must check cleanly:\n{}",
        path.display(),
        render(&compilation.diagnostics, &compilation.sources)
    );
}

#[test]
fn pass_files_check_cleanly() {
    insta::glob!("check/pass/*.bp", assert_clean);
}

#[test]
fn examples_check_cleanly() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return;
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "bp"))
        .collect();
    paths.sort();
    for path in paths {
        assert_clean(&path);
    }
}

/// The codes listed by the first line `// expect: E0101, E0104`, sorted.
fn expected_codes(text: &str, path: &Path) -> Vec<Code> {
    let first = text.lines().next().unwrap_or("");
    let list = first.strip_prefix("// expect:").unwrap_or_else(|| {
        panic!("{}: the first line must be `// expect: CODE[, CODE…]`", path.display())
    });
    let mut codes: Vec<Code> = list
        .split(',')
        .map(|c| {
            Code::parse(c.trim()).unwrap_or_else(|| panic!("{}: unknown code {c}", path.display()))
        })
        .collect();
    codes.sort();
    codes
}

#[test]
fn fail_files_report_exactly_the_expected_codes() {
    settings().bind(|| {
        insta::glob!("check/fail/*.bp", |path| {
            let text = read(path);
            let expected = expected_codes(&text, path);
            let compilation = compile(path, &text);
            let rendered = render(&compilation.diagnostics, &compilation.sources);
            let mut found: Vec<Code> = compilation.diagnostics.iter().map(|d| d.code).collect();
            found.sort();
            assert_eq!(found, expected, "{}:\n{rendered}", path.display());
            insta::assert_snapshot!(
                "check_fail",
                format!("--- source\n{text}\n--- diagnostics\n{rendered}")
            );
        });
    });
}

#[test]
fn every_error_code_has_a_failing_file() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/check/fail");
    let names: Vec<String> = std::fs::read_dir(folder)
        .expect("the fail folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for code in Code::ALL {
        let prefix = code.as_str().to_lowercase();
        assert!(names.iter().any(|n| n.starts_with(&prefix)), "no check/fail file for {code}");
    }
}

/// The checker must never panic (SPEC §11): every pass file with one line removed, and cut
/// short at a line, at up to 5 evenly spaced lines, is compiled; broken programs only give
/// diagnostics.
#[test]
fn damaged_programs_never_panic() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/check/pass");
    let mut paths: Vec<_> = std::fs::read_dir(folder)
        .expect("the pass folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    paths.sort();
    for path in paths {
        let text = read(&path);
        let lines: Vec<&str> = text.lines().collect();
        let step = lines.len().div_ceil(5).max(1);
        for i in (0..lines.len()).step_by(step) {
            let without: Vec<&str> =
                lines.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, l)| *l).collect();
            compile(&path, &without.join("\n"));
            compile(&path, &lines[..i].join("\n"));
        }
    }
}
