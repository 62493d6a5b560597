//! SPEC §5.5 Items and people: create, delete and find entities; responsible, observers,
//! products, exceptions, audiences, bookings.
//!
//! A created item enters its pipeline through a job (a consequence, SPEC §8) and runs its
//! automation there. Field changes go through `change_field`, so they log `field_changed`,
//! raise `field changed` and (by a rule) start `on change` processes like a `set`.

use std::sync::Arc;

use indexmap::IndexMap;
use rust_decimal::Decimal;

use super::super::effects::{BookingInfo, EffectKind, FinishReason};
use super::super::exec::{Ctx, RtError, RtResult};
use super::super::queue::JobKind;
use super::super::state::Booking;
use super::super::value::{EntityRef, Value};
use super::super::Engine;
use crate::model::{Arg, Call, EntityId};

fn kind_arg(call: &Call) -> RtResult<EntityId> {
    call.args
        .values()
        .find_map(|a| match a {
            Arg::Kind(k) => Some(*k),
            _ => None,
        })
        .ok_or_else(|| RtError::new("missing entity kind"))
}

/// `create KIND { FIELD: EXPR, …, responsible, pipeline, stage }` → the entity.
pub(super) fn create(engine: &mut Engine, ctx: &mut Ctx, call: &Call) -> RtResult<Option<Value>> {
    let kind = kind_arg(call)?;
    let mut given = match engine.arg_value(ctx, call, "fields")? {
        Some(Value::Record(map)) => *map,
        _ => IndexMap::new(),
    };
    let def = engine.model.entity(kind);
    if def.fields.contains_key("responsible") && given.get("responsible").is_none_or(Value::is_none)
    {
        if let Some(Value::User(u)) = engine.arg_value(ctx, call, "responsible")? {
            given.insert("responsible".to_string(), Value::User(u));
        }
    }
    let pipeline = match engine.arg_value(ctx, call, "pipeline")? {
        Some(Value::Pipeline(p)) => Some(p),
        _ => None,
    };
    let stage = match engine.arg_value(ctx, call, "stage")? {
        Some(Value::Stage(s)) => Some(s),
        _ => None,
    };
    let r = engine.create_entity(kind, given, pipeline, stage)?;
    Ok(Some(Value::Entity(r)))
}

impl Engine {
    /// Creates an entity from a rule or process: `entity_created` now, its stage entry (or
    /// its `on create` processes) as a consequence job.
    pub(crate) fn create_entity(
        &mut self,
        kind: EntityId,
        given: IndexMap<String, Value>,
        pipeline: Option<crate::model::PipelineId>,
        stage: Option<crate::model::StageRef>,
    ) -> RtResult<EntityRef> {
        let (row, stage) = self
            .instantiate(kind, given, pipeline, stage)
            .map_err(|e| RtError::new(format!("cannot create: {e}")))?;
        let r = EntityRef::new(kind, self.state.count(kind) + 1);
        self.insert_entity(r, row, stage);
        match stage {
            Some(stage) => self.queue_now(JobKind::Enter { item: r, stage }),
            None => self.queue_create_processes(r),
        }
        Ok(r)
    }
}

/// `create repeat lead { title, responsible }`: a new lead from the item (its title and
/// contact).
pub(super) fn create_repeat_lead(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let kind = engine
        .model
        .entity_id("Lead")
        .ok_or_else(|| RtError::new("the stdlib has no `Lead` entity"))?;
    let mut given = IndexMap::new();
    let title = match engine.text_arg(ctx, call, "title")? {
        Some(t) => Value::Text(t),
        None => engine.read_field(item, "title").unwrap_or(Value::None),
    };
    given.insert("title".to_string(), title);
    if let Some(Value::User(u)) = engine.arg_value(ctx, call, "responsible")? {
        given.insert("responsible".to_string(), Value::User(u));
    }
    if let Some(contact @ Value::Entity(_)) = engine.read_field(item, "contact") {
        given.insert("contact".to_string(), contact);
    }
    let r = engine.create_entity(kind, given, None, None)?;
    Ok(Some(Value::Entity(r)))
}

/// `create contact for lead { responsible }`: a contact from the lead's name, email and
/// phone, set as the lead's contact. A lead that already has one is an error.
pub(super) fn create_contact_for_lead(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let lead = engine.item(ctx)?;
    if let Some(Value::Entity(c)) = engine.read_field(lead, "contact") {
        if engine.state.live(c).is_some() {
            return Err(RtError::new(format!(
                "cannot create a contact: {} already has one",
                engine.describe_entity(lead)
            )));
        }
    }
    let kind = engine
        .model
        .entity_id("Contact")
        .ok_or_else(|| RtError::new("the stdlib has no `Contact` entity"))?;
    let name = match engine.read_field(lead, "name") {
        Some(Value::Text(t)) => Value::Text(t),
        _ => engine.read_field(lead, "title").unwrap_or(Value::None),
    };
    let mut given = IndexMap::from([("name".to_string(), name)]);
    for field in ["email", "phone"] {
        if let Some(v @ Value::Text(_)) = engine.read_field(lead, field) {
            given.insert(field.to_string(), v);
        }
    }
    if let Some(Value::User(u)) = engine.arg_value(ctx, call, "responsible")? {
        given.insert("responsible".to_string(), Value::User(u));
    }
    let contact = engine.create_entity(kind, given, None, None)?;
    engine.change_field(ctx, lead, &["contact".to_string()], Value::Entity(contact))?;
    Ok(Some(Value::Entity(contact)))
}

/// `delete KIND EXPR`: the entity is marked deleted (its id stays taken), `entity_deleted`
/// is logged, and its pending rules and processes are cancelled (reason `deleted`).
pub(super) fn delete(engine: &mut Engine, ctx: &mut Ctx, call: &Call) -> RtResult<Option<Value>> {
    let kind = kind_arg(call)?;
    let target = match engine.arg_value(ctx, call, "target")? {
        Some(Value::Entity(r)) => r,
        _ => return Err(RtError::new("cannot delete: the entity is missing")),
    };
    if target.entity != kind {
        return Err(RtError::new(format!(
            "cannot delete {}: it is not a `{}`",
            target.id(&engine.model),
            engine.model.entity(kind).name
        )));
    }
    if engine.state.live(target).is_none() {
        return Err(RtError::new(format!(
            "cannot delete {}: it does not exist",
            target.id(&engine.model)
        )));
    }
    if let Some(row) = engine.state.row_mut(target) {
        row.deleted = true;
    }
    engine.log(ctx.item, EffectKind::EntityDeleted { deleted: target });
    engine.cancel_all(target, FinishReason::Deleted);
    Ok(None)
}

/// `find KIND where COND` → the match with the lowest id, or `none`; the candidate is `it`.
pub(super) fn find(engine: &mut Engine, ctx: &mut Ctx, call: &Call) -> RtResult<Option<Value>> {
    let kind = kind_arg(call)?;
    let cond = call.args.values().find_map(|a| match a {
        Arg::Condition(e) => Some(e),
        _ => None,
    });
    let mut scope = ctx.clone();
    scope.vars.push(("it".to_string(), None));
    for n in 1..=engine.state.count(kind) {
        let r = EntityRef::new(kind, n);
        if engine.state.live(r).is_none() {
            continue;
        }
        if let Some(last) = scope.vars.last_mut() {
            last.1 = Some(Value::Entity(r));
        }
        let matches = match cond {
            Some(c) => engine.eval_expr(&scope, c)?.truthy(),
            None => true,
        };
        if matches {
            return Ok(Some(Value::Entity(r)));
        }
    }
    Ok(Some(Value::None))
}

/// `assign responsible from [USER…] { order, skip_absent }` (SPEC §5.5 "Assignment").
pub(super) fn assign_responsible(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let users = engine.users_arg(ctx, call, "users", "assign responsible")?;
    let skip_absent = engine.bool_arg(ctx, call, "skip_absent", true)?;
    let order = engine.keyword(call, "order").unwrap_or("in_turn");
    let skipped = |engine: &Engine, u: &Arc<str>| {
        skip_absent && engine.state.users.get(u.as_ref()).is_some_and(|row| row.absent)
    };
    let chosen = match order {
        "first" => users.iter().find(|u| !skipped(engine, u)).cloned(),
        "random" => {
            let current = engine.responsible_of(item);
            let eligible: Vec<&Arc<str>> = users
                .iter()
                .filter(|u| !skipped(engine, u) && current.as_deref() != Some(u.as_ref()))
                .collect();
            if eligible.is_empty() {
                None
            } else {
                let i = engine.state.rng.below(eligible.len() as u64) as usize;
                Some(eligible[i].clone())
            }
        }
        _ => {
            let key = format!("{}:{}", call.span.file.0, call.span.start);
            let n = users.len();
            let start = engine.state.cursors.get(&key).map_or(n.max(1) - 1, |c| *c as usize);
            let mut found = None;
            for step in 1..=n {
                let i = (start + step) % n;
                if !skipped(engine, &users[i]) {
                    found = Some((i, users[i].clone()));
                    break;
                }
            }
            if let Some((i, _)) = found {
                engine.state.cursors.insert(key, i as u32);
            }
            found.map(|(_, u)| u)
        }
    };
    let Some(user) = chosen else {
        return Err(RtError::new(
            "cannot assign responsible: no eligible user (all absent or none listed)",
        ));
    };
    engine.change_field(ctx, item, &["responsible".to_string()], Value::User(user.to_string()))?;
    Ok(None)
}

fn observers(engine: &Engine, item: EntityRef) -> Vec<Value> {
    match engine.read_field(item, "observers") {
        Some(Value::List(items)) => items,
        _ => Vec::new(),
    }
}

fn set_observers(
    engine: &mut Engine,
    ctx: &Ctx,
    item: EntityRef,
    list: Vec<Value>,
) -> RtResult<Option<Value>> {
    engine.change_field(ctx, item, &["observers".to_string()], Value::List(list))?;
    Ok(None)
}

/// `add observers [USER…]`: appends the users not already observing.
pub(super) fn add_observers(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let users = engine.users_arg(ctx, call, "users", "add observers")?;
    let mut list = observers(engine, item);
    for u in users {
        let v = Value::User(u.to_string());
        if !list.contains(&v) {
            list.push(v);
        }
    }
    set_observers(engine, ctx, item, list)
}

/// `remove observers [USER…]`
pub(super) fn remove_observers(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let users = engine.users_arg(ctx, call, "users", "remove observers")?;
    let mut list = observers(engine, item);
    list.retain(|v| !matches!(v, Value::User(u) if users.iter().any(|x| x.as_ref() == u)));
    set_observers(engine, ctx, item, list)
}

/// `replace observers [USER…]`
pub(super) fn replace_observers(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let users = engine.users_arg(ctx, call, "users", "replace observers")?;
    let mut list: Vec<Value> = Vec::new();
    for u in users {
        let v = Value::User(u.to_string());
        if !list.contains(&v) {
            list.push(v);
        }
    }
    set_observers(engine, ctx, item, list)
}

/// `add product PRODUCT { price, quantity, discount }`: appends a `ProductRow`.
pub(super) fn add_product(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let product = match engine.required(ctx, call, "product", "add product")? {
        Value::Entity(p) if engine.state.live(p).is_some() => p,
        _ => return Err(RtError::new("cannot add product: the product does not exist")),
    };
    let price = match engine.arg_value(ctx, call, "price")? {
        Some(Value::Money(d) | Value::Number(d)) => Value::Money(d),
        _ => match engine.read_field(product, "price") {
            Some(Value::Money(d) | Value::Number(d)) => Value::Money(d),
            _ => Value::Money(Decimal::ZERO),
        },
    };
    let number = |v: Option<Value>, default: i64| match v {
        Some(Value::Number(d) | Value::Money(d)) => Value::Number(d),
        _ => Value::Number(Decimal::from(default)),
    };
    let quantity = number(engine.arg_value(ctx, call, "quantity")?, 1);
    let discount = number(engine.arg_value(ctx, call, "discount")?, 0);
    let row = IndexMap::from([
        ("product".to_string(), Value::Entity(product)),
        ("price".to_string(), price),
        ("quantity".to_string(), quantity),
        ("discount".to_string(), discount),
    ]);
    let mut list = match engine.read_field(item, "products") {
        Some(Value::List(items)) => items,
        _ => Vec::new(),
    };
    list.push(Value::record(row));
    engine.change_field(ctx, item, &["products".to_string()], Value::List(list))?;
    Ok(None)
}

/// `delete products`: empties the item's product list.
pub(super) fn delete_products(
    engine: &mut Engine,
    ctx: &mut Ctx,
    _call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    engine.change_field(ctx, item, &["products".to_string()], Value::List(Vec::new()))?;
    Ok(None)
}

/// `add to exceptions`: sets `excluded` (nothing is deleted, SPEC §14).
pub(super) fn add_to_exceptions(
    engine: &mut Engine,
    ctx: &mut Ctx,
    _call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    engine.change_field(ctx, item, &["excluded".to_string()], Value::Bool(true))?;
    Ok(None)
}

/// `add to audience facebook | google`
pub(super) fn add_to_audience(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let audience = match engine.keyword(call, "audience") {
        Some(k) => k.to_string(),
        None => engine.text_arg(ctx, call, "audience")?.unwrap_or_default(),
    };
    engine.log(Some(item), EffectKind::Audience { audience });
    Ok(None)
}

fn booking_key(engine: &Engine, item: EntityRef, field: &str) -> String {
    format!("{}/{field}", item.id(&engine.model))
}

/// `book resource FIELD { service, start, duration, employees }`: stores the booking of
/// the item's field (replacing an earlier one) and logs `booking`.
pub(super) fn book_resource(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let field = engine.text_arg(ctx, call, "field")?.unwrap_or_default();
    let start = engine.moment_arg(ctx, call, "start")?.map_or(Value::None, Value::DateTime);
    let duration = engine.arg_value(ctx, call, "duration")?.unwrap_or(Value::None);
    let service = engine.arg_value(ctx, call, "service")?.unwrap_or(Value::None);
    let employees = engine.arg_value(ctx, call, "employees")?.unwrap_or(Value::None);
    let key = booking_key(engine, item, &field);
    let booking = Booking {
        item,
        field: field.clone(),
        service,
        start: start.clone(),
        duration: duration.clone(),
        employees,
    };
    engine.state.bookings.insert(key, booking);
    engine.log(Some(item), EffectKind::Booking(Box::new(BookingInfo { field, start, duration })));
    Ok(None)
}

/// `cancel booking FIELD`: removes the item's booking in that field; none is an error.
pub(super) fn cancel_booking(
    engine: &mut Engine,
    ctx: &mut Ctx,
    call: &Call,
) -> RtResult<Option<Value>> {
    let item = engine.item(ctx)?;
    let field = engine.text_arg(ctx, call, "field")?.unwrap_or_default();
    let key = booking_key(engine, item, &field);
    let Some(booking) = engine.state.bookings.remove(&key) else {
        return Err(RtError::new(format!(
            "cannot cancel booking: {} has no booking in `{field}`",
            engine.describe_entity(item)
        )));
    };
    let info = BookingInfo { field, start: booking.start, duration: booking.duration };
    engine.log(Some(item), EffectKind::BookingCancelled(Box::new(info)));
    Ok(None)
}
