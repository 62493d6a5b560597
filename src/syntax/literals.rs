//! Literals of SPEC §2 that are not text: dates, date-times, times of day (calendars only),
//! durations and the delays of `after`, `wait` and `in` named arguments. Impossible dates,
//! fractions, seconds, months and units out of order are E0001 here.

use chrono::{NaiveDate, NaiveTime};
use pest::iterators::Pair;

use crate::ast::{DelayExpr, Duration};
use crate::diag::{suggest, Code, Diagnostic};
use crate::span::Span;

use super::grammar::Rule;
use super::Ctx;

/// `2026-03-02`; an impossible date is E0001.
pub(crate) fn parse_date_lit(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) -> Option<NaiveDate> {
    let text = pair.as_str();
    let date = date_of(text);
    if date.is_none() {
        ctx.error(
            Diagnostic::new(
                Code::E0001,
                format!("impossible date `{text}`"),
                ctx.span(pair),
                "this day does not exist",
            )
            .with_help("write a real date as `YYYY-MM-DD`"),
        );
    }
    date
}

fn date_of(text: &str) -> Option<NaiveDate> {
    let year = text.get(0..4)?.parse().ok()?;
    let month = text.get(5..7)?.parse().ok()?;
    let day = text.get(8..10)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `09:30`; hours above 23 or minutes above 59 are E0001.
pub(crate) fn parse_time_of_day(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) -> Option<NaiveTime> {
    let text = pair.as_str();
    let time = time_of(text);
    if time.is_none() {
        ctx.error(impossible_time(text, ctx.span(pair)));
    }
    time
}

fn time_of(text: &str) -> Option<NaiveTime> {
    let hour = text.get(0..2)?.parse().ok()?;
    let minute = text.get(3..5)?.parse().ok()?;
    NaiveTime::from_hms_opt(hour, minute, 0)
}

fn impossible_time(text: &str, span: Span) -> Diagnostic {
    Diagnostic::new(Code::E0001, format!("impossible time `{text}`"), span, "not a time of day")
        .with_help("hours go from 00 to 23 and minutes from 00 to 59")
}

/// `2026-03-02 09:30` or `2026-03-02T09:30`.
pub(crate) fn parse_datetime_lit(
    ctx: &Ctx<'_>,
    pair: &Pair<'_, Rule>,
) -> Option<chrono::NaiveDateTime> {
    let text = pair.as_str();
    let Some(date) = date_of(text) else {
        let date_text = text.get(..10).unwrap_or(text);
        ctx.error(
            Diagnostic::new(
                Code::E0001,
                format!("impossible date `{date_text}`"),
                ctx.span(pair),
                "this day does not exist",
            )
            .with_help("write a real date as `YYYY-MM-DD`"),
        );
        return None;
    };
    let Some(time) = text.get(11..).and_then(time_of) else {
        let time_text = text.get(11..).unwrap_or("");
        ctx.error(impossible_time(time_text, ctx.span(pair)));
        return None;
    };
    Some(date.and_time(time))
}

/// Error production `bad_date`: `2026-3-2`.
pub(crate) fn parse_bad_date(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) {
    ctx.error(
        Diagnostic::new(
            Code::E0001,
            format!("malformed date `{}`", pair.as_str()),
            ctx.span(pair),
            "dates are written `YYYY-MM-DD`",
        )
        .with_help("write two digits for the month and the day, as in `2026-03-02`"),
    );
}

// ---------------------------------------------------------------------------------------------
// Durations and delays

const UNITS: [&str; 4] = ["minutes", "hours", "days", "weeks"];

/// `3 days 4 hours`: whole numbers, units strictly decreasing (SPEC §2).
pub(crate) fn parse_duration_lit(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<Duration> {
    let mut duration = Duration::default();
    let mut previous: Option<(u8, &str)> = None;
    let mut ok = true;
    for duration_pair in pair.into_inner() {
        let span = ctx.span(&duration_pair);
        let mut inner = duration_pair.into_inner();
        let (Some(number), Some(unit)) = (inner.next(), inner.next()) else { continue };
        let unit_text = unit.as_str();
        let Some(rank) = unit_rank(unit_text) else {
            ctx.error(
                Diagnostic::new(
                    Code::E0001,
                    format!("`{unit_text}` is not a duration unit"),
                    ctx.span(&unit),
                    "not a unit",
                )
                .with_help("use `minutes`, `hours`, `days` or `weeks`"),
            );
            ok = false;
            continue;
        };
        let Some(count) = whole_number(ctx, &number) else {
            ok = false;
            continue;
        };
        if let Some((last_rank, last_text)) = previous {
            if rank >= last_rank {
                ctx.error(
                    Diagnostic::new(
                        Code::E0001,
                        format!("`{unit_text}` cannot follow `{last_text}` in a duration"),
                        span,
                        "units must strictly decrease",
                    )
                    .with_help("write the larger unit first, as in `1 day 2 hours`"),
                );
                ok = false;
            }
        }
        previous = Some((rank, unit_text));
        match rank {
            3 => duration.weeks = count,
            2 => duration.days = count,
            1 => duration.hours = count,
            _ => duration.minutes = count,
        }
    }
    ok.then_some(duration)
}

/// 3 for weeks, 2 days, 1 hours, 0 minutes; `None` for seconds, months and years.
fn unit_rank(unit: &str) -> Option<u8> {
    match unit.trim_end_matches('s') {
        "week" => Some(3),
        "day" => Some(2),
        "hour" => Some(1),
        "minute" => Some(0),
        _ => None,
    }
}

const MAX_DURATION_COUNT: i64 = 1_000_000_000;

fn whole_number(ctx: &Ctx<'_>, number: &Pair<'_, Rule>) -> Option<i64> {
    let text = number.as_str();
    if text.contains('.') {
        ctx.error(
            Diagnostic::new(
                Code::E0001,
                format!("a duration takes whole numbers, found `{text}`"),
                ctx.span(number),
                "fractions are not allowed",
            )
            .with_help("use a smaller unit, as in `1 day 12 hours` or `90 minutes`"),
        );
        return None;
    }
    match text.parse::<i64>() {
        Ok(count) if count <= MAX_DURATION_COUNT => Some(count),
        _ => {
            ctx.syntax_error(
                format!("duration `{text}` is too large"),
                ctx.span(number),
                "too large",
            );
            None
        }
    }
}

/// A delay (`after`, `wait`, `in` named argument): a duration literal or a constant's name.
pub(crate) fn parse_delay(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<DelayExpr> {
    let span = ctx.span(&pair);
    match pair.as_rule() {
        Rule::duration_lit => Some(DelayExpr::Literal(parse_duration_lit(ctx, pair)?, span)),
        Rule::delay_const => Some(DelayExpr::Const(ctx.ident(&pair))),
        _ => {
            parse_bad_delay(ctx, pair);
            None
        }
    }
}

/// Error production `bad_delay`: a number without a valid unit.
fn parse_bad_delay(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) {
    let mut inner = pair.into_inner();
    let Some(number) = inner.next() else { return };
    let count = number.as_str();
    match inner.next() {
        Some(word) => {
            let unit = word.as_str();
            let help = suggest::did_you_mean(unit, UNITS)
                .unwrap_or_else(|| "use `minutes`, `hours`, `days` or `weeks`".to_string());
            ctx.error(
                Diagnostic::new(
                    Code::E0001,
                    format!("expected a duration unit after `{count}`, found `{unit}`"),
                    ctx.span(&word),
                    "not a unit",
                )
                .with_help(help),
            );
        }
        None => ctx.error(
            Diagnostic::new(
                Code::E0001,
                format!("expected a duration unit after `{count}`"),
                ctx.span(&number),
                "a number alone is not a duration",
            )
            .with_help(format!("write a unit, as in `{count} days`")),
        ),
    }
}
