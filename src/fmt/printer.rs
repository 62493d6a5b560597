//! The line writer of `bp fmt`: indentation, blank-line paragraphs and comment placement.
//!
//! The printer walks the AST in source order and writes one output line per "line-level" node
//! (a field, a stage line, a statement, a named-argument entry) or per block header and `}`.
//! Comments come from the module's side table, sorted by position, and are placed with these
//! rules (docs/style.md, "Comments"):
//! - a comment before a node, on its own line, is printed on its own line just above the node,
//!   at the node's indentation (comments before a `}` stay inside the block);
//! - a comment after code on the same source line stays at the end of that output line;
//! - a comment inside a construct that is printed on one line (a list or an expression that
//!   was split over lines) ends that line when it is the only one there and the line has no
//!   comment of its own; otherwise it moves to its own line just above the line;
//! - a `///` comment that documents nothing in the input must not start documenting the node
//!   below it: when it would be printed right above a node that takes a doc comment, it goes
//!   to the end of the line before instead, or, when that line already ends with a comment, to
//!   the end of the node's line.
//!
//! Blank lines: one is kept wherever the source had at least one between two nodes or
//! comments; never right after `{` or right before `}`.

use super::text::VERBATIM_LINE;
use crate::ast::Comment;

/// Two spaces per level (docs/style.md).
const INDENT: &str = "  ";

/// Writes the formatted text of one file.
pub(crate) struct Printer<'a> {
    /// The source text the spans point into.
    src: &'a str,
    comments: &'a [Comment],
    /// For each comment: it is a line of a `///` doc comment attached to a node.
    attached: Vec<bool>,
    /// The first comment not printed yet.
    next: usize,
    out: String,
    /// Source offset just after the last node or comment printed: blank lines are looked for
    /// between it and the next one.
    last_end: usize,
    /// The last line written opened a block: no blank line may follow.
    after_open: bool,
    /// The next line is preceded by a blank line whatever the source had (between top-level
    /// declarations with a body).
    force_blank: bool,
    /// The next node printed takes a `///` doc comment (a declaration, field, stage, rule or
    /// trigger).
    doc_target: bool,
    /// The last line written ends with a comment: nothing may be appended to it.
    last_line_commented: bool,
}

impl<'a> Printer<'a> {
    /// A printer for `src`; `attached[i]` says whether comment `i` belongs to a doc comment
    /// that the parser attached to a node.
    pub(crate) fn new(src: &'a str, comments: &'a [Comment], attached: Vec<bool>) -> Printer<'a> {
        Printer {
            src,
            comments,
            attached,
            next: 0,
            out: String::new(),
            last_end: 0,
            after_open: true,
            force_blank: false,
            doc_target: false,
            last_line_commented: false,
        }
    }

    /// The source text.
    pub(crate) fn src(&self) -> &'a str {
        self.src
    }

    /// Prints the remaining comments (at the end of the file) and returns the text, which ends
    /// with exactly one newline unless it is empty.
    pub(crate) fn finish(mut self) -> String {
        self.comments_before(usize::MAX, 0);
        self.out
    }

    /// Asks for a blank line before the next line written (unless it opens the file).
    pub(crate) fn blank_line(&mut self) {
        self.force_blank = true;
    }

    /// Says that the next node printed takes a `///` doc comment.
    pub(crate) fn doc_target(&mut self) {
        self.doc_target = true;
    }

    /// Whether a comment starts inside `start..end`.
    pub(crate) fn has_comment_in(&self, start: usize, end: usize) -> bool {
        let rest = &self.comments[self.next..];
        let first = rest.partition_point(|c| (c.span.start as usize) < start);
        rest.get(first).is_some_and(|c| (c.span.start as usize) < end)
    }

    /// Prints, each on its own line at `depth`, every comment that starts before `offset`.
    fn comments_before(&mut self, offset: usize, depth: usize) {
        while let Some(comment) = self.comments.get(self.next) {
            let start = comment.span.start as usize;
            if start >= offset {
                break;
            }
            let detached_doc =
                comment.doc && !self.attached.get(self.next).copied().unwrap_or(false);
            let node_follows =
                self.comments.get(self.next + 1).is_none_or(|c| c.span.start as usize >= offset);
            if detached_doc && node_follows && self.doc_target {
                // It goes to the end of the line before, or else to the end of the node's own
                // line (`write_line` counts it among the node's inner comments).
                if self.append_to_last_line() {
                    continue;
                }
                break;
            }
            self.begin_line(start);
            let text = comment_text(self.src, comment);
            push_indented(&mut self.out, depth, &text);
            self.out.push('\n');
            self.last_end = self.last_end.max(comment.span.end as usize);
            self.last_line_commented = true;
            self.next += 1;
        }
    }

    /// Moves the next comment to the end of the last line written, when that line has no
    /// comment yet.
    fn append_to_last_line(&mut self) -> bool {
        let Some(comment) = self.comments.get(self.next) else { return false };
        if self.last_line_commented || !self.out.ends_with('\n') {
            return false;
        }
        self.out.pop();
        self.out.push(' ');
        self.out.push_str(&comment_text(self.src, comment));
        self.out.push('\n');
        self.last_end = self.last_end.max(comment.span.end as usize);
        self.last_line_commented = true;
        self.next += 1;
        true
    }

    /// One output line for a node that is printed whole on one line, `start..end` in the
    /// source: the comments before it go above it, then the text, then the comment that
    /// follows it on its source line. `text` may hold newlines (a `"""` string): its later
    /// lines are indented one level deeper than the line.
    pub(crate) fn line(&mut self, depth: usize, start: usize, end: usize, text: &str) {
        self.comments_before(start, depth);
        self.write_line(depth, start, end, end, text);
        self.last_end = self.last_end.max(end);
    }

    /// The header line of a block: `HEADER {`, where the `{` is at `brace` in the source.
    /// A comment after the `{` stays on the line.
    pub(crate) fn open(&mut self, depth: usize, start: usize, brace: usize, header: &str) {
        self.comments_before(start, depth);
        let line = if header.is_empty() { "{".to_string() } else { format!("{header} {{") };
        self.write_line(depth, start, brace, brace + 1, &line);
        self.last_end = self.last_end.max(brace + 1);
        self.after_open = true;
    }

    /// The `}` that closes a block at `close` in the source, after the comments left inside
    /// the block.
    pub(crate) fn close(&mut self, depth: usize, close: usize) {
        self.close_with(depth, close, "", close);
    }

    /// `} TEXT {` (`} else {`): closes a block at `close` and opens the next at `brace`.
    pub(crate) fn reopen(&mut self, depth: usize, close: usize, brace: usize, text: &str) {
        self.close_with(depth, close, &format!(" {text} {{"), brace);
        self.after_open = true;
    }

    /// `} TEXT` (`} -> Task in rule`): closes a block and ends the line with `text`.
    pub(crate) fn close_then(&mut self, depth: usize, close: usize, text: &str) {
        self.close_with(depth, close, text, close);
    }

    /// `}` then `rest`, for the source from the `}` at `close` to `last` (the last character
    /// of the line: the `{` of `} else {`, else the `}` itself).
    fn close_with(&mut self, depth: usize, close: usize, rest: &str, last: usize) {
        self.comments_before(close, depth + 1);
        self.after_open = true; // no blank line before a `}`
        self.force_blank = false;
        self.write_line(depth, close, last, last.max(close) + 1, &format!("}}{rest}"));
        self.last_end = self.last_end.max(last + 1).max(close + 1);
        self.after_open = false;
    }

    /// Writes `text` for the source `start..inner_end`, then the comment that follows `after`
    /// on its source line. A comment inside `start..inner_end` ends the line when it is the
    /// only one and there is no such following comment; otherwise the inner comments go above.
    fn write_line(
        &mut self,
        depth: usize,
        start: usize,
        inner_end: usize,
        after: usize,
        text: &str,
    ) {
        let inner = self.comments[self.next..]
            .iter()
            .take_while(|c| (c.span.start as usize) < inner_end)
            .count();
        let inner_ends_line = inner == 1 && !self.is_trailing(self.next + 1, after);
        if !inner_ends_line {
            self.doc_target = false;
            self.comments_before(inner_end, depth);
        }
        self.begin_line(start);
        self.doc_target = false;
        push_indented(&mut self.out, depth, text);
        self.last_line_commented = false;
        if inner_ends_line || self.is_trailing(self.next, after) {
            self.append_comment();
        }
        self.out.push('\n');
    }

    /// Starts a line for something at `start` in the source: a blank line first when asked for
    /// or when the source has one there.
    fn begin_line(&mut self, start: usize) {
        let blank = self.force_blank || has_blank_line(self.src, self.last_end, start);
        if blank && !self.after_open && !self.out.is_empty() {
            self.out.push('\n');
        }
        self.force_blank = false;
        self.after_open = false;
    }

    /// Whether comment `index` follows `end` on the same source line with nothing but
    /// spaces, `;` or `,` between.
    fn is_trailing(&self, index: usize, end: usize) -> bool {
        let Some(comment) = self.comments.get(index) else { return false };
        let start = comment.span.start as usize;
        let between = self.src.get(end.min(start)..start).unwrap_or("");
        between.chars().all(|c| matches!(c, ' ' | '\t' | ';' | ','))
    }

    /// Appends ` // comment` (the next one) to the line being written.
    fn append_comment(&mut self) {
        let Some(comment) = self.comments.get(self.next) else { return };
        self.out.push(' ');
        self.out.push_str(&comment_text(self.src, comment));
        self.last_end = self.last_end.max(comment.span.end as usize);
        self.last_line_commented = true;
        self.next += 1;
    }
}

/// A comment as printed: its source text without trailing spaces (a `///` doc comment keeps
/// them, since they are part of the documentation text).
fn comment_text(src: &str, comment: &Comment) -> String {
    let text = src.get(comment.span.range()).unwrap_or("").trim_end_matches(['\r', '\n']);
    if comment.doc {
        text.to_string()
    } else {
        text.trim_end().to_string()
    }
}

/// Writes `text` at `depth`; the lines after its first (inside a `"""` string) are indented
/// one level deeper, except those marked `VERBATIM_LINE`; empty ones stay empty.
fn push_indented(out: &mut String, depth: usize, text: &str) {
    for _ in 0..depth {
        out.push_str(INDENT);
    }
    let mut lines = text.split('\n');
    out.push_str(lines.next().unwrap_or(""));
    for line in lines {
        out.push('\n');
        if let Some(verbatim) = line.strip_prefix(VERBATIM_LINE) {
            out.push_str(verbatim);
        } else if !line.is_empty() {
            for _ in 0..=depth {
                out.push_str(INDENT);
            }
            out.push_str(line);
        }
    }
}

/// Whether the source between two offsets holds an empty line (a line with only spaces).
fn has_blank_line(src: &str, from: usize, to: usize) -> bool {
    if from >= to {
        return false;
    }
    let Some(between) = src.get(from..to) else { return false };
    let segments: Vec<&str> = between.split('\n').collect();
    segments.len() >= 3 && segments[1..segments.len() - 1].iter().any(|s| s.trim().is_empty())
}

/// The width of a line as printed, in characters, with its indentation.
pub(crate) fn width(depth: usize, text: &str) -> usize {
    depth * INDENT.len() + text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_are_empty_lines_between_two_offsets() {
        let cases = [
            ("a\n\nb", 1, 3, true),
            ("a\n  \nb", 1, 5, true),
            ("a\nb", 1, 2, false),
            ("a\n\nb", 3, 1, false),
            ("a; b", 1, 3, false),
        ];
        for (src, from, to, expected) in cases {
            assert_eq!(has_blank_line(src, from, to), expected, "{src:?} {from}..{to}");
        }
    }

    #[test]
    fn continuation_lines_of_a_triple_quoted_string_are_indented_one_level_deeper() {
        let mut out = String::new();
        push_indented(&mut out, 1, "body: \"\"\"\nHello\n\nBye\n\"\"\"");
        assert_eq!(out, "  body: \"\"\"\n    Hello\n\n    Bye\n    \"\"\"");
    }
}
