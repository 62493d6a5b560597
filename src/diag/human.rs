//! Human diagnostics through miette (being written).
