//! TODO: graph (being written).
