//! The names a stored state refers to, and how its ids map onto another program version.
//!
//! A stored state never relies on the program's model indices: the file carries a symbol
//! table (`Symbols`) that names every declaration an id in the state can point at — entity
//! kinds and their fields, pipelines, stages, rules (by label), processes, events, calendars.
//! Ids in the stored state are positions in that table. On load against a program whose
//! table differs (a pipeline added, stages reordered, a rule removed), `Remap::between`
//! matches the two tables by name (pipeline name, stage id, rule label, process name, field
//! name) and `remap.rs` rewrites every id of the state through it.

use serde::{Deserialize, Serialize};

use crate::model::{EntityId, EventId, Model, PipelineId, ProcessId, StageRef};

/// The declarations of a program, in model order (a position is an id).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Symbols {
    pub entities: Vec<EntitySymbol>,
    pub pipelines: Vec<PipelineSymbol>,
    pub processes: Vec<String>,
    pub events: Vec<String>,
    pub calendars: Vec<String>,
}

/// An entity kind: its name, its id kind (`deal`) and its fields in row order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntitySymbol {
    pub name: String,
    pub item: String,
    pub fields: Vec<String>,
}

/// A pipeline and its stages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineSymbol {
    pub name: String,
    pub stages: Vec<StageSymbol>,
}

/// A stage: its id, its rules by label (SPEC §9 `rule`, unique within the stage) and how
/// many triggers it has (triggers have no name; `why` is all that refers to them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageSymbol {
    pub id: String,
    pub rules: Vec<String>,
    #[serde(default)]
    pub triggers: u32,
}

impl Symbols {
    /// The symbol table of a checked program.
    pub fn of(model: &Model) -> Symbols {
        Symbols {
            entities: model
                .entities
                .values()
                .map(|e| EntitySymbol {
                    name: e.name.clone(),
                    item: e.item_name.clone(),
                    fields: e.fields.keys().cloned().collect(),
                })
                .collect(),
            pipelines: model
                .pipelines
                .values()
                .map(|p| PipelineSymbol {
                    name: p.name.clone(),
                    stages: p
                        .stages
                        .iter()
                        .map(|s| StageSymbol {
                            id: s.id.clone(),
                            rules: s.rules.iter().map(|r| r.label.clone()).collect(),
                            triggers: s.triggers.len() as u32,
                        })
                        .collect(),
                })
                .collect(),
            processes: model.processes.keys().cloned().collect(),
            events: model.events.keys().cloned().collect(),
            calendars: model.calendars.keys().cloned().collect(),
        }
    }

    /// `deal` for an entity id (`?` when out of range).
    pub fn item_name(&self, entity: EntityId) -> &str {
        self.entities.get(entity.index()).map_or("?", |e| e.item.as_str())
    }

    /// `sales.new` for a stage.
    pub fn stage_name(&self, stage: StageRef) -> String {
        match self.pipelines.get(stage.pipeline.index()) {
            Some(p) => {
                let id = p.stages.get(stage.index as usize).map_or("?", |s| s.id.as_str());
                format!("{}.{id}", p.name)
            }
            None => "?".to_string(),
        }
    }

    /// The label of rule `rule` of `stage` (`after 1 day`).
    pub fn rule_label(&self, stage: StageRef, rule: u32) -> &str {
        self.pipelines
            .get(stage.pipeline.index())
            .and_then(|p| p.stages.get(stage.index as usize))
            .and_then(|s| s.rules.get(rule as usize))
            .map_or("?", String::as_str)
    }

    pub fn process_name(&self, process: ProcessId) -> &str {
        self.processes.get(process.index()).map_or("?", String::as_str)
    }
}

/// An id that names nothing in the new program (a removed stage in an old effect): the
/// engine renders it as `?` and never schedules anything on it.
pub const GONE: u32 = u32::MAX;

/// How the ids of a state written with `old` symbols map onto a program (`None`: the name
/// no longer exists).
#[derive(Debug, Default)]
pub struct Remap {
    pub entity: Vec<Option<EntityId>>,
    /// Per old entity: old field position → new field position.
    pub fields: Vec<Vec<Option<usize>>>,
    /// Per new entity: its field count.
    pub field_counts: Vec<usize>,
    pub pipeline: Vec<Option<PipelineId>>,
    /// Per old pipeline, per old stage.
    pub stage: Vec<Vec<Option<StageRef>>>,
    /// Per old pipeline, per old stage, per old rule.
    pub rule: Vec<Vec<Vec<Option<u32>>>>,
    pub trigger: Vec<Vec<Vec<Option<u32>>>>,
    pub process: Vec<Option<ProcessId>>,
    pub event: Vec<Option<EventId>>,
    pub calendar: Vec<Option<u32>>,
}

impl Remap {
    /// Matches `old` against the program by name.
    pub fn between(old: &Symbols, model: &Model) -> Remap {
        let new = Symbols::of(model);
        let position = |names: &[String], name: &str| names.iter().position(|n| n == name);
        let entity: Vec<Option<EntityId>> = old
            .entities
            .iter()
            .map(|e| new.entities.iter().position(|n| n.name == e.name).map(|i| EntityId(i as u32)))
            .collect();
        let fields = old
            .entities
            .iter()
            .zip(&entity)
            .map(|(e, new_id)| {
                let target = new_id.and_then(|id| new.entities.get(id.index()));
                e.fields.iter().map(|f| target.and_then(|t| position(&t.fields, f))).collect()
            })
            .collect();
        let pipeline: Vec<Option<PipelineId>> = old
            .pipelines
            .iter()
            .map(|p| {
                new.pipelines.iter().position(|n| n.name == p.name).map(|i| PipelineId(i as u32))
            })
            .collect();
        let mut remap = Remap {
            entity,
            fields,
            field_counts: new.entities.iter().map(|e| e.fields.len()).collect(),
            process: old
                .processes
                .iter()
                .map(|p| position(&new.processes, p).map(|i| ProcessId(i as u32)))
                .collect(),
            event: old
                .events
                .iter()
                .map(|e| position(&new.events, e).map(|i| EventId(i as u32)))
                .collect(),
            calendar: old
                .calendars
                .iter()
                .map(|c| position(&new.calendars, c).map(|i| i as u32))
                .collect(),
            ..Remap::default()
        };
        for (p, old_pipeline) in old.pipelines.iter().enumerate() {
            let new_pipeline = pipeline[p];
            let target = new_pipeline.and_then(|id| new.pipelines.get(id.index()));
            let (mut stages, mut rules, mut triggers) = (Vec::new(), Vec::new(), Vec::new());
            for old_stage in &old_pipeline.stages {
                let found = target
                    .and_then(|t| t.stages.iter().position(|s| s.id == old_stage.id))
                    .zip(new_pipeline);
                let new_stage = found.and_then(|(i, pid)| {
                    Some((StageRef { pipeline: pid, index: i as u32 }, target?.stages.get(i)?))
                });
                stages.push(new_stage.map(|(r, _)| r));
                rules.push(
                    old_stage
                        .rules
                        .iter()
                        .map(|label| {
                            new_stage.and_then(|(_, s)| position(&s.rules, label).map(|i| i as u32))
                        })
                        .collect(),
                );
                triggers.push(
                    (0..old_stage.triggers)
                        .map(|t| new_stage.filter(|(_, s)| t < s.triggers).map(|_| t))
                        .collect(),
                );
            }
            remap.stage.push(stages);
            remap.rule.push(rules);
            remap.trigger.push(triggers);
        }
        remap.pipeline = pipeline;
        remap
    }

    pub fn entity_of(&self, id: EntityId) -> Option<EntityId> {
        self.entity.get(id.index()).copied().flatten()
    }

    pub fn pipeline_of(&self, id: PipelineId) -> Option<PipelineId> {
        self.pipeline.get(id.index()).copied().flatten()
    }

    pub fn stage_of(&self, stage: StageRef) -> Option<StageRef> {
        self.stage.get(stage.pipeline.index())?.get(stage.index as usize).copied().flatten()
    }

    pub fn rule_of(&self, stage: StageRef, rule: u32) -> Option<u32> {
        self.rule
            .get(stage.pipeline.index())?
            .get(stage.index as usize)?
            .get(rule as usize)
            .copied()
            .flatten()
    }

    pub fn trigger_of(&self, stage: StageRef, trigger: u32) -> Option<u32> {
        self.trigger
            .get(stage.pipeline.index())?
            .get(stage.index as usize)?
            .get(trigger as usize)
            .copied()
            .flatten()
    }

    pub fn process_of(&self, id: ProcessId) -> Option<ProcessId> {
        self.process.get(id.index()).copied().flatten()
    }

    pub fn event_of(&self, id: EventId) -> Option<EventId> {
        self.event.get(id.index()).copied().flatten()
    }

    pub fn calendar_of(&self, id: u32) -> Option<u32> {
        self.calendar.get(id as usize).copied().flatten()
    }
}

/// The `GONE` ids, for history that names something the program no longer declares.
pub fn gone_stage() -> StageRef {
    StageRef { pipeline: PipelineId(GONE), index: GONE }
}
