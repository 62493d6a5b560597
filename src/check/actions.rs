//! Action calls, read exactly as SPEC §5 "How a call is read" says:
//!
//! 1. the candidates are the declarations whose leading fixed words all equal the call's first
//!    bare words; the one with the most words wins (no candidate: E0102 naming the closest);
//! 2. the rest is matched left to right (`match_signature`): a fixed word must equal a bare
//!    word, an optional group is taken iff its first word is the next part, a hole takes the
//!    next part or run;
//! 3. each hole's part is then resolved (`hole_argument`): a bare word is a keyword of the
//!    hole, else a stage, pipeline or enum member when the hole has that type, else a name in
//!    scope;
//! 4. only the first failure is reported: a part that does not fit (E0104), a missing hole
//!    (E0103), parts left over (E0102), then the named arguments (`arguments.rs`).
//!
//! Trigger events (`events.rs`) use the same matcher against `stdlib/events.bp`.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::ast::{self, CallPart, CallPartKind};
use crate::diag::{suggest, Code, Diagnostic};
use crate::model::{self, ActionId, Arg, EntityId, Param, ParamType, PipelineId, SigPart};
use crate::span::{Ident, Span};
use crate::types::Type;

use super::context::Ctx;
use super::placement;
use super::signatures::holes;

/// What a call learnt from its own arguments, for resolving the others.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallInfo {
    /// The entity kind given to a `Kind` hole (`create deal`, `find contact`).
    pub kind: Option<EntityId>,
    /// The type of the field a `FieldPath` hole named (`field changed deal.amount to 0`).
    pub field_type: Option<Type>,
}

/// The result of matching a call's parts against a signature: each hole with its part, and
/// the structural failure that stopped the matching, if any.
pub(crate) struct Matched<'c, 'm> {
    pub holes: Vec<(&'m Param, &'c CallPart)>,
    pub failure: Option<Failure<'m>>,
}

/// Why the parts do not follow the signature.
pub(crate) enum Failure<'m> {
    /// Parts used up while a required hole is empty (E0103).
    Missing(&'m Param),
    /// A fixed word is missing (E0103) or another part stands in its place (E0104).
    Word(&'m str, Option<Span>),
    /// A run of values where one value is expected (E0104).
    Run(&'m Param, Span),
    /// A `where` condition where a value is expected, or the reverse (E0104).
    Condition(&'m Param, Span),
    /// Parts left over (E0102).
    Leftover(Span),
}

fn is_word(part: &CallPart, word: &str) -> bool {
    matches!(&part.kind, CallPartKind::Word(w) if w.text == word)
}

/// Step 2: matches `parts` (after the leading words) against `signature` (after its leading
/// words), left to right.
pub(crate) fn match_signature<'c, 'm>(
    signature: &'m [SigPart],
    parts: &'c [CallPart],
) -> Matched<'c, 'm> {
    let mut matched = Matched { holes: Vec::new(), failure: None };
    let mut position = 0;
    match match_parts(signature, parts, &mut position, &mut matched.holes) {
        Err(failure) => matched.failure = Some(failure),
        Ok(()) if position < parts.len() => {
            let span = parts[position].span.to(parts[parts.len() - 1].span);
            matched.failure = Some(Failure::Leftover(span));
        }
        Ok(()) => {}
    }
    matched
}

fn match_parts<'c, 'm>(
    signature: &'m [SigPart],
    parts: &'c [CallPart],
    position: &mut usize,
    holes: &mut Vec<(&'m Param, &'c CallPart)>,
) -> Result<(), Failure<'m>> {
    for element in signature {
        let next = parts.get(*position);
        match element {
            SigPart::Word(word) => match next {
                Some(part) if is_word(part, word) => *position += 1,
                other => return Err(Failure::Word(word, other.map(|p| p.span))),
            },
            SigPart::Optional(group) => {
                if group_is_taken(group, next) {
                    match_parts(group, parts, position, holes)?;
                }
            }
            SigPart::Hole(param) => {
                let Some(part) = next else {
                    return Err(Failure::Missing(param));
                };
                let is_condition = matches!(param.ty, ParamType::Condition);
                match &part.kind {
                    CallPartKind::Run(_) if !takes_list(param) => {
                        return Err(Failure::Run(param, part.span))
                    }
                    CallPartKind::Where(_) if !is_condition => {
                        return Err(Failure::Condition(param, part.span))
                    }
                    kind if is_condition && !matches!(kind, CallPartKind::Where(_)) => {
                        return Err(Failure::Condition(param, part.span))
                    }
                    _ => {}
                }
                holes.push((param, part));
                *position += 1;
            }
        }
    }
    Ok(())
}

/// An optional group is taken iff its first fixed word is the next part; a group that starts
/// with a hole is taken when a part is left for it.
fn group_is_taken(group: &[SigPart], next: Option<&CallPart>) -> bool {
    let Some(next) = next else {
        return false;
    };
    match group.first() {
        Some(SigPart::Word(word)) => is_word(next, word),
        Some(SigPart::Hole(param)) => {
            matches!(param.ty, ParamType::Condition) == matches!(next.kind, CallPartKind::Where(_))
        }
        _ => false,
    }
}

fn takes_list(param: &Param) -> bool {
    match &param.ty {
        ParamType::Value(ty) => matches!(ty.base(), Type::List(_)),
        ParamType::KeywordList(_) => true,
        _ => false,
    }
}

/// A signature as a usage line: `notify <to: User> <text: Text>`.
pub(crate) fn usage(model: &model::Model, signature: &[SigPart]) -> String {
    let mut out = Vec::new();
    for element in signature {
        out.push(match element {
            SigPart::Word(word) => word.clone(),
            SigPart::Hole(param) => {
                format!("<{}{}>", param.name, param_type_text(model, &param.ty))
            }
            SigPart::Optional(group) => format!("[{}]", usage(model, group)),
        });
    }
    out.join(" ")
}

/// `: Type` as written in stdlib (empty for an untyped hole).
pub(crate) fn param_type_text(model: &model::Model, ty: &ParamType) -> String {
    let text = match ty {
        // `Item` is written as in stdlib (its `Display` is the word used in messages).
        ParamType::Value(Type::Item) => "Item".into(),
        ParamType::Value(ty) => model.type_name(ty),
        ParamType::Keywords(words, ty) => {
            let mut all = words.clone();
            all.extend(ty.iter().map(|t| model.type_name(t)));
            all.join(" | ")
        }
        ParamType::KeywordList(words) => format!("List({})", words.join(" | ")),
        ParamType::Any => return String::new(),
        ParamType::Kind => "Kind".into(),
        ParamType::KindFields => "KindFields".into(),
        ParamType::Condition => "Condition".into(),
        ParamType::Name => "Name".into(),
        ParamType::AnyRecord => "Record".into(),
    };
    format!(": {text}")
}

impl<'a> Ctx<'a> {
    /// Checks an action call; `None` when it failed (its one diagnostic is reported). The type
    /// is the action's result, if it has one.
    pub(crate) fn call(&mut self, call: &ast::Call) -> Option<(model::Call, Option<Type>)> {
        let id = self.select_action(call)?;
        let model = self.model();
        let action = model.action(id);
        let leading = self.env.index.action_words[id.index()].len();
        let words_span = call.parts[0].span.to(call.parts[leading - 1].span);
        if !placement::action_allowed_here(self, action, words_span) {
            return None;
        }
        let matched = match_signature(&action.signature[leading..], &call.parts[leading..]);
        let saved = (self.stage_kind_hint, self.stage_pipeline_hint);
        let result = self.bind_call(id, call, matched);
        (self.stage_kind_hint, self.stage_pipeline_hint) = saved;
        let (args, info) = result?;
        let result = match (&action.result, info.kind) {
            (Some(ty), Some(kind)) if action.result_is_kind => Some(if ty.is_optional() {
                Type::Entity(kind).optional()
            } else {
                Type::Entity(kind)
            }),
            (Some(_), None) if action.result_is_kind => Some(Type::Error),
            (result, _) => result.clone(),
        };
        Some((model::Call { action: id, args, span: call.span }, result))
    }

    /// Resolves the holes, then the named arguments; fills defaults; orders the arguments as
    /// declared.
    fn bind_call(
        &mut self,
        id: ActionId,
        call: &ast::Call,
        matched: Matched,
    ) -> Option<(IndexMap<String, Arg>, CallInfo)> {
        let action = self.model().action(id);
        let mut info = CallInfo::default();
        self.prepare_hints(&matched, call.named.as_ref(), action, &mut info);
        let mut given: HashMap<String, Arg> = HashMap::new();
        for (param, part) in &matched.holes {
            let arg = self.hole_argument(param, part, &mut info, &action.words)?;
            given.insert(param.name.clone(), arg);
        }
        if let Some(failure) = matched.failure {
            let diagnostic =
                self.failure_diagnostic(failure, call, &action.words, &action.signature);
            self.push(diagnostic);
            return None;
        }
        self.named_arguments(action, call, &info, &mut given)?;
        let mut args = IndexMap::new();
        for param in holes(&action.signature).chain(action.named.values()) {
            if let Some(arg) = given.remove(&param.name) {
                args.insert(param.name.clone(), arg);
            } else if let Some(default) = &param.default {
                args.insert(param.name.clone(), default.clone());
            }
        }
        Some((args, info))
    }

    /// Before resolving in order, looks ahead for the kind (`create deal`) and a pipeline the
    /// call names (`… in pipeline b2b`, `{ pipeline: b2b }`): stages are looked up there.
    fn prepare_hints(
        &mut self,
        matched: &Matched,
        named: Option<&ast::NamedArgs>,
        action: &model::ActionDef,
        info: &mut CallInfo,
    ) {
        for (param, part) in &matched.holes {
            if let CallPartKind::Word(word) = &part.kind {
                match &param.ty {
                    ParamType::Kind => {
                        info.kind = self.env.index.item_names.get(&word.text).copied()
                    }
                    ParamType::Value(Type::Pipeline) => {
                        self.stage_pipeline_hint = self.pipeline_named(&word.text)
                    }
                    _ => {}
                }
            }
        }
        if let Some(kind) = info.kind {
            self.stage_kind_hint = Some(kind);
        }
        for entry in named.map(|n| n.entries.as_slice()).unwrap_or_default() {
            let is_pipeline = action.named.get(&entry.name.text).is_some_and(
                |p| matches!(&p.ty, ParamType::Value(t) if t.base() == &Type::Pipeline),
            );
            if let (true, ast::ArgValue::Expr(expr)) = (is_pipeline, &entry.value) {
                if let ast::ExprKind::Name(name) = &expr.kind {
                    self.stage_pipeline_hint = self.pipeline_named(&name.text);
                }
            }
        }
    }

    fn pipeline_named(&self, name: &str) -> Option<PipelineId> {
        self.model().pipelines.get_index_of(name).map(|i| PipelineId(i as u32))
    }

    /// Step 1: the declaration with the most leading words that all match (E0102 if none).
    fn select_action(&mut self, call: &ast::Call) -> Option<ActionId> {
        let words: Vec<&Ident> = call.leading_words().collect();
        let index = self.env.index;
        let best = words.first().and_then(|first| {
            index.actions_by_first.get(&first.text).and_then(|candidates| {
                candidates
                    .iter()
                    .filter(|id| prefix_matches(&index.action_words[id.index()], &words))
                    .max_by_key(|id| index.action_words[id.index()].len())
                    .copied()
            })
        });
        if best.is_none() {
            let diagnostic = unknown_call("action", &words, &index.action_words, call.span);
            self.push(diagnostic);
        }
        best
    }

    /// Step 3: the argument of one hole.
    pub(crate) fn hole_argument(
        &mut self,
        param: &Param,
        part: &CallPart,
        info: &mut CallInfo,
        words: &str,
    ) -> Option<Arg> {
        let before = self.error_count();
        let arg = self.hole_argument_unchecked(param, part, info, words);
        if self.error_count() > before {
            return None;
        }
        arg
    }

    fn hole_argument_unchecked(
        &mut self,
        param: &Param,
        part: &CallPart,
        info: &mut CallInfo,
        words: &str,
    ) -> Option<Arg> {
        let what = format!("`{}`", param.name);
        match (&param.ty, &part.kind) {
            (ParamType::Kind, CallPartKind::Word(word)) => self.kind_argument(word, info),
            (ParamType::Kind, _) => {
                self.push(not_a_kind(part.span, words));
                None
            }
            (ParamType::Condition, CallPartKind::Where(condition)) => {
                let it = info.kind.map_or(Type::Error, Type::Entity);
                let mark = self.scope.mark();
                self.scope.bind("it", it, None);
                let condition = self.condition(condition);
                self.scope.restore(mark);
                Some(Arg::Condition(condition))
            }
            (ParamType::Name, CallPartKind::Word(word)) => {
                let text = model::ExprKind::Literal(model::Literal::Text(word.text.clone()));
                Some(Arg::Expr(Ctx::typed(text, Type::Text, word.span)))
            }
            (ParamType::Keywords(keywords, _), CallPartKind::Word(word))
                if keywords.contains(&word.text) =>
            {
                Some(Arg::Keyword(word.text.clone()))
            }
            (ParamType::Keywords(keywords, None), _) => {
                self.push(not_a_keyword(part, keywords, &what));
                None
            }
            (ParamType::KeywordList(keywords), _) => self.keyword_list(part, keywords, &what),
            (ParamType::Value(Type::FieldPath), _) => {
                let (path, ty) = self.field_path(part, &what)?;
                info.field_type = Some(ty);
                Some(Arg::FieldPath(path))
            }
            (ParamType::Keywords(_, Some(ty)) | ParamType::Value(ty), _) => {
                let ty = self.kind_item_type(ty, info);
                self.value_argument(part, &ty, &what).map(Arg::Expr)
            }
            (ParamType::Name, _) => self.value_argument(part, &Type::Text, &what).map(Arg::Expr),
            (ParamType::Any, _) => {
                let ty = info.field_type.clone().unwrap_or(Type::Error);
                self.value_argument(part, &ty, &what).map(Arg::Expr)
            }
            (ParamType::Condition | ParamType::KindFields | ParamType::AnyRecord, _) => {
                self.push(Diagnostic::new(
                    Code::E0104,
                    format!("{what} cannot be given here"),
                    part.span,
                    "does not fit this hole",
                ));
                None
            }
        }
    }

    /// An `Item` parameter of an action with a `Kind` is an entity of that kind.
    pub(crate) fn kind_item_type(&self, ty: &Type, info: &CallInfo) -> Type {
        match (ty, info.kind) {
            (Type::Item, Some(kind)) => Type::Entity(kind),
            (Type::Optional(inner), Some(kind)) if **inner == Type::Item => {
                Type::Entity(kind).optional()
            }
            _ => ty.clone(),
        }
    }

    fn kind_argument(&mut self, word: &Ident, info: &mut CallInfo) -> Option<Arg> {
        let index = self.env.index;
        match index.item_names.get(&word.text) {
            Some(id) if Some(*id) != index.user_entity => {
                info.kind = Some(*id);
                Some(Arg::Kind(*id))
            }
            Some(_) => {
                self.push(
                    Diagnostic::new(
                        Code::E0104,
                        "users are not created or deleted by rules",
                        word.span,
                        "`user` is not an entity kind",
                    )
                    .with_note("users belong to the CRM state (`user` scenario command)"),
                );
                None
            }
            None => {
                let kinds = index.item_names.keys().map(String::as_str);
                self.push(
                    Diagnostic::new(
                        Code::E0101,
                        format!("unknown entity kind `{}`", word.text),
                        word.span,
                        "not an entity kind",
                    )
                    .with_help_opt(suggest::did_you_mean(&word.text, kinds)),
                );
                None
            }
        }
    }

    fn keyword_list(&mut self, part: &CallPart, keywords: &[String], what: &str) -> Option<Arg> {
        let parts = match &part.kind {
            CallPartKind::Run(items) => items.as_slice(),
            _ => std::slice::from_ref(part),
        };
        let mut chosen = Vec::with_capacity(parts.len());
        for item in parts {
            match &item.kind {
                CallPartKind::Word(word) if keywords.contains(&word.text) => {
                    chosen.push(word.text.clone())
                }
                _ => {
                    self.push(not_a_keyword(item, keywords, what));
                    return None;
                }
            }
        }
        Some(Arg::Keywords(chosen))
    }

    /// A value for a hole of type `ty`: a bare word, a value part or a run (a list).
    pub(crate) fn value_argument(
        &mut self,
        part: &CallPart,
        ty: &Type,
        what: &str,
    ) -> Option<model::Expr> {
        let element = match ty.base() {
            Type::List(element) => Some((**element).clone()),
            _ => None,
        };
        let value = match &part.kind {
            CallPartKind::Run(items) => {
                let element = element.unwrap_or(Type::Error);
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.value_argument(item, &element, what)?);
                }
                let list = model::ExprKind::List(values);
                return Some(Ctx::typed(list, Type::List(Box::new(element)), part.span));
            }
            CallPartKind::Word(word) => self.bare_word_value(word, ty),
            CallPartKind::Value(expr) => self.expr(expr, Some(ty)),
            CallPartKind::Where(_) => Ctx::error_expr(part.span),
        };
        // A single value fills a List hole as a list of one.
        let value = match &element {
            Some(element)
                if !matches!(value.ty.base(), Type::List(_) | Type::EmptyList | Type::Error)
                    && super::types::fits(&value.ty, element) =>
            {
                let span = value.span;
                Ctx::typed(
                    model::ExprKind::List(vec![value]),
                    Type::List(Box::new(element.clone())),
                    span,
                )
            }
            _ => value,
        };
        let mut value = value;
        self.check_fits(&mut value, ty, what).then_some(value)
    }

    /// SPEC §5 step 3 for a bare word: a stage, pipeline or enum member by the hole's type,
    /// then a name in scope.
    fn bare_word_value(&mut self, word: &Ident, ty: &Type) -> model::Expr {
        let wanted = match ty.base() {
            Type::List(element) => element.base().clone(),
            other => other.clone(),
        };
        let literal = match &wanted {
            Type::Stage => return self.bare_stage(word),
            Type::Pipeline => self.pipeline_named(&word.text).map(model::Literal::Pipeline),
            Type::Enum(members) if members.contains(&word.text) => {
                Some(model::Literal::Enum(word.text.clone()))
            }
            _ => None,
        };
        if let Some(literal) = literal {
            return Ctx::typed(model::ExprKind::Literal(literal), wanted, word.span);
        }
        if wanted == Type::Pipeline && !self.is_value_name(&word.text) {
            self.resolve_pipeline(word);
            return Ctx::error_expr(word.span);
        }
        let name = ast::Expr { kind: ast::ExprKind::Name(word.clone()), span: word.span };
        self.expr(&name, Some(&wanted))
    }

    /// The diagnostic of a structural failure (step 4).
    pub(crate) fn failure_diagnostic(
        &self,
        failure: Failure,
        call: &ast::Call,
        words: &str,
        signature: &[SigPart],
    ) -> Diagnostic {
        let form = format!("the form is `{}`", usage(self.model(), signature));
        let parts_span = call.parts.first().map_or(call.span, |first| {
            first.span.to(call.parts.last().map_or(first.span, |l| l.span))
        });
        match failure {
            Failure::Missing(param) => Diagnostic::new(
                Code::E0103,
                format!("missing `{}` for `{words}`", param.name),
                parts_span,
                format!("`{}` is missing", param.name),
            )
            .with_help(form),
            Failure::Word(word, None) => Diagnostic::new(
                Code::E0103,
                format!("missing `{word}` in `{words}`"),
                parts_span,
                format!("`{word}` is missing"),
            )
            .with_help(form),
            Failure::Word(word, Some(span)) => Diagnostic::new(
                Code::E0104,
                format!("expected `{word}` in `{words}`"),
                span,
                format!("`{word}` is expected here"),
            )
            .with_help(form),
            Failure::Run(param, span) => Diagnostic::new(
                Code::E0104,
                format!("a list of values does not fit `{}`", param.name),
                span,
                format!("`{}` takes one value", param.name),
            )
            .with_help(form),
            Failure::Condition(param, span) => {
                let expects_condition = matches!(param.ty, ParamType::Condition);
                Diagnostic::new(
                    Code::E0104,
                    if expects_condition {
                        format!("`{words}` expects `where CONDITION`")
                    } else {
                        format!("a `where` condition does not fit `{}`", param.name)
                    },
                    span,
                    if expects_condition { "not a `where` condition" } else { "a condition" },
                )
                .with_help(form)
            }
            Failure::Leftover(span) => Diagnostic::new(
                Code::E0102,
                format!("too many arguments for `{words}`"),
                span,
                format!("not part of `{words}`"),
            )
            .with_help(form),
        }
    }
}

/// Whether an action's fixed words all equal the call's first bare words.
fn prefix_matches(action_words: &[String], call_words: &[&Ident]) -> bool {
    action_words.len() <= call_words.len()
        && action_words.iter().zip(call_words).all(|(a, c)| *a == c.text)
}

/// E0102 for a call or event whose words no declaration starts with, naming the closest.
pub(crate) fn unknown_call(
    what: &str,
    words: &[&Ident],
    declared: &[Vec<String>],
    span: Span,
) -> Diagnostic {
    if words.is_empty() {
        return Diagnostic::new(
            Code::E0102,
            format!("an {what} starts with a word"),
            span,
            format!("not an {what}"),
        );
    }
    // The words that start some declaration, plus the first one that does not.
    let known = (1..=words.len())
        .take_while(|&k| {
            declared
                .iter()
                .any(|d| d.len() >= k && d.iter().zip(&words[..k]).all(|(a, c)| *a == c.text))
        })
        .last()
        .unwrap_or(0);
    let shown = &words[..(known + 1).min(words.len())];
    let text: Vec<&str> = shown.iter().map(|w| w.text.as_str()).collect();
    let text = text.join(" ");
    let span = shown[0].span.to(shown[shown.len() - 1].span);
    let mut best: Option<(usize, String)> = None;
    for declaration in declared {
        let n = declaration.len().min(words.len());
        let call_text: Vec<&str> = words[..n].iter().map(|w| w.text.as_str()).collect();
        let call_text = call_text.join(" ");
        let name = declaration.join(" ");
        let distance = suggest::edit_distance(&call_text, &name);
        let limit = (call_text.chars().count() / 3).max(1);
        if distance > 0 && distance <= limit && best.as_ref().is_none_or(|(d, _)| distance < *d) {
            best = Some((distance, name));
        }
    }
    Diagnostic::new(
        Code::E0102,
        format!("unknown {what} `{text}`"),
        span,
        format!("no {what} starts with these words"),
    )
    .with_help_opt(best.map(|(_, name)| format!("did you mean `{name}`?")))
}

fn not_a_kind(span: Span, words: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0104,
        format!("`{words}` expects an entity kind"),
        span,
        "not an entity kind",
    )
    .with_help("write the kind's item name, such as `deal` or `contact`")
}

fn not_a_keyword(part: &CallPart, keywords: &[String], what: &str) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        Code::E0104,
        format!("{what} expects {}", one_of(keywords)),
        part.span,
        "not one of the keywords",
    );
    if let CallPartKind::Word(word) = &part.kind {
        diagnostic = diagnostic
            .with_help_opt(suggest::did_you_mean(&word.text, keywords.iter().map(String::as_str)));
    }
    diagnostic
}

/// `` `a`, `b` or `c` ``.
pub(crate) fn one_of(words: &[String]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}
