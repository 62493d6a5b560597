//! Unit tests of the REPL session and its completion.
