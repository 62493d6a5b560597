//! The canonical text of the small pieces of a line: types, delays, stage references, action
//! calls and string literals. Expressions, durations and rule labels come from
//! `syntax::print`, shared with the effect log and the REPL.

use crate::ast::{
    CallPart, CallPartKind, DaySpec, DelayExpr, Expr, ExprKind, LetValue, Literal, ParamDecl,
    SigPart, StageRef, StartMode, StmtKind, Template, TemplatePart, TypeExpr, TypeExprKind,
    WorkingHours,
};
use crate::span::Span;
use crate::syntax::print;

/// Starts a line of a `"""` string that must not be re-indented (see `triple_text`).
pub(crate) const VERBATIM_LINE: char = '\u{E001}';

/// Delimits the placeholder of a `"""` string while `syntax::print` prints the rest.
const PLACEHOLDER: char = '\u{E000}';

/// An expression as `bp fmt` prints it (parentheses only where precedence needs them).
/// `syntax::print` writes every text on one line; a `"""` text keeps its form here: each one
/// is swapped for a placeholder string, the expression is printed, then the placeholder is
/// replaced by `triple_text`.
pub(crate) fn expr(expr: &Expr) -> String {
    let mut triples = Vec::new();
    let replaced = replace_triples(expr, &mut triples);
    let mut text = print::expr(&replaced);
    for (index, template) in triples.iter().enumerate() {
        let placeholder = format!("\"{PLACEHOLDER}{index}{PLACEHOLDER}\"");
        text = text.replacen(&placeholder, &triple_text(template), 1);
    }
    text
}

/// A copy of `expr` where every `"""` text outside interpolations is a placeholder string
/// naming its index in `triples`.
fn replace_triples(expr: &Expr, triples: &mut Vec<Template>) -> Expr {
    let kind = match &expr.kind {
        ExprKind::Text(template) if template.triple => {
            let placeholder = format!("{PLACEHOLDER}{}{PLACEHOLDER}", triples.len());
            triples.push(template.clone());
            let parts = vec![TemplatePart::Text(placeholder)];
            ExprKind::Text(Template { parts, triple: false })
        }
        ExprKind::Field(base, field) => {
            ExprKind::Field(Box::new(replace_triples(base, triples)), field.clone())
        }
        ExprKind::List(items) => {
            ExprKind::List(items.iter().map(|item| replace_triples(item, triples)).collect())
        }
        ExprKind::Unary(op, operand) => {
            ExprKind::Unary(*op, Box::new(replace_triples(operand, triples)))
        }
        ExprKind::Binary(op, lhs, rhs) => ExprKind::Binary(
            *op,
            Box::new(replace_triples(lhs, triples)),
            Box::new(replace_triples(rhs, triples)),
        ),
        other => other.clone(),
    };
    Expr { kind, span: expr.span }
}

/// A `"""` text (SPEC §2). Its value's lines go on lines of their own after the opening
/// quotes. When the value ends with a newline, the closing quotes go on a line of their own and
/// the printer indents every line one level deeper than the line that opens the string (the
/// closing line's indentation is removed from every line when it is read, so the value stays
/// the same). Otherwise the closing quotes end the last line and no line may be re-indented:
/// those lines start with `VERBATIM_LINE`, which the printer removes.
pub(crate) fn triple_text(template: &Template) -> String {
    let mut lines: Vec<Vec<TemplatePart>> = vec![Vec::new()];
    for part in &template.parts {
        match part {
            TemplatePart::Text(text) => {
                for (index, piece) in text.split('\n').enumerate() {
                    if index > 0 {
                        lines.push(Vec::new());
                    }
                    if !piece.is_empty() {
                        if let Some(line) = lines.last_mut() {
                            line.push(TemplatePart::Text(piece.to_string()));
                        }
                    }
                }
            }
            TemplatePart::Expr(inner) => {
                if let Some(line) = lines.last_mut() {
                    line.push(TemplatePart::Expr(inner.clone()));
                }
            }
        }
    }
    let rendered: Vec<String> = lines.into_iter().map(line_content).collect();
    if rendered.len() == 1 {
        return format!("\"\"\"{}\"\"\"", rendered[0]);
    }
    let ends_with_newline = rendered.last().is_some_and(String::is_empty);
    let mut out = String::from("\"\"\"");
    if ends_with_newline {
        for line in &rendered[..rendered.len() - 1] {
            out.push('\n');
            out.push_str(line);
        }
        out.push_str("\n\"\"\"");
    } else {
        for line in &rendered {
            out.push('\n');
            out.push(VERBATIM_LINE);
            out.push_str(line);
        }
        out.push_str("\"\"\"");
    }
    out
}

/// One line of a `"""` text, escaped as in a `"` string, except that a `"` needs no `\` when
/// the line has no `""` and does not start or end with `"` (so it cannot touch the quotes
/// that open or close the string).
fn line_content(parts: Vec<TemplatePart>) -> String {
    let quoted = print::template(&Template { parts, triple: false });
    let escaped = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or("");
    let mut plain = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            plain.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => plain.push('"'),
            next => {
                plain.push('\\');
                plain.extend(next);
            }
        }
    }
    let safe = !plain.contains("\"\"") && !plain.starts_with('"') && !plain.ends_with('"');
    if safe {
        plain
    } else {
        escaped.to_string()
    }
}

/// A one-line string literal with the value `text`, escaped as the lexer reads it back.
pub(crate) fn string_literal(text: &str) -> String {
    let template = Template { parts: vec![TemplatePart::Text(text.to_string())], triple: false };
    print::expr(&Expr { kind: ExprKind::Text(template), span: Span::default() })
}

/// `Text`, `Money?`, `Enum(a, b)`, `List(User)`, `Task.status`, `info | call | email`.
pub(crate) fn type_expr(ty: &TypeExpr) -> String {
    let mut text = match &ty.kind {
        TypeExprKind::Named(name) => name.text.clone(),
        TypeExprKind::Enum(members) => format!("Enum({})", join(members.iter().map(|m| &m.text))),
        TypeExprKind::List(element) => format!("List({})", type_expr(element)),
        TypeExprKind::FieldOf(entity, field) => format!("{entity}.{field}"),
        TypeExprKind::Alternatives(alternatives) => {
            alternatives.iter().map(type_expr).collect::<Vec<_>>().join(" | ")
        }
    };
    // Each alternative carries its own `?`; the list as a whole has none of its own.
    if ty.optional && !matches!(ty.kind, TypeExprKind::Alternatives(_)) {
        text.push('?');
    }
    text
}

/// `2 days`, or the name of a Duration constant.
pub(crate) fn delay(delay: &DelayExpr) -> String {
    match delay {
        DelayExpr::Literal(duration, _) => print::duration(duration),
        DelayExpr::Const(name) => name.text.clone(),
    }
}

/// ` in working hours [of CAL]` (with its leading space), or nothing.
pub(crate) fn working_hours(working_hours: &Option<WorkingHours>) -> String {
    match working_hours {
        None => String::new(),
        Some(WorkingHours { calendar: None, .. }) => " in working hours".to_string(),
        Some(WorkingHours { calendar: Some(calendar), .. }) => {
            format!(" in working hours of {calendar}")
        }
    }
}

/// `won` or `sales.won`.
pub(crate) fn stage_ref(stage: &StageRef) -> String {
    match &stage.pipeline {
        Some(pipeline) => format!("{pipeline}.{}", stage.stage),
        None => stage.stage.text.clone(),
    }
}

/// `on create`, `on stage won`, `on change`, `manual`.
pub(crate) fn start_mode(start: &StartMode) -> String {
    match start {
        StartMode::OnCreate(_) => "on create".to_string(),
        StartMode::OnStage(stage, _) => format!("on stage {}", stage_ref(stage)),
        StartMode::OnChange(_) => "on change".to_string(),
        StartMode::Manual(_) => "manual".to_string(),
    }
}

/// The one-line text of a statement without a block or a call: `let x = EXPR`, `set`,
/// `wait …`, `move …`, `stop`; `None` for the others.
pub(crate) fn simple_statement(kind: &StmtKind) -> Option<String> {
    let text = match kind {
        StmtKind::Let { name, value: LetValue::Expr(value) } => {
            format!("let {name} = {}", expr(value))
        }
        StmtKind::Set { target, value } => format!("set {} = {}", expr(target), expr(value)),
        StmtKind::WaitDelay { delay: wait, working_hours: hours } => {
            format!("wait {}{}", delay(wait), working_hours(hours))
        }
        StmtKind::WaitStage { stages } => {
            let stages: Vec<String> = stages.iter().map(stage_ref).collect();
            format!("wait until stage {}", stages.join(", "))
        }
        StmtKind::WaitUntil { moment } => format!("wait until {}", expr(moment)),
        StmtKind::MoveStage { stage } => format!("move to stage {}", stage_ref(stage)),
        StmtKind::MovePipeline { pipeline, stage: Some(stage) } => {
            format!("move to pipeline {pipeline} stage {}", stage_ref(stage))
        }
        StmtKind::MovePipeline { pipeline, stage: None } => format!("move to pipeline {pipeline}"),
        StmtKind::Stop => "stop".to_string(),
        _ => return None,
    };
    Some(text)
}

/// `mon` or `mon..fri`.
pub(crate) fn day_spec(day: &DaySpec) -> String {
    match day {
        DaySpec::Day(day) => day.text.clone(),
        DaySpec::Range(from, to) => format!("{from}..{to}"),
    }
}

/// The parts of an action call or an event pattern, without its named arguments:
/// `create task "Call {{deal.title}}"`, `complete tasks from stage a, b`.
pub(crate) fn call_parts(parts: &[CallPart]) -> String {
    parts.iter().map(call_part).collect::<Vec<_>>().join(" ")
}

fn call_part(part: &CallPart) -> String {
    match &part.kind {
        CallPartKind::Word(word) => word.text.clone(),
        CallPartKind::Value(value) if is_bare_part(value) => expr(value),
        // SPEC §5: operators are not parts, so anything else was written in `( … )`.
        CallPartKind::Value(value) => format!("({})", expr(value)),
        CallPartKind::Run(parts) => parts.iter().map(call_part).collect::<Vec<_>>().join(", "),
        CallPartKind::Where(condition) => format!("where {}", expr(condition)),
    }
}

/// Whether a value reads back as the same part without parentheses: a literal, `now`, a list,
/// or a path rooted at a name or a user (`deal.contact.name`, `@alice.name`). A bare name
/// would read back as a word.
fn is_bare_part(value: &Expr) -> bool {
    match &value.kind {
        ExprKind::Literal(_) | ExprKind::Text(_) | ExprKind::Now | ExprKind::List(_) => true,
        ExprKind::Field(base, _) => is_path_root(base),
        _ => false,
    }
}

fn is_path_root(base: &Expr) -> bool {
    match &base.kind {
        ExprKind::Name(_) | ExprKind::Literal(Literal::User(_)) => true,
        ExprKind::Field(inner, _) => is_path_root(inner),
        _ => false,
    }
}

/// A fixed word, a `<hole>` or an `[optional group]` of an action or event signature.
pub(crate) fn signature(parts: &[SigPart]) -> String {
    parts.iter().map(sig_part).collect::<Vec<_>>().join(" ")
}

fn sig_part(part: &SigPart) -> String {
    match part {
        SigPart::Word(word) => word.text.clone(),
        SigPart::Hole(param) => format!("<{}>", param_decl(param)),
        SigPart::Optional(parts, _) => format!("[{}]", signature(parts)),
    }
}

/// `name: Type! = default` (a hole may be untyped: `value`).
pub(crate) fn param_decl(param: &ParamDecl) -> String {
    let mut text = param.name.text.clone();
    if let Some(ty) = &param.ty {
        text.push_str(": ");
        text.push_str(&type_expr(ty));
    }
    if param.required {
        text.push('!');
    }
    if let Some(default) = &param.default {
        text.push_str(" = ");
        text.push_str(&expr(default));
    }
    text
}

fn join<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(String::as_str).collect::<Vec<_>>().join(", ")
}
