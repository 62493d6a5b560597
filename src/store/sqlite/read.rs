//! Reading a SQLite state back into the JSON pieces of the stored form (`doc.rs`).

use rusqlite::Connection;
use serde_json::Value as Json;

use super::sql_reason;

pub(super) fn read_rows(conn: &Connection) -> Result<Json, String> {
    let mut kinds: Vec<Json> = Vec::new();
    let mut stmt = conn
        .prepare("SELECT kind, n, body FROM rows ORDER BY kind, n")
        .map_err(|e| sql_reason(&e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))
        .map_err(|e| sql_reason(&e))?;
    for row in rows {
        let (kind, n, body) = row.map_err(|e| sql_reason(&e))?;
        let kind = usize::try_from(kind).map_err(|_| format!("row kind {kind}"))?;
        while kinds.len() <= kind {
            kinds.push(Json::Array(Vec::new()));
        }
        let Some(Json::Array(list)) = kinds.get_mut(kind) else { continue };
        if n != list.len() as i64 + 1 {
            return Err(format!("rows of kind {kind} are not numbered 1, 2, … (found {n})"));
        }
        list.push(serde_json::from_str(&body).map_err(|e| format!("row {kind}/{n}: {e}"))?);
    }
    Ok(Json::Array(kinds))
}

/// The effects, causes and origins of the `log` rows, in order; and the next row id.
pub(super) fn read_log(conn: &Connection) -> Result<([Vec<Json>; 3], i64), String> {
    let mut lists: [Vec<Json>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut next_id = 0;
    let mut stmt = conn
        .prepare("SELECT id, effects, causes, origins, body FROM log ORDER BY id")
        .map_err(|e| sql_reason(&e))?;
    let rows = stmt
        .query_map([], |r| {
            let starts = [r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?];
            Ok((r.get::<_, i64>(0)?, starts, r.get::<_, String>(4)?))
        })
        .map_err(|e| sql_reason(&e))?;
    for row in rows {
        let (id, starts, body) = row.map_err(|e| sql_reason(&e))?;
        let mut body: serde_json::Map<String, Json> =
            serde_json::from_str(&body).map_err(|e| format!("log {id}: {e}"))?;
        for ((name, list), start) in
            ["effects", "causes", "origins"].iter().zip(&mut lists).zip(starts)
        {
            if start != list.len() as i64 {
                return Err(format!("log {id}: {name} start at {start}, expected {}", list.len()));
            }
            if let Some(Json::Array(items)) = body.remove(*name) {
                list.extend(items);
            }
        }
        next_id = id + 1;
    }
    Ok((lists, next_id))
}

pub(super) fn read_keyed(conn: &Connection, query: &str) -> Result<Vec<(i64, Json)>, String> {
    let mut stmt = conn.prepare(query).map_err(|e| sql_reason(&e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| sql_reason(&e))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, body) = row.map_err(|e| sql_reason(&e))?;
        out.push((id, serde_json::from_str(&body).map_err(|e| format!("{query}: {id}: {e}"))?));
    }
    Ok(out)
}
