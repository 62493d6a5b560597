//! The pest parser derived from `grammar/bp.pest`, the phrase that names every grammar rule in
//! user words ("a stage", "`{`", "a duration such as `2 days`"), and the conversion of a pest
//! failure into an E0001 "expected …, found …" diagnostic.

use pest::error::{Error, ErrorVariant, InputLocation};
use pest::Parser;
use pest_derive::Parser;

use crate::diag::{suggest, Code, Diagnostic};
use crate::span::Span;

use super::Ctx;

/// The `.bp` parser (SPEC §2–§7).
#[derive(Parser)]
#[grammar = "../grammar/bp.pest"]
pub(crate) struct BpParser;

/// Keywords and punctuation rules: they carry no AST content, builders skip them.
pub(crate) fn is_token(rule: Rule) -> bool {
    use Rule::*;
    matches!(
        rule,
        end_of_line
            | colon
            | equals
            | kw_action
            | kw_after
            | kw_allow
            | kw_as
            | kw_at
            | kw_backward
            | kw_branch
            | kw_calendar
            | kw_change
            | kw_const
            | kw_create
            | kw_each
            | kw_else
            | kw_enter
            | kw_entity
            | kw_enum
            | kw_event
            | kw_failure
            | kw_for
            | kw_holidays
            | kw_hours
            | kw_if
            | kw_in
            | kw_let
            | kw_list
            | kw_manual
            | kw_move
            | kw_moved
            | kw_of
            | kw_on
            | kw_parallel
            | kw_pipeline
            | kw_process
            | kw_record
            | kw_schema
            | kw_set
            | kw_stage
            | kw_stop
            | kw_timezone
            | kw_to
            | kw_unless
            | kw_until
            | kw_wait
            | kw_when
            | kw_where
            | kw_workdays
            | kw_working
    )
}

/// How a rule is named in "expected …" messages. Exhaustive: a new rule must get a phrase.
pub(crate) fn phrase(rule: Rule) -> &'static str {
    use Rule::*;
    match rule {
        EOI => "the end of the file",
        WHITESPACE | ws => "a space",
        colon => "`:`",
        equals => "`=`",
        raw_comment => "a comment",
        ident_char => "a letter or digit",
        kw_end => "the end of the word",
        ident | ident_body | name | sig_word | word | event_word => "a name",
        reserved => "a keyword",
        end_of_line | sep | line_end | nl | ws_nl | newline => "the end of the line",
        end_of_input => "the end of the file",
        kw_action => "`action`",
        kw_after => "`after`",
        kw_allow => "`allow`",
        kw_as => "`as`",
        kw_at => "`at`",
        kw_backward => "`backward`",
        kw_branch | branch | branch_check => "`branch`",
        kw_calendar => "`calendar`",
        kw_change => "`change`",
        kw_const => "`const`",
        kw_create => "`create`",
        kw_each => "`each`",
        kw_else | else_block | misplaced_else => "`else`",
        kw_enter => "`enter`",
        kw_entity => "`entity`",
        kw_enum | enum_type => "`Enum(…)`",
        kw_event => "`event`",
        kw_failure => "`failure`",
        kw_false => "`false`",
        kw_for => "`for`",
        kw_holidays | holidays_entry => "`holidays`",
        kw_hours => "`hours`",
        kw_if | if_cond => "`if`",
        kw_in | arg_in => "`in`",
        kw_let | let_stmt => "`let`",
        kw_list | list_type => "`List(…)`",
        kw_manual | start_manual => "`manual`",
        kw_move | move_stage_stmt | move_pipeline_stmt => "`move to`",
        kw_moved => "`moved`",
        kw_none => "`none`",
        kw_now => "`now`",
        kw_of => "`of`",
        kw_on => "`on`",
        kw_parallel | parallel_stmt => "`parallel`",
        kw_pipeline => "`pipeline`",
        kw_process => "`process`",
        kw_record => "`record`",
        kw_schema => "`schema`",
        kw_set | set_stmt => "`set`",
        kw_stage => "`stage`",
        kw_stop | stop_stmt => "`stop`",
        kw_success => "`success`",
        kw_timezone | timezone_entry => "`timezone`",
        kw_to => "`to`",
        kw_true => "`true`",
        kw_unless | unless_cond => "`unless`",
        kw_until => "`until`",
        kw_wait | wait_stage_stmt | wait_until_stmt | wait_stmt => "`wait`",
        kw_when => "`when`",
        kw_where | call_where | trigger_where => "`where`",
        kw_workdays | workdays_entry => "`workdays`",
        kw_working => "`working`",
        datetime_lit => "a date and time such as `2026-03-02 09:30`",
        date_lit | bad_date | date_start => "a date such as `2026-03-02`",
        time_of_day => "a time such as `09:30`",
        number_lit | numeric => "a number",
        duration_lit | duration_pair | delay | delay_const | bad_delay => {
            "a duration such as `2 days`"
        }
        duration_unit => "a duration unit (`minutes`, `hours`, `days`, `weeks`)",
        user_lit => "a user such as `@alice`",
        template | string | triple_string | unterminated_string | unterminated_triple => {
            "a text such as `\"…\"`"
        }
        str_text | triple_text | raw_string | raw_escape => "text",
        escape => "an escape such as `\\n`",
        interp | raw_interp => "`{{`",
        module | item | bad_item | item_check => {
            "a top-level item (`pipeline`, `process`, `schema`, `entity`, `calendar`, `const`)"
        }
        schema_decl => "`schema`",
        entity_decl => "`entity`",
        field_block | calendar_block | pipeline_block | stage_block | block | parallel_block
        | named_args | param_block | raw_group => "`{`",
        raw_inner => "text",
        field_decl | field_check => "a field such as `title: Text`",
        type_expr | type_alt | field_type | named_type => "a type such as `Text`",
        optional_mark => "`?`",
        required_mark => "`!`",
        calendar_decl => "`calendar`",
        calendar_entry | calendar_entry_check => {
            "a calendar line (`timezone`, `workdays`, `hours`, `holidays`)"
        }
        day_spec => "a weekday such as `mon`",
        hours_entry => "`hours`",
        time_range => "a time range such as `09:00..18:00`",
        const_decl => "`const`",
        pipeline_decl | pipeline_header => "`pipeline`",
        stage | stage_check => "a stage",
        outcome => "`success` or `failure`",
        stage_member | stage_member_check => {
            "a rule (`on enter`, `after`, `at`) or a trigger (`when`)"
        }
        automation_rule | rule_header => "a rule (`on enter`, `after`, `at`)",
        on_enter => "`on enter`",
        after_timing => "`after`",
        at_timing => "`at`",
        rule_modifier => "`in working hours`, `unless` or `if`",
        working_hours => "`in working hours`",
        unless_moved => "`unless moved`",
        trigger => "a trigger (`when`)",
        event_call => "an event such as `task completed`",
        event_item => "an event argument",
        trigger_as => "`as`",
        allow_backward => "`allow backward`",
        process_decl | process_header => "`process`",
        start_mode => "a start mode (`on create`, `on stage`, `on change`, `manual`)",
        start_on_create => "`on create`",
        start_on_stage => "`on stage`",
        start_on_change => "`on change`",
        stage_ref => "a stage such as `won`",
        action_decl => "`action`",
        event_decl => "`event`",
        record_decl => "`record`",
        signature => "the declaration's words",
        contexts_tail | contexts => "`in rule` or `in process`",
        context_word => "`rule` or `process`",
        sig_hole | hole_body => "a hole such as `<text: Text>`",
        hole_default => "a default value",
        sig_optional => "an optional group such as `[by <author: User>]`",
        param_sep | arg_sep => "`,`",
        param => "a parameter such as `title: Text`",
        result_type | payload => "`->`",
        payload_field => "a payload field such as `task: Task`",
        stmt | stmt_check | bad_line | stmt_keyword => "a statement",
        set_target => "a field such as `deal.title`",
        if_stmt => "`if`",
        else_if => "`else if`",
        for_stmt => "`for each`",
        call => "an action",
        call_item | call_value | part_start => "an argument",
        path => "a field path such as `deal.title`",
        named_arg => "a named argument such as `deadline: in 2 days`",
        expr | operand | primary | expr_only => "an expression",
        list_expr => "a list",
        paren_expr => "`(`",
        field_access => "`.`",
        infix_op | infix_start | op_or | op_and | op_eq | op_ne | op_le | op_ge | op_lt | op_gt
        | op_contains | op_starts_with | op_in | op_coalesce | op_add | op_sub | op_mul
        | op_div => "an operator",
        op_not => "`not`",
        op_neg => "`-`",
    }
}

/// The keywords a rule starts with, offered as "did you mean" for a misspelt first word.
fn keywords_of(rule: Rule) -> &'static [&'static str] {
    match rule {
        Rule::item_check | Rule::module => &[
            "pipeline", "process", "schema", "entity", "calendar", "const", "action", "event",
            "record",
        ],
        Rule::stage_check => &["stage"],
        Rule::stage_member_check => &["on", "after", "at", "when"],
        Rule::calendar_entry_check => &["timezone", "workdays", "hours", "holidays"],
        Rule::branch_check => &["branch"],
        _ => &[],
    }
}

/// Re-parses the swallowed text `start..end` (file offsets) alone with `check` and reports
/// what was expected there (E0001).
pub(crate) fn explain(ctx: &Ctx<'_>, check: Rule, start: usize, end: usize) {
    let span = ctx.trimmed(start, end);
    if ctx.has_too_many_errors() {
        ctx.syntax_error("unrecognised line", span, "not understood");
        return;
    }
    let region = ctx.text.get(start..end).unwrap_or("");
    match BpParser::parse(check, region) {
        Err(error) => {
            // The region is one line: its end is the end of the line.
            let mut diagnostic = pest_error(&ctx.at(start), &error, phrase(check));
            let (end_of_file, end_of_line) = (phrase(Rule::EOI), phrase(Rule::end_of_line));
            diagnostic.message = diagnostic.message.replace(end_of_file, end_of_line);
            diagnostic.primary.text = diagnostic.primary.text.replace(end_of_file, end_of_line);
            if check == Rule::stmt_check && diagnostic.help.is_none() {
                let help = statement_help(ctx, diagnostic.span());
                diagnostic = diagnostic.with_help_opt(help);
            }
            ctx.error(diagnostic)
        }
        // Valid alone but not where it stands (for example a whole item inside a block).
        Ok(_) => ctx.syntax_error(format!("expected {}", phrase(check)), span, "not allowed here"),
    }
}

/// Converts a pest failure on `ctx.text[ctx.base..]` into an E0001 diagnostic.
pub(crate) fn pest_error(ctx: &Ctx<'_>, error: &Error<Rule>, fallback: &str) -> Diagnostic {
    let at = ctx.base
        + match error.location {
            InputLocation::Pos(pos) => pos,
            InputLocation::Span((start, _)) => start,
        };
    let (found, span) = found_at(ctx, at);
    match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let expected = expected_list(positives, fallback);
            let mut diagnostic = Diagnostic::new(
                Code::E0001,
                format!("expected {expected}, found {found}"),
                span,
                label(&expected),
            );
            let mut keywords: Vec<&str> =
                positives.iter().flat_map(|rule| keywords_of(*rule).iter().copied()).collect();
            // A single expected keyword (`` `create` ``) is a candidate too.
            keywords.extend(positives.iter().filter_map(|rule| {
                let word = phrase(*rule).strip_prefix('`')?.strip_suffix('`')?;
                word.chars().all(|c| c.is_ascii_alphabetic()).then_some(word)
            }));
            let word = ctx.text.get(span.range()).unwrap_or("");
            if let Some(help) = suggest::did_you_mean(word, keywords) {
                diagnostic = diagnostic.with_help(help);
            }
            diagnostic
        }
        ErrorVariant::CustomError { .. } => {
            Diagnostic::new(Code::E0001, "nesting too deep", span, "too deeply nested to read")
        }
    }
}

fn label(expected: &str) -> String {
    if expected.len() <= 40 {
        format!("expected {expected}")
    } else {
        "unexpected here".to_string()
    }
}

/// Help for a statement that stops at an unexpected token: `x = 5` wants `set`, an operator in
/// a call wants parentheses (SPEC §5: operators are not parts of a call).
fn statement_help(ctx: &Ctx<'_>, at: Span) -> Option<String> {
    let rest = ctx.text.get(at.start as usize..).unwrap_or("");
    if rest.starts_with('=') && !rest.starts_with("==") {
        Some(
            "to change a field, write `set PATH = VALUE`; to name a value, `let NAME = VALUE`"
                .into(),
        )
    } else if rest.starts_with(['+', '-', '*', '/', '<', '>', '=', '!', '?']) {
        Some("an action call takes words and values; put an expression in `( … )`".into())
    } else {
        None
    }
}

/// "a, b or c" from the rules pest expected, each named once, operators folded together and
/// the end of the line last.
fn expected_list(positives: &[Rule], fallback: &str) -> String {
    let mut phrases: Vec<&str> = Vec::new();
    for rule in positives {
        let phrase = phrase(*rule);
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
    }
    let end_of_line = phrase(Rule::end_of_line);
    if phrases.contains(&end_of_line) {
        phrases.retain(|p| *p != phrase(Rule::EOI));
    }
    // Endings read best last.
    phrases.sort_by_key(|p| *p == end_of_line || *p == phrase(Rule::EOI));
    match phrases.as_slice() {
        [] => fallback.to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// How the text at `at` is named in "found …", and the span to underline.
fn found_at(ctx: &Ctx<'_>, at: usize) -> (String, Span) {
    let rest = ctx.text.get(at..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return ("the end of the file".to_string(), Span::new(ctx.file, at, at));
    };
    if first == '\n' || first == '\r' {
        return ("the end of the line".to_string(), Span::new(ctx.file, at, at));
    }
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    let token = &rest[..len];
    let shown: String = token.chars().take(40).collect();
    (format!("`{shown}`"), Span::new(ctx.file, at, at + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_phrase() {
        for rule in Rule::all_rules() {
            let phrase = phrase(*rule);
            assert!(!phrase.is_empty(), "rule {rule:?} has no phrase");
            assert!(!phrase.ends_with('.'), "phrase of {rule:?} ends with a period");
        }
    }

    #[test]
    fn expected_lists_read_as_english() {
        assert_eq!(expected_list(&[Rule::stage], "x"), "a stage");
        assert_eq!(
            expected_list(&[Rule::end_of_line, Rule::EOI, Rule::block], "x"),
            "`{` or the end of the line"
        );
        assert_eq!(expected_list(&[], "a statement"), "a statement");
    }
}
