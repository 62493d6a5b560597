use super::text::{triple_text, VERBATIM_LINE};
use super::*;
use crate::ast::{Template, TemplatePart};

fn triple(text: &str) -> String {
    triple_text(&Template { parts: vec![TemplatePart::Text(text.to_string())], triple: true })
}

#[test]
fn triple_quoted_texts_keep_their_form() {
    let verbatim = VERBATIM_LINE;
    let cases = [
        ("one line", "\"\"\"one line\"\"\"".to_string()),
        ("a\nb\n", "\"\"\"\na\nb\n\"\"\"".to_string()),
        ("a\n\n  b\n", "\"\"\"\na\n\n  b\n\"\"\"".to_string()),
        ("say \"hi\" now\n", "\"\"\"\nsay \"hi\" now\n\"\"\"".to_string()),
        ("\"quoted\"\n", "\"\"\"\n\\\"quoted\\\"\n\"\"\"".to_string()),
        ("a\nb", format!("\"\"\"\n{verbatim}a\n{verbatim}b\"\"\"")),
    ];
    for (value, expected) in cases {
        assert_eq!(triple(value), expected, "{value:?}");
    }
}

/// Formats `text`, which must parse, and returns the result.
fn format(text: &str) -> String {
    format_source("test.bp", text).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn call_values_keep_the_parentheses_a_call_needs() {
    let cases = [
        ("notify responsible (deal.amount * 2)", "notify responsible (deal.amount * 2)"),
        ("notify (deal.responsible) \"x\"", "notify deal.responsible \"x\""),
        ("notify responsible (x)", "notify responsible (x)"),
        ("notify responsible (-5)", "notify responsible (-5)"),
        ("notify @alice [1,2 ,3]", "notify @alice [1, 2, 3]"),
    ];
    for (statement, expected) in cases {
        let text = format!("process p for Deal manual {{\n  {statement}\n}}\n");
        let expected = format!("process p for Deal manual {{\n  {expected}\n}}\n");
        assert_eq!(format(&text), expected, "{statement}");
    }
}

#[test]
fn named_arguments_stay_on_the_line_only_when_short_and_written_so() {
    let short = "process p for Deal manual {\n  create task \"x\" {a: 1,b: 2}\n}\n";
    assert_eq!(
        format(short),
        "process p for Deal manual {\n  create task \"x\" { a: 1, b: 2 }\n}\n"
    );
    let split = "process p for Deal manual {\n  create task \"x\" { a: 1,\n b: 2 }\n}\n";
    assert_eq!(
        format(split),
        "process p for Deal manual {\n  create task \"x\" {\n    a: 1\n    b: 2\n  }\n}\n"
    );
    let long = format!(
        "process p for Deal manual {{\n  create task \"{}\" {{ a: 1 }}\n}}\n",
        "x".repeat(90)
    );
    assert!(format(&long).contains("{\n    a: 1\n  }"), "{}", format(&long));
}

#[test]
fn spans_are_erased_from_fingerprints() {
    let debug = "Ident { text: \"a\", span: Span { file: FileId(0), start: 1, end: 2 } }";
    assert_eq!(erase_spans(debug), "Ident { text: \"a\", span: Span }");
}

#[test]
fn a_doc_line_that_documents_nothing_never_starts_to() {
    let cases = [
        // After a `;` at the start of a line: to the end of the line before.
        (
            "pipeline s for Deal {\n  stage a\n  ; /// x\n  stage b\n}\n",
            "pipeline s for Deal {\n  stage a /// x\n  stage b\n}\n",
        ),
        // The line before ends with a comment: to the end of the node's line.
        (
            "pipeline s for Deal {\n  stage a // c\n  ; /// x\n  stage b\n}\n",
            "pipeline s for Deal {\n  stage a // c\n  stage b /// x\n}\n",
        ),
        // Above a statement, which takes no doc comment: it stays on its own line.
        (
            "process p for Deal manual {\n  /// x\n  stop\n}\n",
            "process p for Deal manual {\n  /// x\n  stop\n}\n",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(format(input), expected, "{input}");
    }
}
