//! Statements, action calls and their named-argument blocks.

use super::items::{end, start};
use super::text;
use super::Formatter;
use crate::ast::{ArgValue, Block, Call, LetValue, NamedArg, NamedArgs, Stmt, StmtKind};
use crate::span::Span;

impl Formatter<'_> {
    /// `HEADER { statements }` for a rule, a process, `for each` or a `branch`.
    pub(crate) fn block(&mut self, depth: usize, start: usize, header: String, block: &Block) {
        let brace = start_of(block.span);
        let close = self.close_brace(block.span);
        self.braced(depth, start, (brace, close), header, block.stmts.is_empty(), |f| {
            f.stmts(depth + 1, &block.stmts);
        });
    }

    fn stmts(&mut self, depth: usize, stmts: &[Stmt]) {
        for stmt in stmts {
            self.stmt(depth, stmt);
        }
    }

    fn stmt(&mut self, depth: usize, stmt: &Stmt) {
        let from = start(stmt.span);
        match &stmt.kind {
            StmtKind::Let { name, value: LetValue::Call(call) } => {
                self.call(depth, stmt.span, format!("let {name} = "), call)
            }
            StmtKind::Call(call) => self.call(depth, stmt.span, String::new(), call),
            StmtKind::If { branches, otherwise } => {
                self.if_chain(depth, stmt.span, branches, otherwise.as_ref())
            }
            StmtKind::ForEach { name, list, body } => {
                let header = format!("for each {name} in {}", text::expr(list));
                self.block(depth, from, header, body)
            }
            StmtKind::Parallel { branches } => self.parallel(depth, stmt.span, branches),
            kind => {
                let line = text::simple_statement(kind).unwrap_or_default();
                self.p.line(depth, from, end(stmt.span), &line)
            }
        }
    }

    /// `if A { … } else if B { … } else { … }`: `else` on the line of the `}` before it.
    fn if_chain(
        &mut self,
        depth: usize,
        span: Span,
        branches: &[(crate::ast::Expr, Block)],
        otherwise: Option<&Block>,
    ) {
        let mut previous: Option<&Block> = None;
        for (condition, block) in branches {
            let condition = text::expr(condition);
            match previous {
                None => self.p.open(
                    depth,
                    start(span),
                    start_of(block.span),
                    &format!("if {condition}"),
                ),
                Some(before) => {
                    let close = self.close_brace(before.span);
                    self.p.reopen(
                        depth,
                        close,
                        start_of(block.span),
                        &format!("else if {condition}"),
                    );
                }
            }
            self.stmts(depth + 1, &block.stmts);
            previous = Some(block);
        }
        if let (Some(block), Some(before)) = (otherwise, previous) {
            let close = self.close_brace(before.span);
            self.p.reopen(depth, close, start_of(block.span), "else");
            self.stmts(depth + 1, &block.stmts);
            previous = Some(block);
        }
        if let Some(last) = previous {
            let close = self.close_brace(last.span);
            self.p.close(depth, close);
        }
    }

    /// `parallel { branch { … } branch { … } }`, one `branch` per line.
    fn parallel(&mut self, depth: usize, span: Span, branches: &[Block]) {
        let brace = self.brace_after(start(span) + "parallel".len());
        let close = self.close_brace(span);
        let header = "parallel".to_string();
        self.braced(depth, start(span), (brace, close), header, branches.is_empty(), |f| {
            for branch in branches {
                f.block(depth + 1, start_of(branch.span), "branch".to_string(), branch);
            }
        });
    }

    /// An action call, with its named arguments on the line when they fit, else one per line.
    fn call(&mut self, depth: usize, span: Span, prefix: String, call: &Call) {
        let head = format!("{prefix}{}", text::call_parts(&call.parts));
        match &call.named {
            None => self.p.line(depth, start(span), end(span), &head),
            Some(named) => match self.named_inline(named, depth, &head) {
                Some(inline) => {
                    self.p.line(depth, start(span), end(span), &format!("{head} {inline}"))
                }
                None => self.named_block(depth, start(span), head, named),
            },
        }
    }

    /// `HEAD {` then one entry per line, then `}`.
    fn named_block(&mut self, depth: usize, start: usize, head: String, named: &NamedArgs) {
        let brace = start_of(named.span);
        let close = self.close_brace(named.span);
        self.braced(depth, start, (brace, close), head, named.entries.is_empty(), |f| {
            for entry in &named.entries {
                f.named_entry(depth + 1, entry);
            }
        });
    }

    fn named_entry(&mut self, depth: usize, entry: &NamedArg) {
        let head = format!("{}:", entry.name);
        if let ArgValue::Record(record) = &entry.value {
            if self.named_inline(record, depth, &head).is_none() {
                return self.named_block(depth, start(entry.span), head, record);
            }
        }
        let line = format!("{head} {}", self.arg_value(&entry.value, depth, &head));
        self.p.line(depth, start(entry.span), end(entry.span), &line);
    }

    fn arg_value(&self, value: &ArgValue, depth: usize, head: &str) -> String {
        match value {
            ArgValue::Expr(value) => text::expr(value),
            ArgValue::Record(record) => {
                self.named_inline(record, depth, head).unwrap_or_else(|| "{}".to_string())
            }
            ArgValue::In { delay, working_hours, .. } => {
                format!("in {}{}", text::delay(delay), text::working_hours(working_hours))
            }
        }
    }

    /// `{ a: 1, b: x }` when the block was written on one line, holds no comment, no `"""`
    /// string, and fits on the line after `head` (docs/style.md, "Named arguments").
    fn named_inline(&self, named: &NamedArgs, depth: usize, head: &str) -> Option<String> {
        if named.entries.is_empty() && !self.p.has_comment_in(start(named.span), end(named.span)) {
            return Some("{}".to_string());
        }
        let mut entries = Vec::new();
        for entry in &named.entries {
            if let ArgValue::Record(record) = &entry.value {
                self.named_inline(record, 0, "")?;
            }
            entries.push(format!("{}: {}", entry.name, self.arg_value(&entry.value, 0, "")));
        }
        let inline = format!("{{ {} }}", entries.join(", "));
        let close = self.close_brace(named.span);
        let line = format!("{head} {inline}");
        self.fits_inline(start(named.span), close, depth, &line).then_some(inline)
    }
}

fn start_of(span: Span) -> usize {
    span.start as usize
}
