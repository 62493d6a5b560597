//! Text literals (SPEC §2): `"…"` with the escapes `\" \\ \n \t \{`, `"""…"""` with the
//! indentation rule, and `{{ EXPR }}` interpolations, into an `ast::Template`.

use pest::iterators::Pair;

use crate::ast::{Expr, Template, TemplatePart};
use crate::diag::{Code, Diagnostic};
use crate::span::Span;

use super::expressions::parse_expr_built;
use super::grammar::Rule;
use super::Ctx;

/// A piece of a string before indentation handling.
enum Piece {
    /// Source text, as written.
    Raw(String),
    /// The text of an escape (never stripped as indentation).
    Escaped(char),
    Interp(Expr),
}

/// `template`: `"…"` or `"""…"""` with escapes and `{{ EXPR }}`; returns its depth too.
pub(crate) fn parse_template(ctx: &Ctx<'_>, pair: Pair<'_, Rule>) -> Option<(Template, u32)> {
    let inner = pair.into_inner().next()?;
    let span = ctx.span(&inner);
    match inner.as_rule() {
        Rule::unterminated_string => {
            let open = Span::new(ctx.file, span.start as usize, span.start as usize + 1);
            ctx.error(
                Diagnostic::new(Code::E0001, "unterminated text", open, "this `\"` is never closed")
                    .with_help("add the closing `\"` on the same line, or use `\"\"\"` for text on several lines"),
            );
            None
        }
        Rule::unterminated_triple => {
            let open = Span::new(ctx.file, span.start as usize, span.start as usize + 3);
            ctx.error(
                Diagnostic::new(
                    Code::E0001,
                    "unterminated text",
                    open,
                    "this `\"\"\"` is never closed",
                )
                .with_help("add the closing `\"\"\"`"),
            );
            None
        }
        rule => {
            let triple = rule == Rule::triple_string;
            let source = inner.as_str();
            let (pieces, depth) = parse_pieces(ctx, inner)?;
            let parts = if triple { dedent(source, pieces) } else { join_pieces(pieces) };
            Some((Template { parts, triple }, depth + 1))
        }
    }
}

fn parse_pieces(ctx: &Ctx<'_>, string: Pair<'_, Rule>) -> Option<(Vec<Piece>, u32)> {
    let mut pieces = Vec::new();
    let mut depth = 0;
    let mut ok = true;
    for piece in string.into_inner() {
        match piece.as_rule() {
            Rule::escape => match parse_escape(ctx, &piece) {
                Some(c) => pieces.push(Piece::Escaped(c)),
                None => ok = false,
            },
            Rule::interp => {
                let built = piece
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::expr)
                    .and_then(|expr| parse_expr_built(ctx, expr));
                match built {
                    Some(built) => {
                        depth = depth.max(built.depth);
                        pieces.push(Piece::Interp(built.expr));
                    }
                    None => ok = false,
                }
            }
            _ => pieces.push(Piece::Raw(piece.as_str().to_string())),
        }
    }
    ok.then_some((pieces, depth))
}

/// `\" \\ \n \t \{` (SPEC §2); anything else is E0001.
fn parse_escape(ctx: &Ctx<'_>, pair: &Pair<'_, Rule>) -> Option<char> {
    let escaped = pair.as_str().chars().nth(1);
    let decoded = match escaped {
        Some('"') => Some('"'),
        Some('\\') => Some('\\'),
        Some('n') => Some('\n'),
        Some('t') => Some('\t'),
        Some('{') => Some('{'),
        _ => None,
    };
    if decoded.is_none() {
        let shown = pair.as_str();
        ctx.error(
            Diagnostic::new(
                Code::E0001,
                format!("unknown escape `{shown}`"),
                ctx.span(pair),
                "not an escape",
            )
            .with_help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\{`"),
        );
    }
    decoded
}

fn join_pieces(pieces: Vec<Piece>) -> Vec<TemplatePart> {
    let mut parts = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Raw(text) => push_text(&mut parts, &text),
            Piece::Escaped(c) => push_text(&mut parts, c.encode_utf8(&mut [0; 4])),
            Piece::Interp(expr) => parts.push(TemplatePart::Expr(expr)),
        }
    }
    parts
}

fn push_text(parts: &mut Vec<TemplatePart>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(TemplatePart::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(TemplatePart::Text(text.to_string()));
    }
}

/// SPEC §2 `"""` strings: a newline right after the opening quotes is dropped, and the closing
/// line's indentation is removed from every line (a line indented less loses what it has of it).
/// `\r\n` becomes `\n`. Escapes and interpolations are never indentation.
fn dedent(source: &str, pieces: Vec<Piece>) -> Vec<TemplatePart> {
    let content = source.get(3..source.len().saturating_sub(3)).unwrap_or("");
    let last_line = content.rsplit('\n').next().unwrap_or("");
    let indent: Vec<char> =
        if content.contains('\n') && last_line.chars().all(|c| c == ' ' || c == '\t') {
            last_line.chars().collect()
        } else {
            Vec::new()
        };
    let mut parts = Vec::new();
    let mut out = String::new();
    let mut first = true; // still before anything: the opening newline may be dropped
    let mut at_line_start = false;
    let mut stripped = 0;
    for piece in pieces {
        match piece {
            Piece::Raw(text) => {
                let mut chars = text.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        continue;
                    }
                    if first {
                        first = false;
                        if c == '\n' {
                            at_line_start = true;
                            stripped = 0;
                            continue;
                        }
                    }
                    if c == '\n' {
                        out.push('\n');
                        at_line_start = true;
                        stripped = 0;
                        continue;
                    }
                    if at_line_start && stripped < indent.len() && c == indent[stripped] {
                        stripped += 1;
                        continue;
                    }
                    at_line_start = false;
                    out.push(c);
                }
            }
            Piece::Escaped(c) => {
                first = false;
                at_line_start = false;
                out.push(c);
            }
            Piece::Interp(expr) => {
                first = false;
                at_line_start = false;
                push_text(&mut parts, &std::mem::take(&mut out));
                parts.push(TemplatePart::Expr(expr));
            }
        }
    }
    push_text(&mut parts, &out);
    parts
}
