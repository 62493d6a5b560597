//! Entity fields and users at run time: the positions the engine reads by name
//! (`KindInfo`), reads (a deleted entity reads as missing, `id` is computed), coercion to a
//! field's type, and writes through a path (`set deal.contact.phone = …`).

use std::sync::Arc;

use super::effects::{EffectKind, FieldInfo};
use super::exec::{RtError, RtResult};
use super::state::UserRow;
use super::value::{EntityRef, Value};
use super::Engine;
use crate::model::{EntityId, Model, StageRef};
use crate::types::Type;

/// Positions of the fields the engine reads by name, per entity kind.
#[derive(Clone, Copy, Debug, Default)]
pub struct KindInfo {
    pub stage: Option<usize>,
    pub pipeline: Option<usize>,
    pub responsible: Option<usize>,
    pub title: Option<usize>,
    /// `id`: computed when read (`deal:1`), stored as missing.
    pub id: Option<usize>,
    pub name: Option<usize>,
    pub subject: Option<usize>,
    /// `item` (tasks, activities, documents, emails) or `deal` (invoices, orders, quotes).
    pub owner: Option<usize>,
    /// Whether any pipeline is declared for the kind.
    pub has_pipeline: bool,
}

impl KindInfo {
    pub fn all(model: &Model) -> Vec<KindInfo> {
        model
            .entities
            .values()
            .enumerate()
            .map(|(i, def)| {
                let pos = |name: &str| def.fields.get_index_of(name);
                KindInfo {
                    stage: pos("stage"),
                    pipeline: pos("pipeline"),
                    responsible: pos("responsible"),
                    title: pos("title"),
                    id: pos("id"),
                    name: pos("name"),
                    subject: pos("subject"),
                    owner: pos("item").or_else(|| pos("deal")),
                    has_pipeline: model.pipelines_of(EntityId(i as u32)).next().is_some(),
                }
            })
            .collect()
    }
}

/// The positions of one entity kind's fields by name: a small open-addressing table keyed by
/// an FNV-1a hash. Field reads by name (`deal.title` in a template, `create`'s given fields)
/// are on the engine's hot path; the model's `IndexMap` hashes with SipHash, which cost more
/// than the rest of the read.
#[derive(Clone, Debug, Default)]
pub struct FieldIndex {
    /// `(hash, position + 1)`; position 0 marks an empty slot. The length is a power of two.
    slots: Box<[(u32, u32)]>,
    names: Box<[Box<str>]>,
}

impl FieldIndex {
    /// One index per entity kind of `model`, by `EntityId`.
    pub fn all(model: &Model) -> Vec<FieldIndex> {
        model.entities.values().map(|def| FieldIndex::new(def.fields.keys())).collect()
    }

    pub fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> FieldIndex {
        let names: Box<[Box<str>]> = names.into_iter().map(|n| Box::from(n.as_ref())).collect();
        let size = (names.len() * 2).next_power_of_two().max(4);
        let mut slots = vec![(0u32, 0u32); size].into_boxed_slice();
        for (pos, name) in names.iter().enumerate() {
            let hash = fnv1a(name);
            let mut i = hash as usize & (size - 1);
            // The first name wins, as in the model's map (names are unique there anyway).
            loop {
                let slot = &mut slots[i];
                if slot.1 == 0 {
                    *slot = (hash, pos as u32 + 1);
                    break;
                }
                if slot.0 == hash && *names[slot.1 as usize - 1] == **name {
                    break;
                }
                i = (i + 1) & (size - 1);
            }
        }
        FieldIndex { slots, names }
    }

    /// The position of field `name`.
    pub fn get(&self, name: &str) -> Option<usize> {
        let size = self.slots.len();
        if size == 0 {
            return None;
        }
        let hash = fnv1a(name);
        let mut i = hash as usize & (size - 1);
        for _ in 0..size {
            let (h, pos) = self.slots[i];
            if pos == 0 {
                return None;
            }
            let pos = pos as usize - 1;
            if h == hash && self.names.get(pos).is_some_and(|n| **n == *name) {
                return Some(pos);
            }
            i = (i + 1) & (size - 1);
        }
        None
    }
}

/// FNV-1a, 32 bits: fast on the short ASCII names of fields.
fn fnv1a(s: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    hash
}

impl Engine {
    // -----------------------------------------------------------------------------------------
    // Users

    /// The user `id`, if it exists. The position of the last user found is remembered: the
    /// same responsible or supervisor is looked up again and again, and comparing an id is
    /// cheaper than hashing it.
    pub(crate) fn user(&self, id: &str) -> Option<&UserRow> {
        if let Some(i) = self.last_user.get() {
            if let Some((key, row)) = self.state.users.get_index(i) {
                if key == id {
                    return Some(row);
                }
            }
        }
        let (i, _, row) = self.state.users.get_full(id)?;
        self.last_user.set(Some(i));
        Some(row)
    }

    /// The shared id of a user (`Arc` from the users table, or a new one for an unknown id).
    pub(crate) fn user_arc(&self, id: &str) -> Arc<str> {
        match self.user(id) {
            Some(u) => u.id.clone(),
            None => Arc::from(id),
        }
    }

    /// A user that must exist.
    pub(crate) fn existing_user(&self, id: &str) -> RtResult<Arc<str>> {
        match self.user(id) {
            Some(u) => Ok(u.id.clone()),
            None => Err(RtError::new(format!("user `{id}` does not exist"))),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Fields

    pub(crate) fn kind_info(&self, kind: EntityId) -> &KindInfo {
        static EMPTY: KindInfo = KindInfo {
            stage: None,
            pipeline: None,
            responsible: None,
            title: None,
            id: None,
            name: None,
            subject: None,
            owner: None,
            has_pipeline: false,
        };
        self.kinds.get(kind.index()).unwrap_or(&EMPTY)
    }

    /// The value of field `pos` of a live entity.
    pub(crate) fn field_at(&self, r: EntityRef, pos: Option<usize>) -> Value {
        if pos.is_some() && pos == self.kind_info(r.entity).id {
            return match self.state.live(r) {
                Some(_) => Value::Text(r.id(&self.model)),
                None => Value::None,
            };
        }
        match (self.state.live(r), pos) {
            (Some(row), Some(p)) => row.fields.get(p).cloned().unwrap_or(Value::None),
            _ => Value::None,
        }
    }

    /// A stored field value by position, borrowed (not for `id`, which is computed).
    pub(crate) fn field_at_ref(&self, r: EntityRef, pos: Option<usize>) -> Option<&Value> {
        self.state.live(r)?.fields.get(pos?)
    }

    /// A field by name (`None` when the entity or field does not exist).
    pub(crate) fn read_field(&self, r: EntityRef, name: &str) -> Option<Value> {
        let pos = self.field_index_of(r.entity, name)?;
        self.state.live(r)?;
        Some(self.field_at(r, Some(pos)))
    }

    /// The position of field `name` of entity kind `kind`.
    pub(crate) fn field_index_of(&self, kind: EntityId, name: &str) -> Option<usize> {
        self.field_index.get(kind.index())?.get(name)
    }

    /// The item's current stage.
    pub(crate) fn stage_of(&self, item: EntityRef) -> Option<StageRef> {
        match self.field_at(item, self.kind_info(item.entity).stage) {
            Value::Stage(s) => Some(s),
            _ => None,
        }
    }

    /// The item's responsible (a user id).
    pub(crate) fn responsible_of(&self, item: EntityRef) -> Option<String> {
        match self.field_at(item, self.kind_info(item.entity).responsible) {
            Value::User(u) => Some(u),
            _ => None,
        }
    }

    /// The item an owned record (task, activity, document, email, invoice …) belongs to.
    pub(crate) fn owner_of(&self, record: EntityRef) -> Option<EntityRef> {
        match self.field_at(record, self.kind_info(record.entity).owner) {
            Value::Entity(e) => Some(e),
            _ => None,
        }
    }

    /// Converts a value to a field's type: Number → Money for a Money field, a Date for a
    /// DateTime field at 00:00 in the clock's timezone.
    pub(crate) fn coerce(&self, v: Value, ty: &Type) -> Value {
        match (ty.base(), v) {
            (Type::Money, Value::Number(d)) => Value::Money(d),
            (Type::Number, Value::Money(d)) => Value::Number(d),
            (Type::DateTime, Value::Date(d)) => {
                Value::DateTime(super::calendar::date_to_moment(d, self.tz))
            }
            (Type::List(inner), Value::List(items)) => {
                Value::List(items.into_iter().map(|v| self.coerce(v, inner)).collect())
            }
            (_, v) => v,
        }
    }

    /// Writes `value` into the field at `path` from `base` (the last segment is the field;
    /// earlier ones are entity references). Returns the entity written and the old value, or
    /// `None` for a no-op (same value). The caller logs and raises.
    pub(crate) fn write_path(
        &mut self,
        base: EntityRef,
        path: &[String],
        value: Value,
    ) -> RtResult<Option<(EntityRef, Value, Value)>> {
        let (last, hops) = path.split_last().ok_or_else(|| RtError::new("empty field path"))?;
        let mut target = base;
        for hop in hops {
            match self.read_field(target, hop) {
                Some(Value::Entity(next)) if self.state.live(next).is_some() => target = next,
                Some(_) => {
                    return Err(RtError::new(format!(
                        "{} has no {hop}",
                        self.describe_entity(target)
                    )))
                }
                None => {
                    return Err(RtError::new(format!(
                        "{} has no field `{hop}`",
                        target.id(&self.model)
                    )))
                }
            }
        }
        let model = self.model.clone();
        let Some((_, def)) = model.entities.get_index(target.entity.index()) else {
            return Err(RtError::new("unknown entity kind"));
        };
        let pos = def
            .fields
            .get_index_of(last.as_str())
            .ok_or_else(|| RtError::new(format!("{} has no field `{last}`", target.id(&model))))?;
        let field = &def.fields[pos];
        if value.is_none() && !field.ty.is_optional() {
            return Err(RtError::new(format!(
                "cannot set `{}`: the value is missing and the field is required",
                path.join(".")
            )));
        }
        let value = self.coerce(value, &field.ty);
        let row = self
            .state
            .live_mut(target)
            .ok_or_else(|| RtError::new(format!("{} does not exist", target.id(&model))))?;
        let Some(old) = row.fields.get_mut(pos) else {
            return Err(RtError::new(format!("{} has no field `{last}`", target.id(&model))));
        };
        if super::eval::values_equal_tz(old, &value, self.tz) {
            return Ok(None);
        }
        let old = std::mem::replace(old, value.clone());
        Ok(Some((target, old, value)))
    }

    /// Logs `field_changed` for a change made at `path` from `entity`.
    pub(crate) fn log_field_changed(
        &mut self,
        entity: EntityRef,
        path: &[String],
        old: Value,
        new: Value,
    ) {
        let info = FieldInfo { field: path.join("."), old, new };
        self.log(Some(entity), EffectKind::FieldChanged(Box::new(info)));
    }

    /// A readable name for an entity in messages: `deal:1 "Boiler"`.
    pub(crate) fn describe_entity(&self, r: EntityRef) -> String {
        let mut label = String::new();
        self.render_entity(&mut label, r);
        let id = r.id(&self.model);
        if label.is_empty() || label == id {
            id
        } else {
            format!("{id} \"{label}\"")
        }
    }
}
