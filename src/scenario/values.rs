//! Scenario values to run-time values: a value written in a scenario takes its type from
//! where it goes (an entity field, a record field, an event hole), so bare names resolve as
//! aliases, stages, pipelines or enum members by that type (SPEC §6.3). Also the field checks
//! of `create` (unknown fields, required ones) and `set` (the path's type), and matching
//! `emit` words against the model's events.

use chrono::NaiveTime;
use indexmap::IndexMap;

use super::command::{Record, Value as ScenarioValue, ValueKind};
use super::run::{unknown_name, Runner, ScenarioError};
use crate::diag::{suggest, Code, Diagnostic};
use crate::model::{EntityId, EventId, ParamType, PipelineId, SigPart, StageRef};
use crate::runtime::calendar::local_to_utc;
use crate::runtime::{EntityRef, Value};
use crate::span::{Ident, Span};
use crate::types::Type;

/// The fields, pipeline and stage of a `create` command.
pub(super) type CreationFields = (IndexMap<String, Value>, Option<PipelineId>, Option<StageRef>);

impl Runner {
    /// Checks and converts the block of `create KIND ALIAS { … }`: every key is a field of
    /// the entity (or `pipeline`/`stage`), every required field is given (SPEC §3.1).
    pub(super) fn creation_fields(
        &self,
        span: Span,
        entity: EntityId,
        fields: Option<&Record>,
    ) -> Result<CreationFields, ScenarioError> {
        let def = self.model.entity(entity);
        let has_pipeline = self.model.pipelines_of(entity).next().is_some();
        let mut values = IndexMap::new();
        let mut pipeline = None;
        let mut stage_entry = None;
        for entry in fields.map_or(&[][..], |r| &r.entries[..]) {
            match entry.key.as_str() {
                "pipeline" | "stage" if !has_pipeline => {
                    return Err(ScenarioError::invalid(Diagnostic::new(
                        Code::E0105,
                        format!("`{}` has no pipeline", def.name),
                        entry.key.span,
                        format!("no `{}` here", entry.key),
                    )));
                }
                "pipeline" => pipeline = Some(self.pipeline_value(entity, &entry.value)?),
                "stage" => stage_entry = Some(entry),
                "id" => {
                    return Err(ScenarioError::invalid(Diagnostic::new(
                        Code::E0105,
                        "ids are given by the CRM",
                        entry.key.span,
                        "cannot be set",
                    )))
                }
                name => {
                    let Some(field) = def.fields.get(name) else {
                        let known: Vec<&str> = def.fields.keys().map(String::as_str).collect();
                        return Err(unknown_name(
                            Code::E0101,
                            entry,
                            &format!("unknown field `{name}` on `{}`", def.name),
                            &known,
                        ));
                    };
                    values.insert(name.to_string(), self.convert(&entry.value, &field.ty, entity)?);
                }
            }
        }
        let stage = match stage_entry {
            None => None,
            Some(entry) => Some(self.stage_value(entity, pipeline, &entry.value)?),
        };
        let pipeline = pipeline.or(stage.map(|s| s.pipeline));
        if let Some(missing) = def
            .fields
            .values()
            .find(|f| f.required && !values.contains_key(&f.name) && f.name != "id")
        {
            return Err(ScenarioError::invalid(
                Diagnostic::new(
                    Code::E0103,
                    format!("missing field `{}` for `{}`", missing.name, def.name),
                    fields.map_or(span, |r| r.span),
                    format!("`{}` is required", missing.name),
                )
                .with_help(format!(
                    "add `{}: …` ({})",
                    missing.name,
                    self.model.type_name(&missing.ty)
                )),
            ));
        }
        Ok((values, pipeline, stage))
    }

    /// The type of the field a `set` path names, and the entity that owns its last segment.
    pub(super) fn field_path_type(
        &self,
        entity: EntityId,
        path: &[Ident],
    ) -> Result<(Type, EntityId), ScenarioError> {
        let mut owner = entity;
        let mut record = None;
        let mut ty = Type::Error;
        for (i, segment) in path.iter().enumerate() {
            let (fields, owner_name) = match record {
                Some(id) => {
                    let def = self.model.record(id);
                    (&def.fields, &def.name)
                }
                None => {
                    let def = self.model.entity(owner);
                    (&def.fields, &def.name)
                }
            };
            let Some(field) = fields.get(&segment.text) else {
                let known = fields.keys().map(String::as_str);
                let mut diagnostic = Diagnostic::new(
                    Code::E0101,
                    format!("unknown field `{}` on `{owner_name}`", segment.text),
                    segment.span,
                    format!("`{owner_name}` has no field `{}`", segment.text),
                );
                if let Some(close) = suggest::closest(&segment.text, known) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
                }
                return Err(ScenarioError::invalid(diagnostic));
            };
            ty = field.ty.clone();
            if i + 1 < path.len() {
                match ty.base() {
                    Type::Entity(next) => owner = *next,
                    Type::Record(next) => record = Some(*next),
                    other => {
                        return Err(ScenarioError::invalid(Diagnostic::new(
                            Code::E0104,
                            format!(
                                "`{}` is a {}, it has no fields",
                                segment.text,
                                self.model.type_name(other)
                            ),
                            path[i + 1].span,
                            "no such field",
                        )))
                    }
                }
            }
        }
        Ok((ty, owner))
    }

    /// Converts a value to `ty`; `owner` is the entity whose field it fills (stages resolve
    /// among its pipelines).
    pub(super) fn convert(
        &self,
        value: &ScenarioValue,
        ty: &Type,
        owner: EntityId,
    ) -> Result<Value, ScenarioError> {
        if let Type::Optional(inner) = ty {
            if value.kind == ValueKind::None {
                return Ok(Value::None);
            }
            return self.convert(value, inner, owner);
        }
        let converted = match (ty, &value.kind) {
            (Type::Error | Type::None | Type::EmptyList | Type::Time, _) => {
                return self.convert_untyped(value)
            }
            (_, ValueKind::None) => {
                return Err(self.mismatch(value, ty, "`none` is only for optional fields"))
            }
            (Type::Text, ValueKind::Text(text)) => Some(Value::Text(text.clone())),
            (Type::Number, ValueKind::Number(n)) => Some(Value::Number(*n)),
            (Type::Money, ValueKind::Number(n)) => Some(Value::Money(*n)),
            (Type::Bool, ValueKind::Bool(b)) => Some(Value::Bool(*b)),
            (Type::Date, ValueKind::Date(d)) => Some(Value::Date(*d)),
            (Type::DateTime, ValueKind::DateTime(at)) => {
                Some(Value::DateTime(local_to_utc(*at, self.engine.timezone())))
            }
            (Type::DateTime, ValueKind::Date(d)) => Some(Value::DateTime(local_to_utc(
                d.and_time(NaiveTime::MIN),
                self.engine.timezone(),
            ))),
            (Type::Duration, ValueKind::Duration(d)) => Some(Value::duration(*d)),
            (Type::User, ValueKind::User(id)) => Some(Value::User(id.clone())),
            (Type::Stage, ValueKind::Name(_)) => {
                Some(Value::Stage(self.stage_value(owner, None, value)?))
            }
            (Type::Pipeline, ValueKind::Name(_)) => {
                Some(Value::Pipeline(self.pipeline_value(owner, value)?))
            }
            (Type::Calendar | Type::FieldPath, ValueKind::Name(name)) => {
                Some(Value::Text(name.clone()))
            }
            (Type::Enum(members), ValueKind::Name(name) | ValueKind::Text(name)) => {
                if !members.iter().any(|m| m == name) {
                    let mut diagnostic = Diagnostic::new(
                        Code::E0101,
                        format!("`{name}` is not one of {}", members.join(", ")),
                        value.span,
                        "not a member",
                    );
                    if let Some(close) = suggest::closest(name, members.iter().map(String::as_str))
                    {
                        diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
                    }
                    return Err(ScenarioError::invalid(diagnostic));
                }
                Some(Value::Enum(name.clone()))
            }
            (Type::Entity(kind), ValueKind::Name(_) | ValueKind::Id { .. }) => {
                Some(Value::Entity(self.entity_value(value, Some(*kind))?))
            }
            (Type::Item, ValueKind::Name(_) | ValueKind::Id { .. }) => {
                Some(Value::Entity(self.entity_value(value, None)?))
            }
            (Type::List(inner), ValueKind::List(items)) => {
                let items = items.iter().map(|item| self.convert(item, inner, owner));
                Some(Value::List(items.collect::<Result<_, _>>()?))
            }
            (Type::Record(id), ValueKind::Record(record)) => {
                let def = self.model.record(*id);
                let mut fields = IndexMap::new();
                for entry in &record.entries {
                    let Some(field) = def.fields.get(entry.key.as_str()) else {
                        let known: Vec<&str> = def.fields.keys().map(String::as_str).collect();
                        return Err(unknown_name(
                            Code::E0101,
                            entry,
                            &format!("unknown field `{}` on `{}`", entry.key, def.name),
                            &known,
                        ));
                    };
                    fields.insert(
                        entry.key.text.clone(),
                        self.convert(&entry.value, &field.ty, owner)?,
                    );
                }
                Some(Value::record(fields))
            }
            _ => None,
        };
        converted.ok_or_else(|| self.mismatch(value, ty, ""))
    }

    fn mismatch(&self, value: &ScenarioValue, ty: &Type, note: &str) -> ScenarioError {
        let expected = self.model.type_name(ty);
        let mut diagnostic = Diagnostic::new(
            Code::E0104,
            format!("expected {expected}, found {}", describe(&value.kind)),
            value.span,
            format!("not a {expected}"),
        );
        if !note.is_empty() {
            diagnostic = diagnostic.with_note(note);
        }
        if let Some(help) = type_help(ty) {
            diagnostic = diagnostic.with_help(help);
        }
        ScenarioError::invalid(diagnostic)
    }

    /// A value where no type is known (event payloads): names are aliases when bound, else
    /// texts.
    pub(super) fn convert_untyped(&self, value: &ScenarioValue) -> Result<Value, ScenarioError> {
        Ok(match &value.kind {
            ValueKind::Text(text) => Value::Text(text.clone()),
            ValueKind::Number(n) => Value::Number(*n),
            ValueKind::Date(d) => Value::Date(*d),
            ValueKind::DateTime(at) => Value::DateTime(local_to_utc(*at, self.engine.timezone())),
            ValueKind::Duration(d) => Value::duration(*d),
            ValueKind::User(id) => Value::User(id.clone()),
            ValueKind::Bool(b) => Value::Bool(*b),
            ValueKind::None => Value::None,
            ValueKind::Name(name) => match self.aliases.get(name) {
                Some(entity) => Value::Entity(*entity),
                None => Value::Text(name.clone()),
            },
            ValueKind::Id { .. } => Value::Entity(self.entity_value(value, None)?),
            ValueKind::List(items) => Value::List(
                items.iter().map(|item| self.convert_untyped(item)).collect::<Result<_, _>>()?,
            ),
            ValueKind::Record(record) => {
                let mut fields = IndexMap::new();
                for entry in &record.entries {
                    fields.insert(entry.key.text.clone(), self.convert_untyped(&entry.value)?);
                }
                Value::record(fields)
            }
        })
    }

    /// An alias or id, optionally of a given kind.
    fn entity_value(
        &self,
        value: &ScenarioValue,
        kind: Option<EntityId>,
    ) -> Result<EntityRef, ScenarioError> {
        let reference = match &value.kind {
            ValueKind::Name(alias) => super::command::Ref {
                kind: super::command::RefKind::Alias(alias.clone()),
                span: value.span,
            },
            ValueKind::Id { kind, n } => super::command::Ref {
                kind: super::command::RefKind::Id { kind: kind.clone(), n: *n },
                span: value.span,
            },
            _ => return Err(self.mismatch(value, &Type::Item, "")),
        };
        let entity = self.resolve_ref(&reference)?;
        if let Some(kind) = kind {
            if entity.entity != kind {
                return Err(self.mismatch_entity(value, entity, kind));
            }
        }
        Ok(entity)
    }

    fn mismatch_entity(
        &self,
        value: &ScenarioValue,
        found: EntityRef,
        kind: EntityId,
    ) -> ScenarioError {
        let expected = &self.model.entity(kind).name;
        ScenarioError::invalid(Diagnostic::new(
            Code::E0104,
            format!("expected a {expected}, found {}", self.id_text(found)),
            value.span,
            format!("not a {expected}"),
        ))
    }

    /// A pipeline of `entity` by name.
    fn pipeline_value(
        &self,
        entity: EntityId,
        value: &ScenarioValue,
    ) -> Result<PipelineId, ScenarioError> {
        let ValueKind::Name(name) = &value.kind else {
            return Err(self.mismatch(value, &Type::Pipeline, ""));
        };
        let own: Vec<(PipelineId, &str)> =
            self.model.pipelines_of(entity).map(|(id, p)| (id, p.name.as_str())).collect();
        if let Some((id, _)) = own.iter().find(|(_, n)| n == name) {
            return Ok(*id);
        }
        let kind = &self.model.entity(entity).name;
        let mut diagnostic = Diagnostic::new(
            Code::E0101,
            format!("unknown pipeline `{name}` for `{kind}`"),
            value.span,
            "no such pipeline",
        );
        if let Some(close) = suggest::closest(name, own.iter().map(|(_, n)| *n)) {
            diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
        }
        Err(ScenarioError::invalid(diagnostic))
    }

    /// A stage of `entity`: in `pipeline` when given, else unique among its pipelines.
    fn stage_value(
        &self,
        entity: EntityId,
        pipeline: Option<PipelineId>,
        value: &ScenarioValue,
    ) -> Result<StageRef, ScenarioError> {
        let ValueKind::Name(name) = &value.kind else {
            return Err(self.mismatch(value, &Type::Stage, ""));
        };
        match pipeline {
            Some(pipeline) => {
                let def = self.model.pipeline(pipeline);
                let qualified = format!("{}.{name}", def.name);
                self.resolve_stage_text(entity, &qualified, value.span)
            }
            None => self.resolve_stage_text(entity, name, value.span),
        }
    }

    pub(super) fn user_value(&self, value: &ScenarioValue) -> Result<String, ScenarioError> {
        match &value.kind {
            ValueKind::User(id) => Ok(id.clone()),
            _ => Err(self.mismatch(value, &Type::User, "")),
        }
    }

    pub(super) fn optional_text(
        &self,
        value: &ScenarioValue,
    ) -> Result<Option<String>, ScenarioError> {
        match &value.kind {
            ValueKind::Text(text) => Ok(Some(text.clone())),
            ValueKind::None => Ok(None),
            _ => Err(self.mismatch(value, &Type::Text, "")),
        }
    }

    pub(super) fn bool_value(&self, value: &ScenarioValue) -> Result<bool, ScenarioError> {
        match &value.kind {
            ValueKind::Bool(b) => Ok(*b),
            _ => Err(self.mismatch(value, &Type::Bool, "")),
        }
    }

    /// A calendar of the program, by name.
    pub(super) fn calendar_value(&self, value: &ScenarioValue) -> Result<String, ScenarioError> {
        let ValueKind::Name(name) = &value.kind else {
            return Err(self.mismatch(value, &Type::Calendar, ""));
        };
        if self.model.calendars.contains_key(name) {
            return Ok(name.clone());
        }
        let mut diagnostic = Diagnostic::new(
            Code::E0101,
            format!("unknown calendar `{name}`"),
            value.span,
            "no such calendar",
        );
        if let Some(close) = suggest::closest(name, self.model.calendars.keys().map(String::as_str))
        {
            diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
        }
        Err(ScenarioError::invalid(diagnostic))
    }

    /// Matches the words of `emit` against the model's events like a call (SPEC §5): fixed
    /// words, then holes; the candidate with the most leading fixed words wins.
    pub(super) fn match_event(
        &self,
        span: Span,
        words: &[Ident],
    ) -> Result<(EventId, IndexMap<String, Value>), ScenarioError> {
        let mut best: Option<(usize, EventId, Vec<HoleFill>)> = None;
        for (index, def) in self.model.events.values().enumerate() {
            let mut holes = Vec::new();
            let mut position = 0;
            if !match_parts(&def.signature, words, &mut position, &mut holes)
                || position != words.len()
            {
                continue;
            }
            let leading =
                def.signature.iter().take_while(|p| matches!(p, SigPart::Word(_))).count();
            if best.as_ref().is_none_or(|(l, _, _)| leading > *l) {
                best = Some((leading, EventId(index as u32), holes));
            }
        }
        let Some((_, event, holes)) = best else {
            let written: Vec<&str> = words.iter().map(Ident::as_str).collect();
            let written = written.join(" ");
            let span =
                words.first().map_or(span, |w| w.span).to(words.last().map_or(span, |w| w.span));
            let mut diagnostic = Diagnostic::new(
                Code::E0102,
                format!("unknown event `{written}`"),
                span,
                "no event has these words",
            );
            if let Some(close) =
                suggest::closest(&written, self.model.events.keys().map(String::as_str))
            {
                diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
            }
            return Err(ScenarioError::invalid(diagnostic));
        };
        let mut args = IndexMap::new();
        for (param, word) in holes {
            let value = match &param.ty {
                ParamType::Value(Type::Enum(members))
                    if !members.iter().any(|m| m == &word.text) =>
                {
                    return Err(ScenarioError::invalid(Diagnostic::new(
                        Code::E0104,
                        format!("`{}` is not one of {}", word.text, members.join(", ")),
                        word.span,
                        "not a member",
                    )))
                }
                ParamType::Value(Type::Enum(_)) | ParamType::Keywords(..) => {
                    Value::Enum(word.text.clone())
                }
                _ => Value::Text(word.text.clone()),
            };
            args.insert(param.name.clone(), value);
        }
        Ok((event, args))
    }
}

/// A hole of an event signature and the word that fills it.
type HoleFill<'m, 'w> = (&'m crate::model::Param, &'w Ident);

/// Matches signature parts against words from `position`; an optional group is taken when
/// its first fixed word is the next word (or, for a group starting with a hole, when words
/// remain).
fn match_parts<'m, 'w>(
    parts: &'m [SigPart],
    words: &'w [Ident],
    position: &mut usize,
    holes: &mut Vec<HoleFill<'m, 'w>>,
) -> bool {
    for part in parts {
        match part {
            SigPart::Word(word) => {
                if words.get(*position).map(Ident::as_str) != Some(word.as_str()) {
                    return false;
                }
                *position += 1;
            }
            SigPart::Hole(param) => match words.get(*position) {
                Some(word) => {
                    holes.push((param, word));
                    *position += 1;
                }
                None => return false,
            },
            SigPart::Optional(group) => {
                let take = match (group.first(), words.get(*position)) {
                    (Some(SigPart::Word(first)), Some(next)) => first == &next.text,
                    (Some(_), Some(_)) => true,
                    _ => false,
                };
                if take && !match_parts(group, words, position, holes) {
                    return false;
                }
            }
        }
    }
    true
}

/// How a scenario value is named in a type mismatch.
fn describe(kind: &ValueKind) -> String {
    match kind {
        ValueKind::Text(text) => format!("the text \"{text}\""),
        ValueKind::Number(n) => format!("the number {n}"),
        ValueKind::Date(d) => format!("the date {d}"),
        ValueKind::DateTime(at) => format!("the moment {}", at.format("%Y-%m-%d %H:%M")),
        ValueKind::Duration(_) => "a duration".into(),
        ValueKind::User(id) => format!("the user @{id}"),
        ValueKind::Bool(b) => format!("`{b}`"),
        ValueKind::None => "`none`".into(),
        ValueKind::Name(name) => format!("`{name}`"),
        ValueKind::Id { kind, n } => format!("`{kind}:{n}`"),
        ValueKind::List(_) => "a list".into(),
        ValueKind::Record(_) => "a record".into(),
    }
}

/// How to write a value of a type, for help lines.
fn type_help(ty: &Type) -> Option<&'static str> {
    Some(match ty {
        Type::Text => "write text in quotes: \"…\"",
        Type::Number | Type::Money => "write a number such as 1200 or 12.50",
        Type::Bool => "write `true` or `false`",
        Type::Date => "write a date such as 2026-03-02",
        Type::DateTime => "write a moment such as 2026-03-02 09:30",
        Type::Duration => "write a duration such as `2 days`",
        Type::User => "write a user such as @alice",
        Type::Stage => "write a stage id such as `won`",
        Type::Entity(_) | Type::Item => "write an alias such as `d1` or an id such as `deal:1`",
        Type::List(_) => "write a list: [a, b]",
        _ => return None,
    })
}
