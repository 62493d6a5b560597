//! Machine-readable diagnostics (SPEC §11): `json`, `sarif` (SARIF 2.1.0) and `github`
//! (workflow commands). All three read the same `Diagnostic` data as the human renderer and
//! take positions from `SourceMap` through `diag::Location` (1-based lines, columns counted in
//! characters).
//!
//! - json: one line, `{"diagnostics":[…]}`, keys in the SPEC's order, `help` null when absent.
//! - sarif: one pretty-printed SARIF 2.1.0 log with one run; `rules` lists the codes used, in
//!   code order; columns are declared as `unicodeCodePoints`, which is how we count them.
//! - github: one `::error file=…,line=…,col=…::CODE message` line per diagnostic (`::warning`
//!   for warnings), escaped by GitHub's workflow-command rules; exactly the SPEC's properties.

use serde::Serialize;
use serde_json::{json, Value};

use super::{Code, Diagnostic, Location, Severity};
use crate::source::SourceMap;

/// The SARIF version written and its schema.
pub const SARIF_VERSION: &str = "2.1.0";
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// One entry of the json format, fields in the order SPEC §11 lists them.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

/// `{"diagnostics":[{"code","severity","message","file","line","column","end_line",
/// "end_column","help"}]}` on one line, with a final newline.
pub fn json(diagnostics: &[Diagnostic], map: &SourceMap) -> String {
    let report = JsonReport {
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                let location = Location::of(map, d.span());
                JsonDiagnostic {
                    code: d.code.as_str(),
                    severity: d.severity.as_str(),
                    message: &d.message,
                    file: location.file,
                    line: location.line,
                    column: location.column,
                    end_line: location.end_line,
                    end_column: location.end_column,
                    help: d.help.as_deref(),
                }
            })
            .collect(),
    };
    let mut out = serde_json::to_string(&report).unwrap_or_else(|_| String::from("{}"));
    out.push('\n');
    out
}

/// A SARIF 2.1.0 log with one run of the `bp` driver, pretty-printed, with a final newline.
pub fn sarif(diagnostics: &[Diagnostic], map: &SourceMap) -> String {
    let mut codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<Value> = codes.iter().map(|c| sarif_rule(*c)).collect();
    let results: Vec<Value> =
        diagnostics.iter().map(|d| sarif_result(d, map, rule_index(&codes, d.code))).collect();
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {
                "driver": {
                    "name": "bp",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_else(|_| String::from("{}"));
    out.push('\n');
    out
}

fn rule_index(codes: &[Code], code: Code) -> usize {
    codes.iter().position(|c| *c == code).unwrap_or(0)
}

/// A `reportingDescriptor`: the code, its kebab-case name and its one-line meaning.
fn sarif_rule(code: Code) -> Value {
    json!({
        "id": code.as_str(),
        "name": kebab(code.meaning()),
        "shortDescription": { "text": code.meaning() },
        "defaultConfiguration": { "level": sarif_level(code.severity()) },
    })
}

/// `unknown action, event or argument` → `unknown-action-event-or-argument`.
fn kebab(text: &str) -> String {
    let words: Vec<&str> =
        text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    words.join("-")
}

fn sarif_result(diagnostic: &Diagnostic, map: &SourceMap, rule_index: usize) -> Value {
    let mut result = json!({
        "ruleId": diagnostic.code.as_str(),
        "ruleIndex": rule_index,
        "level": sarif_level(diagnostic.severity),
        "message": { "text": sarif_message(diagnostic) },
        "locations": [sarif_location(&Location::of(map, diagnostic.span()), None)],
    });
    if !diagnostic.secondary.is_empty() {
        let related: Vec<Value> = diagnostic
            .secondary
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let mut location =
                    sarif_location(&Location::of(map, label.span), Some(&label.text));
                location["id"] = json!(i);
                location
            })
            .collect();
        result["relatedLocations"] = Value::Array(related);
    }
    result
}

/// The message, then the notes and the help on their own lines (SARIF viewers show one text).
fn sarif_message(diagnostic: &Diagnostic) -> String {
    let mut text = diagnostic.message.clone();
    for note in &diagnostic.notes {
        text.push_str("\nnote: ");
        text.push_str(note);
    }
    if let Some(help) = &diagnostic.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    text
}

fn sarif_location(location: &Location, message: Option<&str>) -> Value {
    let mut value = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": file_uri(&location.file) },
            "region": {
                "startLine": location.line,
                "startColumn": location.column,
                "endLine": location.end_line,
                "endColumn": location.end_column,
            }
        }
    });
    if let Some(text) = message.filter(|t| !t.is_empty()) {
        value["message"] = json!({ "text": text });
    }
    value
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A file name as a URI reference: relative paths stay relative (`examples/a%20b.bp`),
/// absolute ones become `file:///…`; anything outside RFC 3986's unreserved characters and
/// `/` is percent-encoded. Windows separators become `/`.
pub fn file_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    if path.starts_with('/') {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

/// One GitHub workflow command per diagnostic, each on its own line:
/// `::error file=F,line=L,col=C::CODE message` (`::warning …` for warnings).
pub fn github(diagnostics: &[Diagnostic], map: &SourceMap) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let location = Location::of(map, diagnostic.span());
        out.push_str(&format!(
            "::{} file={},line={},col={}::{}\n",
            diagnostic.severity.as_str(),
            escape_property(&location.file),
            location.line,
            location.column,
            escape_data(&format!("{} {}", diagnostic.code, diagnostic.message)),
        ));
    }
    out
}

/// Escapes a workflow-command message: `%`, `\r`, `\n`.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow-command property value: as a message, plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests;
