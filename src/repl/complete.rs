//! Tab completion and hints (SPEC §12), computed from the `Model` and the session (aliases,
//! users) as plain data, so they are tested without a terminal.
//!
//! `complete(index, line, pos)` looks at the words before the cursor to decide what the word
//! under it can be: a command word or alias at the start, a `:` command, an entity kind after
//! `create`, a stage after `move d1 to`, a field after `d1.` (following relations:
//! `d1.contact.`), a key or value inside a `{ … }` block, a process, an event's words, an
//! effect kind after `expect` … (Hints, built on this, are in `hint.rs`.)

use std::sync::Arc;

use super::commands::COLON_COMMANDS;
use super::session::REPL_WORDS;
use crate::model::{EntityId, Model, SigPart};
use crate::scenario::command::{COMMAND_WORDS, EFFECT_KINDS};
use crate::types::Type;

/// What completion knows about the session: the program and the names bound so far.
#[derive(Clone, Debug, Default)]
pub struct Index {
    pub model: Arc<Model>,
    /// Scenario aliases and the kind of entity each names, in binding order.
    pub aliases: Vec<(String, EntityId)>,
    /// User ids (without `@`), in creation order.
    pub users: Vec<String>,
}

/// The word to replace (from `start` to the cursor) and what may replace it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    pub start: usize,
    pub candidates: Vec<String>,
}

/// The completions of the word before `pos` in `line`.
pub fn complete(index: &Index, line: &str, pos: usize) -> Completion {
    let mut pos = pos.min(line.len());
    while !line.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &line[..pos];
    if let Some(colon) = colon_start(before) {
        return complete_colon(index, before, colon);
    }
    let start = word_start(before);
    let word = &before[start..];
    let words = words_of(&before[..start]);
    let candidates = Candidates::new(word);
    let candidates = if let Some(dot) = word.rfind('.') {
        complete_path(index, &words, &word[..dot], candidates)
    } else {
        complete_word(index, &words, candidates)
    };
    Completion { start, candidates: candidates.into_vec() }
}

// -- the word under the cursor ----------------------------------------------------------------

/// Where a `:` command starts, when the line is one.
fn colon_start(before: &str) -> Option<usize> {
    let start = before.len() - before.trim_start().len();
    before[start..].starts_with(':').then_some(start)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | ':')
}

/// The start of the word that ends at the end of `before`. A `:` is part of an id
/// (`task:1`) but not the end of a key (`title:`), which the caller never sees as the word,
/// since a space follows it.
fn word_start(before: &str) -> usize {
    before
        .char_indices()
        .rev()
        .find(|(_, c)| !is_word_char(*c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// The words before the cursor's word, with brackets and `=` as separate words (so a block
/// can be recognised) and string literals as one word.
fn words_of(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_string = false;
    for c in text.chars() {
        if in_string {
            current.push(c);
            if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                current.push(c);
                in_string = true;
            }
            '{' | '}' | '[' | ']' | '(' | ')' | ',' | '=' => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                words.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Candidates matching a typed prefix, without duplicates, in the order offered.
struct Candidates {
    prefix: String,
    items: Vec<String>,
}

impl Candidates {
    fn new(prefix: &str) -> Candidates {
        Candidates { prefix: prefix.to_string(), items: Vec::new() }
    }

    fn add(&mut self, candidate: impl Into<String>) {
        let candidate = candidate.into();
        if candidate.starts_with(&self.prefix) && !self.items.contains(&candidate) {
            self.items.push(candidate);
        }
    }

    fn extend<S: Into<String>>(&mut self, candidates: impl IntoIterator<Item = S>) {
        for candidate in candidates {
            self.add(candidate);
        }
    }

    fn into_vec(self) -> Vec<String> {
        self.items
    }
}

// -- `:` commands -----------------------------------------------------------------------------

fn complete_colon(index: &Index, before: &str, colon: usize) -> Completion {
    let text = &before[colon + 1..];
    let Some(space) = text.find(char::is_whitespace) else {
        let mut candidates = Candidates::new(before[colon..].trim_end());
        candidates.extend(COLON_COMMANDS.iter().map(|(name, _, _)| format!(":{name}")));
        return Completion { start: colon, candidates: candidates.into_vec() };
    };
    let command = &text[..space];
    let start = word_start(before);
    let word = &before[start..];
    let mut candidates = Candidates::new(word);
    match command {
        "stages" => candidates.extend(index.model.pipelines.keys().cloned()),
        "doc" | "d" => candidates.extend(doc_names(&index.model)),
        "type" | "t" => {
            let words = words_of(&before[colon + 1 + space..start]);
            candidates = match word.rfind('.') {
                Some(dot) => complete_path(index, &words, &word[..dot], candidates),
                None => expression_start(index, candidates),
            };
        }
        _ => {}
    }
    Completion { start, candidates: candidates.into_vec() }
}

/// Every name `:doc` completes: entities and their fields, pipelines and their stages,
/// processes, the first word of actions and events, calendars, constants.
pub(super) fn doc_names(model: &Model) -> Vec<String> {
    let mut names = Vec::new();
    for (name, entity) in &model.entities {
        names.push(name.clone());
        names.extend(entity.fields.keys().map(|field| format!("{name}.{field}")));
    }
    for (name, pipeline) in &model.pipelines {
        names.push(name.clone());
        names.extend(pipeline.stages.iter().map(|stage| format!("{name}.{}", stage.id)));
    }
    names.extend(model.processes.keys().cloned());
    names.extend(model.actions.keys().map(|words| first_word(words)));
    names.extend(model.events.keys().map(|words| first_word(words)));
    names.extend(model.calendars.keys().cloned());
    names.extend(model.consts.keys().cloned());
    names
}

fn first_word(words: &str) -> String {
    words.split(' ').next().unwrap_or(words).to_string()
}

// -- scenario commands and expressions --------------------------------------------------------

fn complete_word(index: &Index, words: &[String], mut candidates: Candidates) -> Candidates {
    let Some(command) = words.first() else {
        candidates.extend(COMMAND_WORDS.iter().chain(REPL_WORDS).copied());
        return expression_start(index, candidates);
    };
    if let Some(block) = words.iter().rposition(|w| w == "{") {
        if !words[block..].iter().any(|w| w == "}") {
            return complete_in_block(index, words, block, candidates);
        }
    }
    let args = &words[1..];
    let last = args.last().map(String::as_str);
    if last == Some("where") || args.iter().any(|w| w == "where") {
        return expression_start(index, candidates);
    }
    if last == Some("as") {
        candidates.extend(index.users.iter().map(|u| format!("@{u}")));
        return candidates;
    }
    match (command.as_str(), args.len()) {
        ("create", 0) => candidates.extend(kinds(&index.model)),
        ("set" | "show" | "timeline" | "tasks" | "pending", 0) => {
            candidates.extend(alias_names(index, |_| true))
        }
        ("move", 0) => {
            candidates.extend(alias_names(index, |entity| has_pipeline(&index.model, entity)))
        }
        ("move", 1) => candidates.add("to"),
        ("move", 2) => candidates.extend(stages_for(index, &args[0])),
        ("move", 3) => candidates.add("as"),
        ("set", _) if last == Some("=") => {
            if let Some(ty) = set_target_type(index, &args[0]) {
                candidates = values_of(index, &ty, candidates);
            }
        }
        ("complete", 0) => candidates.extend(["task", "activity"]),
        ("pay", 0) => candidates.extend(["invoice", "order"]),
        ("open" | "click", 0) => candidates.add("email"),
        ("sign" | "view", 0) => candidates.add("document"),
        ("complete" | "pay" | "open" | "click" | "sign" | "view", 1) => {
            candidates.add("of");
            let kind = index.model.entity_by_item_name(&args[0]);
            candidates.extend(alias_names(index, |entity| Some(entity) == kind));
        }
        ("complete" | "pay" | "open" | "click" | "sign" | "view", 2) if args[1] == "of" => {
            candidates.extend(alias_names(index, |entity| has_pipeline(&index.model, entity)))
        }
        ("complete" | "pay" | "open" | "click" | "sign" | "view", 3) if args[1] == "of" => {
            candidates.add("where")
        }
        ("start", 0) => candidates.add("process"),
        ("start", 1) => candidates.extend(index.model.processes.keys().cloned()),
        ("start", 2) => candidates.add("on"),
        ("start", 3) => {
            let kind = index.model.processes.get(&args[1]).map(|p| p.entity);
            candidates.extend(alias_names(index, |entity| Some(entity) == kind));
        }
        ("advance", 0) => candidates.add("to"),
        ("expect", 0) => {
            candidates.add("no");
            candidates.extend(EFFECT_KINDS.iter().copied());
            candidates = expression_start(index, candidates);
        }
        ("expect", 1) if args[0] == "no" => candidates.extend(EFFECT_KINDS.iter().copied()),
        ("expect", _) if !EFFECT_KINDS.contains(&args[0].as_str()) && args[0] != "no" => {
            candidates = expression_start(index, candidates);
        }
        ("emit", _) => candidates = complete_event(index, args, candidates),
        _ => {}
    }
    candidates
}

/// Aliases, constants and the expression keywords.
fn expression_start(index: &Index, mut candidates: Candidates) -> Candidates {
    candidates.extend(index.aliases.iter().map(|(alias, _)| alias.clone()));
    candidates.extend(index.model.consts.keys().cloned());
    candidates.extend(["now", "none", "true", "false"]);
    candidates.extend(index.users.iter().map(|u| format!("@{u}")));
    candidates
}

/// Inside `{ … }`: a key, or the value of the key just typed (`stage: ` → stages).
fn complete_in_block(
    index: &Index,
    words: &[String],
    block: usize,
    mut candidates: Candidates,
) -> Candidates {
    let command = words[0].as_str();
    let inside = &words[block + 1..];
    let key = inside.last().and_then(|w| w.strip_suffix(':'));
    let kind = match command {
        "create" => words.get(1).and_then(|k| index.model.entity_by_item_name(k)),
        _ => None,
    };
    match (command, key) {
        ("create", Some("stage")) => {
            if let Some(kind) = kind {
                for (pipeline, def) in index.model.pipelines_of(kind) {
                    let name = &index.model.pipelines.get_index(pipeline.index()).map(|(n, _)| n);
                    candidates.extend(def.stages.iter().map(|s| s.id.clone()));
                    if let Some(name) = name {
                        candidates.extend(def.stages.iter().map(|s| format!("{name}.{}", s.id)));
                    }
                }
            }
        }
        ("create", Some("pipeline")) => {
            if let Some(kind) = kind {
                candidates.extend(index.model.pipelines_of(kind).map(|(_, p)| p.name.clone()));
            }
        }
        ("create", Some(field)) => {
            let ty = kind.and_then(|k| index.model.entity(k).fields.get(field)).map(|f| &f.ty);
            if let Some(ty) = ty {
                candidates = values_of(index, ty, candidates);
            }
        }
        ("create", None) => {
            if let Some(kind) = kind {
                let entity = index.model.entity(kind);
                candidates.extend(entity.fields.keys().filter(|f| *f != "id").cloned());
                if has_pipeline(&index.model, kind) {
                    candidates.extend(["pipeline", "stage"]);
                }
            }
        }
        ("user", Some("supervisor")) => {
            candidates.extend(index.users.iter().map(|u| format!("@{u}")))
        }
        ("user", Some("calendar")) => candidates.extend(index.model.calendars.keys().cloned()),
        ("user", Some("absent")) => candidates.extend(["true", "false"]),
        ("user", None) => candidates.extend(["supervisor", "email", "phone", "absent", "calendar"]),
        ("expect", None) => {
            let kind = words.iter().skip(1).find(|w| *w != "no").map(String::as_str);
            candidates.extend(crate::scenario::COMMON_KEYS.iter().copied());
            candidates.extend(kind.map(crate::scenario::kind_keys).unwrap_or(&[]).iter().copied());
        }
        ("expect", Some(_)) => {
            candidates.extend(index.users.iter().map(|u| format!("@{u}")));
            candidates.extend(index.aliases.iter().map(|(alias, _)| alias.clone()));
        }
        ("click", None) => candidates.add("url"),
        _ => {}
    }
    candidates
}

/// The values a field of this type can take that completion can name.
fn values_of(index: &Index, ty: &Type, mut candidates: Candidates) -> Candidates {
    let model = &index.model;
    match ty {
        Type::Optional(inner) => {
            candidates.add("none");
            return values_of(index, inner, candidates);
        }
        Type::Bool => candidates.extend(["true", "false"]),
        Type::User => candidates.extend(index.users.iter().map(|u| format!("@{u}"))),
        Type::Entity(kind) => candidates.extend(alias_names(index, |entity| entity == *kind)),
        Type::Enum(members) => candidates.extend(members.iter().cloned()),
        Type::Pipeline => candidates.extend(model.pipelines.keys().cloned()),
        Type::Calendar => candidates.extend(model.calendars.keys().cloned()),
        Type::Stage => {
            for (name, pipeline) in &model.pipelines {
                candidates.extend(pipeline.stages.iter().map(|s| format!("{name}.{}", s.id)));
            }
        }
        _ => {}
    }
    candidates
}

/// `emit WORDS… ALIAS`: the next word of the events matching the words typed so far, then the
/// aliases.
fn complete_event(index: &Index, typed: &[String], mut candidates: Candidates) -> Candidates {
    let mut complete_event = false;
    for (words, event) in &index.model.events {
        let fixed: Vec<&str> = words.split(' ').collect();
        let matched = typed.iter().zip(&fixed).take_while(|(a, b)| a.as_str() == **b).count();
        if matched == typed.len() && matched < fixed.len() {
            candidates.add(fixed[matched]);
        }
        // The item comes after the required parts: `webhook NAME d1`, `task status S d1`.
        let required = event
            .signature
            .iter()
            .filter(|part| matches!(part, SigPart::Word(_) | SigPart::Hole(_)))
            .count()
            .max(fixed.len());
        if matched == fixed.len() && typed.len() >= required {
            complete_event = true;
        }
    }
    if complete_event {
        candidates.extend(alias_names(index, |entity| has_pipeline(&index.model, entity)));
    }
    candidates
}

/// `move d1 to ` → the stages of d1's pipelines: `id` and `pipeline.id`.
fn stages_for(index: &Index, reference: &str) -> Vec<String> {
    let Some(kind) = kind_of_ref(index, reference) else { return Vec::new() };
    let mut names = Vec::new();
    let pipelines: Vec<_> = index.model.pipelines_of(kind).collect();
    for (_, pipeline) in &pipelines {
        names.extend(pipeline.stages.iter().map(|s| s.id.clone()));
    }
    if pipelines.len() > 1 {
        for (_, pipeline) in &pipelines {
            names.extend(pipeline.stages.iter().map(|s| format!("{}.{}", pipeline.name, s.id)));
        }
    }
    names
}

/// `d1.contact.` → the fields of the entity at the end of the path; `sales.` → its stages.
fn complete_path(
    index: &Index,
    words: &[String],
    head: &str,
    mut candidates: Candidates,
) -> Candidates {
    let model = &index.model;
    let mut segments = head.split('.');
    let first = segments.next().unwrap_or("");
    let rest: Vec<&str> = segments.collect();
    if rest.is_empty() {
        if let Some(pipeline) = model.pipelines.get(first) {
            candidates.extend(pipeline.stages.iter().map(|s| format!("{head}.{}", s.id)));
            return candidates;
        }
    }
    let start = if first == "it" { it_kind(index, words) } else { kind_of_ref(index, first) };
    let Some(mut kind) = start else { return candidates };
    for segment in rest {
        let field = model.entity(kind).fields.get(segment);
        match field.map(|f| entity_of(&f.ty)) {
            Some(Some(next)) => kind = next,
            _ => return candidates,
        }
    }
    let fields = model.entity(kind).fields.keys();
    candidates.extend(fields.map(|field| format!("{head}.{field}")));
    candidates
}

/// The entity a field leads to (`Contact` for `contact: Contact?`).
fn entity_of(ty: &Type) -> Option<EntityId> {
    match ty {
        Type::Entity(kind) => Some(*kind),
        Type::Optional(inner) => entity_of(inner),
        _ => None,
    }
}

/// `it` in `complete task of d1 where it.` is a task.
fn it_kind(index: &Index, words: &[String]) -> Option<EntityId> {
    let record = words.get(1)?;
    index.model.entity_by_item_name(record)
}

/// The kind of an alias or an id (`deal:1`).
fn kind_of_ref(index: &Index, reference: &str) -> Option<EntityId> {
    if let Some((_, kind)) = index.aliases.iter().find(|(alias, _)| alias == reference) {
        return Some(*kind);
    }
    let (kind, n) = reference.split_once(':')?;
    n.parse::<u32>().ok()?;
    index.model.entity_by_item_name(kind)
}

/// The field type `set REF.a.b =` assigns.
fn set_target_type(index: &Index, target: &str) -> Option<Type> {
    let mut segments = target.split('.');
    let mut kind = kind_of_ref(index, segments.next()?)?;
    let path: Vec<&str> = segments.collect();
    let (last, through) = path.split_last()?;
    for segment in through {
        kind = entity_of(&index.model.entity(kind).fields.get(*segment)?.ty)?;
    }
    Some(index.model.entity(kind).fields.get(*last)?.ty.clone())
}

fn alias_names(index: &Index, keep: impl Fn(EntityId) -> bool) -> Vec<String> {
    index.aliases.iter().filter(|(_, kind)| keep(*kind)).map(|(alias, _)| alias.clone()).collect()
}

/// The kinds `create` accepts: every entity but `User` (users come from `user`).
fn kinds(model: &Model) -> Vec<String> {
    model.entities.values().filter(|e| e.name != "User").map(|e| e.item_name.clone()).collect()
}

fn has_pipeline(model: &Model, kind: EntityId) -> bool {
    model.pipelines_of(kind).next().is_some()
}
