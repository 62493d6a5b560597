//! Expression evaluation (SPEC §6): checked `model::Expr` → `Value`, and the §6.6 text
//! rendering templates use.
//!
//! Evaluation never changes the state. Reading through a missing value gives a missing value
//! (no `?.` needed); arithmetic on a missing value, a division by zero or an overflow is a
//! run-time error, which the statement turns into an `error` effect.

use std::cmp::Ordering;

use chrono::{DateTime, Duration as Elapsed, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::calendar;
use super::exec::{Ctx, RtError, RtResult};
use super::value::{
    datetime_text, decimal_shortest, duration_minutes, duration_text, pipeline_name,
    round_division, round_money, stage_id, stage_title, EntityRef, Value,
};
use super::{CommandError, Engine};
use crate::ast::{BinaryOp, Duration, UnaryOp};
use crate::model::{Expr, ExprKind, Literal, TemplatePart};
use crate::types::Type;

/// How deeply constants may refer to constants (the checker rejects cycles; this bounds a
/// state loaded with another program).
const MAX_CONST_DEPTH: u32 = 64;

impl Engine {
    /// Evaluates `e` in `ctx`.
    pub(crate) fn eval_expr(&self, ctx: &Ctx, e: &Expr) -> RtResult<Value> {
        self.eval_depth(ctx, e, 0)
    }

    /// `Engine::eval`: a free expression with `vars` in scope and no item.
    pub(crate) fn eval_free(
        &self,
        e: &Expr,
        vars: &[(String, Value)],
    ) -> Result<Value, CommandError> {
        let ctx = Ctx {
            vars: vars.iter().map(|(n, v)| (n.clone(), Some(v.clone()))).collect(),
            ..Ctx::default()
        };
        self.eval_expr(&ctx, e).map_err(|err| CommandError::new(err.0))
    }

    fn eval_depth(&self, ctx: &Ctx, e: &Expr, depth: u32) -> RtResult<Value> {
        let v = match &e.kind {
            ExprKind::Literal(lit) => self.literal(lit),
            ExprKind::Item => match ctx.item {
                Some(item) if self.state.live(item).is_some() => Value::Entity(item),
                Some(_) => Value::None,
                None => return Err(RtError::new("no item is in scope here")),
            },
            ExprKind::Var(name) => match self.var(ctx, name, depth)? {
                Value::Entity(e) if self.state.live(e).is_none() => Value::None,
                v => v,
            },
            ExprKind::Now => Value::DateTime(self.state.clock.now),
            ExprKind::Field(base, name) => match self.item_field_ref(ctx, base) {
                // `deal.responsible.name`: the base read in place, not copied.
                Some(v @ (Value::User(_) | Value::Entity(_))) => self.field_of(v, name)?,
                _ => {
                    let base = self.eval_depth(ctx, base, depth)?;
                    self.field_of(&base, name)?
                }
            },
            ExprKind::List(items) => Value::List(
                items.iter().map(|i| self.eval_depth(ctx, i, depth)).collect::<RtResult<_>>()?,
            ),
            ExprKind::Unary(op, inner) => {
                let v = self.eval_depth(ctx, inner, depth)?;
                unary(*op, v)?
            }
            ExprKind::Binary(op, left, right) => self.binary(ctx, *op, left, right, depth)?,
            ExprKind::Template(parts) => {
                let mut out = String::with_capacity(template_capacity(parts));
                for part in parts {
                    match part {
                        TemplatePart::Text(t) => out.push_str(t),
                        TemplatePart::Expr(x) => {
                            if !self.render_item_field(ctx, x, &mut out) {
                                let v = self.eval_depth(ctx, x, depth)?;
                                self.render_into(&mut out, &v);
                            }
                        }
                    }
                }
                Value::Text(out)
            }
        };
        // Number converts to Money implicitly (SPEC §6.3): keep the static type's rendering.
        Ok(match (e.ty.base(), v) {
            (Type::Money, Value::Number(d)) => Value::Money(d),
            (_, v) => v,
        })
    }

    /// The common template part `{{deal.title}}` (a stored field of the live item), rendered
    /// from the row without copying the value; false (nothing written) for any other part,
    /// which the caller evaluates. Renders exactly what evaluating the part would.
    fn render_item_field(&self, ctx: &Ctx, x: &Expr, out: &mut String) -> bool {
        match (x.ty.base(), self.item_field_ref(ctx, x)) {
            (_, None) => return false,
            (Type::Money, Some(Value::Number(d))) => super::value::push_money(out, *d),
            (_, Some(v)) => self.render_into(out, v),
        }
        true
    }

    /// The stored value of `x` when it is a field of the live item (`deal.title`), borrowed
    /// from the row; `None` when `x` is anything else (or the computed `id`), to be evaluated.
    /// A missing position reads as `Value::None`, as `field_at` does.
    fn item_field_ref(&self, ctx: &Ctx, x: &Expr) -> Option<&Value> {
        static MISSING: Value = Value::None;
        let ExprKind::Field(base, name) = &x.kind else { return None };
        let (ExprKind::Item, Some(item)) = (&base.kind, ctx.item) else { return None };
        let row = self.state.live(item)?;
        let pos = self.field_index_of(item.entity, name)?;
        if Some(pos) == self.kind_info(item.entity).id {
            return None;
        }
        Some(row.fields.get(pos).unwrap_or(&MISSING))
    }

    pub(crate) fn literal(&self, lit: &Literal) -> Value {
        match lit {
            Literal::Number(d) => Value::Number(*d),
            Literal::Text(t) => Value::Text(t.clone()),
            Literal::Bool(b) => Value::Bool(*b),
            Literal::None => Value::None,
            Literal::Duration(d) => Value::duration(*d),
            Literal::Date(d) => Value::Date(*d),
            Literal::DateTime(local) => Value::DateTime(calendar::local_to_utc(*local, self.tz)),
            Literal::User(u) => Value::User(u.clone()),
            Literal::Stage(s) => Value::Stage(*s),
            Literal::Pipeline(p) => Value::Pipeline(*p),
            Literal::Enum(m) => Value::Enum(m.clone()),
        }
    }

    fn var(&self, ctx: &Ctx, name: &str, depth: u32) -> RtResult<Value> {
        if let Some((_, v)) = ctx.vars.iter().rev().find(|(n, _)| n == name) {
            return v.clone().ok_or_else(|| {
                RtError::new(format!("`{name}` has no value: the statement that set it failed"))
            });
        }
        if let Some(c) = self.model.consts.get(name) {
            if depth >= MAX_CONST_DEPTH {
                return Err(RtError::new(format!("constant `{name}` refers to itself")));
            }
            return self.eval_depth(&Ctx::default(), &c.value, depth + 1);
        }
        match (name, ctx.item) {
            ("responsible", Some(item)) => {
                Ok(self.responsible_of(item).map_or(Value::None, Value::User))
            }
            ("supervisor", Some(item)) => {
                let responsible = self.kind_info(item.entity).responsible;
                Ok(match self.field_at_ref(item, responsible) {
                    Some(Value::User(u)) => self.user_field(u, "supervisor"),
                    _ => Value::None,
                })
            }
            _ => Err(RtError::new(format!("`{name}` is not defined here"))),
        }
    }

    /// `base.name` for any value: an entity's field, a user's attribute, a record's key, a
    /// stage's id or title. Through a missing value, missing.
    pub(crate) fn field_of(&self, base: &Value, name: &str) -> RtResult<Value> {
        Ok(match base {
            Value::None => Value::None,
            // A reference to a deleted entity reads as missing (SPEC §8 "Deleting").
            Value::Entity(r) => match self.read_field(*r, name) {
                Some(Value::Entity(e)) if self.state.live(e).is_none() => Value::None,
                Some(v) => v,
                None => Value::None,
            },
            Value::User(u) => self.user_field(u, name),
            Value::Record(map) => map.get(name).cloned().unwrap_or(Value::None),
            Value::Stage(s) => match name {
                "id" => Value::Text(stage_id(&self.model, *s).to_string()),
                "title" | "name" => Value::Text(stage_title(&self.model, *s).to_string()),
                "pipeline" => Value::Pipeline(s.pipeline),
                _ => Value::None,
            },
            Value::Pipeline(p) => match name {
                "id" | "name" | "title" => Value::Text(pipeline_name(&self.model, *p).to_string()),
                _ => Value::None,
            },
            Value::List(items) if matches!(name, "count" | "length" | "size") => {
                Value::Number(Decimal::from(items.len()))
            }
            other => {
                return Err(RtError::new(format!(
                    "cannot read `{name}` of {}",
                    self.render_value(other)
                )))
            }
        })
    }

    /// An attribute of a user; an unknown user reads as missing.
    pub(crate) fn user_field(&self, id: &str, name: &str) -> Value {
        let Some(u) = self.user(id) else { return Value::None };
        let text = |t: &Option<String>| t.clone().map_or(Value::None, Value::Text);
        match name {
            "id" => Value::Text(id.to_string()),
            "name" => Value::Text(u.name.clone()),
            "email" => text(&u.email),
            "phone" => text(&u.phone),
            "supervisor" => u.supervisor.clone().map_or(Value::None, Value::User),
            "absent" => Value::Bool(u.absent),
            "calendar" => text(&u.calendar),
            _ => Value::None,
        }
    }

    fn binary(&self, ctx: &Ctx, op: BinaryOp, l: &Expr, r: &Expr, depth: u32) -> RtResult<Value> {
        match op {
            BinaryOp::And => {
                let a = self.eval_depth(ctx, l, depth)?;
                if !a.truthy() {
                    return Ok(Value::Bool(false));
                }
                Ok(Value::Bool(self.eval_depth(ctx, r, depth)?.truthy()))
            }
            BinaryOp::Or => {
                let a = self.eval_depth(ctx, l, depth)?;
                if a.truthy() {
                    return Ok(Value::Bool(true));
                }
                Ok(Value::Bool(self.eval_depth(ctx, r, depth)?.truthy()))
            }
            BinaryOp::Coalesce => {
                let a = self.eval_depth(ctx, l, depth)?;
                if a.is_none() {
                    self.eval_depth(ctx, r, depth)
                } else {
                    Ok(a)
                }
            }
            _ => {
                let a = self.eval_depth(ctx, l, depth)?;
                let b = self.eval_depth(ctx, r, depth)?;
                self.apply(op, a, b)
            }
        }
    }

    /// A binary operator on two values (not `and`/`or`/`??`).
    pub(crate) fn apply(&self, op: BinaryOp, a: Value, b: Value) -> RtResult<Value> {
        let tz = self.tz;
        Ok(match op {
            BinaryOp::Eq => Value::Bool(values_equal_tz(&a, &b, tz)),
            BinaryOp::Ne => Value::Bool(!values_equal_tz(&a, &b, tz)),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let Some(ord) = compare(&a, &b, tz) else { return Ok(Value::Bool(false)) };
                Value::Bool(match op {
                    BinaryOp::Lt => ord == Ordering::Less,
                    BinaryOp::Le => ord != Ordering::Greater,
                    BinaryOp::Gt => ord == Ordering::Greater,
                    _ => ord != Ordering::Less,
                })
            }
            BinaryOp::Contains => Value::Bool(contains(&a, &b, tz)),
            BinaryOp::In => Value::Bool(contains(&b, &a, tz)),
            BinaryOp::StartsWith => Value::Bool(match (&a, &b) {
                (Value::Text(x), Value::Text(y)) => x.to_lowercase().starts_with(&y.to_lowercase()),
                _ => false,
            }),
            BinaryOp::Add | BinaryOp::Sub => self.additive(op == BinaryOp::Sub, a, b)?,
            BinaryOp::Mul | BinaryOp::Div => multiplicative(op == BinaryOp::Div, a, b)?,
            BinaryOp::And | BinaryOp::Or | BinaryOp::Coalesce => {
                return Err(RtError::new("internal: short-circuit operator applied eagerly"))
            }
        })
    }

    fn additive(&self, sub: bool, a: Value, b: Value) -> RtResult<Value> {
        let tz = self.tz;
        let sign = |d: &Duration| if sub { negate(d) } else { *d };
        Ok(match (a, b) {
            (Value::None, _) | (_, Value::None) => {
                return Err(RtError::new(super::stage::MISSING_ARITHMETIC))
            }
            (Value::Number(x), Value::Number(y)) => Value::Number(num_op(x, y, sub)?),
            (Value::Money(x) | Value::Number(x), Value::Money(y) | Value::Number(y)) => {
                Value::Money(round_money(num_op(x, y, sub)?))
            }
            (Value::DateTime(t), Value::Duration(d)) => {
                Value::DateTime(calendar::add_calendar(t, &sign(&d), tz))
            }
            (Value::Duration(d), Value::DateTime(t)) if !sub => {
                Value::DateTime(calendar::add_calendar(t, &d, tz))
            }
            (Value::Date(day), Value::Duration(d)) => add_to_date(day, &sign(&d), tz)?,
            (Value::Duration(d), Value::Date(day)) if !sub => add_to_date(day, &d, tz)?,
            (Value::Duration(x), Value::Duration(y)) => {
                let y = sign(&y);
                Value::duration(Duration {
                    weeks: x.weeks.saturating_add(y.weeks),
                    days: x.days.saturating_add(y.days),
                    hours: x.hours.saturating_add(y.hours),
                    minutes: x.minutes.saturating_add(y.minutes),
                })
            }
            (Value::Date(x), Value::Date(y)) if sub => {
                Value::duration(Duration { days: (x - y).num_days(), ..Duration::default() })
            }
            (
                x @ (Value::Date(_) | Value::DateTime(_)),
                y @ (Value::Date(_) | Value::DateTime(_)),
            ) if sub => {
                let (Some(x), Some(y)) = (as_moment(&x, tz), as_moment(&y, tz)) else {
                    return Err(RtError::new("cannot subtract these values"));
                };
                Value::duration(Duration { minutes: (x - y).num_minutes(), ..Duration::default() })
            }
            (Value::Text(x), Value::Text(y)) if !sub => Value::Text(x + &y),
            (x, y) => {
                return Err(RtError::new(format!(
                    "cannot {} {} and {}",
                    if sub { "subtract" } else { "add" },
                    self.render_value(&x),
                    self.render_value(&y)
                )))
            }
        })
    }

    // -----------------------------------------------------------------------------------------
    // Text rendering (SPEC §6.6)

    /// Appends the §6.6 text of `v` to `out`.
    pub(crate) fn render_into(&self, out: &mut String, v: &Value) {
        match v {
            Value::None => {}
            Value::Bool(b) => out.push_str(if *b { "yes" } else { "no" }),
            Value::Number(d) => out.push_str(&decimal_shortest(*d)),
            Value::Money(d) => super::value::push_money(out, *d),
            Value::Text(t) => out.push_str(t),
            Value::Duration(d) => out.push_str(&duration_text(d)),
            Value::Date(d) => out.push_str(&d.format("%Y-%m-%d").to_string()),
            Value::DateTime(t) => out.push_str(&datetime_text(*t, self.tz)),
            Value::User(u) => match self.user(u.as_str()) {
                Some(user) => out.push_str(&user.name),
                None => out.push_str(u),
            },
            Value::Stage(s) => out.push_str(stage_title(&self.model, *s)),
            Value::Pipeline(p) => out.push_str(pipeline_name(&self.model, *p)),
            Value::Enum(m) => out.push_str(m),
            Value::Entity(r) => self.render_entity(out, *r),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.render_into(out, item);
                }
            }
            Value::Record(map) => {
                // A PaymentLink renders as its url (SPEC §6.6); the checker rejects others.
                if let Some(url) = map.get("url") {
                    self.render_into(out, url);
                } else {
                    let parts: Vec<String> =
                        map.iter().map(|(k, v)| format!("{k}: {}", self.render_value(v))).collect();
                    out.push_str(&parts.join(", "));
                }
            }
        }
    }

    /// An entity by its `url` (a Document), else `title`, `name`, `subject`, else its id; a
    /// deleted one as missing.
    pub(crate) fn render_entity(&self, out: &mut String, r: EntityRef) {
        if self.state.live(r).is_none() {
            return;
        }
        let is_document =
            self.model.entities.get_index(r.entity.index()).is_some_and(|(n, _)| n == "Document");
        if is_document {
            if let Some(Value::Text(url)) = self.read_field(r, "url") {
                out.push_str(&url);
                return;
            }
        }
        let info = self.kind_info(r.entity);
        for pos in [info.title, info.name, info.subject] {
            match self.field_at(r, pos) {
                Value::None => {}
                v => {
                    self.render_into(out, &v);
                    return;
                }
            }
        }
        out.push_str(&r.id(&self.model));
    }
}

/// A first guess at the length of a rendered template: its texts and 16 bytes per part.
fn template_capacity(parts: &[TemplatePart]) -> usize {
    parts
        .iter()
        .map(|p| match p {
            TemplatePart::Text(t) => t.len(),
            TemplatePart::Expr(_) => 16,
        })
        .sum()
}

fn negate(d: &Duration) -> Duration {
    Duration {
        weeks: d.weeks.saturating_neg(),
        days: d.days.saturating_neg(),
        hours: d.hours.saturating_neg(),
        minutes: d.minutes.saturating_neg(),
    }
}

fn num_op(x: Decimal, y: Decimal, sub: bool) -> RtResult<Decimal> {
    let r = if sub { x.checked_sub(y) } else { x.checked_add(y) };
    r.ok_or_else(|| RtError::new("number too large"))
}

/// `Date ± days/weeks` is a Date; with hours or minutes a DateTime from 00:00 (SPEC §6.3).
fn add_to_date(day: NaiveDate, d: &Duration, tz: chrono_tz::Tz) -> RtResult<Value> {
    if d.hours == 0 && d.minutes == 0 {
        let days = d.weeks.checked_mul(7).and_then(|w| w.checked_add(d.days));
        let moved = days
            .and_then(Elapsed::try_days)
            .and_then(|delta| day.checked_add_signed(delta))
            .ok_or_else(|| RtError::new("date out of range"))?;
        Ok(Value::Date(moved))
    } else {
        let start = calendar::date_to_moment(day, tz);
        Ok(Value::DateTime(calendar::add_calendar(start, d, tz)))
    }
}

fn multiplicative(div: bool, a: Value, b: Value) -> RtResult<Value> {
    let overflow = || RtError::new("number too large");
    if a.is_none() || b.is_none() {
        return Err(RtError::new(super::stage::MISSING_ARITHMETIC));
    }
    if div && b.as_decimal().is_some_and(|d| d.is_zero()) {
        return Err(RtError::new("division by zero"));
    }
    Ok(match (a, b, div) {
        (Value::Number(x), Value::Number(y), false) => {
            Value::Number(x.checked_mul(y).ok_or_else(overflow)?)
        }
        (Value::Number(x), Value::Number(y), true) => {
            Value::Number(round_division(x.checked_div(y).ok_or_else(overflow)?))
        }
        (Value::Money(x), Value::Number(y), false) | (Value::Number(y), Value::Money(x), false) => {
            Value::Money(round_money(x.checked_mul(y).ok_or_else(overflow)?))
        }
        (Value::Money(x), Value::Number(y), true) => {
            Value::Money(round_money(x.checked_div(y).ok_or_else(overflow)?))
        }
        (Value::Money(x), Value::Money(y), true) => {
            Value::Number(round_division(x.checked_div(y).ok_or_else(overflow)?))
        }
        (Value::Duration(d), Value::Number(n), false)
        | (Value::Number(n), Value::Duration(d), false)
            if n.fract().is_zero() =>
        {
            let k: i64 = n.try_into().map_err(|_| overflow())?;
            Value::duration(Duration {
                weeks: d.weeks.checked_mul(k).ok_or_else(overflow)?,
                days: d.days.checked_mul(k).ok_or_else(overflow)?,
                hours: d.hours.checked_mul(k).ok_or_else(overflow)?,
                minutes: d.minutes.checked_mul(k).ok_or_else(overflow)?,
            })
        }
        _ => {
            return Err(RtError::new(if div {
                "cannot divide these values"
            } else {
                "cannot multiply these values"
            }))
        }
    })
}

fn unary(op: UnaryOp, v: Value) -> RtResult<Value> {
    Ok(match (op, v) {
        (UnaryOp::Not, v) => Value::Bool(!v.truthy()),
        (UnaryOp::Neg, Value::Number(d)) => Value::Number(-d),
        (UnaryOp::Neg, Value::Money(d)) => Value::Money(-d),
        (UnaryOp::Neg, Value::Duration(d)) => Value::duration(negate(&d)),
        (UnaryOp::Neg, Value::None) => return Err(RtError::new(super::stage::MISSING_ARITHMETIC)),
        (UnaryOp::Neg, _) => return Err(RtError::new("cannot negate this value")),
    })
}

/// A Date or DateTime as a moment (a Date at 00:00 in `tz`).
fn as_moment(v: &Value, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    match v {
        Value::DateTime(t) => Some(*t),
        Value::Date(d) => Some(calendar::date_to_moment(*d, tz)),
        _ => None,
    }
}

/// `==` (SPEC §6.3): Money and Number by value, a Date against a DateTime at 00:00, lists
/// element by element, records key by key; `none` equals only `none`.
pub(crate) fn values_equal_tz(a: &Value, b: &Value, tz: chrono_tz::Tz) -> bool {
    match (a, b) {
        (Value::Number(x) | Value::Money(x), Value::Number(y) | Value::Money(y)) => x == y,
        (Value::Date(_), Value::DateTime(_)) | (Value::DateTime(_), Value::Date(_)) => {
            as_moment(a, tz) == as_moment(b, tz)
        }
        (Value::Enum(x), Value::Text(y)) | (Value::Text(x), Value::Enum(y)) => x == y,
        (Value::Duration(x), Value::Duration(y)) => duration_minutes(x) == duration_minutes(y),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal_tz(p, q, tz))
        }
        (Value::Record(x), Value::Record(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| values_equal_tz(v, w, tz)))
        }
        _ => a == b,
    }
}

/// Ordering for `< <= > >=`; `None` when the values do not order (a missing one included).
fn compare(a: &Value, b: &Value, tz: chrono_tz::Tz) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x) | Value::Money(x), Value::Number(y) | Value::Money(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Date(_) | Value::DateTime(_), Value::Date(_) | Value::DateTime(_)) => {
            Some(as_moment(a, tz)?.cmp(&as_moment(b, tz)?))
        }
        (Value::Duration(x), Value::Duration(y)) => {
            Some(duration_minutes(x).cmp(&duration_minutes(y)))
        }
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `container contains element`: case-insensitive substring for texts, membership for lists;
/// false with a missing value.
fn contains(container: &Value, element: &Value, tz: chrono_tz::Tz) -> bool {
    match (container, element) {
        (Value::Text(x), Value::Text(y)) => x.to_lowercase().contains(&y.to_lowercase()),
        (Value::List(items), e) if !e.is_none() => items.iter().any(|i| values_equal_tz(i, e, tz)),
        _ => false,
    }
}
