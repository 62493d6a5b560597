//! `Type`: the types of the language (SPEC §3.1, §6.3) and how they are written in messages.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{EntityId, RecordId};

/// A type of the language. `Error` is the type of anything that failed to resolve: it is
/// compatible with everything, so one mistake gives one diagnostic (STYLE §1.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Type {
    Text,
    Number,
    Money,
    Bool,
    Date,
    DateTime,
    Duration,
    /// A time of day (calendars only).
    Time,
    User,
    Stage,
    Pipeline,
    Calendar,
    /// `Enum(a, b, c)`: its members in declaration order.
    Enum(Arc<[String]>),
    List(Box<Type>),
    /// An entity, standard or custom: `Deal`, `Task`, `Booking`.
    Entity(EntityId),
    /// A record type declared in stdlib: `PaymentLink`, `Details`, `ProductRow`.
    Record(RecordId),
    /// Any item that can own tasks (`Task.item`).
    Item,
    /// A path from the item to one of its fields (`field changed deal.amount`).
    FieldPath,
    /// A record whose keys are chosen at run time, each of the given type (a webhook's
    /// `payload`: `Map(Text?)`). Any key may be read.
    Map(Box<Type>),
    /// `T?`
    Optional(Box<Type>),
    /// The type of `none` before context gives it one.
    None,
    /// The type of `[]` before context gives it one.
    EmptyList,
    /// A name that did not resolve; compatible with everything.
    Error,
}

impl Type {
    /// `T?` (not doubled).
    pub fn optional(self) -> Type {
        match self {
            Type::Optional(_) | Type::Error | Type::None => self,
            other => Type::Optional(Box::new(other)),
        }
    }

    /// The type without its `?`.
    pub fn base(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_) | Type::None)
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Type::Error)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self.base(), Type::Number | Type::Money)
    }
}

/// Writes a type as it is written in source (`Money?`, `List(User)`); entity and record
/// names need the model, so they are written by `model::Model::type_name`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Text => f.write_str("Text"),
            Type::Number => f.write_str("Number"),
            Type::Money => f.write_str("Money"),
            Type::Bool => f.write_str("Bool"),
            Type::Date => f.write_str("Date"),
            Type::DateTime => f.write_str("DateTime"),
            Type::Duration => f.write_str("Duration"),
            Type::Time => f.write_str("Time"),
            Type::User => f.write_str("User"),
            Type::Stage => f.write_str("Stage"),
            Type::Pipeline => f.write_str("Pipeline"),
            Type::Calendar => f.write_str("Calendar"),
            Type::Enum(members) => write!(f, "Enum({})", members.join(", ")),
            Type::List(inner) => write!(f, "List({inner})"),
            Type::Entity(id) => write!(f, "entity#{}", id.0),
            Type::Record(id) => write!(f, "record#{}", id.0),
            Type::Item => f.write_str("item"),
            Type::FieldPath => f.write_str("FieldPath"),
            Type::Map(inner) => write!(f, "Map({inner})"),
            Type::Optional(inner) => write!(f, "{inner}?"),
            Type::None => f.write_str("none"),
            Type::EmptyList => f.write_str("List"),
            Type::Error => f.write_str("?"),
        }
    }
}
