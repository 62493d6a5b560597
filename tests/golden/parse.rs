//! Suite `parse` (being written).
