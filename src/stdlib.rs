//! The standard library sources (`stdlib/*.bp`), embedded in the binary. They are registered
//! in the `SourceMap` under their repository paths so diagnostics can point into them.

/// (path, text) of every stdlib file, in the order they are compiled.
pub const FILES: &[(&str, &str)] = &[
    ("stdlib/entities.bp", include_str!("../stdlib/entities.bp")),
    ("stdlib/actions.bp", include_str!("../stdlib/actions.bp")),
    ("stdlib/events.bp", include_str!("../stdlib/events.bp")),
];
