//! Hints (SPEC §12), shown greyed after the cursor: a command's usage after its first word,
//! or the rest of the only completion (`complete.rs`).

use super::commands::COLON_COMMANDS;
use super::complete::{complete, Index};

/// A command's usage, shown as a hint after its first word.
const USAGE: &[(&str, &str)] = &[
    ("clock", "DATE TIME [TZ]"),
    ("seed", "N"),
    ("user", "ID \"Name\" { supervisor: @ID, email: \"…\", calendar: NAME }"),
    ("create", "KIND ALIAS { field: value, … }"),
    ("set", "REF.field = VALUE"),
    ("move", "REF to STAGE [as @USER]"),
    ("complete", "task|activity REF | of ALIAS [where COND]"),
    ("pay", "invoice|order REF | of ALIAS [where COND]"),
    ("open", "email REF | of ALIAS"),
    ("click", "email REF | of ALIAS { url: \"…\" }"),
    ("sign", "document REF | of ALIAS"),
    ("view", "document REF | of ALIAS"),
    ("emit", "EVENT… ALIAS { payload }"),
    ("start", "process NAME on ALIAS"),
    ("advance", "DURATION | to DATETIME"),
    ("show", "REF"),
    ("timeline", "REF"),
    ("tasks", "[REF]"),
    ("pending", "[REF]"),
    ("expect", "KIND { key: value } | no KIND { … } | EXPR"),
    ("why", "SEQ"),
];

/// A hint to show greyed after the cursor (only at the end of the line): the usage of the
/// command just typed, or the rest of the only completion.
pub fn hint(index: &Index, line: &str) -> Option<String> {
    if line.trim().is_empty() {
        return None;
    }
    let trimmed = line.trim_start();
    if let Some(word) = trimmed.strip_suffix(' ') {
        let word = word.strip_prefix(':').unwrap_or(word);
        if let Some((_, usage)) = USAGE.iter().find(|(w, _)| *w == word) {
            return Some((*usage).to_string());
        }
        if let Some((_, args, _)) =
            COLON_COMMANDS.iter().find(|(n, a, _)| *n == word && !a.is_empty())
        {
            if trimmed.starts_with(':') {
                return Some((*args).to_string());
            }
        }
        return None;
    }
    let completion = complete(index, line, line.len());
    match completion.candidates.as_slice() {
        [only] => {
            let typed = &line[completion.start..];
            only.strip_prefix(typed).filter(|rest| !rest.is_empty()).map(String::from)
        }
        _ => None,
    }
}
