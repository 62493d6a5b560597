//! `bp fmt`: the canonical layout of `.bp` files, printed from the AST and the comment side
//! table (`ast::Module::comments`).
//!
//! Where it sits: `syntax::parse_module` → `fmt::format_module` → text. It reads syntax only
//! (a file with check errors is still formatted; a file with syntax errors is not) and never
//! needs the stdlib or the model. The layout rules are written, with examples, in
//! `docs/style.md`; the submodules are:
//! - `printer`: the line writer — indentation, blank lines, where each comment goes;
//! - `items`: declarations, stages, rules and triggers;
//! - `statements`: statements, action calls and named-argument blocks;
//! - `text`: the text of small pieces (types, delays, calls); expressions, durations and rule
//!   labels come from `syntax::print`.
//!
//! Safety: `format_source` parses its own output again and refuses (`FormatError::Unsafe`) when
//! the result does not parse to the same program, spans aside, or lost a comment, so a
//! formatter bug can never change what a file means.

mod items;
mod printer;
mod statements;
pub(crate) mod text;

use crate::ast::Module;
use crate::diag::Diagnostic;
use crate::source::SourceMap;
use printer::Printer;

pub use items::rule_header;

/// Lines longer than this put their named arguments one per line.
pub const MAX_WIDTH: usize = 100;

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The file has syntax errors (E0001); they are in `diagnostics`, against `sources`.
    Syntax { sources: SourceMap, diagnostics: Vec<Diagnostic> },
    /// The formatted text would not mean the same as the input: a bug in the formatter, so
    /// the file is left alone. `reason` says what differed.
    Unsafe { reason: String },
}

/// Formats one file given by its display name and text.
pub fn format_source(name: &str, text: &str) -> Result<String, FormatError> {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let (module, diagnostics) = crate::syntax::parse_module(&sources, file);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(FormatError::Syntax { sources, diagnostics });
    }
    let formatted = format_module(&module, text);
    verify(&module, text, name, &formatted)?;
    Ok(formatted)
}

/// The canonical text of a parsed module; `src` is the text its spans point into.
pub fn format_module(module: &Module, src: &str) -> String {
    let attached = attached_docs(module);
    let mut formatter = Formatter { p: Printer::new(src, &module.comments, attached) };
    formatter.items(&module.items);
    formatter.p.finish()
}

/// For each comment of the module: whether it is a line of a doc comment that the parser
/// attached to a node (a `///` line that documents nothing must not start to).
fn attached_docs(module: &Module) -> Vec<bool> {
    use crate::ast::{Item, StageMember};
    let mut spans = Vec::new();
    let mut add = |doc: &Option<crate::ast::Doc>| spans.extend(doc.as_ref().map(|d| d.span));
    for item in &module.items {
        match item {
            Item::Schema(schema) => {
                add(&schema.doc);
                schema.fields.iter().for_each(|f| add(&f.doc));
            }
            Item::Record(record) => {
                add(&record.doc);
                record.fields.iter().for_each(|f| add(&f.doc));
            }
            Item::Pipeline(pipeline) => {
                add(&pipeline.doc);
                for stage in &pipeline.stages {
                    add(&stage.doc);
                    for member in &stage.members {
                        match member {
                            StageMember::Rule(rule) => add(&rule.doc),
                            StageMember::Trigger(trigger) => add(&trigger.doc),
                        }
                    }
                }
            }
            Item::Calendar(calendar) => add(&calendar.doc),
            Item::Const(constant) => add(&constant.doc),
            Item::Process(process) => add(&process.doc),
            Item::Action(action) => add(&action.doc),
            Item::Event(event) => add(&event.doc),
        }
    }
    let inside = |c: &crate::ast::Comment| {
        spans.iter().any(|s| s.start <= c.span.start && c.span.end <= s.end)
    };
    module.comments.iter().map(inside).collect()
}

/// Checks that `formatted` parses without errors to the same items as `module`, spans aside,
/// and keeps every comment, in order.
fn verify(module: &Module, src: &str, name: &str, formatted: &str) -> Result<(), FormatError> {
    let unsafe_because = |reason: &str| FormatError::Unsafe { reason: reason.to_string() };
    let mut sources = SourceMap::new();
    let file = sources.add(name, formatted);
    let (reparsed, diagnostics) = crate::syntax::parse_module(&sources, file);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(unsafe_because("the formatted text has syntax errors"));
    }
    if syntax_fingerprint(&reparsed) != syntax_fingerprint(module) {
        return Err(unsafe_because("the formatted text parses to a different program"));
    }
    let texts = |m: &Module, text: &str| -> Vec<String> {
        let map_text =
            |c: &crate::ast::Comment| text.get(c.span.range()).unwrap_or("").trim_end().to_string();
        m.comments.iter().map(map_text).collect()
    };
    if texts(&reparsed, formatted) != texts(module, src) {
        return Err(unsafe_because("a comment was lost or moved out of order"));
    }
    Ok(())
}

/// The items of a module as text with every span erased: two modules with the same
/// fingerprint are the same program, whatever their layout.
pub fn syntax_fingerprint(module: &Module) -> String {
    erase_spans(&format!("{:?}", module.items))
}

/// Replaces every `Span { … }` of a `{:?}` text by `Span`.
fn erase_spans(debug: &str) -> String {
    const MARK: &str = "Span { file: FileId(";
    let mut out = String::with_capacity(debug.len() / 2);
    let mut rest = debug;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        out.push_str("Span");
        rest = &rest[at..];
        match rest.find('}') {
            Some(close) => rest = &rest[close + 1..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// The state of one formatting run: the printer and the source it reads from.
pub(crate) struct Formatter<'a> {
    p: Printer<'a>,
}

impl<'a> Formatter<'a> {
    fn src(&self) -> &'a str {
        self.p.src()
    }

    /// The offset of the `{` that follows `from` on the same line (after spaces), if any.
    fn find_brace(&self, from: usize) -> Option<usize> {
        let rest = self.src().get(from..)?;
        let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\u{FEFF}']).len();
        rest[skipped..].starts_with('{').then_some(from + skipped)
    }

    /// Like `find_brace`, for a block the grammar guarantees.
    fn brace_after(&self, from: usize) -> usize {
        self.find_brace(from).unwrap_or(from)
    }

    /// The offset of the `}` that ends `span` (spans of braced constructs end after it).
    fn close_brace(&self, span: crate::span::Span) -> usize {
        let text = self.src().get(..span.end as usize).unwrap_or("");
        text.rfind('}').filter(|&at| at >= span.start as usize).unwrap_or(text.len())
    }

    /// `HEADER { … }`, the braces at `brace` and `close` in the source, with `body` printing the
    /// lines inside; an empty block without comments is `HEADER {}` on one line.
    fn braced(
        &mut self,
        depth: usize,
        start: usize,
        (brace, close): (usize, usize),
        header: String,
        empty: bool,
        body: impl FnOnce(&mut Self),
    ) {
        if empty && !self.p.has_comment_in(brace, close) {
            let line = if header.is_empty() { "{}".to_string() } else { format!("{header} {{}}") };
            self.p.line(depth, start, close + 1, &line);
            return;
        }
        self.p.open(depth, start, brace, &header);
        body(self);
        self.p.close(depth, close);
    }

    /// Whether a `{ … }` block (from `brace` to `close` in the source) stays on one line as
    /// `line`: it was written on one line, holds no comment, and `line` fits the width.
    fn fits_inline(&self, brace: usize, close: usize, depth: usize, line: &str) -> bool {
        let written = self.src().get(brace..close.max(brace)).unwrap_or("\n");
        !written.contains('\n')
            && !self.p.has_comment_in(brace, close)
            && !line.contains('\n')
            && printer::width(depth, line) <= MAX_WIDTH
    }
}

#[cfg(test)]
mod tests;
