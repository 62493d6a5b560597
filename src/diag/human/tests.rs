use super::*;
use crate::diag::Code;
use crate::source::SourceMap;
use crate::span::Span;

/// A map with a stand-in for the stdlib file and one user file.
fn sources() -> (SourceMap, FileId, FileId) {
    let mut map = SourceMap::new();
    let stdlib = map.add("stdlib/entities.bp", "schema Deal {\n  amount: Money = 0\n}\n");
    let user = map.add(
        "sales.bp",
        "pipeline sales for Deal {\n  stage new {\n    after 1 day if deal.amout > 5 {\n      notify supervisor \"late\"\n    }\n  }\n  stage won success\n}\n",
    );
    (map, stdlib, user)
}

fn span_of(map: &SourceMap, file: FileId, needle: &str) -> Span {
    let start = map.get(file).text.find(needle).expect("needle in test source");
    Span::new(file, start, start + needle.len())
}

#[test]
fn renders_code_message_label_notes_then_help_and_a_related_file() {
    let (map, stdlib, user) = sources();
    let diagnostic = Diagnostic::new(
        Code::E0101,
        "unknown field `amout` on `Deal`",
        span_of(&map, user, "amout"),
        "`Deal` has no field `amout`",
    )
    .with_secondary(span_of(&map, user, "after 1 day"), "in this rule")
    .with_secondary(span_of(&map, stdlib, "amount"), "`amount` is declared here")
    .with_note("fields are declared by `schema` blocks and in the stdlib")
    .with_help("did you mean `amount`?");
    let text = render(&diagnostic, &map, false);
    assert!(!text.contains('\u{1b}'), "no colour codes without colour");
    insta::assert_snapshot!(text);
}

#[test]
fn renders_a_warning_without_help() {
    let (map, _, user) = sources();
    let diagnostic = Diagnostic::new(
        Code::W0204,
        "pipeline `sales` has no success stage",
        span_of(&map, user, "pipeline sales for Deal"),
        "no stage here is marked `success`",
    );
    insta::assert_snapshot!(render(&diagnostic, &map, false));
}

#[test]
fn colour_adds_ansi_escapes() {
    let (map, _, user) = sources();
    let diagnostic =
        Diagnostic::new(Code::E0001, "expected a stage", span_of(&map, user, "stage new"), "here");
    assert!(render(&diagnostic, &map, true).contains('\u{1b}'));
}

#[test]
fn a_span_past_the_end_of_the_file_does_not_fail() {
    let (map, _, user) = sources();
    let diagnostic =
        Diagnostic::new(Code::E0001, "unexpected end of file", Span::new(user, 500, 900), "here");
    assert!(render(&diagnostic, &map, false).contains("unexpected end of file"));
}

#[test]
fn summary_counts_errors_and_warnings() {
    let (map, _, user) = sources();
    let span = span_of(&map, user, "new");
    let error = Diagnostic::new(Code::E0101, "e", span, "");
    let warning = Diagnostic::new(Code::W0203, "w", span, "");
    let cases: &[(&[Diagnostic], Option<&str>)] = &[
        (&[], None),
        (std::slice::from_ref(&error), Some("error: 1 error")),
        (&[warning.clone(), warning.clone()], Some("warning: 2 warnings")),
        (&[error.clone(), error.clone(), warning.clone()], Some("error: 2 errors, 1 warning")),
    ];
    for (diagnostics, expected) in cases {
        assert_eq!(summary(diagnostics).as_deref(), *expected);
    }
}
