//! Cutting scenario text into commands, and the small text readers the parser and the CLI
//! share (strings, dates). No pest here: `parse.rs` parses each command this file cuts out.
//!
//! A command ends at a newline outside strings and brackets (`{ }`, `[ ]`, `( )`), so a block
//! may span lines; `#` starts a comment outside strings. The same scan tells the REPL whether
//! an input is unfinished (`needs_more`).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Brackets may nest this deep in one command (as in `.bp` files); deeper is E0001.
pub(crate) const MAX_DEPTH: usize = 64;

/// The `.bp` files a scenario names on its first line, `# uses: a.bp, b.bp` (SPEC §10), as
/// written (relative to the scenario).
pub fn uses_line(text: &str) -> Option<Vec<String>> {
    let first = text.lines().next()?.trim();
    let rest = first.strip_prefix('#')?.trim_start().strip_prefix("uses:")?;
    Some(rest.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
}

/// Whether `text` is an unfinished command: a `{`, `[` or `(` is still open. The REPL keeps
/// reading lines while this holds (SPEC §12).
pub fn needs_more(text: &str) -> bool {
    let mut scanner = Scanner::new(text);
    scanner.run();
    scanner.depth > 0
}

/// The byte range of one command in its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub start: usize,
    pub end: usize,
    /// Where brackets first nest deeper than `MAX_DEPTH`.
    pub too_deep: Option<usize>,
}

/// Cuts a scenario into commands. Blank lines and comment-only lines produce nothing; a
/// chunk excludes its trailing whitespace and comment.
pub(crate) fn split_commands(text: &str) -> Vec<Chunk> {
    let mut scanner = Scanner::new(text);
    scanner.run();
    scanner.chunks
}

struct Scanner<'a> {
    bytes: &'a [u8],
    chunks: Vec<Chunk>,
    depth: usize,
    start: Option<usize>,
    content_end: usize,
    too_deep: Option<usize>,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            bytes: text.as_bytes(),
            chunks: Vec::new(),
            depth: 0,
            start: None,
            content_end: 0,
            too_deep: None,
        }
    }

    // Scanning bytes is safe for UTF-8: every delimiter is ASCII, and no byte of a multi-byte
    // character is ASCII.
    fn run(&mut self) {
        let mut i = 0;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'"' => {
                    self.start.get_or_insert(i);
                    i = self.skip_string(i);
                    self.content_end = i;
                    continue;
                }
                b'#' => {
                    while i < self.bytes.len() && self.bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'\n' => {
                    if self.depth == 0 {
                        self.finish();
                    }
                    i += 1;
                    continue;
                }
                b' ' | b'\t' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'{' | b'[' | b'(' => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH && self.too_deep.is_none() {
                        self.too_deep = Some(i);
                    }
                }
                b'}' | b']' | b')' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
            self.start.get_or_insert(i);
            i += 1;
            self.content_end = i;
        }
        self.finish();
    }

    /// The index after the string starting at `i` (or of the newline ending an unterminated
    /// one, which the grammar then reports).
    fn skip_string(&self, mut i: usize) -> usize {
        i += 1;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                b'\n' => return i,
                _ => i += 1,
            }
        }
        self.bytes.len()
    }

    fn finish(&mut self) {
        if let Some(start) = self.start.take() {
            let end = self.content_end.max(start).min(self.bytes.len());
            self.chunks.push(Chunk { start, end, too_deep: self.too_deep.take() });
        }
    }
}

/// Decodes the escapes of a quoted string (`\" \\ \n \t \{`); the quotes are removed.
pub(crate) fn decode_string(quoted: &str) -> String {
    let inner = quoted.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(quoted);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// `2026-03-02` as a date, `None` when impossible.
pub fn parse_date_text(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// `2026-03-02 09:30`, `2026-03-02T09:30` or `2026-03-02` (00:00), `None` when malformed or
/// impossible. Used for `--until` too.
pub fn parse_datetime_text(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if text.len() == 10 {
        return parse_date_text(text).map(|d| d.and_time(NaiveTime::MIN));
    }
    let (date, time) = text.split_at_checked(10)?;
    let time = time.strip_prefix(' ').or_else(|| time.strip_prefix('T'))?;
    let time = NaiveTime::parse_from_str(time, "%H:%M").ok()?;
    Some(parse_date_text(date)?.and_time(time))
}
