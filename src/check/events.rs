//! Trigger events (SPEC §7): the words after `when` are matched against `stdlib/events.bp`
//! the way an action call is matched against `stdlib/actions.bp` (an unknown event is E0102).
//! `field changed PATH` watches a field of the item itself; `stage` and `pipeline` cannot be
//! watched (E0104): a stage change is an entry, not a field change.

use indexmap::IndexMap;

use crate::ast;
use crate::diag::{Code, Diagnostic};
use crate::model::{Arg, EventId};
use crate::span::Ident;

use super::actions::{match_signature, unknown_call, CallInfo};
use super::context::Ctx;

/// Fields whose changes are stage entries, not `field changed` events (SPEC §7, §14).
const NOT_WATCHABLE: &[&str] = &["stage", "pipeline"];

impl<'a> Ctx<'a> {
    /// The event of a trigger and its arguments by parameter name; `None` after a diagnostic.
    pub(crate) fn trigger_event(
        &mut self,
        call: &ast::Call,
    ) -> Option<(EventId, IndexMap<String, Arg>)> {
        let words: Vec<&Ident> = call.leading_words().collect();
        let index = self.env.index;
        let id = words.first().and_then(|first| {
            let candidates = index.events_by_first.get(&first.text)?;
            candidates
                .iter()
                .filter(|id| {
                    let declared = &index.event_words[id.index()];
                    declared.len() <= words.len()
                        && declared.iter().zip(&words).all(|(a, c)| *a == c.text)
                })
                .max_by_key(|id| index.event_words[id.index()].len())
                .copied()
        });
        let Some(id) = id else {
            let diagnostic = unknown_call("event", &words, &index.event_words, call.span);
            self.push(diagnostic);
            return None;
        };
        let event = self.model().event(id);
        let leading = index.event_words[id.index()].len();
        if let Some(named) = &call.named {
            self.push(Diagnostic::new(
                Code::E0102,
                format!("`{}` takes no named arguments", event.words),
                named.span,
                "not part of an event",
            ));
            return None;
        }
        let matched = match_signature(&event.signature[leading..], &call.parts[leading..]);
        let mut info = CallInfo::default();
        let mut args = IndexMap::new();
        for (param, part) in &matched.holes {
            let arg = self.hole_argument(param, part, &mut info, &event.words)?;
            if let Arg::FieldPath(path) = &arg {
                if !self.field_is_watchable(path, part.span, &event.words) {
                    return None;
                }
            }
            args.insert(param.name.clone(), arg);
        }
        if let Some(failure) = matched.failure {
            let diagnostic = self.failure_diagnostic(failure, call, &event.words, &event.signature);
            self.push(diagnostic);
            return None;
        }
        Some((id, args))
    }

    /// `field changed` watches a field of the item itself, other than `stage` and `pipeline`.
    fn field_is_watchable(
        &mut self,
        path: &[String],
        span: crate::span::Span,
        words: &str,
    ) -> bool {
        if let [field] = path {
            if !NOT_WATCHABLE.contains(&field.as_str()) {
                return true;
            }
            self.push(
                Diagnostic::new(
                    Code::E0104,
                    format!("`{words}` cannot watch `{field}`"),
                    span,
                    format!("`{field}` changes by a move, not an edit"),
                )
                .with_note(
                    "a trigger moves the item; a stage change is watched by `on enter` rules",
                )
                .with_help("put the automation in the `on enter` rules of the stages"),
            );
            return false;
        }
        self.push(
            Diagnostic::new(
                Code::E0104,
                format!("`{words}` watches a field of the item itself"),
                span,
                "a field of a related entity",
            )
            .with_help("watch a field of the item, such as `deal.amount`"),
        );
        false
    }
}
