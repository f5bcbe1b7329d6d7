#![no_main]
//! Fuzz target `pipeline_frames`: see tests/robust_support/harness.rs for the input format.

#[path = "../../tests/robust_support/mod.rs"]
mod robust_support;
use robust_support::harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::frames_target(data);
});
