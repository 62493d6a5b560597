//! A compact, stable S-expression dump of a parsed module, for the `parse` snapshots.
//!
//! Spans are shown as `@LINE:COL-LINE:COL` on items, stages, rules (with their header), triggers
//! and statements; expressions are fully parenthesised so precedence is visible:
//! `(- deal.close_date 1 day)`, `(and (== a b) (not c))`.

use std::fmt::Write;

use bp::ast::*;
use bp::source::SourceMap;
use bp::span::Span;
use bp::syntax::print;

pub struct Dump<'a> {
    map: &'a SourceMap,
    out: String,
    indent: usize,
}

pub fn module(map: &SourceMap, module: &Module) -> String {
    let mut dump = Dump { map, out: String::new(), indent: 0 };
    for item in &module.items {
        dump.item(item);
    }
    for comment in &module.comments {
        let kind = if comment.doc { "doc-comment" } else { "comment" };
        let at = dump.at(comment.span);
        dump.line(&format!("({kind} {:?} {at})", comment.text));
    }
    dump.out
}

impl Dump<'_> {
    fn at(&self, span: Span) -> String {
        let (l1, c1) = self.map.start_of(span);
        let (l2, c2) = self.map.end_of(span);
        format!("@{l1}:{c1}-{l2}:{c2}")
    }

    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn open(&mut self, text: &str) {
        self.line(text);
        self.indent += 1;
    }

    fn close(&mut self) {
        self.indent -= 1;
        self.out.pop();
        self.out.push_str(")\n");
    }

    fn doc(&mut self, doc: &Option<Doc>) {
        if let Some(doc) = doc {
            let at = self.at(doc.span);
            self.line(&format!("(doc {:?} {at})", doc.text));
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Schema(schema) => {
                let kind = match schema.kind {
                    SchemaKind::Extend => "schema",
                    SchemaKind::Entity => "entity",
                };
                self.open(&format!("({kind} {} {}", schema.name, self.at(schema.span)));
                self.doc(&schema.doc);
                self.fields(&schema.fields);
                self.close();
            }
            Item::Record(record) => {
                self.open(&format!("(record {} {}", record.name, self.at(record.span)));
                self.doc(&record.doc);
                self.fields(&record.fields);
                self.close();
            }
            Item::Calendar(calendar) => {
                self.open(&format!("(calendar {} {}", calendar.name, self.at(calendar.span)));
                self.doc(&calendar.doc);
                for entry in &calendar.entries {
                    let text = calendar_entry(entry);
                    self.line(&text);
                }
                self.close();
            }
            Item::Const(constant) => {
                let ty = constant.ty.as_ref().map(|t| format!(": {}", ty(t))).unwrap_or_default();
                let at = self.at(constant.span);
                self.open(&format!(
                    "(const {}{ty} = {} {at}",
                    constant.name,
                    expr(&constant.value)
                ));
                self.doc(&constant.doc);
                self.close();
            }
            Item::Pipeline(pipeline) => {
                self.open(&format!(
                    "(pipeline {} for {} {} header={}",
                    pipeline.name,
                    pipeline.kind,
                    self.at(pipeline.span),
                    self.at(pipeline.header_span)
                ));
                self.doc(&pipeline.doc);
                for stage in &pipeline.stages {
                    self.stage(stage);
                }
                self.close();
            }
            Item::Process(process) => {
                let starts: Vec<String> = process.starts.iter().map(start_mode).collect();
                self.open(&format!(
                    "(process {} for {} [{}] {} header={}",
                    process.name,
                    process.kind,
                    starts.join(", "),
                    self.at(process.span),
                    self.at(process.header_span)
                ));
                self.doc(&process.doc);
                self.block(&process.body);
                self.close();
            }
            Item::Action(action) => {
                let mut text = format!("(action {}", signature(&action.signature));
                if !action.named.is_empty() {
                    let named: Vec<String> = action.named.iter().map(param).collect();
                    let _ = write!(text, " {{{}}}", named.join(", "));
                }
                if let Some(result) = &action.result {
                    let _ = write!(text, " -> {}", ty(result));
                }
                if !action.contexts.is_empty() {
                    let contexts: Vec<&str> = action.contexts.iter().map(|c| c.as_str()).collect();
                    let _ = write!(text, " in {}", contexts.join(", "));
                }
                let _ = write!(text, " {}", self.at(action.span));
                self.open(&text);
                self.doc(&action.doc);
                self.close();
            }
            Item::Event(event) => {
                let mut text = format!("(event {}", signature(&event.signature));
                if !event.payload.is_empty() {
                    let payload: Vec<String> =
                        event.payload.iter().map(|(n, t)| format!("{n}: {}", ty(t))).collect();
                    let _ = write!(text, " -> {}", payload.join(", "));
                }
                let _ = write!(text, " {}", self.at(event.span));
                self.open(&text);
                self.doc(&event.doc);
                self.close();
            }
        }
    }

    fn fields(&mut self, fields: &[FieldDecl]) {
        for field in fields {
            let default =
                field.default.as_ref().map(|d| format!(" = {}", expr(d))).unwrap_or_default();
            let at = self.at(field.span);
            self.open(&format!("(field {}: {}{default} {at}", field.name, ty(&field.ty)));
            self.doc(&field.doc);
            self.close();
        }
    }

    fn stage(&mut self, stage: &Stage) {
        let mut text = format!("(stage {}", stage.id);
        if let Some((title, _)) = &stage.title {
            let _ = write!(text, " {title:?}");
        }
        if let Some((outcome, _)) = &stage.outcome {
            let _ = write!(
                text,
                " {}",
                if *outcome == Outcome::Success { "success" } else { "failure" }
            );
        }
        let _ = write!(text, " {}", self.at(stage.span));
        self.open(&text);
        self.doc(&stage.doc);
        for member in &stage.members {
            match member {
                StageMember::Rule(rule) => self.rule(rule),
                StageMember::Trigger(trigger) => self.trigger(trigger),
            }
        }
        self.close();
    }

    fn rule(&mut self, rule: &Rule) {
        let mut text = format!("(rule {:?}", print::rule_label(rule));
        if let RuleTiming::At { moment, .. } = &rule.timing {
            let _ = write!(text, " at={}", expr(moment));
        }
        match &rule.modifiers.unless {
            Some(Unless::Moved(_)) => text.push_str(" unless-moved"),
            Some(Unless::Condition(cond)) => {
                let _ = write!(text, " unless={}", expr(cond));
            }
            None => {}
        }
        if let Some(cond) = &rule.modifiers.condition {
            let _ = write!(text, " if={}", expr(cond));
        }
        let _ = write!(text, " {} header={}", self.at(rule.span), self.at(rule.header_span));
        self.open(&text);
        self.doc(&rule.doc);
        self.block(&rule.body);
        self.close();
    }

    fn trigger(&mut self, trigger: &Trigger) {
        let mut text = format!("(when {}", call(&trigger.event));
        if let Some(cond) = &trigger.condition {
            let _ = write!(text, " where={}", expr(cond));
        }
        if let Some(user) = &trigger.as_user {
            let _ = write!(text, " as={}", expr(user));
        }
        if trigger.allow_backward.is_some() {
            text.push_str(" allow-backward");
        }
        let _ = write!(text, " {}", self.at(trigger.span));
        self.open(&text);
        self.doc(&trigger.doc);
        self.close();
    }

    fn block(&mut self, block: &Block) {
        for stmt in &block.stmts {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        let at = self.at(stmt.span);
        match &stmt.kind {
            StmtKind::Let { name, value } => {
                let value = match value {
                    LetValue::Expr(e) => expr(e),
                    LetValue::Call(c) => call(c),
                };
                self.line(&format!("(let {name} = {value} {at})"));
            }
            StmtKind::Set { target, value } => {
                self.line(&format!("(set {} = {} {at})", expr(target), expr(value)));
            }
            StmtKind::If { branches, otherwise } => {
                self.open(&format!("(if {at}"));
                for (cond, block) in branches {
                    self.open(&format!("(when {}", expr(cond)));
                    self.block(block);
                    self.close();
                }
                if let Some(block) = otherwise {
                    self.open("(else");
                    self.block(block);
                    self.close();
                }
                self.close();
            }
            StmtKind::ForEach { name, list, body } => {
                self.open(&format!("(for-each {name} in {} {at}", expr(list)));
                self.block(body);
                self.close();
            }
            StmtKind::Parallel { branches } => {
                self.open(&format!("(parallel {at}"));
                for branch in branches {
                    self.open("(branch");
                    self.block(branch);
                    self.close();
                }
                self.close();
            }
            StmtKind::WaitDelay { delay, working_hours } => {
                let hours = working_hours.as_ref().map(|h| format!(" {}", print::working_hours(h)));
                let hours = hours.unwrap_or_default();
                self.line(&format!("(wait {}{hours} {at})", print::delay_text(delay)));
            }
            StmtKind::WaitStage { stages } => {
                let stages: Vec<String> = stages.iter().map(stage_ref).collect();
                self.line(&format!("(wait-until-stage {} {at})", stages.join(" ")));
            }
            StmtKind::WaitUntil { moment } => {
                self.line(&format!("(wait-until {} {at})", expr(moment)))
            }
            StmtKind::MoveStage { stage } => {
                self.line(&format!("(move-to-stage {} {at})", stage_ref(stage)))
            }
            StmtKind::MovePipeline { pipeline, stage } => {
                let stage =
                    stage.as_ref().map(|s| format!(" stage {}", stage_ref(s))).unwrap_or_default();
                self.line(&format!("(move-to-pipeline {pipeline}{stage} {at})"));
            }
            StmtKind::Stop => self.line(&format!("(stop {at})")),
            StmtKind::Call(c) => self.line(&format!("{} {at}", call(c))),
        }
    }
}

fn start_mode(mode: &StartMode) -> String {
    match mode {
        StartMode::OnCreate(_) => "on create".into(),
        StartMode::OnStage(stage, _) => format!("on stage {}", stage_ref(stage)),
        StartMode::OnChange(_) => "on change".into(),
        StartMode::Manual(_) => "manual".into(),
    }
}

fn stage_ref(stage: &StageRef) -> String {
    match &stage.pipeline {
        Some(pipeline) => format!("{pipeline}.{}", stage.stage),
        None => stage.stage.to_string(),
    }
}

fn calendar_entry(entry: &CalendarEntry) -> String {
    match entry {
        CalendarEntry::Timezone { name, .. } => format!("(timezone {name:?})"),
        CalendarEntry::Workdays { days, .. } => {
            let days: Vec<String> = days
                .iter()
                .map(|d| match d {
                    DaySpec::Day(day) => day.to_string(),
                    DaySpec::Range(a, b) => format!("{a}..{b}"),
                })
                .collect();
            format!("(workdays {})", days.join(" "))
        }
        CalendarEntry::Hours { ranges, .. } => {
            let ranges: Vec<String> = ranges
                .iter()
                .map(|r| format!("{}..{}", r.start.format("%H:%M"), r.end.format("%H:%M")))
                .collect();
            format!("(hours {})", ranges.join(" "))
        }
        CalendarEntry::Holidays { dates, .. } => {
            let dates: Vec<String> = dates.iter().map(|(d, _)| d.to_string()).collect();
            format!("(holidays {})", dates.join(" "))
        }
    }
}

fn ty(ty: &TypeExpr) -> String {
    let text = match &ty.kind {
        TypeExprKind::Named(name) => name.to_string(),
        TypeExprKind::Enum(members) => {
            let members: Vec<&str> = members.iter().map(|m| m.as_str()).collect();
            format!("Enum({})", members.join(", "))
        }
        TypeExprKind::List(inner) => format!("List({})", self::ty(inner)),
        TypeExprKind::FieldOf(entity, field) => format!("{entity}.{field}"),
        TypeExprKind::Alternatives(alternatives) => {
            let alternatives: Vec<String> = alternatives.iter().map(self::ty).collect();
            format!("(alts {})", alternatives.join(" "))
        }
    };
    if ty.optional {
        format!("{text}?")
    } else {
        text
    }
}

fn param(param: &ParamDecl) -> String {
    let mut text = param.name.to_string();
    if let Some(t) = &param.ty {
        let _ = write!(text, ": {}", ty(t));
    }
    if param.required {
        text.push('!');
    }
    if let Some(default) = &param.default {
        let _ = write!(text, " = {}", expr(default));
    }
    text
}

fn signature(parts: &[SigPart]) -> String {
    let parts: Vec<String> = parts
        .iter()
        .map(|part| match part {
            SigPart::Word(word) => word.to_string(),
            SigPart::Hole(hole) => format!("<{}>", param(hole)),
            SigPart::Optional(inner, _) => format!("[{}]", signature(inner)),
        })
        .collect();
    parts.join(" ")
}

fn call(call: &Call) -> String {
    let mut text = String::from("(call");
    for part in &call.parts {
        text.push(' ');
        text.push_str(&call_part(part));
    }
    if let Some(named) = &call.named {
        text.push(' ');
        text.push_str(&named_args(named));
    }
    text.push(')');
    text
}

fn call_part(part: &CallPart) -> String {
    match &part.kind {
        CallPartKind::Word(word) => word.to_string(),
        CallPartKind::Value(value) => format!("<{}>", expr(value)),
        CallPartKind::Run(parts) => {
            let parts: Vec<String> = parts.iter().map(call_part).collect();
            format!("(run {})", parts.join(" "))
        }
        CallPartKind::Where(cond) => format!("(where {})", expr(cond)),
    }
}

fn named_args(named: &NamedArgs) -> String {
    let entries: Vec<String> = named
        .entries
        .iter()
        .map(|entry| {
            let value = match &entry.value {
                ArgValue::Expr(e) => expr(e),
                ArgValue::Record(record) => named_args(record),
                ArgValue::In { delay, working_hours, .. } => {
                    let hours =
                        working_hours.as_ref().map(|h| format!(" {}", print::working_hours(h)));
                    format!("(in {}{})", print::delay_text(delay), hours.unwrap_or_default())
                }
            };
            format!("{}: {value}", entry.name)
        })
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// Fully parenthesised: `(+ a (* b c))`; a chain of names is dotted: `deal.contact.name`.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Name(name) => name.to_string(),
        ExprKind::Field(base, field) => match &base.kind {
            ExprKind::Name(_) | ExprKind::Field(..) | ExprKind::Literal(Literal::User(_)) => {
                format!("{}.{field}", expr(base))
            }
            _ => format!("(. {} {field})", expr(base)),
        },
        ExprKind::Unary(UnaryOp::Not, operand) => format!("(not {})", expr(operand)),
        ExprKind::Unary(UnaryOp::Neg, operand) => format!("(neg {})", expr(operand)),
        ExprKind::Binary(op, lhs, rhs) => format!("({} {} {})", op.as_str(), expr(lhs), expr(rhs)),
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(expr).collect();
            format!("[{}]", items.join(" "))
        }
        ExprKind::Text(template) => {
            let parts: Vec<String> = template
                .parts
                .iter()
                .map(|part| match part {
                    TemplatePart::Text(text) => format!("{text:?}"),
                    TemplatePart::Expr(inner) => format!("{{{}}}", expr(inner)),
                })
                .collect();
            let kind = if template.triple { "text3" } else { "text" };
            if parts.is_empty() {
                format!("({kind})")
            } else {
                format!("({kind} {})", parts.join(" "))
            }
        }
        _ => print::expr(e),
    }
}
