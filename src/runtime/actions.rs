//! The built-in actions (SPEC §5): one implementation per stdlib declaration, bound by the
//! action's words (`create task`) when the engine is created (SPEC §3.7). A unit test fails if
//! a stdlib action has no implementation here or an implementation has no declaration.
//!
//! Every action changes the CRM state it names and logs its effects; a failure is a run-time
//! error (an `error` effect written by the statement runner), never a panic. The argument
//! helpers below read the checked arguments of a call by parameter name.

mod comms;
mod control;
mod documents;
mod items;
mod payment;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use indexmap::IndexMap;

use super::exec::{Ctx, RtError, RtResult};
use super::value::{EntityRef, Value};
use super::Engine;
use crate::model::{Arg, Call, ExprKind, Model};

/// An action implementation: runs a checked call in a statement context, returns its value.
pub(crate) type ActionFn = fn(&mut Engine, &mut Ctx, &Call) -> RtResult<Option<Value>>;

/// Every implementation by the words of its stdlib declaration.
pub(crate) const ACTIONS: &[(&str, ActionFn)] = &[
    // §5.1 Employee monitoring and control
    ("notify", control::notify),
    ("add history", control::add_history),
    ("create task", control::create_task),
    ("complete tasks from stage", control::complete_tasks_from_stage),
    ("schedule activity", control::schedule_activity),
    ("schedule call", control::schedule_call),
    ("schedule meeting", control::schedule_call),
    // §5.2 Client communication
    ("send email", comms::send_email),
    ("send sms", comms::send_sms),
    ("add comment", comms::add_comment),
    // §5.3 Documents
    ("create document", documents::create_document),
    ("send for signing", documents::send_for_signing),
    ("edit details of", documents::edit_details),
    ("get details of", documents::get_details),
    // §5.4 Payment
    ("create payment link", payment::create_payment_link),
    ("create from source", payment::create_from_source),
    // §5.5 Items and people
    ("create", items::create),
    ("create repeat lead", items::create_repeat_lead),
    ("create contact for lead", items::create_contact_for_lead),
    ("delete", items::delete),
    ("find", items::find),
    ("assign responsible from", items::assign_responsible),
    ("add observers", items::add_observers),
    ("remove observers", items::remove_observers),
    ("replace observers", items::replace_observers),
    ("add product", items::add_product),
    ("delete products", items::delete_products),
    ("add to exceptions", items::add_to_exceptions),
    ("add to audience", items::add_to_audience),
    ("book resource", items::book_resource),
    ("cancel booking", items::cancel_booking),
];

/// Every event the engine raises, by the words of its stdlib declaration (SPEC §7).
pub const EVENTS: &[&str] = &[
    "task status",
    "task completed",
    "invoice paid",
    "order paid",
    "email opened",
    "email link clicked",
    "document signed",
    "document viewed",
    "activity completed",
    "field changed",
    "call missed",
    "call received",
    "form submitted",
    "webhook",
];

/// The words of every implemented action.
pub fn implemented_actions() -> Vec<&'static str> {
    ACTIONS.iter().map(|(words, _)| *words).collect()
}

/// The implementation of each action of the model, by `ActionId`.
pub(crate) fn bind(model: &Model) -> Vec<Option<ActionFn>> {
    model
        .actions
        .keys()
        .map(|words| ACTIONS.iter().find(|(w, _)| w == words).map(|(_, f)| *f))
        .collect()
}

/// Argument `name` of a call. A call has a handful of arguments: comparing the names is
/// cheaper than hashing one (the same result: the names are unique).
fn arg_of<'c>(call: &'c Call, name: &str) -> Option<&'c Arg> {
    if call.args.len() <= 8 {
        call.args.iter().find(|(k, _)| k.as_str() == name).map(|(_, a)| a)
    } else {
        call.args.get(name)
    }
}

impl Engine {
    /// Runs an action call.
    pub(crate) fn call_action(&mut self, ctx: &mut Ctx, call: &Call) -> RtResult<Option<Value>> {
        match self.actions.get(call.action.index()).copied().flatten() {
            Some(f) => f(self, ctx, call),
            None => {
                let words =
                    self.model.actions.get_index(call.action.index()).map_or("?", |(w, _)| w);
                Err(RtError::new(format!("action `{words}` has no implementation")))
            }
        }
    }

    /// The item of the statement (actions act on it).
    pub(crate) fn item(&self, ctx: &Ctx) -> RtResult<EntityRef> {
        match ctx.item {
            Some(item) if self.state.live(item).is_some() => Ok(item),
            Some(item) => Err(RtError::new(format!("{} was deleted", item.id(&self.model)))),
            None => Err(RtError::new("this action needs an item")),
        }
    }

    /// The value of argument `name`, or `None` when it is neither given nor defaulted.
    pub(crate) fn arg_value(&self, ctx: &Ctx, call: &Call, name: &str) -> RtResult<Option<Value>> {
        let Some(arg) = arg_of(call, name) else { return Ok(None) };
        self.arg_to_value(ctx, arg).map(Some)
    }

    fn arg_to_value(&self, ctx: &Ctx, arg: &Arg) -> RtResult<Value> {
        Ok(match arg {
            Arg::Expr(e) => self.eval_expr(ctx, e)?,
            Arg::Keyword(k) => Value::Enum(k.clone()),
            Arg::Keywords(ks) => Value::List(ks.iter().map(|k| Value::Enum(k.clone())).collect()),
            Arg::Record(map) => {
                let mut out = IndexMap::new();
                for (k, a) in map {
                    out.insert(k.clone(), self.arg_to_value(ctx, a)?);
                }
                Value::record(out)
            }
            Arg::In { delay, working_hours } => {
                let item = self.item(ctx)?;
                let (due, _) =
                    self.delay_end(item, delay, working_hours.as_ref()).map_err(RtError)?;
                Value::DateTime(Engine::moment(due))
            }
            Arg::FieldPath(path) => Value::Text(path.join(".")),
            Arg::Kind(_) | Arg::Condition(_) => Value::None,
        })
    }

    /// A required argument: its value, or an error saying why it is missing.
    pub(crate) fn required(
        &self,
        ctx: &Ctx,
        call: &Call,
        name: &str,
        action: &str,
    ) -> RtResult<Value> {
        match self.arg_value(ctx, call, name)? {
            Some(Value::None) | None => {
                Err(RtError::new(format!("cannot {action}: {}", self.why_missing(ctx, call, name))))
            }
            Some(v) => Ok(v),
        }
    }

    /// Why argument `name` has no value: `Alice Martin has no supervisor`.
    fn why_missing(&self, ctx: &Ctx, call: &Call, name: &str) -> String {
        if let Some(Arg::Expr(e)) = arg_of(call, name) {
            match &e.kind {
                ExprKind::Field(base, field) => {
                    if let Ok(base) = self.eval_expr(ctx, base) {
                        if !base.is_none() {
                            let who = match &base {
                                Value::Entity(r) => self.describe_entity(*r),
                                other => self.render_value(other),
                            };
                            return format!("{who} has no {field}");
                        }
                    }
                    return format!("`{field}` is missing");
                }
                ExprKind::Var(var) => return format!("`{var}` is missing"),
                _ => {}
            }
        }
        format!("`{name}` is missing")
    }

    /// A text argument (any value is rendered as text); `None` when absent or missing.
    pub(crate) fn text_arg(&self, ctx: &Ctx, call: &Call, name: &str) -> RtResult<Option<String>> {
        Ok(match self.arg_value(ctx, call, name)? {
            Some(Value::None) | None => None,
            Some(Value::Text(t)) => Some(t),
            Some(v) => Some(self.render_value(&v)),
        })
    }

    /// A required user argument that must exist.
    pub(crate) fn user_arg(
        &self,
        ctx: &Ctx,
        call: &Call,
        name: &str,
        action: &str,
    ) -> RtResult<Arc<str>> {
        match self.required(ctx, call, name, action)? {
            Value::User(u) => self
                .existing_user(&u)
                .map_err(|e| RtError::new(format!("cannot {action}: {}", e.0))),
            other => Err(RtError::new(format!(
                "cannot {action}: `{}` is not a user",
                self.render_value(&other)
            ))),
        }
    }

    /// A Bool argument with a default.
    pub(crate) fn bool_arg(
        &self,
        ctx: &Ctx,
        call: &Call,
        name: &str,
        default: bool,
    ) -> RtResult<bool> {
        Ok(match self.arg_value(ctx, call, name)? {
            Some(Value::Bool(b)) => b,
            _ => default,
        })
    }

    /// A DateTime argument (a Date is taken at 00:00 in the clock's timezone).
    pub(crate) fn moment_arg(
        &self,
        ctx: &Ctx,
        call: &Call,
        name: &str,
    ) -> RtResult<Option<DateTime<Utc>>> {
        Ok(match self.arg_value(ctx, call, name)? {
            Some(Value::DateTime(t)) => Some(t),
            Some(Value::Date(d)) => Some(super::calendar::date_to_moment(d, self.tz)),
            _ => None,
        })
    }

    /// A keyword argument (`type: call`, `to: contact`, `order: random`).
    pub(crate) fn keyword<'c>(&self, call: &'c Call, name: &str) -> Option<&'c str> {
        match arg_of(call, name) {
            Some(Arg::Keyword(k)) => Some(k),
            _ => None,
        }
    }

    /// The users of a `List(User)` argument, each required to exist.
    pub(crate) fn users_arg(
        &self,
        ctx: &Ctx,
        call: &Call,
        name: &str,
        action: &str,
    ) -> RtResult<Vec<Arc<str>>> {
        let users = match self.arg_value(ctx, call, name)? {
            Some(Value::List(items)) => items,
            Some(Value::None) | None => Vec::new(),
            Some(one) => vec![one],
        };
        users
            .into_iter()
            .filter(|v| !v.is_none())
            .map(|v| match v {
                Value::User(u) => self
                    .existing_user(&u)
                    .map_err(|e| RtError::new(format!("cannot {action}: {}", e.0))),
                other => Err(RtError::new(format!(
                    "cannot {action}: `{}` is not a user",
                    self.render_value(&other)
                ))),
            })
            .collect()
    }

    /// Creates a record of the stdlib kind `kind` (`Task`, `Email` …) from field values;
    /// logs nothing (the caller logs the effect of its kind).
    pub(crate) fn new_record(
        &mut self,
        kind: &str,
        fields: Vec<(&str, Value)>,
    ) -> RtResult<EntityRef> {
        let id = self
            .model
            .entity_id(kind)
            .ok_or_else(|| RtError::new(format!("the stdlib has no `{kind}` entity")))?;
        let given: IndexMap<String, Value> =
            fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let (row, _) = self.instantiate(id, given, None, None).map_err(RtError)?;
        let r = EntityRef::new(id, self.state.count(id) + 1);
        self.push_row(r, row);
        Ok(r)
    }

    /// Marks a record as made by automation in the item's current stage.
    pub(crate) fn mark_automation(
        &mut self,
        record: EntityRef,
        item: EntityRef,
        auto_complete: bool,
    ) {
        let stage = self.stage_of(item);
        if let Some(row) = self.state.live_mut(record) {
            row.by_automation = true;
            row.created_in = stage;
            row.auto_complete = auto_complete;
        }
    }
}
