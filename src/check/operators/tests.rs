//! SPEC §6.3 type rules as tables of (operator, left, right, result).

use crate::ast::{BinaryOp, UnaryOp};
use crate::types::Type;

use super::*;

fn name(ty: &Type) -> String {
    ty.to_string()
}

fn opt(ty: Type) -> Type {
    ty.optional()
}

fn binary(op: BinaryOp, left: Type, right: Type) -> Result<Type, OpError> {
    binary_type(op, &left, &right, OpOptions::default(), &name)
}

#[test]
fn arithmetic_results() {
    use BinaryOp::*;
    use Type::*;
    let table = [
        (Add, Number, Number, Number),
        (Add, Money, Money, Money),
        (Add, Money, Number, Money),
        (Sub, Number, Money, Money),
        (Mul, Money, Number, Money),
        (Mul, Number, Money, Money),
        (Div, Money, Number, Money),
        (Div, Money, Money, Number),
        (Div, Number, Number, Number),
        (Add, DateTime, Duration, DateTime),
        (Sub, DateTime, Duration, DateTime),
        (Add, Duration, DateTime, DateTime),
        (Add, Date, Duration, DateTime),
        (Sub, Date, Date, Duration),
        (Sub, DateTime, Date, Duration),
        (Add, Duration, Duration, Duration),
        (Add, Error, Text, Error),
    ];
    for (op, left, right, expected) in table {
        assert_eq!(binary(op, left.clone(), right.clone()), Ok(expected), "{left} {op:?} {right}");
    }
}

#[test]
fn date_plus_days_stays_a_date() {
    let opts = OpOptions { days_only: true, ..OpOptions::default() };
    let result = binary_type(BinaryOp::Add, &Type::Date, &Type::Duration, opts, &name);
    assert_eq!(result, Ok(Type::Date));
}

#[test]
fn arithmetic_errors() {
    use BinaryOp::*;
    use Type::*;
    let table = [
        (Mul, Money, Money, "cannot multiply `Money` by `Money`"),
        (Add, Text, Text, "`+` does not join texts"),
        (Div, Number, Money, "cannot apply `/` to `Number` and `Money`"),
        (Add, Bool, Number, "cannot apply `+` to `Bool` and `Number`"),
        (Add, Type::Money.optional(), Number, "`+` on an optional `Money?`"),
        (Sub, Date, Type::None, "`-` on `none`"),
    ];
    for (op, left, right, message) in table {
        let error = binary(op, left.clone(), right.clone()).expect_err("an error");
        assert_eq!(error.message, message, "{left} {op:?} {right}");
    }
}

#[test]
fn optional_arithmetic_has_the_coalesce_help_and_is_allowed_in_at_headers() {
    let error = binary(BinaryOp::Sub, opt(Type::Date), Type::Duration).expect_err("an error");
    assert_eq!(error.help.as_deref(), Some("use `?? 0` to give it a value when it is missing"));
    assert_eq!(error.blame, Blame::Left);
    let opts = OpOptions { allow_optional: true, days_only: true };
    let result = binary_type(BinaryOp::Sub, &opt(Type::Date), &Type::Duration, opts, &name);
    assert_eq!(result, Ok(opt(Type::Date)));
}

#[test]
fn comparisons() {
    use BinaryOp::*;
    use Type::*;
    let members = |m: &[&str]| Enum(m.iter().map(|s| s.to_string()).collect::<Vec<_>>().into());
    let ok = [
        (Eq, Money, Number),
        (Ne, opt(Entity(crate::model::EntityId(0))), None),
        (Eq, Stage, Stage),
        (Eq, Date, DateTime),
        (Lt, Money, Number),
        (Ge, opt(Date), DateTime),
        (Lt, Text, Text),
        (Contains, Text, Text),
        (Contains, List(Box::new(User)), User),
        (In, Stage, List(Box::new(Stage))),
        (In, Text, EmptyList),
        (StartsWith, opt(Text), Text),
        (Eq, members(&["a", "b"]), members(&["a", "b"])),
        (And, Bool, opt(Bool)),
    ];
    for (op, left, right) in ok {
        assert_eq!(binary(op, left.clone(), right.clone()), Ok(Bool), "{left} {op:?} {right}");
    }
    let bad = [
        (Lt, Stage, Stage, "stages cannot be ordered"),
        (Contains, Money, Text, "`contains` needs a text or a list, found `Money`"),
        (Eq, members(&["a"]), Text, "cannot compare `Enum(a)` with `Text`"),
        (Eq, members(&["a"]), members(&["b"]), "cannot compare `Enum(a)` with `Enum(b)`"),
        (Eq, Text, Number, "cannot compare `Text` with `Number`"),
        (In, Text, Text, "`in` needs a list on its right, found `Text`"),
        (And, Bool, Money, "`and` needs `Bool` operands, found `Money`"),
        (Lt, Bool, Bool, "cannot order `Bool` and `Bool`"),
    ];
    for (op, left, right, message) in bad {
        let error = binary(op, left.clone(), right.clone()).expect_err("an error");
        assert_eq!(error.message, message, "{left} {op:?} {right}");
    }
}

#[test]
fn coalesce_gives_the_base_type() {
    use Type::*;
    let table = [
        (opt(Money), Number, Money),
        (opt(Text), Text, Text),
        (opt(Text), opt(Text), opt(Text)),
        (Number, Money, Money),
        (opt(Date), None, opt(Date)),
    ];
    for (left, right, expected) in table {
        assert_eq!(binary(BinaryOp::Coalesce, left.clone(), right.clone()), Ok(expected));
    }
    assert!(binary(BinaryOp::Coalesce, opt(Text), Number).is_err());
}

#[test]
fn unary_rules() {
    let opts = OpOptions::default();
    assert_eq!(unary_type(UnaryOp::Neg, &Type::Money, opts, &name), Ok(Type::Money));
    assert_eq!(unary_type(UnaryOp::Not, &opt(Type::Bool), opts, &name), Ok(Type::Bool));
    assert!(unary_type(UnaryOp::Neg, &opt(Type::Number), opts, &name).is_err());
    assert!(unary_type(UnaryOp::Not, &Type::Text, opts, &name).is_err());
}
