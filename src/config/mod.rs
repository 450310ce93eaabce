//! Scenario files: parsing TOML into typed, validated configuration.

pub mod field;
