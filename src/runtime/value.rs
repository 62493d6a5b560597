//! `Value`: what expressions evaluate to and what entity fields hold at run time (SPEC §6.3),
//! with the two encodings SPEC fixes: text rendering for templates (§6.6) and the JSON
//! encoding of the effect log (§9).
//!
//! Money and Number are exact decimals (`rust_decimal`). A `Value` is 32 bytes: the two rare
//! bulky payloads (a Duration, a record) are boxed, so an entity row of 16 fields stays small
//! (SPEC's performance issue: ≤ 1 KiB per waiting deal).

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use indexmap::IndexMap;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::ast;
use crate::model::{EntityId, Model, PipelineId, StageRef};

/// A reference to one entity: its kind and its number (`deal:1` is `Deal`, 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntityRef {
    pub entity: EntityId,
    /// 1-based, counting per kind in creation order (SPEC §8 "Identifiers").
    pub n: u32,
}

impl EntityRef {
    pub fn new(entity: EntityId, n: u32) -> EntityRef {
        EntityRef { entity, n }
    }

    /// `deal:1`, with the kind's item name from the model.
    pub fn id(self, model: &Model) -> String {
        let kind = model.entities.get_index(self.entity.index()).map_or("?", |(_, e)| &e.item_name);
        format!("{kind}:{}", self.n)
    }

    /// A value that displays as `deal:1`.
    pub fn display(self, model: &Model) -> EntityDisplay<'_> {
        EntityDisplay { model, entity: self }
    }
}

/// `Display` of an entity id (`deal:1`), borrowing the model for the kind's name.
pub struct EntityDisplay<'m> {
    model: &'m Model,
    entity: EntityRef,
}

impl fmt::Display for EntityDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self
            .model
            .entities
            .get_index(self.entity.entity.index())
            .map_or("?", |(_, e)| &e.item_name);
        write!(f, "{kind}:{}", self.entity.n)
    }
}

/// `ast::Duration` is a syntax type without serde; this mirrors it for the state files.
#[derive(Serialize, Deserialize)]
#[serde(remote = "ast::Duration")]
pub struct DurationDef {
    pub weeks: i64,
    pub days: i64,
    pub hours: i64,
    pub minutes: i64,
}

mod boxed_duration {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &ast::Duration, s: S) -> Result<S::Ok, S::Error> {
        DurationDef::serialize(d, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<ast::Duration>, D::Error> {
        DurationDef::deserialize(d).map(Box::new)
    }
}

/// A run-time value. `None` is the missing value of every optional type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    None,
    Bool(bool),
    Number(Decimal),
    Money(Decimal),
    Text(String),
    /// Boxed to keep `Value` at 32 bytes; build with [`Value::duration`].
    Duration(#[serde(with = "boxed_duration")] Box<ast::Duration>),
    Date(NaiveDate),
    /// A moment (millisecond resolution), shown in the clock's timezone.
    DateTime(DateTime<Utc>),
    /// A user id (`alice` for `@alice`); the user may not exist (resolved when used).
    User(String),
    Stage(StageRef),
    Pipeline(PipelineId),
    /// An enum member by id.
    Enum(String),
    Entity(EntityRef),
    List(Vec<Value>),
    /// A record (`PaymentLink`, `Details`, `FieldChange`, `ProductRow`, a webhook payload).
    /// Boxed to keep `Value` small; build with [`Value::record`].
    Record(Box<IndexMap<String, Value>>),
}

impl Value {
    pub fn duration(d: ast::Duration) -> Value {
        Value::Duration(Box::new(d))
    }

    pub fn record(fields: IndexMap<String, Value>) -> Value {
        Value::Record(Box::new(fields))
    }

    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// A missing Bool counts as false (SPEC §6.3); anything else that is not `true` too.
    pub fn truthy(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// The decimal of a Number or Money.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Number(d) | Value::Money(d) => Some(*d),
            _ => None,
        }
    }

    pub fn as_entity(&self) -> Option<EntityRef> {
        match self {
            Value::Entity(r) => Some(*r),
            _ => None,
        }
    }

    pub fn as_user(&self) -> Option<&str> {
        match self {
            Value::User(u) => Some(u),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// A field of a record value.
    pub fn record_field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Record(map) => map.get(name),
            _ => None,
        }
    }
}

/// Money results are rounded half away from zero to 0.01 (SPEC §6.3).
pub fn round_money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Number division keeps 10 fractional digits (SPEC §6.3), rounded half away from zero.
pub fn round_division(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(10, RoundingStrategy::MidpointAwayFromZero)
}

/// A decimal in shortest form: `150`, `12.5`, `-3`, never `150.0` or `-0` (SPEC §9, §6.6).
pub fn decimal_shortest(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".to_string()
    } else {
        n.to_string()
    }
}

/// Money with two decimals: `1200.00` (SPEC §6.6).
pub fn money_text(d: Decimal) -> String {
    let mut out = String::new();
    push_money(&mut out, d);
    out
}

/// Appends [`money_text`] to `out`: digits written directly when the amount has fewer than
/// 19 digits, `Decimal`'s own formatting otherwise.
pub fn push_money(out: &mut String, d: Decimal) {
    // Two decimals or fewer: exact cents, no rounding (the common case, cheap).
    if d.scale() <= 2 {
        let factor: i128 = if d.scale() == 2 {
            1
        } else if d.scale() == 1 {
            10
        } else {
            100
        };
        if let Some(cents) = d.mantissa().checked_mul(factor) {
            if let Ok(abs) = u64::try_from(cents.unsigned_abs()) {
                push_cents(out, cents < 0, abs);
                return;
            }
        }
    }
    let mut m = round_money(d);
    m.rescale(2);
    if m.is_zero() {
        out.push_str("0.00");
        return;
    }
    let cents = m.mantissa();
    match u64::try_from(cents.unsigned_abs()) {
        Ok(abs) if m.scale() == 2 => push_cents(out, cents < 0, abs),
        _ => {
            use std::fmt::Write;
            let _ = write!(out, "{m}");
        }
    }
}

/// Appends `abs` cents as `12.34` (`0.00` for zero, never `-0.00`).
fn push_cents(out: &mut String, negative: bool, abs: u64) {
    if negative && abs != 0 {
        out.push('-');
    }
    push_u64(out, abs / 100);
    let frac = (abs % 100) as u8;
    out.push('.');
    out.push(char::from(b'0' + frac / 10));
    out.push(char::from(b'0' + frac % 10));
}

/// Appends the decimal digits of `n`.
fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(char::from(b));
    }
}

/// A duration as text: `2 days 3 hours`, `1 day`, `30 minutes`; zero is `0 minutes`.
pub fn duration_text(d: &ast::Duration) -> String {
    let mut parts = Vec::new();
    for (n, unit) in [(d.weeks, "week"), (d.days, "day"), (d.hours, "hour"), (d.minutes, "minute")]
    {
        if n != 0 {
            let plural = if n == 1 || n == -1 { "" } else { "s" };
            parts.push(format!("{n} {unit}{plural}"));
        }
    }
    if parts.is_empty() {
        "0 minutes".to_string()
    } else {
        parts.join(" ")
    }
}

/// The total length of a duration in minutes (days as 1440 minutes), for comparisons.
pub fn duration_minutes(d: &ast::Duration) -> i128 {
    (i128::from(d.weeks) * 7 + i128::from(d.days)) * 1440
        + i128::from(d.hours) * 60
        + i128::from(d.minutes)
}

/// A moment as the effect log writes it: `2026-03-02T09:30:00+01:00` in `tz` (SPEC §9).
pub fn datetime_json(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// A moment as templates render it: `2026-03-02 09:30` in `tz` (SPEC §6.6).
pub fn datetime_text(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// Writes `v` as a JSON value (SPEC §9 "Values") into `out`: numbers shortest, DateTime in
/// `tz`, Date `YYYY-MM-DD`, Duration as text, User `user:ID`, entity id, stage and enum by id,
/// List an array, missing `null`. Records are objects.
pub fn write_json(out: &mut String, v: &Value, model: &Model, tz: Tz) {
    match v {
        Value::None => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(d) | Value::Money(d) => out.push_str(&decimal_shortest(*d)),
        Value::Text(t) => write_json_str(out, t),
        Value::Duration(d) => write_json_str(out, &duration_text(d)),
        Value::Date(d) => write_json_str(out, &d.format("%Y-%m-%d").to_string()),
        Value::DateTime(t) => write_json_str(out, &datetime_json(*t, tz)),
        Value::User(u) => write_json_str(out, &format!("user:{u}")),
        Value::Stage(s) => {
            let id = stage_id(model, *s);
            write_json_str(out, id)
        }
        Value::Pipeline(p) => write_json_str(out, pipeline_name(model, *p)),
        Value::Enum(e) => write_json_str(out, e),
        Value::Entity(r) => write_json_str(out, &r.id(model)),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item, model, tz);
            }
            out.push(']');
        }
        Value::Record(fields) => {
            out.push('{');
            for (i, (k, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_str(out, k);
                out.push(':');
                write_json(out, item, model, tz);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal with serde_json's escaping.
pub fn write_json_str(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

/// `v` as a `serde_json::Value` (same encoding as [`write_json`]).
pub fn to_json_value(v: &Value, model: &Model, tz: Tz) -> serde_json::Value {
    let mut out = String::new();
    write_json(&mut out, v, model, tz);
    serde_json::from_str(&out).unwrap_or(serde_json::Value::Null)
}

/// The id of a stage (`won`), or `?` for a reference the model does not have.
pub fn stage_id(model: &Model, s: StageRef) -> &str {
    model
        .pipelines
        .get_index(s.pipeline.index())
        .and_then(|(_, p)| p.stages.get(s.index as usize))
        .map_or("?", |st| st.id.as_str())
}

/// The title of a stage (`Deal won`).
pub fn stage_title(model: &Model, s: StageRef) -> &str {
    model
        .pipelines
        .get_index(s.pipeline.index())
        .and_then(|(_, p)| p.stages.get(s.index as usize))
        .map_or("?", |st| st.title.as_str())
}

/// The name of a pipeline (`sales`).
pub fn pipeline_name(model: &Model, p: PipelineId) -> &str {
    model.pipelines.get_index(p.index()).map_or("?", |(name, _)| name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stays_small() {
        assert!(std::mem::size_of::<Value>() <= 32, "{}", std::mem::size_of::<Value>());
    }

    #[test]
    fn numbers_render_in_shortest_form() {
        let cases = [("150.0", "150"), ("12.50", "12.5"), ("0.00", "0"), ("-3", "-3")];
        for (input, expected) in cases {
            let d: Decimal = input.parse().unwrap();
            assert_eq!(decimal_shortest(d), expected);
        }
    }

    #[test]
    fn money_renders_with_two_decimals() {
        let cases = [("1200", "1200.00"), ("12.345", "12.35"), ("-0.005", "-0.01"), ("0", "0.00")];
        for (input, expected) in cases {
            let d: Decimal = input.parse().unwrap();
            assert_eq!(money_text(d), expected);
        }
    }

    #[test]
    fn money_digits_are_those_of_decimal_formatting() {
        // The direct digit writing of `push_money` against `Decimal`'s own formatting.
        let reference = |d: Decimal| {
            let mut m = round_money(d);
            m.rescale(2);
            if m.is_zero() {
                m = Decimal::new(0, 2);
            }
            m.to_string()
        };
        let mut samples = vec![
            Decimal::MAX,
            Decimal::MIN,
            Decimal::new(-5, 3),
            Decimal::new(5, 3),
            Decimal::new(-4, 3),
            Decimal::new(i64::MAX, 0),
            Decimal::new(i64::MIN, 2),
            Decimal::new(123_456_789, 5),
        ];
        for scale in 0..6 {
            for m in [-100_001i64, -1000, -99, -1, 0, 1, 7, 42, 99, 100, 101, 1995, 123_456] {
                samples.push(Decimal::new(m, scale));
            }
        }
        for d in samples {
            assert_eq!(money_text(d), reference(d), "{d:?}");
        }
    }

    #[test]
    fn durations_render_as_text() {
        let d = |weeks, days, hours, minutes| ast::Duration { weeks, days, hours, minutes };
        assert_eq!(duration_text(&d(0, 2, 3, 0)), "2 days 3 hours");
        assert_eq!(duration_text(&d(0, 1, 0, 0)), "1 day");
        assert_eq!(duration_text(&d(1, 0, 0, 30)), "1 week 30 minutes");
        assert_eq!(duration_text(&d(0, 0, 0, 0)), "0 minutes");
    }
}
