//! Unit tests of the checker over whole programs (stdlib included).

use crate::diag::Diagnostic;

/// Compiles one user file `sales.bp` with the stdlib.
fn compile(source: &str) -> crate::Compilation {
    crate::compile(&[("sales.bp".to_string(), source.to_string())])
}

fn render(compilation: &crate::Compilation) -> String {
    let mut out = String::new();
    for d in &compilation.diagnostics {
        out.push_str(&line(d, compilation));
        out.push('\n');
    }
    out
}

fn line(d: &Diagnostic, compilation: &crate::Compilation) -> String {
    let (l, c) = compilation.sources.start_of(d.primary.span);
    let file = &compilation.sources.get(d.primary.span.file).name;
    format!(
        "{} {file}:{l}:{c} {} [{}] {}",
        d.code,
        d.message,
        compilation.sources.snippet(d.primary.span),
        d.help.clone().unwrap_or_default()
    )
}

#[test]
fn stdlib_checks_clean() {
    let compilation = compile("");
    assert_eq!(render(&compilation), "");
    let model = &compilation.model;
    assert!(model.entities.contains_key("Deal"));
    assert!(model.actions.contains_key("create task"));
    assert!(model.events.contains_key("field changed"));
}
