//! TODO: syntax (being written).
