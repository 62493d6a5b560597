//! TODO: fmt (being written).
