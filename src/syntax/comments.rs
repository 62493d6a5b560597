//! The lexical pre-scan: one pass over the text, before pest, that
//! - collects every `//` and `///` comment for `Module::comments` (the formatter's side table)
//!   and groups `///` lines into doc blocks for the node that follows them;
//! - checks that `(` `[` `{` match and that brackets and `{{ }}` interpolations nest at most
//!   `MAX_NESTING` deep, because pest (and the builders) recurse once per level.
//!
//! It understands exactly as much as the recovery rules of `grammar/bp.pest` (`raw_string`,
//! `raw_interp`, `raw_comment`, `raw_group`): strings end at their quote or, for `"`, at the end
//! of the line; `{{` opens an interpolation inside a string, closed by `}}` or the end of the
//! line; `//` outside strings starts a comment. It is iterative (an explicit stack), so any input
//! is safe.

use std::collections::HashMap;

use crate::ast::{Comment, Doc};
use crate::diag::{Code, Diagnostic};
use crate::span::{FileId, Span};

use super::MAX_NESTING;

/// What the pre-scan found.
pub(crate) struct Scan {
    pub comments: Vec<Comment>,
    /// Offsets of the lines that start right after a top-level `}` ended the previous line:
    /// places where the file can be cut into independently parsed pieces.
    pub splits: Vec<usize>,
    /// The first bracket problem (unclosed, unexpected, mismatched or too deep), if any.
    pub error: Option<Diagnostic>,
}

#[derive(Clone, Copy)]
enum Frame {
    /// Inside `(`, `[` or `{` opened at `open`; `close` is the expected closer.
    Group { close: u8, open: usize },
    /// Inside a string.
    Text { triple: bool },
    /// Inside `{{ … }}` opened at `open`.
    Interp,
}

/// Scans `text`, which starts at offset `base` of `file`.
pub(crate) fn scan(text: &str, file: FileId, base: usize) -> Scan {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        text,
        file,
        base,
        comments: Vec::new(),
        splits: Vec::new(),
    };
    let error = scanner.run();
    Scan { comments: scanner.comments, splits: scanner.splits, error }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    file: FileId,
    base: usize,
    comments: Vec<Comment>,
    splits: Vec<usize>,
}

impl Scanner<'_> {
    fn at(&self, i: usize, s: &[u8]) -> bool {
        self.bytes.get(i..i + s.len()) == Some(s)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start, self.base + end)
    }

    fn run(&mut self) -> Option<Diagnostic> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut depth = 0usize; // groups and interpolations on the stack
        let mut last_top_level = 0u8; // the last code byte seen at the top level
        let mut i = 0;
        let len = self.bytes.len();
        while i < len {
            let byte = self.bytes[i];
            match stack.last().copied() {
                Some(Frame::Text { triple }) => {
                    if byte == b'\\' {
                        i += if matches!(self.bytes.get(i + 1), Some(b'\n' | b'\r') | None) {
                            1
                        } else {
                            2
                        };
                    } else if self.at(i, b"{{") {
                        depth += 1;
                        if depth > MAX_NESTING {
                            return Some(too_deep(self.span(i, i + 2)));
                        }
                        stack.push(Frame::Interp);
                        i += 2;
                    } else if triple && self.at(i, b"\"\"\"") {
                        stack.pop();
                        i += 3;
                    } else if !triple && byte == b'"' {
                        stack.pop();
                        i += 1;
                    } else if !triple && matches!(byte, b'\n' | b'\r') {
                        stack.pop(); // unterminated: the grammar reports it
                    } else {
                        i += 1;
                    }
                }
                frame => {
                    let in_interp = matches!(frame, Some(Frame::Interp));
                    if in_interp && self.at(i, b"}}") {
                        stack.pop();
                        depth -= 1;
                        i += 2;
                    } else if in_interp && matches!(byte, b'\n' | b'\r') {
                        stack.pop(); // unterminated interpolation: the grammar reports it
                        depth -= 1;
                    } else if !in_interp && self.at(i, b"//") {
                        i = self.comment(i);
                    } else if frame.is_none() && byte == b'\n' {
                        // A newline after a closing `}` at the top level always ends an item
                        // (nothing continues a line after `}`; `else` shares its line).
                        if last_top_level == b'}' {
                            self.splits.push(self.base + i + 1);
                        }
                        last_top_level = b'\n';
                        i += 1;
                    } else if byte == b'"' {
                        if frame.is_none() {
                            last_top_level = byte;
                        }
                        let triple = self.at(i, b"\"\"\"");
                        stack.push(Frame::Text { triple });
                        i += if triple { 3 } else { 1 };
                    } else if let Some(close) = closer(byte) {
                        depth += 1;
                        if depth > MAX_NESTING {
                            return Some(too_deep(self.span(i, i + 1)));
                        }
                        stack.push(Frame::Group { close, open: i });
                        i += 1;
                    } else if matches!(byte, b')' | b']' | b'}') {
                        match frame {
                            Some(Frame::Group { close, .. }) if close == byte => {
                                stack.pop();
                                depth -= 1;
                                if stack.is_empty() {
                                    last_top_level = byte;
                                }
                            }
                            Some(Frame::Group { close, open }) => {
                                return Some(self.mismatched(i, byte, close, open));
                            }
                            _ => return Some(self.unexpected(i, byte)),
                        }
                        i += 1;
                    } else {
                        if frame.is_none() && !matches!(byte, b' ' | b'\t' | b'\r') {
                            last_top_level = byte;
                        }
                        i += 1;
                    }
                }
            }
        }
        let unclosed = stack.iter().rev().find_map(|frame| match frame {
            Frame::Group { open, .. } => Some(*open),
            _ => None,
        });
        unclosed.map(|open| {
            let opener = self.bytes[open] as char;
            let closer = closer(self.bytes[open]).map_or('}', char::from);
            Diagnostic::new(
                Code::E0001,
                format!("unclosed `{opener}`"),
                self.span(open, open + 1),
                format!("this `{opener}` is never closed"),
            )
            .with_help(format!("add the matching `{closer}`"))
        })
    }

    /// Records the comment starting at `start` and returns the offset of its line's end.
    fn comment(&mut self, start: usize) -> usize {
        let end = memchr_newline(self.bytes, start);
        let raw = self.text.get(start..end).unwrap_or("");
        let doc = raw.starts_with("///") && !raw.starts_with("////");
        let text = raw.get(if doc { 3 } else { 2 }..).unwrap_or("");
        let text = text.strip_suffix('\r').unwrap_or(text).to_string();
        let end_trimmed = if raw.ends_with('\r') { end - 1 } else { end };
        self.comments.push(Comment { text, doc, span: self.span(start, end_trimmed) });
        end
    }

    fn mismatched(&self, at: usize, found: u8, expected: u8, open: usize) -> Diagnostic {
        let opener = self.bytes[open] as char;
        Diagnostic::new(
            Code::E0001,
            format!("mismatched `{}`: expected `{}`", found as char, expected as char),
            self.span(at, at + 1),
            format!("expected `{}` here", expected as char),
        )
        .with_secondary(self.span(open, open + 1), format!("to close this `{opener}`"))
    }

    fn unexpected(&self, at: usize, found: u8) -> Diagnostic {
        Diagnostic::new(
            Code::E0001,
            format!("unexpected `{}`", found as char),
            self.span(at, at + 1),
            "nothing to close here",
        )
        .with_help(format!("remove this `{}` or add the bracket it closes", found as char))
    }
}

fn closer(byte: u8) -> Option<u8> {
    match byte {
        b'(' => Some(b')'),
        b'[' => Some(b']'),
        b'{' => Some(b'}'),
        _ => None,
    }
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::E0001,
        "nesting too deep",
        span,
        format!("more than {MAX_NESTING} levels"),
    )
    .with_help("split the expression or block into smaller pieces")
}

/// The offset of the next `\n` at or after `from`, or the end.
fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| from + p)
}

/// Groups consecutive `///` lines (each alone on its line) into doc blocks, keyed by the offset
/// of the first token after the block (only whitespace may come between).
pub(crate) fn doc_blocks(text: &str, comments: &[Comment]) -> HashMap<usize, Doc> {
    let bytes = text.as_bytes();
    let mut docs = HashMap::new();
    let mut index = 0;
    while index < comments.len() {
        let first = &comments[index];
        if !first.doc || !alone_on_line(bytes, first.span.start as usize) {
            index += 1;
            continue;
        }
        let mut lines = vec![doc_line(&first.text)];
        let mut last = first.span;
        index += 1;
        while let Some(next) = comments.get(index) {
            let between = text.get(last.end as usize..next.span.start as usize).unwrap_or("x");
            let one_line = between.bytes().filter(|&b| b == b'\n').count() == 1;
            if !next.doc || !one_line || !between.trim().is_empty() {
                break;
            }
            lines.push(doc_line(&next.text));
            last = next.span;
            index += 1;
        }
        let next = skip_whitespace(bytes, last.end as usize);
        if next < bytes.len() && !text[next..].starts_with("//") {
            let span = Span { file: first.span.file, start: first.span.start, end: last.end };
            docs.insert(next, Doc { text: lines.join("\n"), span });
        }
    }
    docs
}

fn doc_line(text: &str) -> String {
    text.strip_prefix(' ').unwrap_or(text).trim_end().to_string()
}

fn alone_on_line(bytes: &[u8], start: usize) -> bool {
    bytes[..start].iter().rev().take_while(|&&b| b != b'\n').all(|&b| b == b' ' || b == b'\t')
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
        at += 1;
    }
    at
}
