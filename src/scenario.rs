//! TODO: scenario (being written).
