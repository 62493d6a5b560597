//! Suite `run` (being written).
