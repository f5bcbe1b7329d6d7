//! Support code of the robustness tests and fuzz targets (see each file).
#![allow(dead_code)]
pub mod harness;
pub mod netgen;
