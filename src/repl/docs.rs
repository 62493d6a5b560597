//! `:stages [PIPELINE]` and `:doc NAME`: what the program declares, with its `///` doc
//! comments and where it is declared (the user's files and the stdlib alike).
//!
//! `:doc` looks NAME up as, in order: an entity (`Deal` or `deal`), a field (`Deal.amount`),
//! a pipeline, a stage (`sales.new`, or `new` in every pipeline that has it), a process, an
//! action or an event (by its words, `create task`; one word lists every action starting with
//! it), a record type, a calendar, a constant. Every match is shown.

use super::session::Session;
use super::{Reply, Style};
use crate::diag::suggest;
use crate::model::{Model, PipelineDef, StageDef};
use crate::source::SourceMap;
use crate::span::Span;

/// `:stages [PIPELINE]`: each pipeline with its stages, their rules and triggers.
pub(super) fn stages(session: &Session, argument: &str) -> Reply {
    let mut reply = Reply::default();
    let model = session.model();
    let sources = session.runner().sources();
    let name = argument.trim();
    if !name.is_empty() && !model.pipelines.contains_key(name) {
        let mut text = format!("error: unknown pipeline `{name}`");
        match suggest::closest(name, model.pipelines.keys().map(String::as_str)) {
            Some(close) => text.push_str(&format!("; did you mean `{close}`?")),
            None => text.push_str(&format!("; the pipelines are: {}", pipeline_list(model))),
        }
        reply.fail(text);
        return reply;
    }
    if model.pipelines.is_empty() {
        reply.out(Style::Dim, "(no pipeline)");
    }
    for (pipeline_name, pipeline) in &model.pipelines {
        if !name.is_empty() && pipeline_name != name {
            continue;
        }
        let kind = &model.entity(pipeline.entity).name;
        let at = location(sources, pipeline.span);
        reply.out(Style::Heading, format!("pipeline {pipeline_name} for {kind}  ({at})"));
        let initial = pipeline.initial_stage() as usize;
        for (index, stage) in pipeline.stages.iter().enumerate() {
            reply.out(Style::Plain, stage_line(stage, index == initial));
            for rule in &stage.rules {
                reply.out(Style::Dim, format!("    {}", header_text(sources, rule.header_span)));
            }
            for trigger in &stage.triggers {
                reply.out(Style::Dim, format!("    {}", header_text(sources, trigger.span)));
            }
        }
    }
    reply
}

/// `new "New"  (initial)`, `won "Deal won"  success`.
fn stage_line(stage: &StageDef, initial: bool) -> String {
    let mut line = format!("  {} \"{}\"", stage.id, stage.title);
    match stage.outcome {
        Some(crate::model::Outcome::Success) => line.push_str("  success"),
        Some(crate::model::Outcome::Failure) => line.push_str("  failure"),
        None if initial => line.push_str("  (initial)"),
        None => {}
    }
    line
}

fn pipeline_list(model: &Model) -> String {
    if model.pipelines.is_empty() {
        return "none".to_string();
    }
    model.pipelines.keys().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
}

/// `:doc NAME`.
pub(super) fn doc(session: &Session, argument: &str) -> Reply {
    let mut reply = Reply::default();
    let name = argument.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        reply.fail("usage: :doc NAME (an entity, field, pipeline, stage, process, action …)");
        return reply;
    }
    let docs = Docs { model: session.model(), sources: session.runner().sources() };
    let mut found = false;
    for entry in docs.lookup(&name) {
        if found {
            reply.out(Style::Plain, "");
        }
        found = true;
        reply.out(Style::Heading, entry.title);
        for line in entry.body {
            reply.out(Style::Plain, line);
        }
    }
    if !found {
        let names = super::complete::doc_names(session.model());
        let mut text = format!("error: nothing is called `{name}`");
        if let Some(close) = suggest::closest(&name, names.iter().map(String::as_str)) {
            text.push_str(&format!("; did you mean `{close}`?"));
        }
        reply.fail(text);
    }
    reply
}

/// One thing `:doc` shows: a heading (what it is, where it is declared) and lines.
struct Entry {
    title: String,
    body: Vec<String>,
}

struct Docs<'a> {
    model: &'a Model,
    sources: &'a SourceMap,
}

impl Docs<'_> {
    fn lookup(&self, name: &str) -> Vec<Entry> {
        let mut entries = Vec::new();
        let model = self.model;
        if let Some(entity) =
            model.entities.values().find(|e| e.name == name || e.item_name == name)
        {
            entries.push(self.entity(entity));
        }
        if let Some((owner, field)) = name.split_once('.') {
            let entity = model.entities.values().find(|e| e.name == owner || e.item_name == owner);
            if let Some(def) = entity.and_then(|e| e.fields.get(field)) {
                let owner = entity.map_or(owner, |e| e.name.as_str());
                entries.push(self.field(owner, def));
            }
            if let Some(pipeline) = model.pipelines.get(owner) {
                if let Some(stage) = pipeline.stages.iter().find(|s| s.id == field) {
                    entries.push(self.stage(pipeline, stage));
                }
            }
        }
        if let Some(pipeline) = model.pipelines.get(name) {
            entries.push(self.pipeline(pipeline));
        }
        for pipeline in model.pipelines.values() {
            if let Some(stage) = pipeline.stages.iter().find(|s| s.id == name) {
                entries.push(self.stage(pipeline, stage));
            }
        }
        if let Some(process) = model.processes.get(name) {
            let kind = &model.entity(process.entity).name;
            entries.push(self.entry(
                format!("process {} for {kind}", process.name),
                process.span,
                process.doc.as_deref(),
                Vec::new(),
            ));
        }
        let exact_action = model.actions.contains_key(name);
        for (words, action) in &model.actions {
            if words == name || (!exact_action && first_word_is(words, name)) {
                let declaration = self.declaration(action.span);
                entries.push(self.entry(
                    format!("action {words}"),
                    action.span,
                    action.doc.as_deref(),
                    declaration,
                ));
            }
        }
        let exact_event = model.events.contains_key(name);
        for (words, event) in &model.events {
            if words == name || (!exact_event && first_word_is(words, name)) {
                let mut body = self.declaration(event.span);
                if !event.payload.is_empty() {
                    let payload: Vec<String> = event
                        .payload
                        .iter()
                        .map(|(n, ty)| format!("{n}: {}", model.type_name(ty)))
                        .collect();
                    body.push(format!("payload in a trigger's `where`: {}", payload.join(", ")));
                }
                entries.push(self.entry(
                    format!("event {words}"),
                    event.span,
                    event.doc.as_deref(),
                    body,
                ));
            }
        }
        if let Some(record) = model.records.get(name) {
            let fields = record
                .fields
                .values()
                .map(|f| format!("  {}: {}", f.name, model.type_name(&f.ty)))
                .collect();
            entries.push(self.entry(format!("record {name}"), record.span, None, fields));
        }
        if let Some(calendar) = model.calendars.get(name) {
            let body = self.declaration(calendar.span);
            entries.push(self.entry(format!("calendar {name}"), calendar.span, None, body));
        }
        if let Some(constant) = model.consts.get(name) {
            let ty = model.type_name(&constant.value.ty);
            let body = self.declaration(constant.span);
            entries.push(self.entry(format!("const {name}: {ty}"), constant.span, None, body));
        }
        entries
    }

    fn entity(&self, entity: &crate::model::EntityDef) -> Entry {
        let what = if entity.custom { "entity" } else { "standard entity" };
        let mut body =
            vec![format!("item name `{}`, ids `{}:N`", entity.item_name, entity.item_name)];
        body.push("fields:".to_string());
        for field in entity.fields.values() {
            let mut line = format!("  {}", self.declaration_line(field.span, &field.name));
            if field.required {
                line.push_str("  (required)");
            }
            if let Some(doc) = &field.doc {
                line.push_str(&format!("  — {}", first_line(doc)));
            }
            body.push(line);
        }
        let title = format!("{what} {}", entity.name);
        self.entry(title, entity.span, entity.doc.as_deref(), body)
    }

    fn field(&self, owner: &str, field: &crate::model::FieldDef) -> Entry {
        let mut body = vec![self.declaration_line(field.span, &field.name)];
        if field.required {
            body.push("required when the entity is created".to_string());
        }
        let title = format!("field {owner}.{}: {}", field.name, self.model.type_name(&field.ty));
        self.entry(title, field.span, field.doc.as_deref(), body)
    }

    fn pipeline(&self, pipeline: &PipelineDef) -> Entry {
        let kind = &self.model.entity(pipeline.entity).name;
        let stages: Vec<&str> = pipeline.stages.iter().map(|s| s.id.as_str()).collect();
        let body = vec![format!("stages: {}", stages.join(", "))];
        let title = format!("pipeline {} for {kind}", pipeline.name);
        self.entry(title, pipeline.span, pipeline.doc.as_deref(), body)
    }

    fn stage(&self, pipeline: &PipelineDef, stage: &StageDef) -> Entry {
        let mut body = Vec::new();
        for rule in &stage.rules {
            body.push(format!("{}  ({})", header_text(self.sources, rule.header_span), {
                location(self.sources, rule.header_span)
            }));
            if let Some(doc) = &rule.doc {
                body.extend(doc.lines().map(|line| format!("  {line}")));
            }
        }
        for trigger in &stage.triggers {
            let header = header_text(self.sources, trigger.span);
            body.push(format!("{header}  ({})", location(self.sources, trigger.span)));
            if let Some(doc) = &trigger.doc {
                body.extend(doc.lines().map(|line| format!("  {line}")));
            }
        }
        let title = format!("stage {}.{} \"{}\"", pipeline.name, stage.id, stage.title);
        self.entry(title, stage.span, stage.doc.as_deref(), body)
    }

    /// A heading with the declaration's location, the doc comment, then `body`.
    fn entry(&self, title: String, span: Span, doc: Option<&str>, body: Vec<String>) -> Entry {
        let title = format!("{title}  ({})", location(self.sources, span));
        let mut lines: Vec<String> = match doc {
            Some(doc) => doc.lines().map(|line| format!("  {line}")).collect(),
            None => vec!["  (no documentation)".to_string()],
        };
        lines.extend(body.into_iter().map(|line| format!("  {line}")));
        Entry { title, body: lines }
    }

    /// The source lines of a declaration: its first line and, when it opens a `{` block, the
    /// lines up to the closing `}`.
    fn declaration(&self, span: Span) -> Vec<String> {
        let Some(file) = self.file(span) else { return Vec::new() };
        let (first, _) = file.line_col(span.start as usize);
        let mut lines = Vec::new();
        let mut depth = 0i32;
        for number in first..first + 40 {
            let text = file.line_text(number);
            if number > first && text.is_empty() && depth <= 0 {
                break;
            }
            depth += text.matches('{').count() as i32 - text.matches('}').count() as i32;
            lines.push(text.trim_end().to_string());
            if depth <= 0 {
                break;
            }
        }
        dedent(lines)
    }

    /// A field's declaration line (`amount: Money = 0`), or its name.
    fn declaration_line(&self, span: Span, name: &str) -> String {
        match self.file(span) {
            Some(file) => {
                let (line, _) = file.line_col(span.start as usize);
                let text = file.line_text(line).trim();
                let text = text.split("//").next().unwrap_or(text).trim();
                if text.starts_with(name) {
                    text.to_string()
                } else {
                    name.to_string()
                }
            }
            None => name.to_string(),
        }
    }

    fn file(&self, span: Span) -> Option<&crate::source::SourceFile> {
        ((span.file.0 as usize) < self.sources.len()).then(|| self.sources.get(span.file))
    }
}

/// Whether the action or event `words` starts with the word `name`.
fn first_word_is(words: &str, name: &str) -> bool {
    !name.contains(' ') && words.split(' ').next() == Some(name)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Lines without their common indentation.
fn dedent(lines: Vec<String>) -> Vec<String> {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines.into_iter().map(|l| l.get(indent..).unwrap_or("").to_string()).collect()
}

/// A rule or trigger header as written (its first line, without the `{` that opens its body).
pub(super) fn header_text(sources: &SourceMap, span: Span) -> String {
    if (span.file.0 as usize) >= sources.len() {
        return String::new();
    }
    let text = sources.snippet(span);
    let line = text.lines().next().unwrap_or("").trim();
    line.strip_suffix('{').unwrap_or(line).trim_end().to_string()
}

/// `examples/employee_control.bp:29`.
pub(super) fn location(sources: &SourceMap, span: Span) -> String {
    if (span.file.0 as usize) >= sources.len() {
        return "?".to_string();
    }
    format!("{}:{}", sources.get(span.file).name, sources.start_of(span).0)
}
