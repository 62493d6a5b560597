//! Calendar and working-time arithmetic (SPEC §8: "Which calendar", "Working-time
//! arithmetic", "Calendar arithmetic", "Moments from dates").
//!
//! Moments are `DateTime<Utc>` everywhere in the engine; local time exists only inside this
//! module, in the timezone of the calendar (working time) or of the clock (calendar
//! arithmetic). Every function here is pure: no wall clock, no state.
//!
//! - [`add_calendar`]: `now + 1 day 2 hours`, `after 1 day`, `advance 1 day` — days and weeks
//!   are calendar days at the same local time of day, hours and minutes are elapsed time.
//! - [`add_working`]: `after 2 hours in working hours`, `in 1 day in working hours` — counts
//!   working days and working minutes of a [`WorkCalendar`].
//! - [`explain_working`]: the same computation told step by step, for the REPL's `why`.
//! - [`local_to_utc`] and [`date_to_moment`]: how a local wall-clock time or a `Date` becomes a
//!   moment (DST gaps move forward by the gap, ambiguous times take the earlier offset).
//!
//! Nothing here panics on user input: durations so large that the result leaves the supported
//! range (year 9999) give [`CalendarError::OutOfRange`] (or saturate, for [`add_calendar`]).

use std::fmt;

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;

use crate::ast::Duration;
use crate::model::{CalendarDef, Model};

#[cfg(test)]
mod tests;

/// The last date working-time arithmetic may reach; a computation that would go past it is
/// [`CalendarError::OutOfRange`]. It also bounds every day-by-day search of this module, so a
/// search always ends.
const LAST_DATE: (i32, u32, u32) = (9999, 12, 31);

/// How many periods `explain_working` describes one by one before summarising the rest.
const EXPLAIN_PERIODS: usize = 20;

/// Why a working-time computation has no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalendarError {
    /// The calendar has no working day or no working hours, so no moment is working time.
    NoWorkingTime { calendar: String },
    /// The result would be after 9999-12-31 (a duration too large to mean anything).
    OutOfRange,
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::NoWorkingTime { calendar } => {
                write!(f, "calendar `{calendar}` has no working time (no working day or no hours)")
            }
            CalendarError::OutOfRange => {
                write!(f, "the duration goes past 9999-12-31, the last supported date")
            }
        }
    }
}

impl std::error::Error for CalendarError {}

/// A working calendar ready for arithmetic: the `calendar` item of SPEC §3.2 with its defaults
/// applied and its timezone resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkCalendar {
    /// The calendar's name (`default`, `part_time`), or `standard` for the built-in one.
    pub name: String,
    /// The timezone its hours and holidays are read in.
    pub tz: Tz,
    /// Working weekdays, Monday first.
    pub workdays: [bool; 7],
    /// Working periods of a working day, as half-open local time ranges `start..end`,
    /// increasing and non-overlapping.
    pub hours: Vec<(NaiveTime, NaiveTime)>,
    /// Non-working dates, sorted and without duplicates.
    pub holidays: Vec<NaiveDate>,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

impl WorkCalendar {
    /// The built-in calendar (SPEC §8 "Which calendar", last resort): Monday to Friday,
    /// 09:00..18:00, no holidays, in `tz` (the clock's timezone).
    pub fn standard(tz: Tz) -> WorkCalendar {
        WorkCalendar {
            name: "standard".to_string(),
            tz,
            workdays: [true, true, true, true, true, false, false],
            hours: vec![(hm(9, 0), hm(18, 0))],
            holidays: Vec::new(),
        }
    }

    /// The calendar a checked `calendar` item describes (the checker has already applied the
    /// §3.2 defaults for missing `workdays` and `hours` lines). A def without a `timezone` line
    /// (or with a name chrono-tz does not know, which the checker already reports) takes
    /// `default_tz`, the clock's timezone. Empty ranges (`start >= end`) are dropped; a def left
    /// with no working day or no range has no working time, and working-time arithmetic on it
    /// is [`CalendarError::NoWorkingTime`].
    pub fn from_def(def: &CalendarDef, default_tz: Tz) -> WorkCalendar {
        let tz =
            def.timezone.as_deref().and_then(|name| name.parse::<Tz>().ok()).unwrap_or(default_tz);
        let mut hours: Vec<(NaiveTime, NaiveTime)> =
            def.hours.iter().copied().filter(|(start, end)| start < end).collect();
        hours.sort();
        let mut holidays = def.holidays.clone();
        holidays.sort();
        holidays.dedup();
        WorkCalendar { name: def.name.clone(), tz, workdays: def.workdays, hours, holidays }
    }

    /// The calendar that applies to working time (SPEC §8 "Which calendar"): the `of CAL`
    /// calendar (`explicit`); else the responsible's own calendar (`responsible_calendar`, read
    /// by the caller when the rule is scheduled); else the calendar named `default`; else
    /// [`WorkCalendar::standard`] in the clock's timezone. A name the model does not declare
    /// (a user's calendar is only a name in the CRM state) falls through to the next choice.
    pub fn resolve(
        model: &Model,
        explicit: Option<&str>,
        responsible_calendar: Option<&str>,
        clock_tz: Tz,
    ) -> WorkCalendar {
        [explicit, responsible_calendar, Some("default")]
            .into_iter()
            .flatten()
            .find_map(|name| model.calendars.get(name))
            .map(|def| WorkCalendar::from_def(def, clock_tz))
            .unwrap_or_else(|| WorkCalendar::standard(clock_tz))
    }

    /// How many working weekdays a week has (what `1 week` counts in working time).
    pub fn workdays_per_week(&self) -> i64 {
        self.workdays.iter().filter(|&&d| d).count() as i64
    }

    /// Whether any moment at all is working time. Holidays are a finite list, so a calendar
    /// with a working weekday and a non-empty hour range always has a next working period.
    pub fn has_working_time(&self) -> bool {
        self.workdays.iter().any(|&d| d) && self.hours.iter().any(|(s, e)| s < e)
    }

    /// Whether `date` is a working day: a working weekday that is not a holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.workdays[date.weekday().num_days_from_monday() as usize]
            && self.holidays.binary_search(&date).is_err()
    }

    /// The working periods of `date` as moments, in order; empty on a non-working day. Each
    /// boundary is converted with [`local_to_utc`]; a period that DST makes empty is dropped.
    pub fn periods_on(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working_day(date) {
            return Vec::new();
        }
        self.hours
            .iter()
            .map(|(s, e)| {
                (local_to_utc(date.and_time(*s), self.tz), local_to_utc(date.and_time(*e), self.tz))
            })
            .filter(|(s, e)| s < e)
            .collect()
    }

    /// Whether `t` is working time (inside a half-open working period).
    pub fn is_working_time(&self, t: DateTime<Utc>) -> bool {
        let date = t.with_timezone(&self.tz).date_naive();
        self.periods_on(date).iter().any(|(s, e)| *s <= t && t < *e)
    }

    /// `t` itself when it is working time, else the start of the next working period (step 1
    /// of working-time arithmetic).
    pub fn next_working_moment(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        self.locate(t).map(|pos| pos.at)
    }

    fn no_working_time(&self) -> CalendarError {
        CalendarError::NoWorkingTime { calendar: self.name.clone() }
    }

    /// The working period containing `t`, or the next one (with `at` its start).
    fn locate(&self, t: DateTime<Utc>) -> Result<Position, CalendarError> {
        if !self.has_working_time() {
            return Err(self.no_working_time());
        }
        let mut date = t.with_timezone(&self.tz).date_naive();
        loop {
            for (index, (s, e)) in self.periods_on(date).into_iter().enumerate() {
                if t < e {
                    return Ok(Position { date, index, at: t.max(s), end: e });
                }
            }
            date = next_date(date)?;
        }
    }

    /// The first working period after the one at (`date`, `index`).
    fn next_period(&self, date: NaiveDate, index: usize) -> Result<Position, CalendarError> {
        let periods = self.periods_on(date);
        if let Some((s, e)) = periods.get(index + 1) {
            return Ok(Position { date, index: index + 1, at: *s, end: *e });
        }
        let mut date = next_date(date)?;
        loop {
            if let Some((s, e)) = self.periods_on(date).first() {
                return Ok(Position { date, index: 0, at: *s, end: *e });
            }
            date = next_date(date)?;
        }
    }

    /// The `n`-th working day after `date` (`n` ≥ 1).
    fn nth_working_day_after(&self, date: NaiveDate, n: i64) -> Result<NaiveDate, CalendarError> {
        let mut date = date;
        let mut left = n;
        while left > 0 {
            date = next_date(date)?;
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        Ok(date)
    }

    /// One line describing the calendar: `default (Europe/Paris): mon..fri 09:00..18:00`.
    pub fn describe(&self) -> String {
        const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let days: Vec<&str> =
            NAMES.iter().zip(self.workdays).filter(|(_, on)| *on).map(|(n, _)| *n).collect();
        let days = if self.workdays == [true, true, true, true, true, false, false] {
            "mon..fri".to_string()
        } else {
            days.join(", ")
        };
        let hours: Vec<String> = self
            .hours
            .iter()
            .map(|(s, e)| format!("{}..{}", s.format("%H:%M"), e.format("%H:%M")))
            .collect();
        let mut text = format!("{} ({}): {} {}", self.name, self.tz.name(), days, hours.join(", "));
        if !self.holidays.is_empty() {
            let list: Vec<String> = self.holidays.iter().map(|d| d.to_string()).collect();
            text.push_str(&format!(", holidays {}", list.join(", ")));
        }
        text
    }
}

/// A place in the working time of a calendar: inside the period `index` of `date`, at `at`,
/// with the period ending at `end`.
#[derive(Clone, Copy, Debug)]
struct Position {
    date: NaiveDate,
    index: usize,
    at: DateTime<Utc>,
    end: DateTime<Utc>,
}

fn next_date(date: NaiveDate) -> Result<NaiveDate, CalendarError> {
    let last = NaiveDate::from_ymd_opt(LAST_DATE.0, LAST_DATE.1, LAST_DATE.2);
    match (date.succ_opt(), last) {
        (Some(next), Some(last)) if next <= last => Ok(next),
        _ => Err(CalendarError::OutOfRange),
    }
}

/// The moment of a local wall-clock time in `tz` (SPEC §8 "Calendar arithmetic"). A local time
/// that does not exist (in a DST gap, e.g. 02:30 on the last Sunday of March in Europe/Paris)
/// moves forward by the gap (→ 03:30 CEST); an ambiguous one (02:30 on the last Sunday of
/// October) takes the earlier offset, the one in force before the change (→ 02:30 CEST, i.e.
/// 00:30 UTC).
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(dt) => dt.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: read the local time with the offset in force before the gap, which
            // lands exactly the gap's length later on the wall clock. A day earlier is before
            // any real gap (offsets are within ±14 hours, gaps at most a day).
            let probe = local.checked_sub_signed(TimeDelta::days(1)).unwrap_or(local);
            let offset = tz.offset_from_utc_datetime(&probe).fix().local_minus_utc();
            let utc =
                local.checked_sub_signed(TimeDelta::seconds(i64::from(offset))).unwrap_or(local);
            Utc.from_utc_datetime(&utc)
        }
    }
}

/// A `Date` used as a moment: 00:00 of that day in `tz`, the clock's timezone (SPEC §8
/// "Moments from dates"); a midnight in a DST gap moves forward by the gap.
pub fn date_to_moment(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    local_to_utc(date.and_time(NaiveTime::MIN), tz)
}

/// `start + d` in calendar arithmetic (SPEC §8): weeks and days add calendar days keeping the
/// local time of day in `tz` (so across a DST change `1 day` is 23 or 25 hours), hours and
/// minutes add elapsed time. A duration that mixes units applies its days and weeks first (in
/// local time), then its hours and minutes (elapsed): `Sat 09:00 + 1 day 2 hours` is
/// `Sun 11:00` on the wall clock even when the night between them changed offset. Negative
/// parts (from `now - 1 day`) go backwards the same way. A result outside chrono's range
/// saturates to its bound; use [`checked_add_calendar`] to detect that.
pub fn add_calendar(start: DateTime<Utc>, d: &Duration, tz: Tz) -> DateTime<Utc> {
    checked_add_calendar(start, d, tz).unwrap_or_else(|| {
        let total = (i128::from(d.weeks) * 7 + i128::from(d.days)) * 1440
            + i128::from(d.hours) * 60
            + i128::from(d.minutes);
        if total < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        }
    })
}

/// [`add_calendar`], or `None` when the result is outside chrono's range.
pub fn checked_add_calendar(start: DateTime<Utc>, d: &Duration, tz: Tz) -> Option<DateTime<Utc>> {
    let days = d.weeks.checked_mul(7)?.checked_add(d.days)?;
    let mut t = start;
    if days != 0 {
        let local = start.with_timezone(&tz).naive_local();
        let moved = local.checked_add_signed(TimeDelta::try_days(days)?)?;
        t = local_to_utc(moved, tz);
    }
    let minutes = d.hours.checked_mul(60)?.checked_add(d.minutes)?;
    t.checked_add_signed(TimeDelta::try_minutes(minutes)?)
}

/// `start - d` in calendar arithmetic: [`add_calendar`] with every part negated.
pub fn sub_calendar(start: DateTime<Utc>, d: &Duration, tz: Tz) -> DateTime<Utc> {
    let neg = |x: i64| x.checked_neg().unwrap_or(i64::MAX);
    let negated = Duration {
        weeks: neg(d.weeks),
        days: neg(d.days),
        hours: neg(d.hours),
        minutes: neg(d.minutes),
    };
    add_calendar(start, &negated, tz)
}

/// `start + d` in working time (SPEC §8 "Working-time arithmetic"), in `cal`'s timezone with
/// half-open working periods:
/// 1. a start outside working time moves to the start of the next working period;
/// 2. weeks and days move to the N-th following working day (a holiday or a non-working
///    weekday is not one) at the same local time; a week counts as the calendar's number of
///    workdays (`1 week` = 5 working days for `mon..fri`);
/// 3. then hours and minutes count working minutes, period by period; a count that ends
///    exactly at a period's end stays there (Friday 16:00 + 2 hours → Friday 18:00).
///
/// Negative parts count as zero: working time only counts forward (the result is then the
/// start moved into working time). Time inside a period is elapsed time, so a period that
/// spans a DST change is an hour shorter or longer.
///
/// Errors instead of looping: [`CalendarError::NoWorkingTime`] when the calendar has no
/// working day or no hours, [`CalendarError::OutOfRange`] when the count would pass
/// 9999-12-31 (every search walks day by day up to that date at most).
pub fn add_working(
    start: DateTime<Utc>,
    d: &Duration,
    cal: &WorkCalendar,
) -> Result<DateTime<Utc>, CalendarError> {
    working(start, d, cal, &mut Trace::Off)
}

/// The steps of [`add_working`] in words, for the REPL's `why`: the calendar, where the start
/// moved, the working days added, each working period counted, and the result (or the
/// error). Moments are written in the calendar's timezone (`Sat 2026-03-07 10:00`).
pub fn explain_working(start: DateTime<Utc>, d: &Duration, cal: &WorkCalendar) -> Vec<String> {
    let mut trace = Trace::On(vec![format!("calendar {}", cal.describe())]);
    let result = working(start, d, cal, &mut trace);
    let mut lines = match trace {
        Trace::On(lines) => lines,
        Trace::Off => Vec::new(),
    };
    match result {
        Ok(t) => lines.push(format!("result {}", local_text(t, cal.tz))),
        Err(e) => lines.push(format!("error: {e}")),
    }
    lines
}

/// Where `working` writes its steps when explaining.
enum Trace {
    Off,
    On(Vec<String>),
}

impl Trace {
    fn note(&mut self, line: impl FnOnce() -> String) {
        if let Trace::On(lines) = self {
            lines.push(line());
        }
    }
}

/// `Sat 2026-03-07 10:00` in `tz`.
fn local_text(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %Y-%m-%d %H:%M").to_string()
}

fn plural(n: i64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn minutes_text(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => plural(m, "minute"),
        (h, 0) => plural(h, "hour"),
        (h, m) => format!("{} {}", plural(h, "hour"), plural(m, "minute")),
    }
}

fn working(
    start: DateTime<Utc>,
    d: &Duration,
    cal: &WorkCalendar,
    trace: &mut Trace,
) -> Result<DateTime<Utc>, CalendarError> {
    let tz = cal.tz;
    // Step 1: into working time.
    let mut pos = cal.locate(start)?;
    if pos.at == start {
        trace.note(|| format!("start {} is working time", local_text(start, tz)));
    } else {
        trace.note(|| {
            format!(
                "start {} is outside working time → {}",
                local_text(start, tz),
                local_text(pos.at, tz)
            )
        });
    }

    // Step 2: working days, at the same local time.
    let weeks = d.weeks.max(0);
    let days = weeks
        .checked_mul(cal.workdays_per_week())
        .and_then(|w| w.checked_add(d.days.max(0)))
        .ok_or(CalendarError::OutOfRange)?;
    if days > 0 {
        let time = pos.at.with_timezone(&tz).time();
        let date = cal.nth_working_day_after(pos.date, days)?;
        let moved = local_to_utc(date.and_time(time), tz);
        pos = cal.locate(moved)?;
        trace.note(|| {
            let week_note = if weeks > 0 {
                format!(" (a week counts {} working days)", cal.workdays_per_week())
            } else {
                String::new()
            };
            format!("+{}{week_note} → {}", plural(days, "working day"), local_text(pos.at, tz))
        });
    }

    // Step 3: working minutes, period by period.
    let total = d
        .hours
        .max(0)
        .checked_mul(60)
        .and_then(|h| h.checked_add(d.minutes.max(0)))
        .ok_or(CalendarError::OutOfRange)?;
    if total == 0 {
        return Ok(pos.at);
    }
    trace.note(|| format!("+{} of working time:", minutes_text(total)));
    let mut left = TimeDelta::try_minutes(total).ok_or(CalendarError::OutOfRange)?;
    let mut counted_periods = 0usize;
    let mut skipped = 0usize;
    loop {
        let available = pos.end - pos.at;
        let used = if left <= available { left } else { available };
        if counted_periods < EXPLAIN_PERIODS {
            trace.note(|| {
                format!(
                    "  {} on {}..{}",
                    minutes_text(used.num_minutes()),
                    local_text(pos.at, tz),
                    pos.at
                        .with_timezone(&tz)
                        .checked_add_signed(used)
                        .map_or_else(|| "?".to_string(), |end| end.format("%H:%M").to_string())
                )
            });
        } else {
            skipped += 1;
        }
        counted_periods += 1;
        if left <= available {
            if skipped > 0 {
                trace.note(|| format!("  … and {skipped} more working periods"));
            }
            return pos.at.checked_add_signed(left).ok_or(CalendarError::OutOfRange);
        }
        left -= available;
        pos = cal.next_period(pos.date, pos.index)?;
    }
}
