//! `create` (SPEC §10): a new entity's field values — given ones coerced to the field types,
//! defaults filled in, required ones checked — its row, its `entity_created` effect and its
//! initial stage. Rules and processes create entities through the same functions.

use indexmap::IndexMap;

use super::commands::CmdResult;
use super::effects::{EffectKind, Verb};
use super::value::{EntityRef, Value};
use super::{CommandError, Engine};
use crate::diag::suggest::did_you_mean;
use crate::model::{Default as FieldDefault, EntityId, PipelineId, StageRef};

impl Engine {
    // -----------------------------------------------------------------------------------------
    // create

    pub(crate) fn cmd_create(
        &mut self,
        kind: EntityId,
        fields: IndexMap<String, Value>,
        pipeline: Option<PipelineId>,
        stage: Option<StageRef>,
    ) -> CmdResult<EntityRef> {
        let (row, stage) =
            self.instantiate(kind, fields, pipeline, stage).map_err(CommandError::new)?;
        let n = self.state.count(kind) + 1;
        let r = EntityRef::new(kind, n);
        self.begin_command(Verb::Create, Some(r));
        self.insert_entity(r, row, stage);
        if let Some(stage) = stage {
            self.enter_stage(r, stage, None, true, None);
        } else {
            self.queue_create_processes(r);
        }
        self.end_command();
        Ok(r)
    }

    /// The field values of a new entity of `kind` (defaults filled in, values coerced to
    /// the field types, required fields checked) and its initial stage.
    pub(crate) fn instantiate(
        &self,
        kind: EntityId,
        given: IndexMap<String, Value>,
        pipeline: Option<PipelineId>,
        stage: Option<StageRef>,
    ) -> Result<(Box<[Value]>, Option<StageRef>), String> {
        let model = &self.model;
        let Some((_, def)) = model.entities.get_index(kind.index()) else {
            return Err("unknown entity kind".to_string());
        };
        // The given values with their positions; every other field takes its default below.
        let count = def.fields.len();
        let mut given_values: Vec<(usize, Value)> = Vec::with_capacity(given.len());
        let mut given_at = Given::new(count);
        for (name, value) in given {
            match self.field_index_of(kind, name.as_str()) {
                Some(pos) if !matches!(name.as_str(), "id" | "stage" | "pipeline") => {
                    if !value.is_none() && !given_at.get(pos) {
                        given_at.set(pos);
                        given_values.push((pos, value));
                    }
                }
                _ => {
                    let mut message = format!("`{}` has no field `{name}`", def.name);
                    if let Some(help) = did_you_mean(&name, def.fields.keys().map(String::as_str)) {
                        message.push_str(&format!(" ({help})"));
                    }
                    return Err(message);
                }
            }
        }
        let stage = self.initial_stage(kind, pipeline, stage)?;
        let info = *self.kind_info(kind);
        // Built in field order by pushing: no placeholder to drop and overwrite.
        let mut values: Vec<Value> = Vec::with_capacity(count);
        for (pos, (name, field)) in def.fields.iter().enumerate() {
            let value = match pos {
                // The id is computed when read (`deal:1`), never stored.
                _ if Some(pos) == info.id => Value::None,
                _ if Some(pos) == info.stage && stage.is_some() => {
                    stage.map_or(Value::None, Value::Stage)
                }
                _ if Some(pos) == info.pipeline && stage.is_some() => {
                    stage.map_or(Value::None, |s| Value::Pipeline(s.pipeline))
                }
                _ if given_at.get(pos) => {
                    let at = given_values.iter().position(|(p, _)| *p == pos);
                    match at.map(|i| given_values.swap_remove(i)) {
                        Some((_, value)) => self.coerce(value, &field.ty),
                        None => Value::None,
                    }
                }
                _ => match &field.default {
                    Some(FieldDefault::Literal(lit)) => self.coerce(self.literal(lit), &field.ty),
                    Some(FieldDefault::Now) => Value::DateTime(self.state.clock.now),
                    Some(FieldDefault::EmptyList) => Value::List(Vec::new()),
                    None if field.required => {
                        return Err(format!("missing field `{name}` for a new `{}`", def.name));
                    }
                    None => Value::None,
                },
            };
            values.push(value);
        }
        Ok((values.into_boxed_slice(), stage))
    }

    /// The stage a new item of `kind` enters: the one given, else the initial stage of the
    /// pipeline given, else of the first pipeline of the kind; none for a kind without one.
    fn initial_stage(
        &self,
        kind: EntityId,
        pipeline: Option<PipelineId>,
        stage: Option<StageRef>,
    ) -> Result<Option<StageRef>, String> {
        let model = &self.model;
        let kind_name = &model.entity(kind).name;
        if let Some(s) = stage {
            let Some((pname, p)) = model.pipelines.get_index(s.pipeline.index()) else {
                return Err("unknown stage".to_string());
            };
            if p.entity != kind || p.stages.get(s.index as usize).is_none() {
                return Err(format!("pipeline `{pname}` is not a pipeline of `{kind_name}`"));
            }
            if let Some(given) = pipeline {
                if given != s.pipeline {
                    let stage_name = super::value::stage_id(model, s);
                    let given_name = super::value::pipeline_name(model, given);
                    return Err(format!("stage `{stage_name}` is not in pipeline `{given_name}`"));
                }
            }
            return Ok(Some(s));
        }
        if let Some(p) = pipeline {
            let Some((pname, def)) = model.pipelines.get_index(p.index()) else {
                return Err("unknown pipeline".to_string());
            };
            if def.entity != kind {
                return Err(format!("pipeline `{pname}` is not a pipeline of `{kind_name}`"));
            }
            return Ok(Some(StageRef { pipeline: p, index: def.initial_stage() }));
        }
        Ok(model
            .pipelines_of(kind)
            .next()
            .map(|(id, def)| StageRef { pipeline: id, index: def.initial_stage() }))
    }

    /// Adds a new entity's row and logs `entity_created`.
    pub(crate) fn insert_entity(
        &mut self,
        r: EntityRef,
        fields: Box<[Value]>,
        stage: Option<StageRef>,
    ) {
        self.push_row(r, fields);
        let info = self.kind_info(r.entity);
        let title = [info.title, info.name, info.subject].into_iter().find_map(|pos| {
            match self.field_at(r, pos) {
                Value::None => None,
                Value::Text(t) => Some(Box::from(t.as_str())),
                v => Some(self.render_value(&v).into_boxed_str()),
            }
        });
        let kind = EffectKind::EntityCreated { title, pipeline: stage.map(|s| s.pipeline), stage };
        self.log(Some(r), kind);
    }

    /// Adds a new entity's row (its number is the next of its kind).
    pub(crate) fn push_row(&mut self, r: EntityRef, fields: Box<[Value]>) {
        let kinds = r.entity.index() + 1;
        if self.state.entities.len() < kinds {
            self.state.entities.resize_with(kinds, Vec::new);
        }
        self.state.entities[r.entity.index()].push(super::state::Row::new(fields));
    }
}

/// Which fields a `create` gave: a bit set on the stack for up to 128 fields.
enum Given {
    Small(u128),
    Large(Vec<bool>),
}

impl Given {
    fn new(count: usize) -> Given {
        if count <= 128 {
            Given::Small(0)
        } else {
            Given::Large(vec![false; count])
        }
    }

    fn set(&mut self, pos: usize) {
        match self {
            Given::Small(bits) => *bits |= 1 << pos,
            Given::Large(flags) => flags[pos] = true,
        }
    }

    fn get(&self, pos: usize) -> bool {
        match self {
            Given::Small(bits) => bits & (1 << pos) != 0,
            Given::Large(flags) => flags[pos],
        }
    }
}
