//! Top-level items (SPEC §3): schema, entity, calendar, const, pipeline, process, and the
//! stdlib declarations action, event and record (§3.7), with their field and type syntax.

use pest::iterators::Pair;

use crate::ast::{
    ActionDecl, CalendarDecl, CalendarEntry, ConstDecl, DaySpec, EventDecl, FieldDecl, Item,
    ParamDecl, PipelineDecl, ProcessDecl, RecordDecl, SchemaDecl, SchemaKind, SigPart, StartMode,
    TimeRange, TypeExpr, TypeExprKind,
};
use crate::span::Span;

use super::expressions::parse_expr;
use super::grammar::{explain, Rule};
use super::literals::{parse_date_lit, parse_time_of_day};
use super::stages::parse_stage;
use super::statements::{parse_block, parse_stage_ref};
use super::templates::parse_template;
use super::{children, Ctx};

/// `module`: every item of the file; unknown top-level lines are reported and skipped.
pub(crate) fn parse_module(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Vec<Item> {
    let mut items = Vec::new();
    for part in children(pair) {
        let item = match part.as_rule() {
            Rule::schema_decl => parse_schema_decl(ctx, part, SchemaKind::Extend).map(Item::Schema),
            Rule::entity_decl => parse_schema_decl(ctx, part, SchemaKind::Entity).map(Item::Schema),
            Rule::calendar_decl => parse_calendar_decl(ctx, part).map(Item::Calendar),
            Rule::const_decl => parse_const_decl(ctx, part).map(Item::Const),
            Rule::pipeline_decl => parse_pipeline_decl(ctx, part).map(Item::Pipeline),
            Rule::process_decl => parse_process_decl(ctx, part).map(Item::Process),
            Rule::action_decl => parse_action_decl(ctx, part).map(Item::Action),
            Rule::event_decl => parse_event_decl(ctx, part).map(Item::Event),
            Rule::record_decl => parse_record_decl(ctx, part).map(Item::Record),
            Rule::bad_item => {
                let s = part.as_span();
                explain(ctx, Rule::item_check, ctx.base + s.start(), ctx.base + s.end());
                None
            }
            _ => None,
        };
        items.extend(item);
    }
    items
}

// ---------------------------------------------------------------------------------------------
// §3.1 schema and entity, record fields, types

/// `schema Deal { … }` / `entity Booking { … }`
fn parse_schema_decl(ctx: &Ctx<'_>, pair: Pair<'_, Rule>, kind: SchemaKind) -> Option<SchemaDecl> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let name = ctx.ident(&inner.next()?);
    let fields = parse_field_block(ctx, inner.next()?);
    Some(SchemaDecl { kind, name, fields, doc: ctx.doc(span), span })
}

fn parse_field_block(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Vec<FieldDecl> {
    let mut fields = Vec::new();
    for line in children(pair) {
        if line.as_rule() == Rule::bad_line {
            let s = line.as_span();
            explain(ctx, Rule::field_check, ctx.base + s.start(), ctx.base + s.end());
        } else if let Some(field) = parse_field_decl(ctx, line) {
            fields.push(field);
        }
    }
    fields
}

/// `name: Type [= default]`
fn parse_field_decl(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<FieldDecl> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let name = ctx.ident(&inner.next()?);
    let ty = parse_type_expr(ctx, inner.next()?)?;
    let default = match inner.next() {
        Some(expr) => Some(parse_expr(ctx, expr)?),
        None => None,
    };
    Some(FieldDecl { name, ty, default, doc: ctx.doc(span), span })
}

/// `type_expr`: one type, or two or more alternatives joined by `|`.
pub(crate) fn parse_type_expr(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
    let span = ctx.span(&pair);
    let mut alternatives = Vec::new();
    for alt in pair.into_inner() {
        alternatives.push(parse_type_alt(ctx, alt)?);
    }
    if alternatives.len() == 1 {
        return alternatives.pop();
    }
    Some(TypeExpr { kind: TypeExprKind::Alternatives(alternatives), optional: false, span })
}

/// `type_alt`: `Text`, `Enum(a, b)`, `List(T)`, `Task.status`, each with an optional `?`.
fn parse_type_alt(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
    let span = ctx.span(&pair);
    let mut inner = pair.into_inner();
    let ty = inner.next()?;
    let optional = inner.next().is_some_and(|p| p.as_rule() == Rule::optional_mark);
    let kind = match ty.as_rule() {
        Rule::enum_type => TypeExprKind::Enum(children(ty).map(|p| ctx.ident(&p)).collect()),
        Rule::list_type => {
            TypeExprKind::List(Box::new(parse_type_expr(ctx, children(ty).next()?)?))
        }
        Rule::field_type => {
            let mut parts = ty.into_inner();
            let entity = ctx.ident(&parts.next()?);
            let field = ctx.ident(&parts.next()?);
            TypeExprKind::FieldOf(entity, field)
        }
        _ => TypeExprKind::Named(ctx.ident(&ty.into_inner().next()?)),
    };
    Some(TypeExpr { kind, optional, span })
}

// ---------------------------------------------------------------------------------------------
// §3.2 calendar, §3.3 const

/// `calendar NAME { … }`
fn parse_calendar_decl(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<CalendarDecl> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let name = ctx.ident(&inner.next()?);
    let mut entries = Vec::new();
    for line in children(inner.next()?) {
        if line.as_rule() == Rule::bad_line {
            let s = line.as_span();
            explain(ctx, Rule::calendar_entry_check, ctx.base + s.start(), ctx.base + s.end());
        } else if let Some(entry) = parse_calendar_entry(ctx, line) {
            entries.push(entry);
        }
    }
    Some(CalendarDecl { name, entries, doc: ctx.doc(span), span })
}

fn parse_calendar_entry(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<CalendarEntry> {
    let span = ctx.span(&pair);
    match pair.as_rule() {
        Rule::timezone_entry => parse_timezone_entry(ctx, pair),
        Rule::workdays_entry => {
            let days = children(pair).map(|day| parse_day_spec(ctx, day)).collect();
            Some(CalendarEntry::Workdays { days, span })
        }
        Rule::hours_entry => {
            let mut ranges = Vec::new();
            for range in children(pair) {
                ranges.push(parse_time_range(ctx, range)?);
            }
            Some(CalendarEntry::Hours { ranges, span })
        }
        Rule::holidays_entry => {
            let mut dates = Vec::new();
            for date in children(pair) {
                dates.push((parse_date_lit(ctx, &date)?, ctx.span(&date)));
            }
            Some(CalendarEntry::Holidays { dates, span })
        }
        _ => None,
    }
}

/// `timezone "Europe/Paris"`
fn parse_timezone_entry(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<CalendarEntry> {
    let string = children(pair).next()?;
    let span = ctx.span(&string);
    let (template, _) = parse_template(ctx, string)?;
    match template.as_plain() {
        Some(name) => Some(CalendarEntry::Timezone { name, span }),
        None => {
            ctx.syntax_error("a timezone cannot contain `{{ }}`", span, "interpolation here");
            None
        }
    }
}

/// `mon` or `mon..fri`
fn parse_day_spec(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> DaySpec {
    let mut days: Vec<_> = pair.into_inner().map(|p| ctx.ident(&p)).collect();
    match (days.pop(), days.pop()) {
        (Some(last), Some(first)) => DaySpec::Range(first, last),
        (Some(day), None) => DaySpec::Day(day),
        _ => DaySpec::Day(crate::span::Ident::new("", Span::default())),
    }
}

/// `09:00..13:00`
fn parse_time_range(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<TimeRange> {
    let span = ctx.span(&pair);
    let mut inner = pair.into_inner();
    let start = parse_time_of_day(ctx, &inner.next()?);
    let end = parse_time_of_day(ctx, &inner.next()?);
    Some(TimeRange { start: start?, end: end?, span })
}

/// `const NAME [: TYPE] = EXPR`
fn parse_const_decl(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<ConstDecl> {
    let span = ctx.span(&pair);
    let mut name = None;
    let mut ty = None;
    let mut value = None;
    for part in children(pair) {
        match part.as_rule() {
            Rule::ident => name = Some(ctx.ident(&part)),
            Rule::type_expr => ty = Some(parse_type_expr(ctx, part)?),
            _ => value = Some(parse_expr(ctx, part)?),
        }
    }
    Some(ConstDecl { name: name?, ty, value: value?, doc: ctx.doc(span), span })
}

// ---------------------------------------------------------------------------------------------
// §3.4 pipeline, §3.6 process

/// `pipeline NAME for KIND { STAGE… }`
fn parse_pipeline_decl(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<PipelineDecl> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let header = inner.next()?;
    let header_span = ctx.span(&header);
    let mut names = children(header);
    let name = ctx.ident(&names.next()?);
    let kind = ctx.ident(&names.next()?);
    let mut stages = Vec::new();
    for line in children(inner.next()?) {
        if line.as_rule() == Rule::bad_line {
            let s = line.as_span();
            explain(ctx, Rule::stage_check, ctx.base + s.start(), ctx.base + s.end());
        } else if let Some(stage) = parse_stage(ctx, line) {
            stages.push(stage);
        }
    }
    Some(PipelineDecl { name, kind, stages, doc: ctx.doc(span), header_span, span })
}

/// `process NAME for KIND [START, …] { … }`
fn parse_process_decl(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<ProcessDecl> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let header = inner.next()?;
    let header_span = ctx.span(&header);
    let body = parse_block(ctx, inner.next()?);
    let mut parts = children(header);
    let name = ctx.ident(&parts.next()?);
    let kind = ctx.ident(&parts.next()?);
    let starts = parts.map(|mode| parse_start_mode(ctx, mode)).collect();
    Some(ProcessDecl { name, kind, starts, body, doc: ctx.doc(span), header_span, span })
}

/// `on create`, `on stage S`, `on change`, `manual`
fn parse_start_mode(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> StartMode {
    let span = ctx.span(&pair);
    match pair.as_rule() {
        Rule::start_on_stage => match children(pair).next() {
            Some(stage) => StartMode::OnStage(parse_stage_ref(ctx, stage), span),
            None => StartMode::Manual(span),
        },
        Rule::start_on_create => StartMode::OnCreate(span),
        Rule::start_on_change => StartMode::OnChange(span),
        _ => StartMode::Manual(span),
    }
}

// ---------------------------------------------------------------------------------------------
// §3.7 stdlib declarations

/// `action WORDS… [{ params }] [-> Type] [in rule, process]`
fn parse_action_decl(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<ActionDecl> {
    let span = ctx.span(&pair);
    let mut action = ActionDecl {
        signature: Vec::new(),
        named: Vec::new(),
        result: None,
        contexts: Vec::new(),
        doc: ctx.doc(span),
        span,
    };
    for part in children(pair) {
        match part.as_rule() {
            Rule::signature => action.signature = parse_signature(ctx, part)?,
            Rule::param_block => {
                for param in part.into_inner() {
                    action.named.push(parse_param(ctx, param)?);
                }
            }
            Rule::result_type => {
                action.result = Some(parse_type_expr(ctx, part.into_inner().next()?)?);
            }
            Rule::contexts => action.contexts = children(part).map(|p| ctx.ident(&p)).collect(),
            _ => {}
        }
    }
    Some(action)
}

/// `event WORDS… [-> name: Type, …]`
fn parse_event_decl(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<EventDecl> {
    let span = ctx.span(&pair);
    let mut signature = Vec::new();
    let mut payload = Vec::new();
    for part in children(pair) {
        match part.as_rule() {
            Rule::signature => signature = parse_signature(ctx, part)?,
            Rule::payload => {
                for field in part.into_inner() {
                    let mut inner = children(field);
                    let name = ctx.ident(&inner.next()?);
                    payload.push((name, parse_type_expr(ctx, inner.next()?)?));
                }
            }
            _ => {}
        }
    }
    Some(EventDecl { signature, payload, doc: ctx.doc(span), span })
}

/// `record NAME { field: Type, … }`
fn parse_record_decl(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<RecordDecl> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let name = ctx.ident(&inner.next()?);
    let fields = parse_field_block(ctx, inner.next()?);
    Some(RecordDecl { name, fields, doc: ctx.doc(span), span })
}

/// `signature` / `sig_optional` contents: fixed words, holes and optional groups.
fn parse_signature(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Vec<SigPart>> {
    let mut parts = Vec::new();
    for part in pair.into_inner() {
        let span = ctx.span(&part);
        parts.push(match part.as_rule() {
            Rule::sig_word => SigPart::Word(ctx.ident(&part.into_inner().next()?)),
            Rule::sig_hole => SigPart::Hole(parse_sig_hole(ctx, part)?),
            _ => SigPart::Optional(parse_signature(ctx, part)?, span),
        });
    }
    Some(parts)
}

/// `<name: Type = default>` or `<value>`
fn parse_sig_hole(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<ParamDecl> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let name = ctx.ident(&inner.next()?);
    let mut param = ParamDecl { name, ty: None, default: None, required: false, span };
    for part in inner {
        match part.as_rule() {
            Rule::type_expr => param.ty = Some(parse_type_expr(ctx, part)?),
            _ => param.default = Some(parse_expr(ctx, part)?),
        }
    }
    Some(param)
}

/// `name: Type[!] [= default]`
fn parse_param(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<ParamDecl> {
    let span = ctx.span(&pair);
    let mut inner = children(pair);
    let name = ctx.ident(&inner.next()?);
    let ty = parse_type_expr(ctx, inner.next()?)?;
    let mut param = ParamDecl { name, ty: Some(ty), default: None, required: false, span };
    for part in inner {
        match part.as_rule() {
            Rule::required_mark => param.required = true,
            _ => param.default = Some(parse_expr(ctx, part)?),
        }
    }
    Some(param)
}
