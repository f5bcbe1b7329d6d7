#![no_main]
//! Fuzz target `udp_dns`: see tests/robust_support/harness.rs for the input format.

#[path = "../../tests/robust_support/mod.rs"]
mod robust_support;
use robust_support::harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::t::udp_dns(data);
});
