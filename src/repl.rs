//! TODO: repl (being written).
