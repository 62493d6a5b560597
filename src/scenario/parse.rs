//! Parsing scenarios (`.bps` files and REPL input) into `Command`s, with `grammar/scenario.pest`.
//!
//! The text is first cut into commands (`split::split_commands`): a command ends at a newline outside
//! strings and brackets, `#` starts a comment. Each command is then parsed on its own, so a
//! scenario yields one `Result<Command, Diagnostic>` per command and the runner can apply the
//! lines before a bad one (SPEC §10: "the effects logged before it stay printed").
//!
//! Naming follows `syntax/`: a grammar rule `foo` is built by `parse_foo`. pest types stay in
//! this file (STYLE §1.5).

// A command yields at most one diagnostic and errors are the rare path, so they are returned
// by value, as the public `Result<Command, Diagnostic>` does.
#![allow(clippy::result_large_err)]

use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use pest::iterators::Pair;
use pest::Parser;
use rust_decimal::Decimal;

use super::command::*;
use super::split::{
    decode_string, parse_date_text, parse_datetime_text, split_commands, Chunk, MAX_DEPTH,
};
use crate::ast::Duration;
use crate::diag::{suggest, Code, Diagnostic};
use crate::source::SourceMap;
use crate::span::{FileId, Ident, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/scenario.pest"]
struct ScenarioParser;

/// Parses every command of a registered scenario file, in order.
pub fn parse_scenario(map: &SourceMap, file: FileId) -> Vec<Result<Command, Diagnostic>> {
    let text = &map.get(file).text;
    split_commands(text).into_iter().map(|chunk| parse_chunk(text, file, &chunk)).collect()
}

/// Parses one command of `text` (the whole file: spans are in file coordinates).
pub(crate) fn parse_chunk(text: &str, file: FileId, chunk: &Chunk) -> Result<Command, Diagnostic> {
    if let Some(at) = chunk.too_deep {
        return Err(Diagnostic::new(
            Code::E0001,
            format!("brackets nested deeper than {MAX_DEPTH} levels"),
            Span::new(file, at, at + 1),
            "too deep",
        ));
    }
    let source = text.get(chunk.start..chunk.end).unwrap_or("");
    let builder = Builder { file, offset: chunk.start };
    match ScenarioParser::parse(Rule::command, source) {
        Ok(mut pairs) => match pairs.next() {
            Some(command) => builder.parse_command(command),
            None => Err(builder.error_at(0, 0, "expected a command")),
        },
        Err(error) => Err(builder.syntax_error(source, &error)),
    }
}

/// Builds commands from pest pairs; spans are shifted by `offset` into file coordinates.
struct Builder {
    file: FileId,
    offset: usize,
}

type Built<T> = Result<T, Diagnostic>;

impl Builder {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        Span::new(self.file, self.offset + span.start(), self.offset + span.end())
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident::new(pair.as_str(), self.span(pair))
    }

    fn error_at(&self, start: usize, end: usize, message: &str) -> Diagnostic {
        let span = Span::new(self.file, self.offset + start, self.offset + end);
        Diagnostic::new(Code::E0001, message, span, "here")
    }

    fn error(&self, pair: &Pair<'_, Rule>, code: Code, message: String, label: &str) -> Diagnostic {
        Diagnostic::new(code, message, self.span(pair), label)
    }

    fn parse_command(&self, command: Pair<'_, Rule>) -> Built<Command> {
        let span = self.span(&command);
        let Some(inner) = command.into_inner().find(|p| p.as_rule() != Rule::EOI) else {
            return Err(Diagnostic::new(Code::E0001, "expected a command", span, "here"));
        };
        let kind = match inner.as_rule() {
            Rule::clock_cmd => self.parse_clock_cmd(inner)?,
            Rule::seed_cmd => self.parse_seed_cmd(inner)?,
            Rule::user_cmd => self.parse_user_cmd(inner)?,
            Rule::create_cmd => self.parse_create_cmd(inner)?,
            Rule::set_cmd => self.parse_set_cmd(inner)?,
            Rule::move_cmd => self.parse_move_cmd(inner)?,
            Rule::complete_cmd
            | Rule::pay_cmd
            | Rule::open_cmd
            | Rule::click_cmd
            | Rule::sign_cmd
            | Rule::view_cmd => self.parse_record_cmd(inner)?,
            Rule::emit_cmd => self.parse_emit_cmd(inner)?,
            Rule::start_cmd => self.parse_start_cmd(inner)?,
            Rule::advance_cmd => self.parse_advance_cmd(inner)?,
            Rule::show_cmd => CommandKind::Show(self.required_ref(inner)?),
            Rule::timeline_cmd => CommandKind::Timeline(self.required_ref(inner)?),
            Rule::tasks_cmd => CommandKind::Tasks(self.optional_ref(inner)?),
            Rule::pending_cmd => CommandKind::Pending(self.optional_ref(inner)?),
            Rule::effects_cmd => CommandKind::Effects,
            Rule::expect_effect => self.parse_expect_effect(inner)?,
            Rule::expect_expr => self.parse_expect_expr(inner)?,
            _ => return Err(Diagnostic::new(Code::E0001, "expected a command", span, "here")),
        };
        Ok(Command { kind, span })
    }

    // -- setup --------------------------------------------------------------------------------

    fn parse_clock_cmd(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let mut at = None;
        let mut timezone = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::moment => at = Some(self.parse_moment(part)?),
                Rule::timezone => timezone = Some(self.ident(&part)),
                _ => {}
            }
        }
        let at = at.ok_or_else(|| self.error_at(0, 0, "expected a date"))?;
        Ok(CommandKind::Clock { at, timezone })
    }

    fn parse_seed_cmd(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let number = self.child(pair, Rule::integer)?;
        let seed = number.as_str().parse::<u64>().map_err(|_| {
            self.error(&number, Code::E0001, "seed is too large".into(), "at most 2^64 - 1")
        })?;
        Ok(CommandKind::Seed(seed))
    }

    fn parse_user_cmd(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let mut id = None;
        let mut name = None;
        let mut fields = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::ident => id = Some(self.ident(&part)),
                Rule::string => name = Some(decode_string(part.as_str())),
                Rule::record => fields = Some(self.parse_record(part)?),
                _ => {}
            }
        }
        let (Some(id), Some(name)) = (id, name) else {
            return Err(self.error_at(0, 0, "expected `user ID \"Name\"`"));
        };
        Ok(CommandKind::User { id, name, fields })
    }

    fn parse_create_cmd(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let mut idents = Vec::new();
        let mut fields = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::ident => idents.push(self.ident(&part)),
                Rule::record => fields = Some(self.parse_record(part)?),
                _ => {}
            }
        }
        let mut idents = idents.into_iter();
        let (Some(kind), Some(alias)) = (idents.next(), idents.next()) else {
            return Err(self.error_at(0, 0, "expected `create KIND ALIAS`"));
        };
        Ok(CommandKind::Create { kind, alias, fields })
    }

    fn parse_set_cmd(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let mut target = None;
        let mut path = Vec::new();
        let mut value = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::field_target => {
                    for segment in part.into_inner() {
                        match segment.as_rule() {
                            Rule::reference => target = Some(self.parse_reference(segment)?),
                            Rule::ident => path.push(self.ident(&segment)),
                            _ => {}
                        }
                    }
                }
                Rule::value => value = Some(self.parse_value(part)?),
                _ => {}
            }
        }
        let (Some(target), Some(value)) = (target, value) else {
            return Err(self.error_at(0, 0, "expected `set REF.FIELD = VALUE`"));
        };
        Ok(CommandKind::Set { target, path, value })
    }

    fn parse_move_cmd(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let mut item = None;
        let mut stage = None;
        let mut by = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::reference => item = Some(self.parse_reference(part)?),
                Rule::stage_name => stage = Some(self.parse_stage_name(part)),
                Rule::user => by = Some(self.user_ident(&part)),
                _ => {}
            }
        }
        let (Some(item), Some(stage)) = (item, stage) else {
            return Err(self.error_at(0, 0, "expected `move REF to STAGE`"));
        };
        Ok(CommandKind::Move { item, stage, by })
    }

    fn parse_stage_name(&self, pair: Pair<'_, Rule>) -> StageName {
        let span = self.span(&pair);
        let idents: Vec<Ident> = pair.into_inner().map(|p| self.ident(&p)).collect();
        let mut idents = idents.into_iter();
        let first = idents.next().unwrap_or_else(|| Ident::new("", span));
        match idents.next() {
            Some(stage) => StageName { pipeline: Some(first), stage, span },
            None => StageName { pipeline: None, stage: first, span },
        }
    }

    /// `@alice` → `alice`, with the span of `@alice`.
    fn user_ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident::new(&pair.as_str()[1..], self.span(pair))
    }

    // -- records ------------------------------------------------------------------------------

    fn parse_record_cmd(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let mut words = Vec::new();
        let mut target = None;
        let mut fields = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::record_target => target = Some(self.parse_record_target(part)?),
                Rule::record => fields = Some(self.parse_record(part)?),
                Rule::kw_complete
                | Rule::kw_pay
                | Rule::kw_open
                | Rule::kw_click
                | Rule::kw_sign
                | Rule::kw_view
                | Rule::kw_task
                | Rule::kw_activity
                | Rule::kw_invoice
                | Rule::kw_order => words.push(part.as_str().to_string()),
                _ => {}
            }
        }
        let action = match (words.first().map(String::as_str), words.get(1).map(String::as_str)) {
            (Some("complete"), Some("task")) => RecordAction::CompleteTask,
            (Some("complete"), Some("activity")) => RecordAction::CompleteActivity,
            (Some("pay"), Some("invoice")) => RecordAction::PayInvoice,
            (Some("pay"), Some("order")) => RecordAction::PayOrder,
            (Some("open"), _) => RecordAction::OpenEmail,
            (Some("click"), _) => RecordAction::ClickEmail,
            (Some("sign"), _) => RecordAction::SignDocument,
            _ => RecordAction::ViewDocument,
        };
        let target = target.ok_or_else(|| self.error_at(0, 0, "expected a record"))?;
        Ok(CommandKind::Act { action, target, fields })
    }

    fn parse_record_target(&self, pair: Pair<'_, Rule>) -> Built<Target> {
        let Some(inner) = pair.into_inner().next() else {
            return Err(self.error_at(0, 0, "expected a record"));
        };
        if inner.as_rule() == Rule::reference {
            return Ok(Target::Ref(self.parse_reference(inner)?));
        }
        let mut item = None;
        let mut condition = None;
        for part in inner.into_inner() {
            match part.as_rule() {
                Rule::reference => item = Some(self.parse_reference(part)?),
                Rule::expr_text => condition = Some(self.expr_span(&part)),
                _ => {}
            }
        }
        let item = item.ok_or_else(|| self.error_at(0, 0, "expected an alias after `of`"))?;
        Ok(Target::Of { item, condition })
    }

    /// The span of an expression's text without its trailing blanks.
    fn expr_span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = self.span(pair);
        let trimmed = pair.as_str().trim_end().len();
        Span::new(self.file, span.start as usize, span.start as usize + trimmed)
    }

    // -- events, processes, time --------------------------------------------------------------

    fn parse_emit_cmd(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let mut words = Vec::new();
        let mut payload = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::emit_word => words.push(part),
                Rule::record => payload = Some(self.parse_record(part)?),
                _ => {}
            }
        }
        let Some(last) = words.pop() else {
            return Err(self.error_at(0, 0, "expected an event and an item"));
        };
        if words.is_empty() {
            return Err(self.error(
                &last,
                Code::E0001,
                "expected the event's words before the item".into(),
                "the item",
            ));
        }
        let item = self.parse_reference(last)?;
        let mut idents = Vec::new();
        for word in words {
            if word.clone().into_inner().next().map(|p| p.as_rule()) == Some(Rule::entity_id) {
                return Err(self.error(
                    &word,
                    Code::E0001,
                    "an entity id can only be the last word".into(),
                    "the item comes last",
                ));
            }
            idents.push(self.ident(&word));
        }
        Ok(CommandKind::Emit { words: idents, item, payload })
    }

    fn parse_start_cmd(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let mut process = None;
        let mut item = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::ident => process = Some(self.ident(&part)),
                Rule::reference => item = Some(self.parse_reference(part)?),
                _ => {}
            }
        }
        let (Some(process), Some(item)) = (process, item) else {
            return Err(self.error_at(0, 0, "expected `start process NAME on ALIAS`"));
        };
        Ok(CommandKind::StartProcess { process, item })
    }

    fn parse_advance_cmd(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::moment => return Ok(CommandKind::AdvanceTo(self.parse_moment(part)?)),
                Rule::duration => return Ok(CommandKind::Advance(self.parse_duration(part)?)),
                _ => {}
            }
        }
        Err(self.error_at(0, 0, "expected a duration or `to DATE`"))
    }

    // -- inspection ---------------------------------------------------------------------------

    fn required_ref(&self, pair: Pair<'_, Rule>) -> Built<Ref> {
        let span = self.span(&pair);
        self.optional_ref(pair)?
            .ok_or_else(|| Diagnostic::new(Code::E0001, "expected an alias or id", span, "here"))
    }

    fn optional_ref(&self, pair: Pair<'_, Rule>) -> Built<Option<Ref>> {
        match pair.into_inner().find(|p| p.as_rule() == Rule::reference) {
            Some(reference) => Ok(Some(self.parse_reference(reference)?)),
            None => Ok(None),
        }
    }

    // -- expectations -------------------------------------------------------------------------

    fn parse_expect_effect(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let mut negated = false;
        let mut kind = None;
        let mut patterns = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_no => negated = true,
                Rule::ident => kind = Some(self.ident(&part)),
                Rule::pattern_block => patterns = Some(self.parse_pattern_block(part)?),
                _ => {}
            }
        }
        let Some(kind) = kind else {
            return Err(self.error_at(0, 0, "expected an effect kind"));
        };
        if EFFECT_KINDS.contains(&kind.text.as_str()) {
            return Ok(CommandKind::ExpectEffect {
                negated,
                kind,
                patterns: patterns.unwrap_or_default(),
            });
        }
        if !negated && patterns.is_none() {
            // `expect ready`: a one-word expression, not an effect kind.
            return Ok(CommandKind::ExpectExpr { expr: kind.span });
        }
        let mut diagnostic = Diagnostic::new(
            Code::E0102,
            format!("unknown effect kind `{}`", kind.text),
            kind.span,
            "not an effect kind",
        )
        .with_note("`expect KIND { … }` matches effects of a kind of the effect log");
        if let Some(close) = suggest::closest(&kind.text, EFFECT_KINDS.iter().copied()) {
            diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
        }
        Err(diagnostic)
    }

    fn parse_pattern_block(&self, pair: Pair<'_, Rule>) -> Built<Vec<Pattern>> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::pattern)
            .map(|p| self.parse_pattern(p))
            .collect()
    }

    fn parse_pattern(&self, pair: Pair<'_, Rule>) -> Built<Pattern> {
        let span = self.span(&pair);
        let mut key = Vec::new();
        let mut op = PatternOp::Equals;
        let mut value = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::pattern_key => key = part.into_inner().map(|k| self.ident(&k)).collect(),
                Rule::kw_contains => op = PatternOp::Contains,
                Rule::value => value = Some(self.parse_value(part)?),
                _ => {}
            }
        }
        let value = value.ok_or_else(|| self.error_at(0, 0, "expected a value"))?;
        Ok(Pattern { key, op, value, span })
    }

    fn parse_expect_expr(&self, pair: Pair<'_, Rule>) -> Built<CommandKind> {
        let text = self.child(pair, Rule::expr_text)?;
        Ok(CommandKind::ExpectExpr { expr: self.expr_span(&text) })
    }

    // -- values -------------------------------------------------------------------------------

    fn parse_record(&self, pair: Pair<'_, Rule>) -> Built<Record> {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        for entry in pair.into_inner().filter(|p| p.as_rule() == Rule::entry) {
            let entry_span = self.span(&entry);
            let mut key = None;
            let mut value = None;
            for part in entry.into_inner() {
                match part.as_rule() {
                    Rule::ident => key = Some(self.ident(&part)),
                    Rule::value => value = Some(self.parse_value(part)?),
                    _ => {}
                }
            }
            if let (Some(key), Some(value)) = (key, value) {
                if let Some(previous) = entries.iter().find(|e: &&Entry| e.key.text == key.text) {
                    return Err(Diagnostic::new(
                        Code::E0106,
                        format!("`{}` is given twice", key.text),
                        key.span,
                        "given again here",
                    )
                    .with_secondary(previous.key.span, "first given here"));
                }
                entries.push(Entry { key, value, span: entry_span });
            }
        }
        Ok(Record { entries, span })
    }

    fn parse_value(&self, pair: Pair<'_, Rule>) -> Built<Value> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return Err(Diagnostic::new(Code::E0001, "expected a value", span, "here"));
        };
        let text = inner.as_str();
        let kind = match inner.as_rule() {
            Rule::list => {
                let items = inner
                    .into_inner()
                    .filter(|v| v.as_rule() == Rule::value)
                    .map(|v| self.parse_value(v));
                ValueKind::List(items.collect::<Built<Vec<_>>>()?)
            }
            Rule::record => ValueKind::Record(self.parse_record(inner)?),
            Rule::string => ValueKind::Text(decode_string(text)),
            Rule::datetime => ValueKind::DateTime(self.parse_datetime(&inner)?),
            Rule::date => ValueKind::Date(self.parse_date(&inner)?),
            Rule::duration => ValueKind::Duration(self.parse_duration(inner)?),
            Rule::number => ValueKind::Number(self.parse_number(&inner)?),
            Rule::user => ValueKind::User(text[1..].to_string()),
            Rule::kw_true => ValueKind::Bool(true),
            Rule::kw_false => ValueKind::Bool(false),
            Rule::kw_none => ValueKind::None,
            Rule::entity_id => {
                let (kind, n) = self.parse_entity_id(&inner)?;
                ValueKind::Id { kind, n }
            }
            _ => ValueKind::Name(text.to_string()),
        };
        Ok(Value { kind, span })
    }

    fn parse_reference(&self, pair: Pair<'_, Rule>) -> Built<Ref> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next();
        let kind = match inner {
            Some(id) if id.as_rule() == Rule::entity_id => {
                let (kind, n) = self.parse_entity_id(&id)?;
                RefKind::Id { kind, n }
            }
            Some(alias) => RefKind::Alias(alias.as_str().to_string()),
            None => return Err(Diagnostic::new(Code::E0001, "expected an alias", span, "here")),
        };
        Ok(Ref { kind, span })
    }

    fn parse_entity_id(&self, pair: &Pair<'_, Rule>) -> Built<(String, u32)> {
        let (kind, n) = pair.as_str().split_once(':').unwrap_or((pair.as_str(), ""));
        let n = n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
            self.error(
                pair,
                Code::E0001,
                format!("invalid id `{}`", pair.as_str()),
                "ids count from 1",
            )
        })?;
        Ok((kind.to_string(), n))
    }

    fn parse_number(&self, pair: &Pair<'_, Rule>) -> Built<Decimal> {
        Decimal::from_str(pair.as_str()).map_err(|_| {
            self.error(
                pair,
                Code::E0001,
                format!("number `{}` is out of range", pair.as_str()),
                "too many digits",
            )
        })
    }

    fn parse_moment(&self, pair: Pair<'_, Rule>) -> Built<NaiveDateTime> {
        let Some(inner) = pair.into_inner().next() else {
            return Err(self.error_at(0, 0, "expected a date"));
        };
        match inner.as_rule() {
            Rule::datetime => self.parse_datetime(&inner),
            _ => Ok(self.parse_date(&inner)?.and_time(NaiveTime::MIN)),
        }
    }

    fn parse_date(&self, pair: &Pair<'_, Rule>) -> Built<NaiveDate> {
        parse_date_text(pair.as_str()).ok_or_else(|| {
            self.error(
                pair,
                Code::E0001,
                format!("impossible date `{}`", pair.as_str()),
                "no such day",
            )
            .with_help("write a date as YYYY-MM-DD, such as 2026-03-02")
        })
    }

    fn parse_datetime(&self, pair: &Pair<'_, Rule>) -> Built<NaiveDateTime> {
        parse_datetime_text(pair.as_str()).ok_or_else(|| {
            self.error(
                pair,
                Code::E0001,
                format!("impossible date or time `{}`", pair.as_str()),
                "no such moment",
            )
            .with_help("write a moment as YYYY-MM-DD HH:MM, such as 2026-03-02 09:30")
        })
    }

    fn parse_duration(&self, pair: Pair<'_, Rule>) -> Built<Duration> {
        let span = self.span(&pair);
        let mut duration = Duration::default();
        let mut previous_rank = usize::MAX;
        for part in pair.into_inner() {
            let text = part.as_str();
            let mut words = text.split_whitespace();
            let count = words.next().and_then(|c| c.parse::<i64>().ok());
            let unit = words.next().unwrap_or("");
            let Some(count) = count.filter(|c| *c <= 1_000_000) else {
                return Err(self.error(
                    &part,
                    Code::E0001,
                    "duration is too long".into(),
                    "at most 1000000 of a unit",
                ));
            };
            let rank = match unit.trim_end_matches('s') {
                "week" => 3,
                "day" => 2,
                "hour" => 1,
                _ => 0,
            };
            if rank >= previous_rank {
                return Err(Diagnostic::new(
                    Code::E0001,
                    "duration units must be strictly decreasing",
                    span,
                    "units out of order",
                )
                .with_help("write larger units first, once each: `3 days 4 hours`"));
            }
            previous_rank = rank;
            match rank {
                3 => duration.weeks = count,
                2 => duration.days = count,
                1 => duration.hours = count,
                _ => duration.minutes = count,
            }
        }
        Ok(duration)
    }

    // -- errors -------------------------------------------------------------------------------

    fn child<'i>(&self, pair: Pair<'i, Rule>, rule: Rule) -> Built<Pair<'i, Rule>> {
        let span = self.span(&pair);
        pair.into_inner().find(|p| p.as_rule() == rule).ok_or_else(|| {
            Diagnostic::new(Code::E0001, format!("expected {}", phrase(rule)), span, "here")
        })
    }

    /// A pest failure as a diagnostic: an unknown command word (E0102), or "expected …" at the
    /// furthest position the grammar reached (E0001).
    fn syntax_error(&self, source: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
        let position = match error.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
        let first_word: String =
            source.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !COMMAND_WORDS.contains(&first_word.as_str()) {
            return self.unknown_command(source, &first_word);
        }
        let position = position.min(source.len());
        let found = found_token(&source[position..]);
        let expected = match &error.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => expected_list(positives),
            pest::error::ErrorVariant::CustomError { message } => message.clone(),
        };
        match found {
            Some((skipped, found)) => {
                let start = position + skipped;
                let message = format!("expected {expected}, found `{found}`");
                self.error_at(start, start + found.len(), &message)
            }
            None => {
                let message = format!("expected {expected} at the end of the command");
                self.error_at(position, position, &message)
            }
        }
    }

    fn unknown_command(&self, source: &str, word: &str) -> Diagnostic {
        let shown = match found_token(source) {
            Some((_, token)) if word.is_empty() => token,
            _ => word,
        };
        let mut diagnostic = Diagnostic::new(
            Code::E0102,
            format!("unknown command `{shown}`"),
            Span::new(self.file, self.offset, self.offset + shown.len()),
            "not a scenario command",
        );
        diagnostic = match suggest::closest(word, COMMAND_WORDS.iter().copied()) {
            Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
            None => diagnostic.with_help(format!("commands are: {}", COMMAND_WORDS.join(", "))),
        };
        diagnostic
    }
}

/// The token at the start of `rest` after blanks: its offset in `rest` and its text (a word,
/// or one character).
fn found_token(rest: &str) -> Option<(usize, &str)> {
    let skipped = rest.len() - rest.trim_start().len();
    let rest = &rest[skipped..];
    let first = rest.chars().next()?;
    let word_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    Some((skipped, if word_len == 0 { &rest[..first.len_utf8()] } else { &rest[..word_len] }))
}

/// "a, b or c" from the rules pest expected, without repeats.
fn expected_list(rules: &[Rule]) -> String {
    let mut phrases: Vec<&str> = Vec::new();
    for rule in rules {
        let phrase = phrase(*rule);
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    }
    match phrases.len() {
        0 => "something else".to_string(),
        1 => phrases[0].to_string(),
        n => format!("{} or {}", phrases[..n - 1].join(", "), phrases[n - 1]),
    }
}

/// How each grammar rule is named in "expected …" messages (STYLE §3).
pub(crate) fn phrase(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the command",
        Rule::WHITESPACE => "a space",
        Rule::COMMENT => "a comment",
        Rule::command => "a command",
        Rule::ident_char => "a letter or digit",
        Rule::ident | Rule::emit_word => "a name",
        Rule::string => "a text such as \"Boiler\"",
        Rule::escape => "an escape such as `\\n`",
        Rule::number => "a number",
        Rule::integer => "a whole number",
        Rule::date => "a date such as 2026-03-02",
        Rule::datetime | Rule::moment => "a moment such as 2026-03-02 09:30",
        Rule::duration | Rule::duration_part => "a duration such as `2 days`",
        Rule::duration_count => "a count",
        Rule::duration_unit => "a unit (minutes, hours, days, weeks)",
        Rule::user => "a user such as @alice",
        Rule::entity_id => "an id such as `deal:1`",
        Rule::reference => "an alias or an id such as `deal:1`",
        Rule::timezone => "a timezone such as Europe/Paris",
        Rule::kw_clock => "`clock`",
        Rule::kw_seed => "`seed`",
        Rule::kw_user => "`user`",
        Rule::kw_create => "`create`",
        Rule::kw_set => "`set`",
        Rule::kw_move => "`move`",
        Rule::kw_to => "`to`",
        Rule::kw_as => "`as`",
        Rule::kw_complete => "`complete`",
        Rule::kw_task => "`task`",
        Rule::kw_activity => "`activity`",
        Rule::kw_pay => "`pay`",
        Rule::kw_invoice => "`invoice`",
        Rule::kw_order => "`order`",
        Rule::kw_open => "`open`",
        Rule::kw_click => "`click`",
        Rule::kw_email => "`email`",
        Rule::kw_sign => "`sign`",
        Rule::kw_view => "`view`",
        Rule::kw_document => "`document`",
        Rule::kw_of => "`of`",
        Rule::kw_where => "`where`",
        Rule::kw_emit => "`emit`",
        Rule::kw_start => "`start`",
        Rule::kw_process => "`process`",
        Rule::kw_on => "`on`",
        Rule::kw_advance => "`advance`",
        Rule::kw_show => "`show`",
        Rule::kw_timeline => "`timeline`",
        Rule::kw_tasks => "`tasks`",
        Rule::kw_pending => "`pending`",
        Rule::kw_effects => "`effects`",
        Rule::kw_expect => "`expect`",
        Rule::kw_no => "`no`",
        Rule::kw_contains => "`contains`",
        Rule::kw_true => "`true`",
        Rule::kw_false => "`false`",
        Rule::kw_none => "`none`",
        Rule::dot => "`.` and a field",
        Rule::equals => "`=`",
        Rule::colon => "`:`",
        Rule::open_brace => "`{`",
        Rule::close_brace => "`}`",
        Rule::close_bracket => "`]`",
        Rule::value => "a value",
        Rule::list => "a list `[…]`",
        Rule::record | Rule::pattern_block => "a block `{ … }`",
        Rule::entry => "an entry `name: value`",
        Rule::expr_text => "an expression",
        Rule::clock_cmd => "`clock DATE TIME [TIMEZONE]`",
        Rule::seed_cmd => "`seed N`",
        Rule::user_cmd => "`user ID \"Name\" { … }`",
        Rule::create_cmd => "`create KIND ALIAS { … }`",
        Rule::set_cmd => "`set REF.FIELD = VALUE`",
        Rule::field_target => "a field such as `d1.amount`",
        Rule::move_cmd => "`move REF to STAGE`",
        Rule::stage_name => "a stage",
        Rule::record_target => "a record id, an alias or `of ALIAS`",
        Rule::of_target => "`of ALIAS`",
        Rule::complete_cmd => "`complete task|activity …`",
        Rule::pay_cmd => "`pay invoice|order …`",
        Rule::open_cmd => "`open email …`",
        Rule::click_cmd => "`click email …`",
        Rule::sign_cmd => "`sign document …`",
        Rule::view_cmd => "`view document …`",
        Rule::emit_cmd => "`emit EVENT ALIAS { … }`",
        Rule::start_cmd => "`start process NAME on ALIAS`",
        Rule::advance_cmd => "`advance DURATION` or `advance to DATE`",
        Rule::show_cmd => "`show REF`",
        Rule::timeline_cmd => "`timeline REF`",
        Rule::tasks_cmd => "`tasks [REF]`",
        Rule::pending_cmd => "`pending [REF]`",
        Rule::effects_cmd => "`effects`",
        Rule::expect_effect => "`expect KIND { … }`",
        Rule::pattern => "a pattern `key: value` or `key contains value`",
        Rule::pattern_key => "a key",
        Rule::expect_expr => "`expect EXPR`",
    }
}
