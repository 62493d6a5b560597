//! The `:` commands of the REPL (SPEC §12): `:help`, `:load FILE`, `:reload`, `:check`,
//! `:type EXPR`, `:stages [PIPELINE]`, `:doc NAME`, `:save PATH`, `:why SEQ`, `:quit`.

use super::session::Session;
use super::{docs, why, Reply, Style};
use crate::diag::suggest;

/// Every `:` command with its arguments and what it does, for `:help` and completion.
pub const COLON_COMMANDS: &[(&str, &str, &str)] = &[
    ("help", "", "show this help"),
    ("load", "FILE", "add a .bp file to the program and reload it"),
    ("reload", "", "read the program's files again (the CRM state is kept)"),
    ("check", "", "check the program's files again and show their diagnostics"),
    ("type", "EXPR", "the type of an expression, without evaluating it"),
    ("stages", "[PIPELINE]", "the pipelines, their stages, rules and triggers"),
    ("doc", "NAME", "documentation of an entity, field, pipeline, stage, process, action …"),
    ("save", "PATH", "write the CRM state to a .json or .db state file"),
    ("why", "SEQ", "the chain that produced effect #SEQ (also `why SEQ`)"),
    ("quit", "", "end the session (also Ctrl-D)"),
];

impl Session {
    /// Runs `:NAME ARGS` (the text after the colon).
    pub(super) fn colon_command(&mut self, text: &str) -> Reply {
        let name_end = text.find(char::is_whitespace).unwrap_or(text.len());
        let (name, argument) = (&text[..name_end], text[name_end..].trim());
        match name {
            "help" | "h" | "?" => help(),
            "load" | "l" => self.load(argument),
            "reload" | "r" => self.reload(None),
            "check" => self.check(),
            "type" | "t" => self.type_of(argument),
            "stages" => docs::stages(self, argument),
            "doc" | "d" => docs::doc(self, argument),
            "save" => self.save_as(argument),
            "why" => why::why(self, argument),
            "quit" | "q" | "exit" => Reply { quit: true, ..Reply::default() },
            _ => unknown(name),
        }
    }

    fn load(&mut self, path: &str) -> Reply {
        if path.is_empty() {
            let mut reply = Reply::default();
            reply.fail("usage: :load FILE");
            return reply;
        }
        if self.paths.iter().any(|p| p == path) {
            return self.reload(None);
        }
        self.reload(Some(path))
    }
}

/// `:help`.
fn help() -> Reply {
    let mut reply = Reply::default();
    reply.out(Style::Heading, "Scenario commands (SPEC §10), applied to the CRM at once:");
    for line in [
        "  clock DATE TIME [TZ] · seed N · user ID \"Name\" { … }",
        "  create KIND ALIAS { field: value, … } · set REF.path = VALUE · move REF to STAGE",
        "  complete task|activity REF · pay invoice|order REF · open|click email REF",
        "  sign|view document REF · emit EVENT… ALIAS { … } · start process P on ALIAS",
        "  advance DURATION · advance to DATETIME",
        "  show REF · timeline REF · tasks [REF] · pending [REF] · effects",
        "  expect KIND { key: value } · expect no KIND { … } · expect EXPR",
    ] {
        reply.out(Style::Plain, line);
    }
    reply.out(Style::Heading, "Expressions:");
    reply.out(Style::Plain, "  d1.amount * 2        its value and type (every alias is in scope)");
    reply.out(Style::Heading, "REPL commands:");
    for (name, args, what) in COLON_COMMANDS {
        let head = if args.is_empty() { format!(":{name}") } else { format!(":{name} {args}") };
        reply.out(Style::Plain, format!("  {head:<20} {what}"));
    }
    reply.out(
        Style::Dim,
        "Tab completes; a line with an open `{` continues; Ctrl-C cancels the line.",
    );
    reply
}

fn unknown(name: &str) -> Reply {
    let mut reply = Reply::default();
    let names = COLON_COMMANDS.iter().map(|(n, _, _)| *n);
    let mut text = format!("error: unknown command `:{name}`");
    if let Some(close) = suggest::closest(name, names) {
        text.push_str(&format!("; did you mean `:{close}`?"));
    }
    reply.fail(text);
    reply.err(Style::Dim, "  help: `:help` lists the commands");
    reply
}
