//! Tables of (start, duration, calendar) → expected moment (STYLE §6). Dates used: 2026-03-02
//! is a Monday; Europe/Paris changes to summer time on Sunday 2026-03-29 (02:00 → 03:00) and
//! back on Sunday 2026-10-25 (03:00 → 02:00).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::*;
use crate::model::CalendarDef;
use crate::span::Span;

const PARIS: Tz = chrono_tz::Europe::Paris;

/// `2026-03-06 16:00` as a local time.
fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("bad local time {text:?} in a test table: {e}"))
}

/// `2026-03-06T16:00:00+01:00` as a moment.
fn moment(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("bad moment {text:?} in a test table: {e}"))
        .with_timezone(&Utc)
}

/// `1 day 2 hours` as a Duration.
fn dur(text: &str) -> Duration {
    let mut d = Duration::default();
    let words: Vec<&str> = text.split_whitespace().collect();
    for pair in words.chunks(2) {
        let n: i64 = pair[0].parse().unwrap_or_else(|_| panic!("bad duration {text:?}"));
        match pair[1].trim_end_matches('s') {
            "week" => d.weeks = n,
            "day" => d.days = n,
            "hour" => d.hours = n,
            "minute" => d.minutes = n,
            other => panic!("bad unit {other:?} in {text:?}"),
        }
    }
    d
}

fn time(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text, "%H:%M").unwrap_or_else(|_| panic!("bad time {text:?}"))
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| panic!("bad date {text:?}"))
}

/// A calendar in Europe/Paris from its `calendar` lines: `"mon..fri"` or `"mon, tue, thu"`,
/// `"09:00..13:00, 14:00..18:00"`, and holidays.
fn cal(workdays: &str, hours: &str, holidays: &[&str]) -> WorkCalendar {
    cal_in(PARIS, workdays, hours, holidays)
}

fn cal_in(tz: Tz, workdays: &str, hours: &str, holidays: &[&str]) -> WorkCalendar {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let index = |name: &str| {
        NAMES.iter().position(|n| *n == name).unwrap_or_else(|| panic!("bad day {name:?}"))
    };
    let mut days = [false; 7];
    for part in workdays.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once("..") {
            Some((a, b)) => (index(a)..=index(b)).for_each(|i| days[i] = true),
            None => days[index(part)] = true,
        }
    }
    let hours = hours
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|range| {
            let (a, b) = range.split_once("..").unwrap_or_else(|| panic!("bad range {range:?}"));
            (time(a), time(b))
        })
        .collect();
    let def = CalendarDef {
        name: "test".to_string(),
        timezone: Some(tz.name().to_string()),
        workdays: days,
        hours,
        holidays: holidays.iter().map(|d| date(d)).collect(),
        span: Span::default(),
    };
    WorkCalendar::from_def(&def, chrono_tz::UTC)
}

fn standard() -> WorkCalendar {
    WorkCalendar::standard(PARIS)
}

fn lunch() -> WorkCalendar {
    cal("mon..fri", "09:00..13:00, 14:00..18:00", &[])
}

/// Runs a table of (start as local Paris time, duration, calendar, expected moment).
fn check_working(table: &[(&str, &str, WorkCalendar, &str)]) {
    for (start, d, calendar, expected) in table {
        let start_at = local_to_utc(local(start), calendar.tz);
        let got = add_working(start_at, &dur(d), calendar);
        assert_eq!(
            got.map(|t| t.with_timezone(&calendar.tz).to_rfc3339()),
            Ok(moment(expected).with_timezone(&calendar.tz).to_rfc3339()),
            "{start} + {d} in working hours of {}",
            calendar.describe()
        );
    }
}

#[test]
fn spec_examples_of_working_time() {
    check_working(&[
        // Friday 16:00 + 2 hours → Friday 18:00 (a count ending at a period's end stays there)
        ("2026-03-06 16:00", "2 hours", standard(), "2026-03-06T18:00:00+01:00"),
        // Friday 17:00 + 2 hours → Monday 10:00
        ("2026-03-06 17:00", "2 hours", standard(), "2026-03-09T10:00:00+01:00"),
        // Saturday 10:00 + 1 day → Tuesday 09:00
        ("2026-03-07 10:00", "1 day", standard(), "2026-03-10T09:00:00+01:00"),
        // 12:30 + 1 hour with a 13:00–14:00 break → 14:30
        ("2026-03-02 12:30", "1 hour", lunch(), "2026-03-02T14:30:00+01:00"),
    ]);
}

#[test]
fn start_outside_working_time_moves_to_next_period() {
    check_working(&[
        // exactly at a period's end is outside (half-open periods)
        ("2026-03-06 18:00", "1 hour", standard(), "2026-03-09T10:00:00+01:00"),
        ("2026-03-02 13:00", "30 minutes", lunch(), "2026-03-02T14:30:00+01:00"),
        // before the first period of a working day
        ("2026-03-02 07:15", "1 hour", standard(), "2026-03-02T10:00:00+01:00"),
        // Sunday evening
        ("2026-03-08 23:59", "15 minutes", standard(), "2026-03-09T09:15:00+01:00"),
        // a zero duration only moves the start into working time
        ("2026-03-07 10:00", "0 minutes", standard(), "2026-03-09T09:00:00+01:00"),
        ("2026-03-02 10:00", "0 minutes", standard(), "2026-03-02T10:00:00+01:00"),
        // exactly at a period's start is inside
        ("2026-03-02 09:00", "1 hour", standard(), "2026-03-02T10:00:00+01:00"),
        ("2026-03-02 14:00", "1 hour", lunch(), "2026-03-02T15:00:00+01:00"),
    ]);
}

#[test]
fn working_minutes_cross_breaks_and_nights() {
    check_working(&[
        ("2026-03-06 17:45", "30 minutes", standard(), "2026-03-09T09:15:00+01:00"),
        // ending exactly at the start of the break stays before it
        ("2026-03-02 12:00", "1 hour", lunch(), "2026-03-02T13:00:00+01:00"),
        // ending exactly at the day's end stays there
        ("2026-03-02 09:00", "9 hours", standard(), "2026-03-02T18:00:00+01:00"),
        ("2026-03-02 09:00", "8 hours", lunch(), "2026-03-02T18:00:00+01:00"),
        ("2026-03-02 09:00", "8 hours 1 minute", lunch(), "2026-03-03T09:01:00+01:00"),
        // a count longer than a day
        ("2026-03-02 10:00", "20 hours", standard(), "2026-03-04T12:00:00+01:00"),
        ("2026-03-06 10:00", "12 hours", lunch(), "2026-03-09T15:00:00+01:00"),
    ]);
}

#[test]
fn several_hour_ranges() {
    let split = cal("mon..fri", "08:00..10:00, 12:00..14:00, 16:00..18:00", &[]);
    check_working(&[
        ("2026-03-02 09:00", "3 hours", split.clone(), "2026-03-02T14:00:00+01:00"),
        ("2026-03-02 09:00", "4 hours", split.clone(), "2026-03-02T17:00:00+01:00"),
        ("2026-03-02 10:30", "1 hour", split.clone(), "2026-03-02T13:00:00+01:00"),
        ("2026-03-02 14:00", "30 minutes", split.clone(), "2026-03-02T16:30:00+01:00"),
        ("2026-03-02 17:00", "3 hours", split.clone(), "2026-03-03T10:00:00+01:00"),
        // days keep the local time, inside the same range of the later day
        ("2026-03-02 12:30", "1 day 2 hours", split, "2026-03-03T16:30:00+01:00"),
    ]);
}

#[test]
fn working_days_and_weeks() {
    let three_days = cal("mon, tue, thu", "09:00..18:00", &[]);
    check_working(&[
        ("2026-03-02 10:00", "1 day", standard(), "2026-03-03T10:00:00+01:00"),
        ("2026-03-06 10:00", "1 day", standard(), "2026-03-09T10:00:00+01:00"),
        ("2026-03-06 16:00", "1 day 3 hours", standard(), "2026-03-10T10:00:00+01:00"),
        // a day then hours: the hours count from the same local time of the later day
        ("2026-03-06 17:00", "1 day 2 hours", standard(), "2026-03-10T10:00:00+01:00"),
        // a start outside working time first moves, then days count from there
        ("2026-03-06 20:00", "2 days", standard(), "2026-03-11T09:00:00+01:00"),
        // a week is the calendar's number of workdays
        ("2026-03-04 10:00", "1 week", standard(), "2026-03-11T10:00:00+01:00"),
        ("2026-03-04 10:00", "2 weeks", standard(), "2026-03-18T10:00:00+01:00"),
        ("2026-03-04 10:00", "1 week 2 days", standard(), "2026-03-13T10:00:00+01:00"),
        ("2026-03-02 10:00", "1 week", three_days.clone(), "2026-03-09T10:00:00+01:00"),
        ("2026-03-03 10:00", "1 day", three_days.clone(), "2026-03-05T10:00:00+01:00"),
        ("2026-03-04 10:00", "1 day", three_days, "2026-03-09T09:00:00+01:00"),
        (
            "2026-03-04 10:00",
            "1 week",
            cal("mon..sun", "09:00..18:00", &[]),
            "2026-03-11T10:00:00+01:00",
        ),
    ]);
}

#[test]
fn holidays_are_not_working_days() {
    // 2026-03-06 is a Friday, 2026-03-09 a Monday
    let friday_off = cal("mon..fri", "09:00..18:00", &["2026-03-06"]);
    let monday_off = cal("mon..fri", "09:00..18:00", &["2026-03-09"]);
    let both_off = cal("mon..fri", "09:00..18:00", &["2026-03-09", "2026-03-06"]);
    check_working(&[
        // a holiday before the weekend
        ("2026-03-05 17:00", "2 hours", friday_off.clone(), "2026-03-09T10:00:00+01:00"),
        ("2026-03-05 10:00", "1 day", friday_off.clone(), "2026-03-09T10:00:00+01:00"),
        // a holiday after the weekend
        ("2026-03-06 17:00", "2 hours", monday_off.clone(), "2026-03-10T10:00:00+01:00"),
        ("2026-03-06 10:00", "1 day", monday_off.clone(), "2026-03-10T10:00:00+01:00"),
        // both sides
        ("2026-03-05 17:00", "2 hours", both_off.clone(), "2026-03-10T10:00:00+01:00"),
        ("2026-03-05 10:00", "1 week", both_off, "2026-03-16T10:00:00+01:00"),
        // a start on a holiday moves to the next working day
        ("2026-03-06 10:00", "1 hour", friday_off.clone(), "2026-03-09T10:00:00+01:00"),
        ("2026-03-06 10:00", "1 day", friday_off, "2026-03-10T09:00:00+01:00"),
        ("2026-03-09 11:00", "0 minutes", monday_off, "2026-03-10T09:00:00+01:00"),
    ]);
}

#[test]
fn working_time_across_daylight_saving_changes() {
    let nights = cal("mon..sun", "00:00..06:00", &[]);
    check_working(&[
        // March: Friday 17:00 CET + 2 hours → Monday 10:00 CEST
        ("2026-03-27 17:00", "2 hours", standard(), "2026-03-30T10:00:00+02:00"),
        // working days keep the local time across the change
        ("2026-03-27 10:00", "1 day", standard(), "2026-03-30T10:00:00+02:00"),
        ("2026-03-26 10:00", "1 week", standard(), "2026-04-02T10:00:00+02:00"),
        // October: back to CET
        ("2026-10-23 17:00", "2 hours", standard(), "2026-10-26T10:00:00+01:00"),
        ("2026-10-23 10:00", "1 day", standard(), "2026-10-26T10:00:00+01:00"),
        // a period that contains the change counts elapsed time: 00:00..06:00 is 5 hours on
        // 2026-03-29 and 7 hours on 2026-10-25
        ("2026-03-29 01:00", "2 hours", nights.clone(), "2026-03-29T04:00:00+02:00"),
        ("2026-03-29 00:00", "5 hours", nights.clone(), "2026-03-29T06:00:00+02:00"),
        ("2026-03-29 00:00", "5 hours 1 minute", nights.clone(), "2026-03-30T00:01:00+02:00"),
        ("2026-10-25 01:00", "3 hours", nights.clone(), "2026-10-25T03:00:00+01:00"),
        ("2026-10-25 00:00", "7 hours", nights, "2026-10-25T06:00:00+01:00"),
    ]);
}

#[test]
fn working_time_in_the_calendars_own_timezone() {
    let new_york = cal_in(chrono_tz::America::New_York, "mon..fri", "09:00..17:00", &[]);
    let cases = [
        // Friday 16:00 in New York (21:00 UTC) + 2 hours → Monday 10:00 EST
        ("2026-03-06T21:00:00Z", "2 hours", "2026-03-09T10:00:00-04:00"),
        // 2026-03-06 14:00 UTC is 09:00 in New York: working time
        ("2026-03-06T14:00:00Z", "1 hour", "2026-03-06T10:00:00-05:00"),
    ];
    for (start, d, expected) in cases {
        // (the second table line: New York changes to EDT on 2026-03-08)
        assert_eq!(
            add_working(moment(start), &dur(d), &new_york),
            Ok(moment(expected)),
            "{start} + {d}"
        );
    }
}

#[test]
fn calendars_without_working_time_are_errors() {
    let start = moment("2026-03-02T10:00:00+01:00");
    let no_days = cal("", "09:00..18:00", &[]);
    let no_hours = cal("mon..fri", "", &[]);
    let empty_range = cal("mon..fri", "10:00..10:00", &[]);
    for calendar in [no_days, no_hours, empty_range] {
        assert_eq!(
            add_working(start, &dur("1 hour"), &calendar),
            Err(CalendarError::NoWorkingTime { calendar: "test".to_string() }),
            "{}",
            calendar.describe()
        );
    }
}

#[test]
fn huge_durations_are_out_of_range_not_loops() {
    let start = moment("2026-03-02T10:00:00+01:00");
    let cases = [
        Duration { weeks: i64::MAX, ..Duration::default() },
        Duration { hours: i64::MAX, ..Duration::default() },
        Duration { days: 5_000_000, ..Duration::default() },
    ];
    for d in cases {
        assert_eq!(add_working(start, &d, &standard()), Err(CalendarError::OutOfRange), "{d:?}");
    }
}

#[test]
fn negative_parts_count_as_zero_in_working_time() {
    let start = moment("2026-03-07T10:00:00+01:00");
    let d = Duration { days: -2, hours: -1, ..Duration::default() };
    assert_eq!(add_working(start, &d, &standard()), Ok(moment("2026-03-09T09:00:00+01:00")));
}

#[test]
fn calendar_arithmetic() {
    let table = [
        // days keep the local time of day; hours are elapsed time (SPEC §8)
        ("2026-03-28T10:00:00+01:00", "1 day", "2026-03-29T10:00:00+02:00"),
        ("2026-03-28T10:00:00+01:00", "24 hours", "2026-03-29T11:00:00+02:00"),
        ("2026-10-24T10:00:00+02:00", "1 day", "2026-10-25T10:00:00+01:00"),
        ("2026-10-24T10:00:00+02:00", "24 hours", "2026-10-25T09:00:00+01:00"),
        ("2026-03-25T09:00:00+01:00", "1 week", "2026-04-01T09:00:00+02:00"),
        ("2026-03-02T09:00:00+01:00", "2 weeks", "2026-03-16T09:00:00+01:00"),
        // mixed units: days first in local time, then hours elapsed
        ("2026-03-28T09:00:00+01:00", "1 day 2 hours", "2026-03-29T11:00:00+02:00"),
        ("2026-03-28T23:30:00+01:00", "1 day 3 hours", "2026-03-30T02:30:00+02:00"),
        // elapsed minutes across the gap
        ("2026-03-29T01:45:00+01:00", "30 minutes", "2026-03-29T03:15:00+02:00"),
        ("2026-10-25T02:45:00+02:00", "30 minutes", "2026-10-25T02:15:00+01:00"),
        // a day landing in the gap moves forward by the gap
        ("2026-03-28T02:30:00+01:00", "1 day", "2026-03-29T03:30:00+02:00"),
        // a day landing on an ambiguous time takes the earlier offset
        ("2026-10-24T02:30:00+02:00", "1 day", "2026-10-25T02:30:00+02:00"),
        // months of days, no change
        ("2026-01-05T09:00:00+01:00", "3 days 4 hours", "2026-01-08T13:00:00+01:00"),
        ("2026-01-05T09:00:00+01:00", "0 minutes", "2026-01-05T09:00:00+01:00"),
    ];
    for (start, d, expected) in table {
        assert_eq!(add_calendar(moment(start), &dur(d), PARIS), moment(expected), "{start} + {d}");
    }
}

#[test]
fn calendar_arithmetic_in_utc_has_no_changes() {
    let utc = chrono_tz::UTC;
    let start = moment("2026-03-28T10:00:00Z");
    assert_eq!(add_calendar(start, &dur("1 day"), utc), moment("2026-03-29T10:00:00Z"));
    assert_eq!(add_calendar(start, &dur("24 hours"), utc), moment("2026-03-29T10:00:00Z"));
}

#[test]
fn calendar_subtraction_and_bounds() {
    let table = [
        ("2026-03-29T10:00:00+02:00", "1 day", "2026-03-28T10:00:00+01:00"),
        ("2026-03-29T10:00:00+02:00", "24 hours", "2026-03-28T09:00:00+01:00"),
        ("2026-03-05T00:00:00+01:00", "1 day 1 hour", "2026-03-03T23:00:00+01:00"),
    ];
    for (start, d, expected) in table {
        assert_eq!(sub_calendar(moment(start), &dur(d), PARIS), moment(expected), "{start} - {d}");
    }
    let start = moment("2026-03-02T09:00:00Z");
    let huge = Duration { days: i64::MAX, ..Duration::default() };
    assert_eq!(checked_add_calendar(start, &huge, PARIS), None);
    assert_eq!(add_calendar(start, &huge, PARIS), DateTime::<Utc>::MAX_UTC);
    assert_eq!(sub_calendar(start, &huge, PARIS), DateTime::<Utc>::MIN_UTC);
}

#[test]
fn local_times_in_gaps_and_overlaps() {
    let table = [
        // ordinary winter and summer times
        (PARIS, "2026-01-05 09:00", "2026-01-05T08:00:00Z"),
        (PARIS, "2026-07-01 12:00", "2026-07-01T10:00:00Z"),
        // in the March gap: forward by the gap (02:30 → 03:30 CEST)
        (PARIS, "2026-03-29 02:30", "2026-03-29T01:30:00Z"),
        (PARIS, "2026-03-29 02:00", "2026-03-29T01:00:00Z"),
        (PARIS, "2026-03-29 03:00", "2026-03-29T01:00:00Z"),
        // ambiguous in October: the earlier offset (CEST)
        (PARIS, "2026-10-25 02:30", "2026-10-25T00:30:00Z"),
        (PARIS, "2026-10-25 02:00", "2026-10-25T00:00:00Z"),
        (PARIS, "2026-10-25 03:00", "2026-10-25T02:00:00Z"),
        // another zone: New York springs forward at 02:00 on 2026-03-08
        (chrono_tz::America::New_York, "2026-03-08 02:30", "2026-03-08T07:30:00Z"),
        (chrono_tz::America::New_York, "2026-11-01 01:30", "2026-11-01T05:30:00Z"),
    ];
    for (tz, text, expected) in table {
        assert_eq!(local_to_utc(local(text), tz), moment(expected), "{text} in {tz}");
    }
}

#[test]
fn dates_as_moments_are_local_midnight() {
    let table = [
        (PARIS, "2026-03-02", "2026-03-01T23:00:00Z"),
        (PARIS, "2026-07-14", "2026-07-13T22:00:00Z"),
        (chrono_tz::UTC, "2026-03-02", "2026-03-02T00:00:00Z"),
        // São Paulo's 2018 change skipped 00:00..01:00: midnight moves to 01:00 (-02:00)
        (chrono_tz::America::Sao_Paulo, "2018-11-04", "2018-11-04T03:00:00Z"),
    ];
    for (tz, day, expected) in table {
        assert_eq!(date_to_moment(date(day), tz), moment(expected), "{day} in {tz}");
    }
}

#[test]
fn from_def_applies_the_clock_timezone_and_sorts_holidays() {
    let def = CalendarDef {
        name: "default".to_string(),
        timezone: None,
        workdays: [true, true, true, true, true, false, false],
        hours: vec![(time("14:00"), time("18:00")), (time("09:00"), time("13:00"))],
        holidays: vec![date("2027-01-01"), date("2026-12-25"), date("2027-01-01")],
        span: Span::default(),
    };
    let calendar = WorkCalendar::from_def(&def, chrono_tz::Europe::Rome);
    assert_eq!(calendar.tz, chrono_tz::Europe::Rome);
    assert_eq!(
        calendar.hours,
        vec![(time("09:00"), time("13:00")), (time("14:00"), time("18:00"))]
    );
    assert_eq!(calendar.holidays, vec![date("2026-12-25"), date("2027-01-01")]);
    assert_eq!(
        calendar.describe(),
        "default (Europe/Rome): mon..fri 09:00..13:00, 14:00..18:00, holidays 2026-12-25, 2027-01-01"
    );
    let with_tz = CalendarDef { timezone: Some("Europe/Paris".to_string()), ..def };
    assert_eq!(WorkCalendar::from_def(&with_tz, chrono_tz::UTC).tz, PARIS);
}

#[test]
fn resolve_follows_the_order_of_spec_8() {
    let mut model = Model::default();
    for name in ["default", "part_time", "night"] {
        let def = CalendarDef {
            name: name.to_string(),
            timezone: None,
            workdays: [true; 7],
            hours: vec![(time("09:00"), time("12:00"))],
            holidays: Vec::new(),
            span: Span::default(),
        };
        model.calendars.insert(name.to_string(), def);
    }
    let utc = chrono_tz::UTC;
    let table = [
        (Some("night"), Some("part_time"), "night"),
        (None, Some("part_time"), "part_time"),
        (None, Some("unknown"), "default"),
        (None, None, "default"),
    ];
    for (explicit, responsible, expected) in table {
        assert_eq!(
            WorkCalendar::resolve(&model, explicit, responsible, utc).name,
            expected,
            "of {explicit:?}, responsible's {responsible:?}"
        );
    }
    let bare = Model::default();
    assert_eq!(WorkCalendar::resolve(&bare, None, None, PARIS), WorkCalendar::standard(PARIS));
}

#[test]
fn working_time_predicates() {
    let table = [
        ("2026-03-02 09:00", true),
        ("2026-03-02 12:59", true),
        ("2026-03-02 13:00", false),
        ("2026-03-02 17:59", true),
        ("2026-03-02 18:00", false),
        ("2026-03-07 10:00", false),
    ];
    let calendar = lunch();
    for (text, expected) in table {
        assert_eq!(calendar.is_working_time(local_to_utc(local(text), PARIS)), expected, "{text}");
    }
    assert_eq!(
        calendar.next_working_moment(local_to_utc(local("2026-03-02 13:00"), PARIS)),
        Ok(moment("2026-03-02T14:00:00+01:00"))
    );
    assert_eq!(standard().workdays_per_week(), 5);
}

#[test]
fn explain_tells_each_step() {
    let start = local_to_utc(local("2026-03-07 10:00"), PARIS);
    assert_eq!(
        explain_working(start, &dur("1 day"), &standard()),
        vec![
            "calendar standard (Europe/Paris): mon..fri 09:00..18:00",
            "start Sat 2026-03-07 10:00 is outside working time → Mon 2026-03-09 09:00",
            "+1 working day → Tue 2026-03-10 09:00",
            "result Tue 2026-03-10 09:00",
        ]
    );
    let start = local_to_utc(local("2026-03-06 17:00"), PARIS);
    assert_eq!(
        explain_working(start, &dur("1 week 2 hours"), &standard()),
        vec![
            "calendar standard (Europe/Paris): mon..fri 09:00..18:00",
            "start Fri 2026-03-06 17:00 is working time",
            "+5 working days (a week counts 5 working days) → Fri 2026-03-13 17:00",
            "+2 hours of working time:",
            "  1 hour on Fri 2026-03-13 17:00..18:00",
            "  1 hour on Mon 2026-03-16 09:00..10:00",
            "result Mon 2026-03-16 10:00",
        ]
    );
    let no_days = cal("", "09:00..18:00", &[]);
    assert_eq!(
        explain_working(start, &dur("1 hour"), &no_days).last().map(String::as_str),
        Some("error: calendar `test` has no working time (no working day or no hours)")
    );
}
