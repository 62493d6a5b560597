//! W0203 `unused-let`: a `let` whose name no later statement reads.
//!
//! Names follow the scoping of SPEC §4: a `let` is visible to the later statements of its block
//! and the blocks nested in them (a `parallel` branch is a block of its own); a later `let` or
//! `for each` of the same name hides it from there on. A read is a name in any expression —
//! templates (`"{{link.url}}"`), conditions, named arguments, `set` targets (`set t.x = …` reads
//! `t`), `where` conditions — or a bare word of an action call that names it (`notify owner
//! "…"`: SPEC §5 resolves such a word to a name in scope).
//!
//! The lint is conservative: a bare word that could also be a stage or a keyword of the call
//! counts as a read, so it may miss an unused `let`, never report a used one.

use crate::ast::{
    ArgValue, Block, CallPart, CallPartKind, DelayExpr, Expr, ExprKind, LetValue, NamedArgs, Stmt,
    StmtKind, TemplatePart,
};
use crate::diag::{Code, Diagnostic, Diagnostics};

/// Reports the unused `let`s of a rule's or a process's body.
pub(super) fn check_block(body: &Block, diags: &mut Diagnostics) {
    let mut walker = Walker::default();
    walker.block(body);
    for binding in walker.bindings {
        if let (Some(statement), false) = (binding.statement, binding.read) {
            diags.push(unused_let(binding.name, statement));
        }
    }
}

/// A name bound by a `let` (with its statement) or a `for each` (not reported).
struct Binding<'a> {
    name: &'a str,
    statement: Option<&'a Stmt>,
    read: bool,
}

#[derive(Default)]
struct Walker<'a> {
    /// Every binding, in source order.
    bindings: Vec<Binding<'a>>,
    /// The bindings visible at this point, innermost block last; each block lists indices into
    /// `bindings` in binding order.
    scopes: Vec<Vec<usize>>,
}

impl<'a> Walker<'a> {
    fn block(&mut self, block: &'a Block) {
        self.scopes.push(Vec::new());
        for statement in &block.stmts {
            self.statement(statement);
        }
        self.scopes.pop();
    }

    fn bind(&mut self, name: &'a str, statement: Option<&'a Stmt>) {
        self.bindings.push(Binding { name, statement, read: false });
        let index = self.bindings.len() - 1;
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(index);
        }
    }

    /// Marks the innermost visible binding of `name` as read.
    fn read(&mut self, name: &str) {
        let visible = self.scopes.iter().rev().flat_map(|scope| scope.iter().rev());
        let found = visible.copied().find(|&index| self.bindings[index].name == name);
        if let Some(index) = found {
            self.bindings[index].read = true;
        }
    }

    fn statement(&mut self, statement: &'a Stmt) {
        match &statement.kind {
            StmtKind::Let { name, value } => {
                match value {
                    LetValue::Expr(expr) => self.expr(expr),
                    LetValue::Call(call) => self.call(&call.parts, call.named.as_ref()),
                }
                self.bind(name.as_str(), Some(statement));
            }
            StmtKind::Set { target, value } => {
                self.expr(target);
                self.expr(value);
            }
            StmtKind::If { branches, otherwise } => {
                for (condition, branch) in branches {
                    self.expr(condition);
                    self.block(branch);
                }
                if let Some(otherwise) = otherwise {
                    self.block(otherwise);
                }
            }
            StmtKind::ForEach { name, list, body } => {
                self.expr(list);
                self.scopes.push(Vec::new());
                self.bind(name.as_str(), None);
                self.block(body);
                self.scopes.pop();
            }
            StmtKind::Parallel { branches } => branches.iter().for_each(|b| self.block(b)),
            StmtKind::WaitDelay { delay, .. } => self.delay(delay),
            StmtKind::WaitUntil { moment } => self.expr(moment),
            StmtKind::Call(call) => self.call(&call.parts, call.named.as_ref()),
            StmtKind::WaitStage { .. }
            | StmtKind::MoveStage { .. }
            | StmtKind::MovePipeline { .. }
            | StmtKind::Stop => {}
        }
    }

    fn call(&mut self, parts: &'a [CallPart], named: Option<&'a NamedArgs>) {
        for part in parts {
            self.part(part);
        }
        if let Some(named) = named {
            self.named(named);
        }
    }

    fn part(&mut self, part: &'a CallPart) {
        match &part.kind {
            CallPartKind::Word(word) => self.read(word.as_str()),
            CallPartKind::Value(expr) | CallPartKind::Where(expr) => self.expr(expr),
            CallPartKind::Run(parts) => parts.iter().for_each(|p| self.part(p)),
        }
    }

    fn named(&mut self, named: &'a NamedArgs) {
        for entry in &named.entries {
            match &entry.value {
                ArgValue::Expr(expr) => self.expr(expr),
                ArgValue::Record(record) => self.named(record),
                ArgValue::In { delay, .. } => self.delay(delay),
            }
        }
    }

    fn delay(&mut self, delay: &'a DelayExpr) {
        if let DelayExpr::Const(name) = delay {
            self.read(name.as_str());
        }
    }

    fn expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Name(name) => self.read(name.as_str()),
            ExprKind::Field(base, _) => self.expr(base),
            ExprKind::Text(template) => {
                for part in &template.parts {
                    if let TemplatePart::Expr(inner) = part {
                        self.expr(inner);
                    }
                }
            }
            ExprKind::List(items) => items.iter().for_each(|item| self.expr(item)),
            ExprKind::Unary(_, operand) => self.expr(operand),
            ExprKind::Binary(_, left, right) => {
                self.expr(left);
                self.expr(right);
            }
            ExprKind::Literal(_) | ExprKind::Now => {}
        }
    }
}

fn unused_let(name: &str, statement: &Stmt) -> Diagnostic {
    let help = match &statement.kind {
        StmtKind::Let { value: LetValue::Call(_), .. } => {
            format!("to run the action without keeping its result, drop `let {name} =`")
        }
        _ => format!("remove this `let`, or use `{name}` in a later statement"),
    };
    Diagnostic::new(
        Code::W0203,
        format!("`{name}` is never read"),
        statement.span,
        format!("`{name}` is bound here and never used"),
    )
    .with_help(help)
}
