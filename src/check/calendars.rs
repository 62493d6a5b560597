//! Pass 3: calendars (SPEC §3.2). Missing lines default to `workdays mon..fri` and
//! `hours 09:00..18:00`; the timezone defaults to the clock's at run time. An unknown timezone
//! or weekday is E0101; a range that goes backwards or overlaps the previous one is E0107; a
//! line given twice is E0106.

use std::str::FromStr;

use chrono::NaiveTime;

use crate::ast::{CalendarDecl, CalendarEntry, DaySpec};
use crate::diag::{suggest, Code, Diagnostic, Diagnostics};
use crate::model::{CalendarDef, Model};
use crate::span::{Ident, Span};

use super::declare::{duplicate, Decls};

/// Weekday names, Monday first (the index into `CalendarDef::workdays`).
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub(crate) fn build(decls: &Decls, model: &mut Model, diags: &mut Diagnostics) {
    for calendar in &decls.calendars {
        let def = calendar_def(calendar, diags);
        model.calendars.insert(def.name.clone(), def);
    }
}

fn calendar_def(calendar: &CalendarDecl, diags: &mut Diagnostics) -> CalendarDef {
    let mut def = CalendarDef {
        name: calendar.name.text.clone(),
        timezone: None,
        workdays: [true, true, true, true, true, false, false],
        hours: vec![(time(9, 0), time(18, 0))],
        holidays: Vec::new(),
        span: calendar.name.span,
    };
    let mut seen: Vec<(&str, Span)> = Vec::new();
    for entry in &calendar.entries {
        let (line, span) = entry_line(entry);
        if let Some((_, first)) = seen.iter().find(|(l, _)| *l == line) {
            diags.push(duplicate("calendar line", line, span, *first));
            continue;
        }
        seen.push((line, span));
        match entry {
            CalendarEntry::Timezone { name, span } => {
                def.timezone = timezone_is_known(name, *span, diags).then(|| name.clone());
            }
            CalendarEntry::Workdays { days, .. } => def.workdays = workdays(days, diags),
            CalendarEntry::Hours { ranges, .. } => {
                def.hours = ranges.iter().map(|r| (r.start, r.end)).collect();
                hours_are_increasing(ranges, diags);
            }
            CalendarEntry::Holidays { dates, .. } => {
                def.holidays = dates.iter().map(|(d, _)| *d).collect();
                def.holidays.sort();
                def.holidays.dedup();
            }
        }
    }
    def
}

fn time(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

fn entry_line(entry: &CalendarEntry) -> (&'static str, Span) {
    match entry {
        CalendarEntry::Timezone { span, .. } => ("timezone", *span),
        CalendarEntry::Workdays { span, .. } => ("workdays", *span),
        CalendarEntry::Hours { span, .. } => ("hours", *span),
        CalendarEntry::Holidays { span, .. } => ("holidays", *span),
    }
}

/// The timezone must be an IANA name that chrono-tz knows (`Europe/Paris`).
fn timezone_is_known(name: &str, span: Span, diags: &mut Diagnostics) -> bool {
    if chrono_tz::Tz::from_str(name).is_ok() {
        return true;
    }
    let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
    diags.push(
        Diagnostic::new(
            Code::E0101,
            format!("unknown timezone `{name}`"),
            span,
            "not an IANA timezone name",
        )
        .with_help(
            suggest::did_you_mean(name, names)
                .unwrap_or_else(|| "use an IANA name such as `Europe/Paris`".into()),
        ),
    );
    false
}

fn weekday(day: &Ident, diags: &mut Diagnostics) -> Option<usize> {
    let found = WEEKDAYS.iter().position(|d| *d == day.text);
    if found.is_none() {
        diags.push(
            Diagnostic::new(
                Code::E0101,
                format!("unknown weekday `{}`", day.text),
                day.span,
                "not a weekday",
            )
            .with_help(
                suggest::did_you_mean(&day.text, WEEKDAYS).unwrap_or_else(|| {
                    "weekdays are written mon, tue, wed, thu, fri, sat, sun".into()
                }),
            ),
        );
    }
    found
}

/// `mon..fri` or `mon, tue, thu`; a range must go forwards (`fri..mon` is E0107).
fn workdays(days: &[DaySpec], diags: &mut Diagnostics) -> [bool; 7] {
    let mut out = [false; 7];
    for spec in days {
        match spec {
            DaySpec::Day(day) => {
                if let Some(i) = weekday(day, diags) {
                    out[i] = true;
                }
            }
            DaySpec::Range(from, to) => {
                let (Some(start), Some(end)) = (weekday(from, diags), weekday(to, diags)) else {
                    continue;
                };
                if start > end {
                    diags.push(
                        Diagnostic::new(
                            Code::E0107,
                            format!("weekday range `{}..{}` goes backwards", from.text, to.text),
                            from.span.to(to.span),
                            "the first day is after the last",
                        )
                        .with_help(format!(
                            "list the days instead: `{}`",
                            wrapped_days(start, end).join(", ")
                        )),
                    );
                    continue;
                }
                for day in out.iter_mut().take(end + 1).skip(start) {
                    *day = true;
                }
            }
        }
    }
    out
}

fn wrapped_days(start: usize, end: usize) -> Vec<&'static str> {
    (start..7).chain(0..=end).map(|i| WEEKDAYS[i]).collect()
}

/// Each range ends after it starts (an overnight range is E0107) and starts at or after the
/// end of the one before.
fn hours_are_increasing(ranges: &[crate::ast::TimeRange], diags: &mut Diagnostics) {
    let mut previous_end: Option<NaiveTime> = None;
    for range in ranges {
        let text = format!("{}..{}", range.start.format("%H:%M"), range.end.format("%H:%M"));
        if range.end <= range.start {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    format!("working hours `{text}` end before they start"),
                    range.span,
                    "an overnight or empty range",
                )
                .with_note("working periods lie within one day")
                .with_help("write increasing ranges such as `09:00..18:00`"),
            );
        } else if previous_end.is_some_and(|end| range.start < end) {
            diags.push(
                Diagnostic::new(
                    Code::E0107,
                    format!("working hours `{text}` overlap the previous range"),
                    range.span,
                    "starts before the previous range ends",
                )
                .with_help("list the ranges of a day in increasing order, without overlap"),
            );
        }
        previous_end = Some(range.end.max(previous_end.unwrap_or(NaiveTime::MIN)));
    }
}
