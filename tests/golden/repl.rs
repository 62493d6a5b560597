//! Suite `repl` (being written).
