//! json, sarif and github renderers (being written).
