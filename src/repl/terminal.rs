//! The terminal edge of the REPL: the only code that knows about rustyline, the history file,
//! the prompt and colours (STYLE §10).
//!
//! - On a terminal (stdin is a tty): rustyline with Tab completion and hints from
//!   `complete.rs`, history kept across sessions (`history_path`), the prompt `bp> ` and the
//!   continuation prompt `... ` while a `{` is open; Ctrl-C cancels the line being typed,
//!   Ctrl-D (or `:quit`) ends the session.
//! - Otherwise (a pipe, a file): commands are read line by line (a `{` block may span lines)
//!   and replies printed without any prompt decoration, so the REPL can be scripted.
//!
//! Reply lines go to stdout or stderr as the session says; colour only when the stream is a
//! terminal and `NO_COLOR` is not set (SPEC §11).

use std::borrow::Cow;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::complete::{self, Index};
use super::{Reply, Session, Stream, Style};
use crate::cli::{emit, SUCCESS, USAGE};

/// The prompt of a new input.
pub const PROMPT: &str = "bp> ";
/// The prompt of a line that continues an open `{`.
pub const CONTINUATION: &str = "... ";

/// Runs the REPL on the process's stdin, writing to `out` and `err`; returns the exit status
/// (0, or 2 when the state file cannot be opened).
pub fn run(options: super::Options, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let no_color = std::env::var_os("NO_COLOR").is_some();
    let interactive = std::io::stdin().is_terminal();
    let out_color = crate::cli::color_allowed(std::io::stdout().is_terminal(), no_color);
    let err_color = crate::cli::color_allowed(std::io::stderr().is_terminal(), no_color);
    let options = super::Options { color: err_color, ..options };
    let (mut session, reply) = match Session::start(options) {
        Ok(started) => started,
        Err(error) => {
            let mut printer = Printer { out, err, out_color, err_color };
            printer.reply(&error.reply);
            emit(printer.err, &format!("error: {}\n", error.message));
            return USAGE;
        }
    };
    let mut printer = Printer { out, err, out_color, err_color };
    printer.reply(&reply);
    if interactive {
        if let Err(error) = interactive_loop(&mut session, &mut printer) {
            emit(printer.err, &format!("error: the terminal failed: {error}\n"));
            piped_loop(&mut session, &mut printer);
        }
    } else {
        piped_loop(&mut session, &mut printer);
    }
    if let Err(message) = session.finish() {
        emit(printer.err, &format!("error: the state was not saved: {message}\n"));
        return USAGE;
    }
    SUCCESS
}

/// Lines from a pipe: one input per line, continued while a `{` is open; no prompt.
fn piped_loop(session: &mut Session, printer: &mut Printer) {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut pending = String::new();
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        match input.read_until(b'\n', &mut bytes) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) => {
                emit(printer.err, &format!("error: cannot read the input: {error}\n"));
                break;
            }
        }
        // Invalid UTF-8 never ends the session: the bad bytes become U+FFFD, and the line
        // fails like any other bad input.
        pending.push_str(&String::from_utf8_lossy(&bytes));
        if !pending.ends_with('\n') {
            pending.push('\n');
        }
        if Session::needs_more(&pending) {
            continue;
        }
        let reply = session.eval(&std::mem::take(&mut pending));
        printer.reply(&reply);
        if reply.quit {
            return;
        }
    }
    if !pending.trim().is_empty() {
        // An unclosed `{` at the end of the input: the parser reports it.
        let reply = session.eval(&pending);
        printer.reply(&reply);
    }
}

/// rustyline: prompt, completion, hints, history.
fn interactive_loop(session: &mut Session, printer: &mut Printer) -> rustyline::Result<()> {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .history_ignore_space(true)
        .auto_add_history(false)
        .max_history_size(10_000)?
        .build();
    let mut editor: Editor<ReplHelper, FileHistory> = Editor::with_config(config)?;
    let helper = ReplHelper {
        index: session.completion_index(),
        pending: String::new(),
        files: FilenameCompleter::new(),
        color: printer.out_color,
    };
    editor.set_helper(Some(helper));
    let history = history_path(&|name| std::env::var_os(name));
    if let Some(path) = &history {
        // A missing or unreadable history file only means no history yet.
        let _ = editor.load_history(path);
    }
    banner(session, printer);
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { PROMPT } else { CONTINUATION };
        if let Some(helper) = editor.helper_mut() {
            helper.pending.clone_from(&pending);
        }
        match editor.readline(prompt) {
            Ok(line) => {
                pending.push_str(&line);
                pending.push('\n');
                if Session::needs_more(&pending) {
                    continue;
                }
                let input = std::mem::take(&mut pending);
                remember(&mut editor, history.as_ref(), input.trim_end());
                let reply = session.eval(&input);
                printer.reply(&reply);
                if reply.quit {
                    break;
                }
                if let Some(helper) = editor.helper_mut() {
                    helper.index = session.completion_index();
                }
            }
            // Ctrl-C: the line (and any open block) is cancelled; the session goes on.
            Err(ReadlineError::Interrupted) => pending.clear(),
            Err(ReadlineError::Eof) => break,
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Adds an input to the history and writes the history file at once, so a killed session
/// keeps what was typed.
fn remember(editor: &mut Editor<ReplHelper, FileHistory>, path: Option<&PathBuf>, input: &str) {
    if input.trim().is_empty() {
        return;
    }
    let _ = editor.add_history_entry(input);
    if let Some(path) = path {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = editor.save_history(path);
    }
}

/// The first lines on a terminal: what is loaded and how to get help.
fn banner(session: &Session, printer: &mut Printer) {
    let files = session.loaded_files();
    let program = if files.is_empty() {
        "the standard library only".to_string()
    } else {
        format!("{} ({})", files.join(", "), super::program::program_summary(session.model()))
    };
    let mut reply = Reply::default();
    reply.out(Style::Dim, format!("bp repl: {program}; :help for help, Ctrl-D to quit"));
    printer.reply(&reply);
}

/// Where the history is kept: `BP_HISTORY` (empty: no history), else
/// `$XDG_DATA_HOME/bp/history`, else `$HOME/.local/share/bp/history`.
pub fn history_path(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let non_empty = |name: &str| env(name).filter(|value| !value.is_empty());
    if let Some(path) = env("BP_HISTORY") {
        return (!path.is_empty()).then(|| PathBuf::from(path));
    }
    if let Some(data) = non_empty("XDG_DATA_HOME") {
        return Some(PathBuf::from(data).join("bp").join("history"));
    }
    let home = non_empty("HOME")?;
    Some(PathBuf::from(home).join(".local").join("share").join("bp").join("history"))
}

/// Writes replies to stdout and stderr, in colour where allowed.
struct Printer<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    out_color: bool,
    err_color: bool,
}

impl Printer<'_> {
    fn reply(&mut self, reply: &Reply) {
        for line in &reply.lines {
            let (writer, color) = match line.stream {
                Stream::Out => (&mut *self.out, self.out_color),
                Stream::Err => (&mut *self.err, self.err_color),
            };
            let text = if color { paint(line.style, &line.text) } else { line.text.clone() };
            emit(writer, &format!("{text}\n"));
        }
        let _ = self.out.flush();
        let _ = self.err.flush();
    }
}

/// A line in the colour of its style (text already coloured is left alone).
pub fn paint(style: Style, text: &str) -> String {
    if text.contains('\x1b') || text.is_empty() {
        return text.to_string();
    }
    let code = match style {
        Style::Plain => return text.to_string(),
        Style::Effect => "36",
        Style::Ok => "32",
        Style::Value => "1",
        Style::Dim => "2",
        Style::Heading => "1",
        Style::Error => "31",
        Style::Warning => "33",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// rustyline's view of the session: completion, hints and the coloured prompt.
struct ReplHelper {
    index: Index,
    /// The lines of the input typed so far (an open `{`), so completion sees the whole command.
    pending: String,
    files: FilenameCompleter,
    color: bool,
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let trimmed = line.trim_start();
        if self.pending.is_empty() && (trimmed.starts_with(":load ") || trimmed.starts_with(":l "))
        {
            return self.files.complete(line, pos, ctx);
        }
        let whole = format!("{}{line}", self.pending);
        let offset = self.pending.len();
        let completion = complete::complete(&self.index, &whole, offset + pos);
        let Some(start) = completion.start.checked_sub(offset) else {
            return Ok((pos, Vec::new()));
        };
        let pairs = completion
            .candidates
            .into_iter()
            .map(|candidate| Pair { display: candidate.clone(), replacement: candidate })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() || !self.pending.is_empty() {
            return None;
        }
        super::hint::hint(&self.index, line)
    }
}

impl Highlighter for ReplHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        default: bool,
    ) -> Cow<'b, str> {
        if self.color && default {
            Cow::Owned(format!("\x1b[1;34m{prompt}\x1b[0m"))
        } else {
            Cow::Borrowed(prompt)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}
