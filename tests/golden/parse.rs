//! Suite `parse`: the `.bp` parser on its own (no checker).
//!
//! - `parse/ok/*.bp` must parse without any diagnostic; the snapshot is an S-expression dump of
//!   the module (`parse/dump.rs`).
//! - `parse/fail/*.bp` start with `// expect: E0001 at LINE[, LINE…]`: the test asserts exactly
//!   those E0001 lines; the snapshot shows the source and the diagnostics as plain text.
//! - `examples/*.bp` (when present) must parse without a syntax error.
//! - A fuzz test feeds random bytes and mutations of the `ok/` corpus to the parser, which must
//!   always return, with every diagnostic span inside the text.

mod dump;

use std::path::Path;

use bp::diag::{Code, Diagnostic};
use bp::source::SourceMap;
use bp::syntax::parse_module;

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

fn parse_text(name: &str, text: &str) -> (SourceMap, bp::ast::Module, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let id = map.add(name, text);
    let (module, diags) = parse_module(&map, id);
    (map, module, diags)
}

/// `E0001 3:5-3:9 message`, then the label and help, one diagnostic after the other.
fn render(map: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let (l1, c1) = map.start_of(d.span());
        let (l2, c2) = map.end_of(d.span());
        out.push_str(&format!("{} {l1}:{c1}-{l2}:{c2} {}\n", d.code, d.message));
        out.push_str(&format!("  label: {}\n", d.primary.text));
        for label in &d.secondary {
            let (l, c) = map.start_of(label.span);
            out.push_str(&format!("  see {l}:{c}: {}\n", label.text));
        }
        if let Some(help) = &d.help {
            out.push_str(&format!("  help: {help}\n"));
        }
    }
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn ok_files_parse_cleanly() {
    settings().bind(|| {
        insta::glob!("parse/ok/*.bp", |path| {
            let text = read(path);
            let (map, module, diags) = parse_text("ok.bp", &text);
            assert!(diags.is_empty(), "{}:\n{}", path.display(), render(&map, &diags));
            insta::assert_snapshot!("parse_ok", dump::module(&map, &module));
        });
    });
}

/// The lines listed by the first line `// expect: E0001 at 3, 7`.
fn expected_lines(text: &str, path: &Path) -> Vec<usize> {
    let first = text.lines().next().unwrap_or("");
    let list = first.strip_prefix("// expect: E0001 at ").unwrap_or_else(|| {
        panic!("{}: first line must be `// expect: E0001 at LINE`", path.display())
    });
    list.split(',').map(|n| n.trim().parse().expect("a line number")).collect()
}

#[test]
fn fail_files_report_e0001_at_the_expected_lines() {
    settings().bind(|| {
        insta::glob!("parse/fail/*.bp", |path| {
            let text = read(path);
            let (map, _, diags) = parse_text("fail.bp", &text);
            let rendered = render(&map, &diags);
            assert!(diags.iter().all(|d| d.code == Code::E0001), "{}:\n{rendered}", path.display());
            let mut lines: Vec<usize> = diags.iter().map(|d| map.start_of(d.span()).0).collect();
            lines.sort();
            let mut expected = expected_lines(&text, path);
            expected.sort();
            assert_eq!(lines, expected, "{}:\n{rendered}", path.display());
            insta::assert_snapshot!(
                "parse_fail",
                format!("--- source\n{text}--- diagnostics\n{rendered}")
            );
        });
    });
}

#[test]
fn examples_parse_without_syntax_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "bp") {
            let text = read(&path);
            let (map, _, diags) = parse_text("example.bp", &text);
            assert!(diags.is_empty(), "{}:\n{}", path.display(), render(&map, &diags));
        }
    }
}

/// xorshift64*: a tiny deterministic generator, so every run tries the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The parser returns on any input, and every diagnostic points inside the text.
fn assert_parses_safely(text: &str) {
    let (map, _, diags) = parse_text("fuzz.bp", text);
    for d in &diags {
        let span = d.span();
        assert!(span.start <= span.end && span.end as usize <= text.len(), "{text:?}: {d:?}");
        assert!(text.is_char_boundary(span.start as usize), "{text:?}: {d:?}");
        assert!(text.is_char_boundary(span.end as usize), "{text:?}: {d:?}");
        assert_eq!(d.code, Code::E0001, "{text:?}");
        let _ = map.start_of(span);
    }
}

const ALPHABET: &[&str] = &[
    "pipeline",
    "stage",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\"\"\"",
    "{{",
    "}}",
    "\n",
    " ",
    ",",
    ";",
    "//",
    "///",
    "on enter",
    "after",
    "1 day",
    "when",
    "where",
    "let",
    "x",
    "=",
    "==",
    "<",
    "+",
    "-",
    "@bob",
    "2026-02-30",
    "09:30",
    "..",
    "in",
    "working hours",
    "\\",
    "é",
    "\t",
    "?",
];

#[test]
fn random_input_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..1500 {
        let len = rng.below(60);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        assert_parses_safely(&String::from_utf8_lossy(&bytes));
        let tokens: String = (0..len).map(|_| ALPHABET[rng.below(ALPHABET.len())]).collect();
        assert_parses_safely(&tokens);
    }
}

#[test]
fn mutated_corpus_never_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/parse/ok");
    let mut corpus: Vec<String> = std::fs::read_dir(&dir)
        .expect("the ok/ corpus")
        .flatten()
        .map(|e| read(&e.path()))
        .collect();
    corpus.sort();
    assert!(!corpus.is_empty());
    let mut rng = Rng(42);
    for round in 0..2000 {
        let source = &corpus[round % corpus.len()];
        let mut tokens: Vec<&str> =
            source.split_inclusive([' ', '\n', '.', '"', '{', '}']).collect();
        for _ in 0..1 + rng.below(4) {
            if tokens.is_empty() {
                break;
            }
            let at = rng.below(tokens.len());
            match rng.below(3) {
                0 => {
                    tokens.remove(at);
                }
                1 => tokens.insert(at, tokens[at]),
                _ => {
                    let other = rng.below(tokens.len());
                    tokens.swap(at, other);
                }
            }
        }
        assert_parses_safely(&tokens.concat());
    }
}

#[test]
fn deep_nesting_is_a_syntax_error_not_a_crash() {
    for (open, close) in [("(", ")"), ("{", "}"), ("[", "]")] {
        let text = format!("const x = {}1{}\n", open.repeat(10_000), close.repeat(10_000));
        let (_, _, diags) = parse_text("deep.bp", &text);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].message, "nesting too deep");
    }
    let strings = "\"{{ ".repeat(5_000);
    let (_, _, diags) = parse_text("deep.bp", &format!("const x = {strings}\n"));
    assert!(diags.iter().any(|d| d.message == "nesting too deep"));
    let prefixes = "not ".repeat(100_000);
    let (_, _, diags) = parse_text("long.bp", &format!("const x = {prefixes}true\n"));
    assert_eq!(diags.len(), 1, "{diags:?}");
}

#[test]
fn nesting_up_to_the_limit_parses() {
    let depth = 60;
    let text = format!("const x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
    let (_, module, diags) = parse_text("deep.bp", &text);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(module.items.len(), 1);
}
