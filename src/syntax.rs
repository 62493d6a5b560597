//! Parsing `.bp` files: text → `ast::Module` plus E0001 syntax diagnostics. The only user of
//! pest in the `.bp` pipeline (STYLE §1.5); everything after it works on `ast` and `Span`.
//!
//! How a file is read:
//! 1. `comments::scan` walks the text once: it collects every `//` comment (the side table in
//!    `Module::comments`), checks that brackets match and that nesting stays within
//!    `MAX_NESTING` levels (pest recurses, so deeper input is refused before pest sees it), and
//!    notes where a large file can be cut into pieces parsed on several threads.
//! 2. pest parses `grammar/bp.pest` from `Rule::module`. The grammar has recovery rules
//!    (`bad_item`, `bad_line`), so it succeeds on almost any text.
//! 3. The builders turn pairs into AST nodes, one `parse_<rule>` function per grammar rule, in
//!    the file named after the SPEC section: `items.rs` (§3 items), `stages.rs` (§3.5 stage
//!    bodies), `statements.rs` (§4 statements, §5 calls), `expressions.rs` (§6.2 Pratt table),
//!    `literals.rs` (§2 dates, durations), `templates.rs` (§2 strings and `{{ }}`). Each
//!    swallowed line is re-parsed alone by `grammar::explain` to report what was expected, and
//!    error productions become specific messages.
//! 4. `///` doc comments are attached to the item, stage, rule, trigger or field they precede.
//!
//! Naming convention: grammar rule `foo` ↔ builder `parse_foo` ↔ AST type `Foo` (STYLE §3).
//! `print` holds the canonical text of expressions and rule headers.

mod comments;
mod expressions;
mod grammar;
mod items;
mod literals;
pub mod print;
mod stages;
mod statements;
mod templates;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::HashMap;

use pest::iterators::Pair;
use pest::Parser;

use crate::ast;
use crate::diag::{Code, Diagnostic};
use crate::source::SourceMap;
use crate::span::{FileId, Ident, Span};

use grammar::{BpParser, Rule};

/// Deepest bracket / interpolation nesting accepted (deeper is E0001 "nesting too deep").
pub const MAX_NESTING: usize = 64;
/// Deepest expression tree accepted; keeps every later recursive pass far from the stack limit.
pub const MAX_EXPR_DEPTH: u32 = 200;
/// Syntax errors reported per file; more are summarised in one last diagnostic.
const MAX_SYNTAX_ERRORS: usize = 100;

/// Files at least this large are cut into pieces parsed on several threads.
const PARALLEL_THRESHOLD: usize = 256 * 1024;

/// Parses one registered file into a module, with its syntax diagnostics (E0001).
pub fn parse_module(map: &SourceMap, file: FileId) -> (ast::Module, Vec<Diagnostic>) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    parse_module_with(map, file, threads)
}

/// `parse_module` on at most `threads` threads. A large file is cut at top-level lines that
/// follow a closing `}` (`Scan::splits`), where no item can continue, and the pieces are parsed
/// independently; items and diagnostics come back in file order, so the result is the same as
/// one parse.
fn parse_module_with(
    map: &SourceMap,
    file: FileId,
    threads: usize,
) -> (ast::Module, Vec<Diagnostic>) {
    let text = map.get(file).text.as_str();
    let scan = comments::scan(text, file, 0);
    let mut module = ast::Module { file, items: Vec::new(), comments: scan.comments };
    if let Some(error) = scan.error {
        return (module, vec![error]);
    }
    let docs = comments::doc_blocks(text, &module.comments);
    let pieces = pieces(text.len(), &scan.splits, threads);
    let parse = |&(start, end): &(usize, usize)| {
        let ctx = Ctx::new(file, text, start, &module.comments, &docs);
        parse_piece(&ctx, &text[start..end]);
        ctx.into_parts()
    };
    let results: Vec<(Vec<ast::Item>, Vec<Diagnostic>)> = if pieces.len() == 1 {
        pieces.iter().map(parse).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = pieces
                .iter()
                .map(|piece| {
                    std::thread::Builder::new()
                        .stack_size(PARSER_STACK)
                        .spawn_scoped(scope, move || parse(piece))
                })
                .collect();
            handles
                .into_iter()
                .zip(&pieces)
                .map(|(handle, piece)| match handle.map(|h| h.join()) {
                    Ok(Ok(result)) => result,
                    // No thread (or a panic, which is a bug): parse this piece here.
                    _ => parse(piece),
                })
                .collect()
        })
    };
    let mut diagnostics = Vec::new();
    for (items, diags) in results {
        module.items.extend(items);
        diagnostics.extend(diags);
    }
    (module, finish_diagnostics(diagnostics))
}

/// Stack of a parsing thread: pest recurses a few frames per nesting level.
const PARSER_STACK: usize = 32 * 1024 * 1024;

/// `(start, end)` byte ranges covering `0..len`, about `len / threads` long, cut at `splits`.
fn pieces(len: usize, splits: &[usize], threads: usize) -> Vec<(usize, usize)> {
    let count = if len < PARALLEL_THRESHOLD { 1 } else { threads.max(1) };
    let mut cuts = vec![0];
    for k in 1..count {
        let target = len * k / count;
        let index = splits.partition_point(|&s| s < target);
        if let Some(&cut) = splits.get(index) {
            if cut > *cuts.last().unwrap_or(&0) && cut < len {
                cuts.push(cut);
            }
        }
    }
    cuts.push(len);
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Parses `piece` (the text of `ctx.text` from `ctx.base`) as a module: its items and
/// diagnostics go to `ctx`.
fn parse_piece(ctx: &Ctx<'_>, piece: &str) {
    match BpParser::parse(Rule::module, piece) {
        Ok(mut pairs) => {
            if let Some(pair) = pairs.next() {
                let items = items::parse_module(ctx, pair);
                ctx.items.borrow_mut().extend(items);
            }
        }
        Err(error) => ctx.error(grammar::pest_error(ctx, &error, "a top-level item")),
    }
}

/// Parses the byte range `start..end` of a registered file as one expression (scenario
/// `expect`, `where` filters, the REPL). Spans are in the file's coordinates.
pub fn parse_expr(
    map: &SourceMap,
    file: FileId,
    start: usize,
    end: usize,
) -> Result<ast::Expr, Vec<Diagnostic>> {
    let full = map.get(file).text.as_str();
    let Some(text) = full.get(start..end) else {
        let at = start.min(full.len());
        return Err(vec![Diagnostic::new(
            Code::E0001,
            "expected an expression",
            Span::new(file, at, at),
            "no expression here",
        )]);
    };
    let scan = comments::scan(text, file, start);
    if let Some(error) = scan.error {
        return Err(vec![error]);
    }
    let docs = HashMap::new();
    let ctx = Ctx::new(file, full, start, &[], &docs);
    let expr = match BpParser::parse(Rule::expr_only, text) {
        Ok(pairs) => pairs
            .flatten()
            .find(|p| p.as_rule() == Rule::expr)
            .and_then(|p| expressions::parse_expr(&ctx, p)),
        Err(error) => {
            ctx.error(grammar::pest_error(&ctx, &error, "an expression"));
            None
        }
    };
    let diags = finish_diagnostics(ctx.into_parts().1);
    match expr {
        Some(expr) if diags.is_empty() => Ok(expr),
        _ if diags.is_empty() => Err(vec![Diagnostic::new(
            Code::E0001,
            "expected an expression",
            Span::new(file, start, end),
            "not an expression",
        )]),
        _ => Err(diags),
    }
}

/// What every builder needs: where the parsed text sits, the diagnostics sink and the doc
/// comments waiting for their node.
pub(crate) struct Ctx<'a> {
    pub file: FileId,
    /// The whole file's text (`base` is where the parsed text starts in it).
    pub text: &'a str,
    pub base: usize,
    comments: &'a [ast::Comment],
    diags: RefCell<Vec<Diagnostic>>,
    /// The items built so far (by `parse_piece`).
    items: RefCell<Vec<ast::Item>>,
    /// Doc blocks keyed by the offset of the first token after them (lookups only).
    docs: &'a HashMap<usize, ast::Doc>,
}

impl<'a> Ctx<'a> {
    fn new(
        file: FileId,
        text: &'a str,
        base: usize,
        comments: &'a [ast::Comment],
        docs: &'a HashMap<usize, ast::Doc>,
    ) -> Ctx<'a> {
        let (diags, items) = (RefCell::new(Vec::new()), RefCell::new(Vec::new()));
        Ctx { file, text, base, comments, diags, items, docs }
    }

    /// A context for re-parsing `text[base..]` alone (its diagnostics are returned by the
    /// caller, not collected).
    fn at(&self, base: usize) -> Ctx<'a> {
        Ctx::new(self.file, self.text, base, self.comments, self.docs)
    }

    /// The span of a pair in file coordinates, without the trailing spaces and comment that
    /// pest's implicit whitespace may leave at its end.
    pub fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        self.trimmed(self.base + s.start(), self.base + s.end())
    }

    /// A span from file offsets, trimmed like `span`.
    pub fn trimmed(&self, start: usize, end: usize) -> Span {
        let mut end = self.trim_spaces(start, end);
        // A comment ending exactly here and starting inside the span is implicit whitespace.
        // Comments end at a line's end, so most spans need no look-up.
        let at_line_end = matches!(self.text.as_bytes().get(end), None | Some(b'\n' | b'\r'));
        if at_line_end {
            let index = self.comments.partition_point(|c| (c.span.end as usize) < end);
            if let Some(comment) = self.comments.get(index) {
                if comment.span.end as usize == end && comment.span.start as usize >= start {
                    end = self.trim_spaces(start, comment.span.start as usize);
                }
            }
        }
        Span::new(self.file, start, end)
    }

    fn trim_spaces(&self, start: usize, mut end: usize) -> usize {
        let bytes = self.text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b' ' | b'\t')) {
            end -= 1;
        }
        end
    }

    /// A pair's text as an identifier.
    pub fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident::new(pair.as_str(), self.span(pair))
    }

    /// Reports a diagnostic.
    pub fn error(&self, diagnostic: Diagnostic) {
        self.diags.borrow_mut().push(diagnostic);
    }

    /// Reports an E0001 at `span`.
    pub fn syntax_error(&self, message: impl Into<String>, span: Span, label: impl Into<String>) {
        self.error(Diagnostic::new(Code::E0001, message, span, label));
    }

    /// The doc block written just before the node starting at `span`.
    pub fn doc(&self, span: Span) -> Option<ast::Doc> {
        self.docs.get(&(span.start as usize)).cloned()
    }

    fn has_too_many_errors(&self) -> bool {
        self.diags.borrow().len() >= MAX_SYNTAX_ERRORS
    }

    fn into_parts(self) -> (Vec<ast::Item>, Vec<Diagnostic>) {
        (self.items.into_inner(), self.diags.into_inner())
    }
}

/// Diagnostics in file order, without duplicates, at most `MAX_SYNTAX_ERRORS` of them and a
/// last one saying how many more there were.
fn finish_diagnostics(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.sort_by_key(|d| (d.span().start, d.span().end));
    diags.dedup_by(|a, b| a.span() == b.span() && a.message == b.message);
    if diags.len() > MAX_SYNTAX_ERRORS {
        let span = diags[MAX_SYNTAX_ERRORS].span();
        let hidden = diags.len() - MAX_SYNTAX_ERRORS;
        diags.truncate(MAX_SYNTAX_ERRORS);
        diags.push(Diagnostic::new(
            Code::E0001,
            format!("too many syntax errors; {hidden} more not shown"),
            span,
            "the first one not shown",
        ));
    }
    diags
}

/// The inner pairs of `pair` that are not keywords or punctuation.
pub(crate) fn children<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.into_inner().filter(|p| !grammar::is_token(p.as_rule()))
}
