//! The type rules of SPEC §6.3 for operators, as pure functions of the operand types, so they
//! can be tested as tables. `expressions.rs` turns an `OpError` into an E0104 diagnostic.

use crate::ast::{BinaryOp, UnaryOp};
use crate::types::Type;

use super::types::fits;

/// What the context allows.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OpOptions {
    /// In an `at` header, arithmetic on an optional is allowed; a missing operand skips the
    /// rule (SPEC §3.5).
    pub allow_optional: bool,
    /// The Duration operand is a literal counting only days and weeks, so `Date ± it` stays a
    /// Date (SPEC §6.3).
    pub days_only: bool,
}

/// Which operand a type error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Blame {
    Left,
    Right,
    Whole,
}

/// A type error of an operator, worded for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpError {
    pub message: String,
    pub label: String,
    pub help: Option<String>,
    pub blame: Blame,
}

fn error(message: String, label: String, help: Option<&str>, blame: Blame) -> OpError {
    OpError { message, label, help: help.map(String::from), blame }
}

/// The type of `left OP right`, or why it is an error. `name` writes a type as in source.
pub(crate) fn binary_type(
    op: BinaryOp,
    left: &Type,
    right: &Type,
    opts: OpOptions,
    name: &dyn Fn(&Type) -> String,
) -> Result<Type, OpError> {
    use BinaryOp::*;
    if left.is_error() || right.is_error() {
        return Ok(if matches!(op, Add | Sub | Mul | Div | Coalesce) {
            Type::Error
        } else {
            Type::Bool
        });
    }
    match op {
        And | Or => logic(op, left, right, name),
        Eq | Ne => comparable(left, right, name).map(|_| Type::Bool),
        Lt | Le | Gt | Ge => ordering(op, left, right, name),
        Contains => contains(left, right, name),
        StartsWith => starts_with(left, right, name),
        In => membership(left, right, name),
        Add | Sub | Mul | Div => arithmetic(op, left, right, opts, name),
        Coalesce => coalesce(left, right, name),
    }
}

/// The type of `OP operand`.
pub(crate) fn unary_type(
    op: UnaryOp,
    operand: &Type,
    opts: OpOptions,
    name: &dyn Fn(&Type) -> String,
) -> Result<Type, OpError> {
    if operand.is_error() {
        return Ok(Type::Error);
    }
    match op {
        UnaryOp::Not => match operand.base() {
            Type::Bool => Ok(Type::Bool),
            _ => Err(error(
                format!("`not` needs a `Bool`, found `{}`", name(operand)),
                format!("this is `{}`", name(operand)),
                None,
                Blame::Right,
            )),
        },
        UnaryOp::Neg => {
            if operand.is_optional() && !opts.allow_optional {
                return Err(optional_operand("-", operand, Blame::Right, name));
            }
            match operand.base() {
                Type::Number | Type::Money | Type::Duration => Ok(operand.clone()),
                _ => Err(error(
                    format!("cannot negate `{}`", name(operand)),
                    format!("this is `{}`", name(operand)),
                    None,
                    Blame::Right,
                )),
            }
        }
    }
}

fn logic(
    op: BinaryOp,
    left: &Type,
    right: &Type,
    name: &dyn Fn(&Type) -> String,
) -> Result<Type, OpError> {
    for (side, blame) in [(left, Blame::Left), (right, Blame::Right)] {
        if side.base() != &Type::Bool {
            return Err(error(
                format!("`{}` needs `Bool` operands, found `{}`", op.as_str(), name(side)),
                format!("this is `{}`", name(side)),
                Some("compare the value: `x == …`, `x != none`"),
                blame,
            ));
        }
    }
    Ok(Type::Bool)
}

/// `==` and `!=`: the two sides must be values of one type (optionals and `none` allowed,
/// Number with Money, Date with DateTime); an enum never equals a text or another enum.
pub(crate) fn comparable(
    left: &Type,
    right: &Type,
    name: &dyn Fn(&Type) -> String,
) -> Result<(), OpError> {
    let (l, r) = (left.base(), right.base());
    if matches!(l, Type::None | Type::Error) || matches!(r, Type::None | Type::Error) {
        return Ok(());
    }
    match (l, r) {
        (Type::Enum(a), Type::Enum(b)) if a != b => Err(error(
            format!("cannot compare `{}` with `{}`", name(l), name(r)),
            "members of different enums".into(),
            None,
            Blame::Whole,
        )),
        (Type::Enum(members), Type::Text) | (Type::Text, Type::Enum(members)) => {
            let mut error = error(
                format!("cannot compare `{}` with `{}`", name(l), name(r)),
                "an enum member is not a text".into(),
                None,
                Blame::Whole,
            );
            if let Some(member) = members.first() {
                error.help = Some(format!("write a member without quotes, such as `{member}`"));
            }
            Err(error)
        }
        _ if fits(l, r) || fits(r, l) || l.is_numeric() && r.is_numeric() => Ok(()),
        (Type::Date | Type::DateTime, Type::Date | Type::DateTime) => Ok(()),
        _ => Err(error(
            format!("cannot compare `{}` with `{}`", name(l), name(r)),
            "values of different types".into(),
            None,
            Blame::Whole,
        )),
    }
}

fn ordering(
    op: BinaryOp,
    left: &Type,
    right: &Type,
    name: &dyn Fn(&Type) -> String,
) -> Result<Type, OpError> {
    let (l, r) = (left.base(), right.base());
    let ordered = match (l, r) {
        (a, b) if a.is_numeric() && b.is_numeric() => true,
        (Type::Date | Type::DateTime, Type::Date | Type::DateTime) => true,
        (Type::Duration, Type::Duration) | (Type::Text, Type::Text) => true,
        (Type::Stage, Type::Stage) => {
            return Err(error(
                "stages cannot be ordered".into(),
                format!("`{}` compares stages", op.as_str()),
                Some("compare stages with `==`, `!=` or `in [a, b]`"),
                Blame::Whole,
            ))
        }
        _ => false,
    };
    if ordered {
        Ok(Type::Bool)
    } else {
        Err(error(
            format!("cannot order `{}` and `{}`", name(left), name(right)),
            format!("`{}` needs numbers, amounts, dates, durations or texts", op.as_str()),
            None,
            Blame::Whole,
        ))
    }
}

fn contains(left: &Type, right: &Type, name: &dyn Fn(&Type) -> String) -> Result<Type, OpError> {
    match (left.base(), right.base()) {
        (Type::Text, Type::Text) => Ok(Type::Bool),
        (Type::List(element), _) => {
            comparable(element, right, name)?;
            Ok(Type::Bool)
        }
        (Type::EmptyList, _) => Ok(Type::Bool),
        (Type::Text, _) => Err(error(
            format!("`contains` on a text needs a text, found `{}`", name(right)),
            format!("this is `{}`", name(right)),
            None,
            Blame::Right,
        )),
        _ => Err(error(
            format!("`contains` needs a text or a list, found `{}`", name(left)),
            format!("this is `{}`", name(left)),
            Some("compare the value with `==`, or test a text field"),
            Blame::Left,
        )),
    }
}

fn starts_with(left: &Type, right: &Type, name: &dyn Fn(&Type) -> String) -> Result<Type, OpError> {
    for (side, blame) in [(left, Blame::Left), (right, Blame::Right)] {
        if side.base() != &Type::Text {
            return Err(error(
                format!("`starts with` needs texts, found `{}`", name(side)),
                format!("this is `{}`", name(side)),
                None,
                blame,
            ));
        }
    }
    Ok(Type::Bool)
}

fn membership(left: &Type, right: &Type, name: &dyn Fn(&Type) -> String) -> Result<Type, OpError> {
    match right.base() {
        Type::List(element) => {
            comparable(left, element, name)?;
            Ok(Type::Bool)
        }
        Type::EmptyList => Ok(Type::Bool),
        _ => Err(error(
            format!("`in` needs a list on its right, found `{}`", name(right)),
            format!("this is `{}`", name(right)),
            Some("write a list: `x in [a, b]`"),
            Blame::Right,
        )),
    }
}

fn optional_operand(
    op: &str,
    operand: &Type,
    blame: Blame,
    name: &dyn Fn(&Type) -> String,
) -> OpError {
    if matches!(operand, Type::None) {
        return error(format!("`{op}` on `none`"), "a missing value".into(), None, blame);
    }
    error(
        format!("`{op}` on an optional `{}`", name(operand)),
        "this may be missing".into(),
        Some("use `?? 0` to give it a value when it is missing"),
        blame,
    )
}

fn arithmetic(
    op: BinaryOp,
    left: &Type,
    right: &Type,
    opts: OpOptions,
    name: &dyn Fn(&Type) -> String,
) -> Result<Type, OpError> {
    let optional = left.is_optional() || right.is_optional();
    if optional && !opts.allow_optional || matches!(left, Type::None) || matches!(right, Type::None)
    {
        let (side, blame) =
            if left.is_optional() { (left, Blame::Left) } else { (right, Blame::Right) };
        return Err(optional_operand(op.as_str(), side, blame, name));
    }
    let result = arithmetic_base(op, left.base(), right.base(), opts.days_only, name)?;
    Ok(if optional { result.optional() } else { result })
}

fn arithmetic_base(
    op: BinaryOp,
    l: &Type,
    r: &Type,
    days_only: bool,
    name: &dyn Fn(&Type) -> String,
) -> Result<Type, OpError> {
    use BinaryOp::{Add, Div, Mul, Sub};
    use Type::{Date, DateTime, Duration, Money, Number, Text};
    let date_plus = if days_only { Date } else { DateTime };
    Ok(match (op, l, r) {
        (Add | Sub | Mul | Div, Number, Number) => Number,
        (Add | Sub, Money, Money | Number) | (Add | Sub, Number, Money) => Money,
        (Mul, Money, Number) | (Mul, Number, Money) | (Div, Money, Number) => Money,
        (Div, Money, Money) => Number,
        (Add | Sub, Date, Duration) | (Add, Duration, Date) => date_plus,
        (Add | Sub, DateTime, Duration) | (Add, Duration, DateTime) => DateTime,
        (Add | Sub, Duration, Duration) => Duration,
        (Sub, Date | DateTime, Date | DateTime) => Duration,
        (Add, Text, Text) => {
            return Err(error(
                "`+` does not join texts".into(),
                "both sides are `Text`".into(),
                Some("use a template: \"{{a}}{{b}}\""),
                Blame::Whole,
            ))
        }
        (Mul, Money, Money) => {
            return Err(error(
                "cannot multiply `Money` by `Money`".into(),
                "both sides are `Money`".into(),
                Some("multiply an amount by a Number"),
                Blame::Whole,
            ))
        }
        _ => {
            return Err(error(
                format!("cannot apply `{}` to `{}` and `{}`", op.as_str(), name(l), name(r)),
                format!("`{}` and `{}`", name(l), name(r)),
                None,
                Blame::Whole,
            ))
        }
    })
}

/// `a ?? b`: `b` when `a` is missing; the result is `a`'s type without `?` (optional again
/// when `b` is optional).
fn coalesce(left: &Type, right: &Type, name: &dyn Fn(&Type) -> String) -> Result<Type, OpError> {
    let l = left.base();
    if matches!(right, Type::None) {
        return Ok(left.clone());
    }
    let r = right.base();
    let result = if matches!(l, Type::None) || fits(r, l) && !matches!(l, Type::EmptyList) {
        if matches!(l, Type::None) {
            r.clone()
        } else {
            l.clone()
        }
    } else if fits(l, r) {
        r.clone()
    } else {
        return Err(error(
            format!("`??` gives `{}` where `{}` is missing", name(right), name(left)),
            format!("this is `{}`", name(right)),
            Some("give a default of the same type"),
            Blame::Right,
        ));
    };
    Ok(if right.is_optional() { result.optional() } else { result })
}

#[cfg(test)]
mod tests;
