//! Human diagnostics through miette (SPEC §11, STYLE §5).
//!
//! A `Diagnostic` becomes a `Report`, our own `miette::Diagnostic`: the code, the message, the
//! file as a `NamedSource`, the primary label and the secondary labels of the same file. miette
//! has one help slot, so it shows the notes first and then the fix. Secondary labels in another
//! file (a declaration in `stdlib/entities.bp`) become related reports, one per file, shown
//! under the main one.
//!
//! Rendering uses `GraphicalReportHandler` at a fixed width and, without colour, the
//! unicode-nocolor theme, so the output is byte-stable for snapshots. The caller decides about
//! colour (a terminal and no `NO_COLOR`: that is `cli`'s business).

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

use super::{Diagnostic, Severity};
use crate::source::SourceMap;
use crate::span::{FileId, Span};

/// Width of the rendered report; fixed so output does not depend on the terminal.
pub const WIDTH: usize = 100;

/// Renders one diagnostic for people. The result ends with a newline.
pub fn render(diagnostic: &Diagnostic, map: &SourceMap, color: bool) -> String {
    let report = Report::of(diagnostic, map);
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        .without_syntax_highlighting()
        .with_show_related_as_nested(true);
    let mut out = String::new();
    // Writing into a String cannot fail; a failing Display impl would be a bug in `Report`.
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {}\n", diagnostic.code, diagnostic.message);
    }
    out
}

/// Renders every diagnostic, each followed by a blank line, then the summary line when there
/// is at least one diagnostic (`error: 2 errors, 1 warning`). Nothing at all for none.
pub fn render_all(diagnostics: &[Diagnostic], map: &SourceMap, color: bool) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&render(diagnostic, map, color));
        out.push('\n');
    }
    if let Some(line) = summary(diagnostics) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The summary line after the diagnostics, or `None` when there are none:
/// `error: 2 errors, 1 warning` when there is an error, `warning: 3 warnings` otherwise.
pub fn summary(diagnostics: &[Diagnostic]) -> Option<String> {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let count = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => None,
        (0, w) => Some(format!("warning: {}", count(w, "warning"))),
        (e, 0) => Some(format!("error: {}", count(e, "error"))),
        (e, w) => Some(format!("error: {}, {}", count(e, "error"), count(w, "warning"))),
    }
}

/// One diagnostic as miette sees it: everything owned, labels in one file.
#[derive(Debug)]
struct Report {
    code: Option<String>,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    /// The main report (primary file) with one related report per other file.
    fn of(diagnostic: &Diagnostic, map: &SourceMap) -> Report {
        let file = diagnostic.primary.span.file;
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            label_text(&diagnostic.primary.text),
            source_span(map, diagnostic.primary.span),
        )];
        let mut other_files: Vec<FileId> = Vec::new();
        for label in &diagnostic.secondary {
            if label.span.file == file {
                labels.push(LabeledSpan::new_with_span(
                    label_text(&label.text),
                    source_span(map, label.span),
                ));
            } else if !other_files.contains(&label.span.file) {
                other_files.push(label.span.file);
            }
        }
        let related = other_files.into_iter().map(|other| related_report(diagnostic, map, other));
        Report {
            code: Some(code_text(diagnostic)),
            message: diagnostic.message.clone(),
            severity: miette_severity(diagnostic.severity),
            help: help_text(diagnostic),
            source: named_source(map, file),
            labels,
            related: related.collect(),
        }
    }
}

/// The secondary labels of `diagnostic` that sit in `file`, as an advice report about that
/// file. Its message is the first label's text ("`amount` is declared here").
fn related_report(diagnostic: &Diagnostic, map: &SourceMap, file: FileId) -> Report {
    let in_file: Vec<_> = diagnostic.secondary.iter().filter(|l| l.span.file == file).collect();
    let message = in_file.first().map_or_else(String::new, |l| l.text.clone());
    let labels = in_file
        .iter()
        .enumerate()
        .map(|(i, l)| {
            // The first label's text is already the message; do not print it twice.
            let text = if i == 0 { None } else { label_text(&l.text) };
            LabeledSpan::new_with_span(text, source_span(map, l.span))
        })
        .collect();
    Report {
        code: None,
        message,
        severity: miette::Severity::Advice,
        help: None,
        source: named_source(map, file),
        labels,
        related: Vec::new(),
    }
}

/// The code as shown in the header; a lint also shows its name (`W0204 no-success-stage`,
/// STYLE §7).
fn code_text(diagnostic: &Diagnostic) -> String {
    match diagnostic.code.lint_name() {
        Some(name) => format!("{} {name}", diagnostic.code),
        None => diagnostic.code.to_string(),
    }
}

/// Notes first (the rule), then the fix: miette has a single help slot.
fn help_text(diagnostic: &Diagnostic) -> Option<String> {
    let mut lines: Vec<String> = diagnostic.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(help) = &diagnostic.help {
        lines.push(help.clone());
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn label_text(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

fn named_source(map: &SourceMap, file: FileId) -> NamedSource<String> {
    let source = map.get(file);
    NamedSource::new(&source.name, source.text.clone())
}

/// A miette span clamped to the file (a span past the end must not make miette fail).
fn source_span(map: &SourceMap, span: Span) -> miette::SourceSpan {
    let len = map.get(span.file).text.len();
    let start = (span.start as usize).min(len);
    let end = (span.end as usize).clamp(start, len);
    (start, end - start).into()
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.as_ref().map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
    }
}

#[cfg(test)]
mod tests;
