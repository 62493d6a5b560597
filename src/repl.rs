//! The REPL (SPEC §12): explore a program interactively against an in-memory or file-backed
//! CRM on the virtual clock.
//!
//! `Session` is the whole REPL without a terminal: one input in, one `Reply` out. An input is
//! a scenario command (run by the one interpreter, `scenario::Runner`, shared with `bp run` and
//! `bp test`), a `:` command (`commands.rs`), `why SEQ` (`why.rs`) or a bare expression
//! (printed with its value and type). Nothing an input says can end the session except
//! `:quit`; an input that fails leaves the CRM state as it was.
//!
//! ```text
//! terminal.rs (rustyline, or lines from a pipe)
//!      │ one input (continued while a `{` is open: scenario::needs_more)
//!      ▼
//! Session::eval ──▶ `:` command ─▶ commands.rs / program.rs / why.rs / docs.rs
//!      │        ──▶ scenario command ─▶ scenario::Runner::apply ─▶ runtime::Engine
//!      │        ──▶ bare expression ─▶ check::check_expr + Engine::eval
//!      ▼
//!    Reply (lines for stdout and stderr, diagnostics, value and type)
//! ```
//!
//! `complete.rs` computes Tab completions (and `hint.rs` hints) from the `Model` and the
//! session's aliases and users, as plain data; `terminal.rs` is the only code that knows about
//! rustyline, the history file and colours.

mod commands;
pub mod complete;
mod docs;
pub mod hint;
mod program;
mod session;
pub mod terminal;
mod why;

#[cfg(test)]
mod tests;

pub use session::{Options, Session, StartError};

use crate::diag::Diagnostic;

/// Which stream a line of a reply belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Effects, inspection output, values, help.
    Out,
    /// Diagnostics, failed expectations, session errors.
    Err,
}

/// How a line is shown on a colour terminal (plain text everywhere else).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    /// An effect of the log.
    Effect,
    /// A passed `expect`, a successful `:` command.
    Ok,
    /// A value of a bare expression.
    Value,
    /// Secondary information: types, the clock, notes.
    Dim,
    /// A heading (`:stages`, `:doc`, `why`).
    Heading,
    /// Already coloured, or an error message.
    Error,
    Warning,
}

/// One line of a reply, without its newline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub stream: Stream,
    pub style: Style,
    pub text: String,
}

/// The value of a bare expression: its text (as a scenario would write it) and its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluated {
    pub value: String,
    pub ty: String,
}

/// What the session answers to one input.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    /// Every line to show, in order (each knows its stream).
    pub lines: Vec<Line>,
    /// The diagnostics behind the error lines (already rendered into `lines`).
    pub diagnostics: Vec<Diagnostic>,
    /// A bare expression's value and type (also rendered into `lines`).
    pub value: Option<Evaluated>,
    /// The input failed (the state is as it was before it).
    pub failed: bool,
    /// `:quit`: the session ends.
    pub quit: bool,
}

impl Reply {
    /// A line on stdout.
    pub fn out(&mut self, style: Style, text: impl Into<String>) {
        self.lines.push(Line { stream: Stream::Out, style, text: text.into() });
    }

    /// A line on stderr.
    pub fn err(&mut self, style: Style, text: impl Into<String>) {
        self.lines.push(Line { stream: Stream::Err, style, text: text.into() });
    }

    /// A text of several lines on a stream (a rendered diagnostic); a final newline is dropped.
    pub fn block(&mut self, stream: Stream, style: Style, text: &str) {
        for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
            self.lines.push(Line { stream, style, text: line.to_string() });
        }
    }

    /// An error message on stderr; the input failed.
    pub fn fail(&mut self, text: impl Into<String>) {
        self.err(Style::Error, text);
        self.failed = true;
    }

    /// Every line as plain text, each ending with a newline (what a pipe or a test sees,
    /// both streams in order).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&line.text);
            out.push('\n');
        }
        out
    }

    /// The lines of one stream as plain text.
    pub fn stream_text(&self, stream: Stream) -> String {
        let mut out = String::new();
        for line in self.lines.iter().filter(|l| l.stream == stream) {
            out.push_str(&line.text);
            out.push('\n');
        }
        out
    }
}
