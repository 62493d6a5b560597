//! Suite `check` (being written).
