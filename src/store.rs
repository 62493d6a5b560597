//! TODO: store (being written).
