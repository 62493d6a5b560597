//! Unit tests of the lexical details of `.bp` parsing.
