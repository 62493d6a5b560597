//! Micro-benchmarks of two hot paths of the runtime (`bp bench template`, `bp bench workhours`).
//!
//! - `template`: the reference workload's notification text, `"{{d.title}} has waited a day
//!   in New ({{d.amount}})"`, parsed and checked once as a free expression (the scenario
//!   `expect` path) and evaluated `n` times through `Engine::eval` against one deal (field
//!   reads, Money rendering, text building).
//! - `workhours`: `n` working-time additions (`calendar::add_working`, SPEC §8) with the
//!   calendar of `bench::generate_program` (Europe/Paris, Mon–Fri, a lunch break, holidays),
//!   from start moments spread over a year, with delays of minutes, hours, days and weeks.
//!
//! Each returns how many operations ran, the seconds they took, and a checksum of the results
//! (so the work cannot be optimised away, and two runs can be compared).

use std::time::Instant;

use chrono::{DateTime, Duration as Elapsed, TimeZone, Utc};
use indexmap::IndexMap;
use rust_decimal::Decimal;

use crate::ast::Duration;
use crate::model::PipelineId;
use crate::runtime::calendar::{self, WorkCalendar};
use crate::runtime::{Engine, UserSpec, Value};
use crate::types::Type;

/// What a micro-benchmark measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    pub ops: u64,
    pub seconds: f64,
    /// Total bytes rendered (template) or the sum of result minutes mod 2^32 (workhours).
    pub checksum: u64,
}

/// The template the reference workload renders, over an alias `d`.
pub const TEMPLATE: &str = r#""{{d.title}} has waited a day in New ({{d.amount}})""#;

/// Renders the reference template `n` times.
pub fn template(n: u64) -> Result<Measured, String> {
    let compilation =
        crate::compile(&[("deals.bp".to_string(), super::deals::PROGRAM.to_string())]);
    if compilation.has_errors() {
        return Err("the workload program does not compile".to_string());
    }
    let model = compilation.model.clone();
    let mut sources = compilation.sources.clone();
    let file = sources.add("template.bp", TEMPLATE);
    let ast = crate::syntax::parse_expr(&sources, file, 0, TEMPLATE.len())
        .map_err(|_| "the template does not parse".to_string())?;
    let deal = model.entity_id("Deal").ok_or("no Deal entity")?;
    let scope = [("d".to_string(), Type::Entity(deal))];
    let expr = crate::check::check_expr(&model, &sources, &ast, &scope, Some(&Type::Text))
        .map_err(|_| "the template does not check".to_string())?;

    let mut engine = Engine::new(model.clone());
    let user =
        UserSpec { id: "rep".to_string(), name: "Robin Rep".to_string(), ..UserSpec::default() };
    engine.add_user(user).map_err(|e| e.message)?;
    let mut fields = IndexMap::new();
    fields.insert("title".to_string(), Value::Text("Deal 42".to_string()));
    fields.insert("amount".to_string(), Value::Money(Decimal::new(123_450, 2)));
    fields.insert("responsible".to_string(), Value::User("rep".to_string()));
    let pipeline = model.pipelines.get_index_of("deals").map(|i| PipelineId(i as u32));
    let r = engine.create(deal, fields, pipeline, None).map_err(|e| e.message)?;
    let vars = [("d".to_string(), Value::Entity(r))];

    let start = Instant::now();
    let mut checksum = 0u64;
    for _ in 0..n {
        match engine.eval(&expr, &vars).map_err(|e| e.message)? {
            Value::Text(t) => checksum += t.len() as u64,
            other => return Err(format!("the template gave {other:?}")),
        }
    }
    Ok(Measured { ops: n, seconds: start.elapsed().as_secs_f64(), checksum })
}

/// The calendar of the generated program (`bench::generate_program`'s prelude).
const CALENDAR: &str = r#"calendar default {
  timezone "Europe/Paris"
  workdays mon..fri
  hours 09:00..13:00, 14:00..18:00
  holidays 2026-12-25, 2027-01-01
}
"#;

/// `n` working-time additions.
pub fn workhours(n: u64) -> Result<Measured, String> {
    let compilation = crate::compile(&[("calendar.bp".to_string(), CALENDAR.to_string())]);
    if compilation.has_errors() {
        return Err("the calendar does not compile".to_string());
    }
    let cal = WorkCalendar::resolve(&compilation.model, None, None, chrono_tz::Tz::UTC);
    let delays = [
        Duration { weeks: 0, days: 0, hours: 0, minutes: 30 },
        Duration { weeks: 0, days: 0, hours: 2, minutes: 0 },
        Duration { weeks: 0, days: 0, hours: 12, minutes: 0 },
        Duration { weeks: 0, days: 1, hours: 0, minutes: 0 },
        Duration { weeks: 0, days: 3, hours: 4, minutes: 0 },
        Duration { weeks: 1, days: 0, hours: 0, minutes: 0 },
    ];
    let base = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).single().ok_or("bad base")?;
    let start = Instant::now();
    let mut checksum = 0u64;
    for i in 0..n {
        // Start moments every 7 h 13 min over about a year: nights, weekends, breaks, holidays.
        let at: DateTime<Utc> = base + Elapsed::minutes(((i * 433) % 525_600) as i64);
        let delay = &delays[(i % delays.len() as u64) as usize];
        let end = calendar::add_working(at, delay, &cal).map_err(|e| e.to_string())?;
        checksum = checksum.wrapping_add((end.timestamp() / 60) as u64) & 0xffff_ffff;
    }
    Ok(Measured { ops: n, seconds: start.elapsed().as_secs_f64(), checksum })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_renders_the_deal() {
        let measured = template(3).expect("runs");
        assert_eq!(measured.ops, 3);
        // "Deal 42 has waited a day in New (" + the amount + ")", three times.
        assert!(measured.checksum > 3 * 40, "{}", measured.checksum);
        assert_eq!(measured.checksum % 3, 0);
    }

    #[test]
    fn working_hours_arithmetic_is_deterministic() {
        let a = workhours(500).expect("runs");
        let b = workhours(500).expect("runs");
        assert_eq!(a.ops, 500);
        assert_eq!(a.checksum, b.checksum);
        assert_ne!(a.checksum, 0);
    }
}
