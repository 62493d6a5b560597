//! Suite `conformance` (being written).
