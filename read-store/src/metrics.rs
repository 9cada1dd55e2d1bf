//! Reads of the hourly metric rollups (see `projection::rollups`).
