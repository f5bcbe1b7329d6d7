//! Unit tests of the OPC UA dissector.
