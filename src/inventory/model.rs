//! The asset model as the report carries it (serialisable both ways for `diff` and `merge`).

use crate::evidence::Frame;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One service an asset answered on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Service {
    pub transport: String,
    pub port: u16,
    /// Recognised protocol (from content), or null when none was recognised.
    pub protocol: Option<String>,
    /// What the port usually carries, when the content was not recognised.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub port_guess: Option<String>,
    pub clients: Vec<String>,
    pub flows: u64,
    pub first_ts: String,
    pub last_ts: String,
    pub evidence: Vec<Frame>,
    /// Sensors (sites) that saw this, in a merged report (`otscope merge`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sensors: Vec<String>,
}

/// A role with the confidence the evidence supports and the facts used.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Role {
    pub role: String,
    pub confidence: f64,
    pub evidence: Vec<String>,
}

/// Where an identity value came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    pub field: String,
    pub value: String,
    pub source: String,
    pub confidence: u8,
    pub frames: Vec<Frame>,
    /// Sensors (sites) that saw this, in a merged report (`otscope merge`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sensors: Vec<String>,
}

/// Normalised identity; every value also appears in `provenance` with its source.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Identity {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vendor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub firmware: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hardware_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub serial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub order_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub device_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub application_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub product_uri: Option<String>,
    /// Protocol-specific fields (e.g. `s7comm.plant_id`), best value per field.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub attributes: BTreeMap<String, String>,
    /// Fields where sources disagree (e.g. OUI says Moxa, CIP says Rockwell: a gateway).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub conflicts: Vec<String>,
    pub provenance: Vec<Provenance>,
}

/// One asset: a device, keyed by IP address.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Asset {
    pub ip: String,
    /// The device's own MAC address(es), learned on its local segment.
    pub macs: Vec<String>,
    pub mac_vendor: Option<String>,
    /// MACs this IP was only seen behind (routers/gateways); not the device's own.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub gateway_macs: Vec<String>,
    pub vlans: Vec<u16>,
    pub zone: Option<String>,
    pub level: Option<f64>,
    pub roles: Vec<Role>,
    pub identity: Identity,
    pub services: Vec<Service>,
    /// Protocols this asset used as a client.
    pub protocols: Vec<String>,
    pub packets_sent: u64,
    pub packets_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub first_ts: String,
    pub last_ts: String,
    /// Notes for the operator (dual-homed, ARP conflict, ...).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
    /// Sensors (sites) that saw this, in a merged report (`otscope merge`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sensors: Vec<String>,
}
