//! Suite `cli` (being written).
