//! Suite `fmt` (being written).
