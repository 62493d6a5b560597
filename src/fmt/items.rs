//! Top-level declarations, stages and their rules and triggers.

use super::text;
use super::Formatter;
use crate::ast::{
    ActionDecl, CalendarDecl, CalendarEntry, EventDecl, FieldDecl, Item, PipelineDecl, ProcessDecl,
    RecordDecl, Rule, SchemaDecl, SchemaKind, Stage, StageMember, Trigger, Unless,
};
use crate::syntax::print;

impl Formatter<'_> {
    /// Every item of the file; declarations with a body are set apart by a blank line.
    pub(crate) fn items(&mut self, items: &[Item]) {
        let mut previous_has_body = false;
        for (index, item) in items.iter().enumerate() {
            let has_body = self.has_body(item);
            if index > 0 && (has_body || previous_has_body) {
                self.p.blank_line();
            }
            self.p.doc_target();
            self.item(item);
            previous_has_body = has_body;
        }
    }

    /// Whether an item prints on several lines (then a blank line separates it).
    fn has_body(&self, item: &Item) -> bool {
        match item {
            Item::Const(_) | Item::Event(_) => false,
            Item::Record(record) => self.record_inline(record).is_none(),
            Item::Action(action) => self.params_inline(action, 0).is_none(),
            Item::Schema(_) | Item::Calendar(_) | Item::Pipeline(_) | Item::Process(_) => true,
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Schema(schema) => self.schema(schema),
            Item::Calendar(calendar) => self.calendar(calendar),
            Item::Const(constant) => {
                let ty = constant.ty.as_ref().map(|t| format!(": {}", text::type_expr(t)));
                let line = format!(
                    "const {}{} = {}",
                    constant.name,
                    ty.unwrap_or_default(),
                    text::expr(&constant.value)
                );
                self.p.line(0, start(constant.span), end(constant.span), &line);
            }
            Item::Pipeline(pipeline) => self.pipeline(pipeline),
            Item::Process(process) => self.process(process),
            Item::Action(action) => self.action(action),
            Item::Event(event) => self.event(event),
            Item::Record(record) => self.record(record),
        }
    }

    fn schema(&mut self, schema: &SchemaDecl) {
        let keyword = match schema.kind {
            SchemaKind::Extend => "schema",
            SchemaKind::Entity => "entity",
        };
        let header = format!("{keyword} {}", schema.name);
        self.fields_block(0, schema.span, end(schema.name.span), header, &schema.fields);
    }

    /// `HEADER { field… }`, one field per line.
    fn fields_block(
        &mut self,
        depth: usize,
        span: crate::span::Span,
        header_end: usize,
        header: String,
        fields: &[FieldDecl],
    ) {
        let brace = self.brace_after(header_end);
        let close = self.close_brace(span);
        self.braced(depth, start(span), (brace, close), header, fields.is_empty(), |f| {
            for field in fields {
                f.p.doc_target();
                f.p.line(depth + 1, start(field.span), end(field.span), &field_text(field));
            }
        });
    }

    fn calendar(&mut self, calendar: &CalendarDecl) {
        let brace = self.brace_after(end(calendar.name.span));
        let close = self.close_brace(calendar.span);
        let header = format!("calendar {}", calendar.name);
        let empty = calendar.entries.is_empty();
        self.braced(0, start(calendar.span), (brace, close), header, empty, |f| {
            for entry in &calendar.entries {
                let (span, line) = calendar_entry(entry);
                f.p.line(1, start(span), end(span), &line);
            }
        });
    }

    fn pipeline(&mut self, pipeline: &PipelineDecl) {
        let brace = self.brace_after(end(pipeline.header_span));
        let close = self.close_brace(pipeline.span);
        let header = format!("pipeline {} for {}", pipeline.name, pipeline.kind);
        let empty = pipeline.stages.is_empty();
        self.braced(0, start(pipeline.span), (brace, close), header, empty, |f| {
            for stage in &pipeline.stages {
                f.p.doc_target();
                f.stage(stage);
            }
        });
    }

    /// `stage ID ["TITLE"] [success|failure] [{ … }]`; an empty body is left out.
    fn stage(&mut self, stage: &Stage) {
        let mut header = format!("stage {}", stage.id);
        let mut header_end = end(stage.id.span);
        if let Some((title, span)) = &stage.title {
            header.push(' ');
            header.push_str(&text::string_literal(title));
            header_end = header_end.max(end(*span));
        }
        if let Some((outcome, span)) = &stage.outcome {
            header.push_str(match outcome {
                crate::ast::Outcome::Success => " success",
                crate::ast::Outcome::Failure => " failure",
            });
            header_end = header_end.max(end(*span));
        }
        let brace = self.find_brace(header_end);
        let close = self.close_brace(stage.span);
        match brace {
            Some(brace) if !stage.members.is_empty() || self.p.has_comment_in(brace, close) => {
                self.p.open(1, start(stage.span), brace, &header);
                for member in &stage.members {
                    self.p.doc_target();
                    match member {
                        StageMember::Rule(rule) => self.rule(rule),
                        StageMember::Trigger(trigger) => self.trigger(trigger),
                    }
                }
                self.p.close(1, close);
            }
            _ => self.p.line(1, start(stage.span), end(stage.span), &header),
        }
    }

    fn rule(&mut self, rule: &Rule) {
        self.block(2, start(rule.span), rule_header(rule), &rule.body);
    }

    fn trigger(&mut self, trigger: &Trigger) {
        let mut line = format!("when {}", text::call_parts(&trigger.event.parts));
        if let Some(condition) = &trigger.condition {
            line.push_str(" where ");
            line.push_str(&text::expr(condition));
        }
        if let Some(user) = &trigger.as_user {
            line.push_str(" as ");
            line.push_str(&text::expr(user));
        }
        if trigger.allow_backward.is_some() {
            line.push_str(" allow backward");
        }
        self.p.line(2, start(trigger.span), end(trigger.span), &line);
    }

    fn process(&mut self, process: &ProcessDecl) {
        let mut header = format!("process {} for {}", process.name, process.kind);
        if !process.starts.is_empty() {
            header.push(' ');
            let starts: Vec<String> = process.starts.iter().map(text::start_mode).collect();
            header.push_str(&starts.join(", "));
        }
        self.block(0, start(process.span), header, &process.body);
    }

    // stdlib declarations (SPEC §3.7) -------------------------------------------------------

    fn action(&mut self, action: &ActionDecl) {
        let head = format!("action {}", text::signature(&action.signature));
        let mut tail = String::new();
        if let Some(result) = &action.result {
            tail.push_str(" -> ");
            tail.push_str(&text::type_expr(result));
        }
        if !action.contexts.is_empty() {
            let contexts: Vec<&str> = action.contexts.iter().map(|c| c.as_str()).collect();
            tail.push_str(" in ");
            tail.push_str(&contexts.join(", "));
        }
        match self.params_inline(action, 0) {
            Some(params) => {
                let line = format!("{head}{params}{tail}");
                self.p.line(0, start(action.span), end(action.span), &line);
            }
            None => {
                let (brace, close) = self.param_braces(action).unwrap_or((0, 0));
                self.p.open(0, start(action.span), brace, &head);
                for param in &action.named {
                    self.p.line(1, start(param.span), end(param.span), &text::param_decl(param));
                }
                self.p.close_then(0, close, &tail);
            }
        }
    }

    /// The named-parameter block of an action on the header line (` { a: T, b: T }`, or
    /// nothing when there is none), or `None` when it goes one parameter per line: it was
    /// written on several lines, holds a comment or would pass the width limit.
    fn params_inline(&self, action: &ActionDecl, depth: usize) -> Option<String> {
        if action.named.is_empty() {
            return Some(String::new());
        }
        let (brace, close) = self.param_braces(action)?;
        let entries: Vec<String> = action.named.iter().map(text::param_decl).collect();
        let inline = format!(" {{ {} }}", entries.join(", "));
        let line = format!("action {}{inline}", text::signature(&action.signature));
        self.fits_inline(brace, close, depth, &line).then_some(inline)
    }

    /// The offsets of the `{` and `}` around an action's named parameters.
    fn param_braces(&self, action: &ActionDecl) -> Option<(usize, usize)> {
        let first = action.named.first()?;
        let last = action.named.last()?;
        let brace = self.src().get(..start(first.span))?.rfind('{')?;
        let close = self.src().get(end(last.span)..)?.find('}')? + end(last.span);
        Some((brace, close))
    }

    fn event(&mut self, event: &EventDecl) {
        let mut line = format!("event {}", text::signature(&event.signature));
        if !event.payload.is_empty() {
            let payload: Vec<String> = event
                .payload
                .iter()
                .map(|(name, ty)| format!("{name}: {}", text::type_expr(ty)))
                .collect();
            line.push_str(" -> ");
            line.push_str(&payload.join(", "));
        }
        self.p.line(0, start(event.span), end(event.span), &line);
    }

    fn record(&mut self, record: &RecordDecl) {
        match self.record_inline(record) {
            Some(line) => self.p.line(0, start(record.span), end(record.span), &line),
            None => {
                let header = format!("record {}", record.name);
                self.fields_block(0, record.span, end(record.name.span), header, &record.fields)
            }
        }
    }

    /// `record PaymentLink { url: Text, amount: Money }` on one line, when it was written on
    /// one line without comments and fits.
    fn record_inline(&self, record: &RecordDecl) -> Option<String> {
        let brace = self.find_brace(end(record.name.span))?;
        let close = self.close_brace(record.span);
        let fields: Vec<String> = record.fields.iter().map(field_text).collect();
        let line = if fields.is_empty() {
            format!("record {} {{}}", record.name)
        } else {
            format!("record {} {{ {} }}", record.name, fields.join(", "))
        };
        self.fits_inline(brace, close, 0, &line).then_some(line)
    }
}

/// A rule's header as `bp fmt` prints it: the label of `syntax::print` (`after 1 day in
/// working hours`), then `unless …`, then `if …`.
pub fn rule_header(rule: &Rule) -> String {
    let mut header = print::rule_label(rule);
    match &rule.modifiers.unless {
        Some(Unless::Moved(_)) => header.push_str(" unless moved"),
        Some(Unless::Condition(condition)) => {
            header.push_str(" unless ");
            header.push_str(&text::expr(condition));
        }
        None => {}
    }
    if let Some(condition) = &rule.modifiers.condition {
        header.push_str(" if ");
        header.push_str(&text::expr(condition));
    }
    header
}

/// `name: Type = default`.
fn field_text(field: &FieldDecl) -> String {
    let mut line = format!("{}: {}", field.name, text::type_expr(&field.ty));
    if let Some(default) = &field.default {
        line.push_str(" = ");
        line.push_str(&text::expr(default));
    }
    line
}

/// The span used to place a calendar entry, and its text.
fn calendar_entry(entry: &CalendarEntry) -> (crate::span::Span, String) {
    match entry {
        CalendarEntry::Timezone { name, span } => {
            (*span, format!("timezone {}", text::string_literal(name)))
        }
        CalendarEntry::Workdays { days, span } => {
            let days: Vec<String> = days.iter().map(text::day_spec).collect();
            (*span, format!("workdays {}", days.join(", ")))
        }
        CalendarEntry::Hours { ranges, span } => {
            let ranges: Vec<String> = ranges
                .iter()
                .map(|r| format!("{}..{}", r.start.format("%H:%M"), r.end.format("%H:%M")))
                .collect();
            (*span, format!("hours {}", ranges.join(", ")))
        }
        CalendarEntry::Holidays { dates, span } => {
            let dates: Vec<String> =
                dates.iter().map(|(date, _)| date.format("%Y-%m-%d").to_string()).collect();
            (*span, format!("holidays {}", dates.join(", ")))
        }
    }
}

pub(crate) fn start(span: crate::span::Span) -> usize {
    span.start as usize
}

pub(crate) fn end(span: crate::span::Span) -> usize {
    span.end as usize
}
