//! `State`: every piece of CRM state (SPEC §13's list) in one serde struct, so the file stores
//! can save and load it and "two runs of consecutive scenario halves equal one run of the
//! whole".
//!
//! Everything is deterministic: `Vec`, `IndexMap` and `BTreeMap` only, with string or integer
//! keys (JSON objects need string keys). A state belongs to one program: entity rows are
//! indexed by `EntityId`, stages by `StageRef` (the store records the program's hash).
//!
//! Entity rows are compact: field values sit in a boxed slice indexed by the field's position
//! in `EntityDef::fields`, never in a map per entity.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::effects::{Cause, Effect};
use super::process::ProcessInstance;
use super::queue::{JobHandle, Queue};
use super::rng::Rng;
use super::value::{EntityRef, Value};
use crate::model::StageRef;

/// The virtual clock (SPEC §8): the current moment and the timezone moments are shown in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clock {
    pub now: DateTime<Utc>,
    pub tz: TzName,
}

impl Default for Clock {
    /// 2026-01-05 09:00 UTC (SPEC §10 default).
    fn default() -> Clock {
        let date = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default();
        let time = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
        Clock { now: Utc.from_utc_datetime(&date.and_time(time)), tz: TzName(Tz::UTC) }
    }
}

/// A timezone stored by its IANA name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TzName(pub Tz);

impl Serialize for TzName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for TzName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TzName, D::Error> {
        let name = String::deserialize(d)?;
        name.parse::<Tz>()
            .map(TzName)
            .map_err(|_| serde::de::Error::custom(format!("unknown timezone `{name}`")))
    }
}

/// A user of the CRM (SPEC §8 "Users").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    /// The id, shared by the effects that name the user.
    pub id: Arc<str>,
    pub name: String,
    pub supervisor: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub absent: bool,
    /// A calendar name (resolved against the program when used).
    pub calendar: Option<String>,
}

/// One entity: its field values in `EntityDef::fields` order, and what the engine remembers
/// about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub fields: Box<[Value]>,
    /// Deleted entities keep their id; references to them read as missing (SPEC §8).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// The item's stage when a rule or process created this task or activity (SPEC §5.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_in: Option<StageRef>,
    /// Created by a rule or process (`complete tasks from stage` closes only those).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_automation: bool,
    /// An activity created with `auto_complete: true` (SPEC §8 step 2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_complete: bool,
    /// The first of this item's pending delayed rules; the others follow through the queue's
    /// `next` links, in scheduling order (cancelled by a move with `unless moved`, by
    /// `move to pipeline` and by deletion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<JobHandle>,
    /// How many payment links were made for this item (the `M` of SPEC §8's url).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub links: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Row {
    pub fn new(fields: Box<[Value]>) -> Row {
        Row {
            fields,
            deleted: false,
            created_in: None,
            by_automation: false,
            auto_complete: false,
            pending: None,
            links: 0,
        }
    }
}

/// Details of a contact or company stored by `edit details` (SPEC §5.3), per template:
/// the general fields and, per address kind (`legal`, `actual`, `other`), the address fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    pub general: IndexMap<String, Value>,
    pub addresses: IndexMap<String, IndexMap<String, Value>>,
}

/// A resource booked by `book resource` (SPEC §5.5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    pub item: EntityRef,
    pub field: String,
    pub service: Value,
    pub start: Value,
    pub duration: Value,
    pub employees: Value,
}

/// Every piece of CRM state (SPEC §13).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub clock: Clock,
    pub rng: Rng,
    /// Users by id, in the order they were added.
    pub users: IndexMap<String, UserRow>,
    /// Entity rows by kind (`EntityId` index), each by number − 1.
    pub entities: Vec<Vec<Row>>,
    /// The effect log.
    pub effects: Vec<Effect>,
    /// The `seq` of the last effect logged (effects continue from the state).
    pub last_seq: u64,
    /// Why each effect happened (`Effect::cause` indexes here).
    pub causes: Vec<Cause>,
    /// The texts the scenario runner gave its commands (`why` shows them).
    pub origins: Vec<String>,
    /// Pending jobs.
    pub queue: Queue,
    /// Process instances that are waiting, by instance id.
    pub processes: BTreeMap<u32, ProcessInstance>,
    /// The number of the last process instance started.
    pub last_instance: u32,
    /// The last wait token given to a timed process wait.
    pub last_token: u32,
    /// `assign responsible … in_turn` cursors, per statement (its source position).
    pub cursors: BTreeMap<String, u32>,
    /// Contact and company details, by `KIND:N/TEMPLATE`.
    pub details: BTreeMap<String, Details>,
    /// Resource bookings by `KIND:N/FIELD`.
    pub bookings: BTreeMap<String, Booking>,
    /// Set by the first command that changes the state; `clock` is refused after it.
    pub started: bool,
    /// Rows borrowed mutably since the SQLite store last looked (only while it tracks), so a
    /// command rewrites just those rows (store/sqlite.rs).
    #[serde(skip)]
    pub touched: super::queue::ChangeLog<EntityRef>,
}

impl State {
    /// A fresh state: the default clock (2026-01-05 09:00 UTC) and seed.
    pub fn new() -> State {
        State::default()
    }

    pub fn row(&self, r: EntityRef) -> Option<&Row> {
        let n = (r.n as usize).checked_sub(1)?;
        self.entities.get(r.entity.index())?.get(n)
    }

    pub fn row_mut(&mut self, r: EntityRef) -> Option<&mut Row> {
        self.touched.record(r);
        let n = (r.n as usize).checked_sub(1)?;
        self.entities.get_mut(r.entity.index())?.get_mut(n)
    }

    /// The row of an entity that exists and is not deleted.
    pub fn live(&self, r: EntityRef) -> Option<&Row> {
        self.row(r).filter(|row| !row.deleted)
    }

    pub fn live_mut(&mut self, r: EntityRef) -> Option<&mut Row> {
        self.row_mut(r).filter(|row| !row.deleted)
    }

    /// Pads or cuts every row to its kind's field count in `model`.
    pub fn fit_to(&mut self, model: &crate::model::Model) {
        for (kind, rows) in self.entities.iter_mut().enumerate() {
            let Some((_, def)) = model.entities.get_index(kind) else { continue };
            let want = def.fields.len();
            for row in rows.iter_mut().filter(|r| r.fields.len() != want) {
                let mut fields = std::mem::take(&mut row.fields).into_vec();
                fields.resize(want, Value::None);
                row.fields = fields.into_boxed_slice();
            }
        }
    }

    /// How many entities of a kind were ever created (the last number given).
    pub fn count(&self, kind: crate::model::EntityId) -> u32 {
        self.entities.get(kind.index()).map_or(0, |rows| rows.len() as u32)
    }
}
