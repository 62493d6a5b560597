//! `expect` (SPEC §10) and the expressions of scenarios (`expect EXPR`, `of ALIAS where COND`).
//!
//! `expect KIND { … }` passes when at least one effect of that kind in the whole log so far
//! matches every entry; `expect no KIND { … }` when none does. An entry compares one key of the
//! effect's §9 JSON object:
//! - `KEY: VALUE` is equality with the value's §9 encoding: `@bob` is `"user:bob"`, an alias
//!   is its id (`"deal:1"`), a bare name is that text (a stage or enum id) or the id of the
//!   alias it names, numbers compare numerically (`1200` = `1200.0`), moments compare as
//!   instants (`2026-03-02 10:00` in the clock's timezone), a date matches that date or a
//!   moment at its 00:00, `none` matches `null` or a missing key, lists match element-wise
//!   and `{ … }` matches the listed keys of an object;
//! - `KEY contains TEXT` holds when the key's text contains TEXT, ignoring case (as the
//!   language's `contains` on Text, SPEC §6.3), or when the key's list holds the value.
//!
//! Keys may be dotted to reach into an object (`fields.name`); the first segment must be a key
//! of the kind (§9 table), so a typo is an invalid line rather than a silent failure.

use std::str::FromStr;

use chrono::{DateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value as Json;

use super::command::{Pattern, PatternOp, Value as ScenarioValue, ValueKind};
use super::run::{Runner, ScenarioError};
use crate::diag::{suggest, Code, Diagnostic};
use crate::model::{self, EntityId};
use crate::runtime::calendar::local_to_utc;
use crate::runtime::value::duration_text;
use crate::runtime::{EntityRef, Value};
use crate::span::{Ident, Span};
use crate::types::Type;

/// The keys every effect has, then each kind's keys (SPEC §9).
pub const COMMON_KEYS: &[&str] = &["seq", "at", "kind", "entity"];

/// The keys of an effect kind after the common ones, in §9 order (empty for an unknown kind).
pub fn kind_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "entity_created" => &["title", "pipeline", "stage"],
        "stage" => &["from", "to", "by", "pipeline", "from_pipeline"],
        "notify" => &["to", "text"],
        "history" => &["text", "author", "type"],
        "task_created" => &["task", "title", "assignee", "deadline"],
        "task_completed" => &["task"],
        "activity_created" | "activity_completed" => &["activity", "subject", "responsible", "due"],
        "email" => &["email", "to", "subject", "body"],
        "sms" => &["to", "text"],
        "comment" => &["text", "author"],
        "document_created" | "sign_requested" => &["document", "template", "url"],
        "details_changed" => &["target", "template", "address", "fields"],
        "payment_link" => &["url", "amount"],
        "field_changed" => &["field", "old", "new"],
        "entity_deleted" => &["deleted"],
        "audience" => &["audience"],
        "booking" | "booking_cancelled" => &["field", "start", "duration"],
        "event" => &["event", "source"],
        "rule_cancelled" | "rule_skipped" => &["stage", "rule"],
        "process_started" => &["process", "instance"],
        "process_finished" => &["process", "instance", "reason"],
        "error" => &["message", "rule", "process"],
        _ => &[],
    }
}

impl Runner {
    /// `expect [no] KIND { … }`: `Ok` with a one-line account when it holds.
    pub(super) fn expect_effect(
        &self,
        span: Span,
        negated: bool,
        kind: &Ident,
        patterns: &[Pattern],
    ) -> Result<String, ScenarioError> {
        self.check_pattern_keys(kind, patterns)?;
        let tz = self.engine.timezone();
        let effects: Vec<Json> = self
            .engine
            .effects()
            .iter()
            .filter(|e| e.kind.name() == kind.text)
            .map(|e| e.to_json_value(&self.model, tz))
            .collect();
        let scores: Vec<usize> = effects
            .iter()
            .map(|effect| patterns.iter().filter(|p| self.pattern_matches(effect, p)).count())
            .collect();
        let matching: Vec<&Json> = effects
            .iter()
            .zip(&scores)
            .filter(|(_, s)| **s == patterns.len())
            .map(|(e, _)| e)
            .collect();
        let shown = self.patterns_text(patterns);
        let counted = match matching.len() {
            1 => format!("1 `{}` effect matches {shown}", kind.text),
            n => format!("{n} `{}` effects match {shown}", kind.text),
        };
        match (negated, matching.first()) {
            (false, Some(_)) => Ok(counted),
            (true, None) => Ok(format!("no `{}` effect matches {shown}", kind.text)),
            (true, Some(first)) => Err(ScenarioError::ExpectFailed {
                span,
                message: counted,
                details: vec![format!("first: {}", compact(first))],
            }),
            (false, None) => {
                let mut details = Vec::new();
                // The closest effect: the most entries matched, the latest on a tie.
                let best = scores.iter().enumerate().rev().max_by_key(|(_, s)| **s).map(|(i, _)| i);
                match best {
                    None => details.push(format!("the log has no `{}` effect", kind.text)),
                    Some(index) => {
                        let effect = &effects[index];
                        details.push(format!("closest: {}", compact(effect)));
                        for pattern in patterns.iter().filter(|p| !self.pattern_matches(effect, p))
                        {
                            let actual =
                                lookup(effect, &pattern.key).map_or("missing".into(), compact);
                            details.push(format!("`{}` is {actual}", pattern.key_text()));
                        }
                    }
                }
                Err(ScenarioError::ExpectFailed {
                    span,
                    message: format!("no `{}` effect matches {shown}", kind.text),
                    details,
                })
            }
        }
    }

    /// `{ to: @bob, text contains "Boiler" }` as written (or `{}`).
    fn patterns_text(&self, patterns: &[Pattern]) -> String {
        let parts: Vec<&str> = patterns.iter().map(|p| self.sources.snippet(p.span)).collect();
        if parts.is_empty() {
            "{}".to_string()
        } else {
            format!("{{ {} }}", parts.join(", "))
        }
    }

    /// Every pattern key must be a §9 key of the kind (its first segment).
    fn check_pattern_keys(&self, kind: &Ident, patterns: &[Pattern]) -> Result<(), ScenarioError> {
        let known: Vec<&str> = COMMON_KEYS.iter().chain(kind_keys(&kind.text)).copied().collect();
        for pattern in patterns {
            let Some(first) = pattern.key.first() else { continue };
            if known.contains(&first.as_str()) {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                Code::E0102,
                format!("`{}` effects have no key `{}`", kind.text, first.text),
                first.span,
                "unknown key",
            );
            diagnostic = match suggest::closest(&first.text, known.iter().copied()) {
                Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                None => diagnostic.with_help(format!("keys: {}", known.join(", "))),
            };
            return Err(ScenarioError::invalid(diagnostic));
        }
        Ok(())
    }

    fn pattern_matches(&self, effect: &Json, pattern: &Pattern) -> bool {
        let actual = lookup(effect, &pattern.key).unwrap_or(&Json::Null);
        match pattern.op {
            PatternOp::Equals => self.value_matches(actual, &pattern.value),
            PatternOp::Contains => self.contains(actual, &pattern.value),
        }
    }

    /// `KEY: VALUE` — equality with the value's §9 encoding.
    fn value_matches(&self, actual: &Json, expected: &ScenarioValue) -> bool {
        match &expected.kind {
            ValueKind::Text(text) => actual.as_str() == Some(text),
            ValueKind::Number(n) => json_decimal(actual) == Some(*n),
            ValueKind::Bool(b) => actual.as_bool() == Some(*b),
            ValueKind::None => actual.is_null(),
            ValueKind::User(id) => actual.as_str() == Some(&format!("user:{id}")),
            ValueKind::Id { kind, n } => actual.as_str() == Some(&format!("{kind}:{n}")),
            ValueKind::Name(name) => {
                let alias = self.aliases.get(name).map(|r| self.id_text(*r));
                actual.as_str().is_some_and(|s| s == name || Some(s) == alias.as_deref())
            }
            ValueKind::Duration(d) => actual.as_str() == Some(&duration_text(d)),
            ValueKind::Date(date) => match actual.as_str() {
                Some(s) if s.len() == 10 => s == date.format("%Y-%m-%d").to_string(),
                Some(s) => self.same_instant(s, date.and_time(NaiveTime::MIN)),
                None => false,
            },
            ValueKind::DateTime(at) => actual.as_str().is_some_and(|s| self.same_instant(s, *at)),
            ValueKind::List(items) => actual.as_array().is_some_and(|array| {
                array.len() == items.len()
                    && array.iter().zip(items).all(|(a, e)| self.value_matches(a, e))
            }),
            ValueKind::Record(record) => actual.as_object().is_some_and(|object| {
                record.entries.iter().all(|entry| {
                    self.value_matches(
                        object.get(entry.key.as_str()).unwrap_or(&Json::Null),
                        &entry.value,
                    )
                })
            }),
        }
    }

    /// `KEY contains VALUE` — a case-insensitive substring of a text, or a list member.
    fn contains(&self, actual: &Json, expected: &ScenarioValue) -> bool {
        if let Some(array) = actual.as_array() {
            return array.iter().any(|item| self.value_matches(item, expected));
        }
        let Some(text) = actual.as_str() else { return false };
        let needle = match &expected.kind {
            ValueKind::Text(t) | ValueKind::Name(t) => t.clone(),
            ValueKind::Number(n) => n.to_string(),
            ValueKind::User(id) => format!("user:{id}"),
            ValueKind::Id { kind, n } => format!("{kind}:{n}"),
            _ => return false,
        };
        text.to_lowercase().contains(&needle.to_lowercase())
    }

    /// Whether a §9 moment text is the local moment `at` in the clock's timezone.
    fn same_instant(&self, text: &str, at: chrono::NaiveDateTime) -> bool {
        let expected: DateTime<Utc> = local_to_utc(at, self.engine.timezone());
        DateTime::parse_from_rfc3339(text)
            .is_ok_and(|actual| actual.with_timezone(&Utc) == expected)
    }

    // -- expressions --------------------------------------------------------------------------

    /// `expect EXPR`: `Ok` when the expression is true.
    pub(super) fn expect_expr(&self, span: Span) -> Result<String, ScenarioError> {
        let expr = self.check_expression(span, None, Some(&Type::Bool))?;
        let value = self.evaluate(&expr, &self.vars(None), span)?;
        let source = self.sources.snippet(span).to_string();
        if value.truthy() {
            return Ok(format!("`{source}` is true"));
        }
        let mut details = Vec::new();
        if let model::ExprKind::Binary(op, left, right) = &expr.kind {
            if op.is_comparison() {
                for side in [left, right] {
                    if matches!(side.kind, model::ExprKind::Literal(_)) {
                        continue;
                    }
                    if let Ok(value) = self.engine.eval(side, &self.vars(None)) {
                        let text = self.sources.snippet(side.span);
                        details.push(format!("`{text}` is {}", self.engine.value_json(&value)));
                    }
                }
            }
        }
        let verdict = if value.is_none() { "false (it is none)" } else { "false" };
        Err(ScenarioError::ExpectFailed {
            span,
            message: format!("`{source}` is {verdict}"),
            details,
        })
    }

    /// Evaluates the expression at `span` (a bare expression typed at the REPL) with every
    /// alias in scope: its value and its type.
    pub fn evaluate_expression(&self, span: Span) -> Result<(Value, Type), ScenarioError> {
        let expr = self.check_expression(span, None, None)?;
        let value = self.evaluate(&expr, &self.vars(None), span)?;
        Ok((value, expr.ty))
    }

    /// Keeps the candidates for which `where COND` holds, `it` being the candidate.
    pub(super) fn filter_where(
        &self,
        span: Span,
        kind: EntityId,
        candidates: Vec<EntityRef>,
    ) -> Result<Vec<EntityRef>, ScenarioError> {
        let expr = self.check_expression(span, Some(kind), Some(&Type::Bool))?;
        let mut kept = Vec::new();
        for candidate in candidates {
            if self.evaluate(&expr, &self.vars(Some(candidate)), span)?.truthy() {
                kept.push(candidate);
            }
        }
        Ok(kept)
    }

    /// Parses the expression at `span` with the `.bp` expression grammar and checks it with
    /// every alias (and `it`, of kind `it`) in scope.
    fn check_expression(
        &self,
        span: Span,
        it: Option<EntityId>,
        expected: Option<&Type>,
    ) -> Result<model::Expr, ScenarioError> {
        let (start, end) = (span.start as usize, span.end as usize);
        let ast = crate::syntax::parse_expr(&self.sources, span.file, start, end)
            .map_err(ScenarioError::Invalid)?;
        let mut scope: Vec<(String, Type)> = self
            .aliases
            .iter()
            .filter(|(alias, _)| it.is_none() || alias.as_str() != "it")
            .map(|(alias, r)| (alias.clone(), Type::Entity(r.entity)))
            .collect();
        if let Some(kind) = it {
            scope.push(("it".to_string(), Type::Entity(kind)));
        }
        crate::check::check_expr(&self.model, &self.sources, &ast, &scope, expected)
            .map_err(ScenarioError::Invalid)
    }

    /// The aliases (and `it`) as variables.
    fn vars(&self, it: Option<EntityRef>) -> Vec<(String, Value)> {
        let mut vars: Vec<(String, Value)> = self
            .aliases
            .iter()
            .filter(|(alias, _)| it.is_none() || alias.as_str() != "it")
            .map(|(alias, r)| (alias.clone(), Value::Entity(*r)))
            .collect();
        if let Some(candidate) = it {
            vars.push(("it".to_string(), Value::Entity(candidate)));
        }
        vars
    }

    fn evaluate(
        &self,
        expr: &model::Expr,
        vars: &[(String, Value)],
        span: Span,
    ) -> Result<Value, ScenarioError> {
        self.engine.eval(expr, vars).map_err(|error| {
            ScenarioError::invalid(
                Diagnostic::new(
                    Code::E0104,
                    format!("cannot evaluate: {}", error.message),
                    span,
                    "here",
                )
                .with_help_opt(error.help),
            )
        })
    }
}

/// The value at a dotted key of an effect object.
fn lookup<'j>(effect: &'j Json, key: &[Ident]) -> Option<&'j Json> {
    key.iter().try_fold(effect, |value, segment| value.as_object()?.get(segment.as_str()))
}

/// A JSON number as an exact decimal.
fn json_decimal(value: &Json) -> Option<Decimal> {
    let text = value.as_number()?.to_string();
    Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok()
}

/// A JSON value on one line.
fn compact(value: &Json) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
