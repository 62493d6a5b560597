use super::*;
use crate::diag::Code;
use crate::source::SourceMap;
use crate::span::{FileId, Span};

fn sources() -> (SourceMap, FileId) {
    let mut map = SourceMap::new();
    let file = map.add("dir, with: comma/sales.bp", "pipeline sales for Deal {\n  stage né\n}\n");
    (map, file)
}

fn diagnostics(file: FileId) -> Vec<Diagnostic> {
    vec![
        Diagnostic::new(Code::E0101, "unknown stage `né`", Span::new(file, 34, 37), "here")
            .with_help("did you mean `new`?")
            .with_secondary(Span::new(file, 9, 14), "in this pipeline"),
        Diagnostic::new(
            Code::W0204,
            "100% sure: no success stage\nsecond line",
            Span::new(file, 0, 23),
            "",
        ),
    ]
}

#[test]
fn json_has_the_spec_keys_in_order_with_one_based_positions() {
    let (map, file) = sources();
    let text = json(&diagnostics(file), &map);
    assert!(text.ends_with("}\n") && text.lines().count() == 1);
    let value: Value = serde_json::from_str(&text).expect("valid json");
    let entries = value["diagnostics"].as_array().expect("an array");
    let keys: Vec<&str> =
        entries[0].as_object().expect("object").keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        ["code", "severity", "message", "file", "line", "column", "end_line", "end_column", "help"]
    );
    assert_eq!(entries[0]["code"], "E0101");
    assert_eq!(entries[0]["severity"], "error");
    assert_eq!(entries[0]["file"], "dir, with: comma/sales.bp");
    // `né` starts at line 2, column 9 and ends after its two characters (column 11).
    assert_eq!((entries[0]["line"].as_u64(), entries[0]["column"].as_u64()), (Some(2), Some(9)));
    assert_eq!(entries[0]["end_column"], 11);
    assert_eq!(entries[0]["help"], "did you mean `new`?");
    assert_eq!(entries[1]["severity"], "warning");
    assert!(entries[1]["help"].is_null());
}

#[test]
fn json_of_nothing_is_an_empty_list() {
    let (map, _) = sources();
    assert_eq!(json(&[], &map), "{\"diagnostics\":[]}\n");
}

#[test]
fn sarif_has_the_properties_the_2_1_0_schema_requires() {
    let (map, file) = sources();
    let log: Value = serde_json::from_str(&sarif(&diagnostics(file), &map)).expect("valid json");
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().is_some_and(|s| s.contains("sarif")));
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "bp");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["E0101", "W0204"]);
    assert_eq!(rules[1]["name"], "no-success-stage");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    for (result, level) in results.iter().zip(["error", "warning"]) {
        assert_eq!(result["level"], level);
        assert!(result["message"]["text"].is_string());
        let physical = &result["locations"][0]["physicalLocation"];
        assert!(physical["artifactLocation"]["uri"].is_string());
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(physical["region"][key].as_u64().is_some_and(|n| n >= 1), "{key}");
        }
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    assert_eq!(results[0]["message"]["text"], "unknown stage `né`\nhelp: did you mean `new`?");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "dir%2C%20with%3A%20comma/sales.bp"
    );
    assert_eq!(results[0]["relatedLocations"][0]["message"]["text"], "in this pipeline");
}

#[test]
fn github_prints_one_escaped_workflow_command_per_diagnostic() {
    let (map, file) = sources();
    assert_eq!(
        github(&diagnostics(file), &map),
        "::error file=dir%2C with%3A comma/sales.bp,line=2,col=9::E0101 unknown stage `né`\n\
         ::warning file=dir%2C with%3A comma/sales.bp,line=1,col=1::W0204 100%25 sure: no success stage%0Asecond line\n"
    );
}

#[test]
fn file_uris_are_percent_encoded_and_absolute_paths_use_file_scheme() {
    let cases = [
        ("examples/a.bp", "examples/a.bp"),
        ("my dir/é.bp", "my%20dir/%C3%A9.bp"),
        ("/tmp/x.bp", "file:///tmp/x.bp"),
        ("C:\\work\\x.bp", "C%3A/work/x.bp"),
    ];
    for (path, uri) in cases {
        assert_eq!(file_uri(path), uri, "{path}");
    }
}
