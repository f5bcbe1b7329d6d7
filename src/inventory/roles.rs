//! Roles from behaviour. Each rule looks at what an asset served and answered, what it did as a
//! client (operations classified by the dissectors), its identity and discovery facts, and gives
//! a confidence with the facts it used. A port alone never gives more than low confidence (0.3).

use crate::inventory::model::{Identity, Role};
use crate::inventory::observation::Op;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Protocols a controller (PLC) serves.
pub const CONTROLLER_PROTOS: [&str; 4] = ["modbus", "s7comm", "s7comm_plus", "enip"];
/// Industrial protocols (client side).
pub const ICS_PROTOS: [&str; 10] = [
    "modbus",
    "s7comm",
    "s7comm_plus",
    "enip",
    "cip_io",
    "opcua",
    "mms",
    "dnp3",
    "iec104",
    "bacnet",
];
/// Remote-access services.
pub const REMOTE_ACCESS: [&str; 4] = ["ssh", "rdp", "vnc", "telnet"];

/// What an asset did, gathered for the role rules.
#[derive(Debug, Default, Clone)]
pub struct Behavior {
    /// Recognised protocols it answered on, with their clients.
    pub served: BTreeMap<String, BTreeSet<IpAddr>>,
    /// Ports it answered on without a recognised protocol (port guess, if any).
    pub served_guess: BTreeSet<String>,
    /// Ports it connected to as a client where nothing was recognised (port guesses).
    pub used_guess: BTreeSet<String>,
    /// Protocols it used as a client (answered), with the servers.
    pub used: BTreeMap<String, BTreeSet<IpAddr>>,
    /// Packets exchanged and longest conversation (seconds) per protocol it used as a client.
    pub used_volume: BTreeMap<String, (u64, u64)>,
    /// Operations it performed as a client: (protocol, op) -> count.
    pub ops: BTreeMap<(String, Op), u64>,
    /// Facts about it: key -> values.
    pub facts: BTreeMap<String, BTreeSet<String>>,
    /// Its clients come from the internet or from other zones' remote users.
    pub remote_clients_public: bool,
    /// Role hints from the MAC vendor (signatures/vendor_roles.tsv): role -> weight.
    pub vendor_hints: BTreeMap<String, f64>,
    /// Role hints from banners and descriptions (signatures/banners.tsv): (role, why).
    pub banner_hints: Vec<(String, String)>,
    /// Other addresses whose frames carry this asset's own MAC (it routes for them).
    pub routes_for: usize,
    /// The asset itself has a public address (internet hosts get no plant roles).
    pub remote_self: bool,
    /// Vendor of its own MAC, and whether the OUI is an ICS vendor.
    pub oui_vendor: Option<String>,
    pub oui_ics: bool,
}

impl Behavior {
    fn op_count(&self, pred: impl Fn(&str, Op) -> bool) -> u64 {
        self.ops
            .iter()
            .filter(|((p, o), _)| pred(p, *o))
            .map(|(_, n)| n)
            .sum()
    }
    fn fact(&self, k: &str) -> Option<&BTreeSet<String>> {
        self.facts.get(k)
    }
    fn fact_has(&self, k: &str, needle: &str) -> bool {
        self.fact(k)
            .is_some_and(|v| v.iter().any(|x| x.to_ascii_lowercase().contains(needle)))
    }
    fn serves(&self, p: &str) -> bool {
        self.served.contains_key(p)
    }
    fn uses(&self, p: &str) -> bool {
        self.used.contains_key(p)
    }
    fn vendor_hint(&self, role: &str) -> Option<f64> {
        self.vendor_hints.get(role).copied()
    }
}

struct Scores(BTreeMap<&'static str, (f64, Vec<String>)>);

impl Scores {
    fn add(&mut self, role: &'static str, conf: f64, why: String) {
        let e = self.0.entry(role).or_insert((0.0, Vec::new()));
        // Independent pieces of evidence raise confidence: 1 - (1-a)(1-b).
        e.0 = 1.0 - (1.0 - e.0) * (1.0 - conf);
        if e.1.len() < 8 {
            e.1.push(why);
        }
    }
}

fn list(s: &BTreeSet<IpAddr>) -> String {
    let v: Vec<String> = s.iter().take(4).map(|i| i.to_string()).collect();
    if s.len() > 4 {
        format!("{} and {} more", v.join(", "), s.len() - 4)
    } else {
        v.join(", ")
    }
}

/// Roles of one asset, most confident first.
pub fn roles(b: &Behavior, id: &Identity) -> Vec<Role> {
    if b.remote_self {
        return external_roles(b);
    }
    let mut s = Scores(BTreeMap::new());
    let dtype = id
        .device_type
        .clone()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let order = id.order_number.clone().unwrap_or_default();
    let controller_identity = dtype.contains("programmable logic controller")
        || order.starts_with("6ES7")
        || id.provenance.iter().any(|p| {
            p.source.starts_with("modbus.read_device_id")
                || p.source.starts_with("s7comm.szl")
                || p.source.starts_with("modbus.umas")
        });

    // --- controllers and field devices
    for p in CONTROLLER_PROTOS {
        if let Some(clients) = b.served.get(p) {
            if controller_identity {
                s.add(
                    "plc",
                    0.9,
                    format!("serves {p} to {} with a controller identity", list(clients)),
                );
            } else {
                s.add("plc", 0.55, format!("serves {p} to {}", list(clients)));
            }
        }
    }
    if dtype.contains("programmable logic controller") {
        s.add(
            "plc",
            0.6,
            format!(
                "identifies itself as device type {:?}",
                id.device_type.as_deref().unwrap_or("")
            ),
        );
    }
    if dtype.contains("adapter") || dtype.contains("i/o") || dtype.contains("drive") {
        s.add(
            "io_device",
            0.7,
            format!("device type {:?}", id.device_type.as_deref().unwrap_or("")),
        );
    }
    if b.fact_has("profinet.role", "io_device") {
        s.add("io_device", 0.8, "PROFINET DCP role IO device".into());
    }
    if b.fact_has("profinet.role", "io_controller") {
        s.add("plc", 0.7, "PROFINET DCP role IO controller".into());
    }
    if b.serves("cip_io") {
        s.add("io_device", 0.5, "target of CIP implicit I/O".into());
    }
    for g in &b.served_guess {
        if ["modbus", "iso_tsap", "enip"].contains(&g.as_str()) {
            s.add(
                "plc",
                0.3,
                format!("answers on the {g} port (content not recognised)"),
            );
        }
    }

    // --- OPC UA server
    if let Some(clients) = b.served.get("opcua") {
        s.add(
            "opcua_server",
            0.9,
            format!("serves OPC UA to {}", list(clients)),
        );
    }

    // --- network devices
    let net_caps = b.fact_has("lldp.capabilities", "bridge")
        || b.fact_has("lldp.capabilities", "router")
        || b.fact_has("cdp.capabilities", "switch")
        || b.fact_has("cdp.capabilities", "router");
    if net_caps {
        s.add(
            "network_device",
            0.9,
            "LLDP/CDP capabilities bridge/router".into(),
        );
    }
    if b.fact("snmp.sysServices_layers")
        .is_some_and(|v| v.iter().any(|x| x.contains('2') || x.contains('3')))
    {
        s.add(
            "network_device",
            0.6,
            "SNMP sysServices: layer 2/3 device".into(),
        );
    }
    let mgmt_served = ["telnet", "ssh", "snmp", "http", "tls"]
        .iter()
        .filter(|p| b.serves(p))
        .count();
    let sys = id
        .provenance
        .iter()
        .filter(|p| {
            p.field == "snmp.sysDescr"
                || p.field == "telnet.banner"
                || p.field == "lldp.system_description"
        })
        .map(|p| p.value.to_ascii_lowercase())
        .collect::<Vec<_>>();
    let switchy = sys.iter().any(|d| {
        [
            "switch",
            "router",
            "railswitch",
            "ethernet switch",
            "firewall",
            "ios",
            "gateway",
        ]
        .iter()
        .any(|k| d.contains(k))
    });
    if switchy {
        s.add(
            "network_device",
            0.75,
            "banner/sysDescr names a switch or router".into(),
        );
    }
    // A network vendor's MAC on a box that serves controller protocols is an I/O or gateway
    // product of that vendor, not a switch.
    let serves_controller = CONTROLLER_PROTOS.iter().any(|p| b.serves(p));
    if let (Some(w), true) = (
        b.vendor_hint("network_device"),
        mgmt_served > 0 && !serves_controller,
    ) {
        s.add(
            "network_device",
            w,
            format!(
                "{} MAC and management services",
                b.oui_vendor.as_deref().unwrap_or("")
            ),
        );
    }
    for (role, why) in &b.banner_hints {
        if let Some(r) = ["plc", "hmi", "network_device", "io_device", "scada_server"]
            .into_iter()
            .find(|r| r == role)
        {
            // A banner can lie or be generic: it supports a role, it does not make one alone.
            if r != "network_device" || mgmt_served > 0 || s.0.contains_key("network_device") {
                s.add(r, 0.35, why.clone());
            }
        }
    }

    // --- what it does as a client
    let eng = b.op_count(|_, o| o.is_engineering());
    if eng > 0 {
        let what: BTreeSet<&str> = b
            .ops
            .keys()
            .filter(|(_, o)| o.is_engineering())
            .map(|(_, o)| o.name())
            .collect();
        s.add(
            "engineering_workstation",
            0.9,
            format!(
                "engineering operations: {}",
                what.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    let browse =
        b.op_count(|p, o| matches!(o, Op::Identify | Op::Discovery) && p != "snmp" && p != "opcua");
    if browse > 0 {
        s.add(
            "engineering_workstation",
            0.35,
            "identifies/discovers controllers (identity queries, ListIdentity)".into(),
        );
    }
    if b.fact("profinet.identify_request").is_some() {
        s.add(
            "engineering_workstation",
            0.5,
            "sends PROFINET DCP identify requests".into(),
        );
    }
    if b.uses("ftp")
        && b.used.get("ftp").is_some_and(|srv| {
            srv.iter()
                .any(|ip| b.served.is_empty() && !ip.is_loopback())
        })
        && (b.uses("s7comm") || b.uses("enip") || b.uses("modbus"))
    {
        s.add(
            "engineering_workstation",
            0.3,
            "transfers files and uses controller protocols".into(),
        );
    }
    let ics_used: Vec<&str> = ICS_PROTOS.iter().copied().filter(|p| b.uses(p)).collect();
    let controller_used: Vec<&str> = CONTROLLER_PROTOS
        .iter()
        .copied()
        .filter(|p| b.uses(p))
        .collect();
    let reads = b.op_count(|p, o| o == Op::Read && CONTROLLER_PROTOS.contains(&p));
    let writes = b.op_count(|p, o| o == Op::Write && CONTROLLER_PROTOS.contains(&p));
    let tag_access = b.ops.keys().any(|(p, o)| {
        (p == "s7comm" || p == "enip" || p == "s7comm_plus") && matches!(o, Op::Read | Op::Write)
    });
    let polling = b
        .ops
        .keys()
        .any(|(p, o)| (p == "modbus" || p == "dnp3" || p == "iec104") && *o == Op::Read);
    let servers: BTreeSet<IpAddr> = controller_used
        .iter()
        .flat_map(|p| b.used[*p].iter().copied())
        .collect();
    // Sustained polling (at least ten reads), not a one-off look.
    if reads >= 10 && eng == 0 {
        if tag_access {
            let mut c = 0.6;
            if writes > 0 {
                c += 0.1;
            }
            s.add(
                "hmi",
                c,
                format!(
                    "reads{} controller tags over {} on {}",
                    if writes > 0 { " and writes" } else { "" },
                    controller_used.join("/"),
                    list(&servers)
                ),
            );
            if let Some(w) = b.vendor_hint("hmi") {
                s.add(
                    "hmi",
                    w,
                    format!("{} panel-PC MAC", b.oui_vendor.as_deref().unwrap_or("")),
                );
            }
        }
        if polling {
            let mut c = 0.6;
            if servers.len() >= 2 {
                c += 0.1;
            }
            s.add(
                "scada_server",
                c,
                format!("polls {} on {}", controller_used.join("/"), list(&servers)),
            );
            if let Some(w) = b.vendor_hint("scada_server") {
                s.add(
                    "scada_server",
                    w,
                    format!("{} server-class MAC", b.oui_vendor.as_deref().unwrap_or("")),
                );
            }
        }
    }
    // Historian: collects OPC UA data (subscriptions, reads, or a sustained session whose
    // contents are encrypted) and changes nothing; often exports files.
    let ua_sub = b.op_count(|p, o| p == "opcua" && o == Op::Subscribe);
    let ua_reads = b.op_count(|p, o| p == "opcua" && o == Op::Read);
    let ua_writes = b.op_count(|p, o| p == "opcua" && (o == Op::Write || o == Op::Call));
    let (ua_pkts, ua_span) = b.used_volume.get("opcua").copied().unwrap_or_default();
    if b.uses("opcua") && ua_writes == 0 && eng == 0 && controller_used.is_empty() && !b.remote_self
    {
        let srv = b.used.get("opcua").cloned().unwrap_or_default();
        if ua_sub > 0 || ua_reads > 0 {
            s.add("historian", if ua_sub > 0 { 0.75 } else { 0.55 }, format!("collects OPC UA data ({ua_sub} subscription and {ua_reads} read operations) from {}", list(&srv)));
        } else if ua_pkts >= 20 || ua_span >= 10 {
            s.add("historian", 0.5, format!("sustained OPC UA session with {} ({ua_pkts} packets over {ua_span} s; contents encrypted)", list(&srv)));
        }
        let exports = b
            .ops
            .iter()
            .any(|((p, o), _)| p == "ftp" && *o == Op::Write)
            || b.uses("ftp-data")
            || b.uses("mssql")
            || b.uses("smb");
        if exports && s.0.contains_key("historian") {
            s.add(
                "historian",
                0.3,
                "exports data (file transfer to another host)".into(),
            );
        }
    }
    // Monitoring: SNMP polling.
    if let Some(agents) = b.used.get("snmp") {
        s.add(
            "monitoring_server",
            0.75,
            format!("polls SNMP agents {}", list(agents)),
        );
        if b.uses("ssh") || b.uses("http") || b.uses("tls") {
            s.add(
                "monitoring_server",
                0.1,
                "also checks services (SSH/HTTP)".into(),
            );
        }
    }
    // Jump host: remote access in, sessions out.
    let ra_in: Vec<&str> = REMOTE_ACCESS
        .iter()
        .copied()
        .filter(|p| b.serves(p) && *p != "telnet")
        .collect();
    let out: Vec<&str> = REMOTE_ACCESS
        .iter()
        .copied()
        .chain(ICS_PROTOS)
        .filter(|p| b.uses(p))
        .collect();
    if !ra_in.is_empty() {
        let clients: BTreeSet<IpAddr> = ra_in
            .iter()
            .flat_map(|p| b.served[*p].iter().copied())
            .collect();
        // Onward management sessions (SSH, telnet, RDP, VNC, FTP) are what a jump host is for;
        // onward industrial polling alone is what an HMI with a remote-view server does.
        let mgmt_out: Vec<&str> = REMOTE_ACCESS
            .iter()
            .copied()
            .chain(["ftp", "http", "tls"])
            .filter(|p| b.uses(p))
            .collect();
        if !mgmt_out.is_empty() {
            s.add(
                "jump_host",
                0.8,
                format!(
                    "accepts {} from {} and opens {} sessions onward",
                    ra_in.join("/"),
                    list(&clients),
                    mgmt_out.join("/")
                ),
            );
        } else if !out.is_empty() {
            s.add(
                "jump_host",
                0.4,
                format!(
                    "accepts {} from {} and uses {}",
                    ra_in.join("/"),
                    list(&clients),
                    out.join("/")
                ),
            );
        } else if b.remote_clients_public {
            s.add(
                "jump_host",
                0.55,
                format!("accepts {} from the internet", ra_in.join("/")),
            );
        }
    }
    if b.routes_for > 0 {
        s.add(
            "network_device",
            0.85,
            format!(
                "its MAC routes traffic for {} other address(es): a router or firewall interface",
                b.routes_for
            ),
        );
    }
    if b.fact("remote_access.tool").is_some() {
        s.add("jump_host", 0.3, "remote-access tool traffic".into());
    }
    // Generic workstations.
    if !ics_used.is_empty()
        && s.0.keys().all(|r| {
            ![
                "engineering_workstation",
                "hmi",
                "scada_server",
                "historian",
            ]
            .contains(r)
        })
    {
        s.add("workstation", 0.4, format!("uses {}", ics_used.join("/")));
    }
    if s.0.is_empty() {
        if !b.used.is_empty() && b.served.is_empty() {
            let it: Vec<&String> = b.used.keys().collect();
            s.add(
                "it_workstation",
                0.3,
                format!(
                    "client of {}",
                    it.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
                ),
            );
        } else if !b.served.is_empty() {
            let it: Vec<&String> = b.served.keys().collect();
            s.add(
                "server",
                0.3,
                format!(
                    "serves {}",
                    it.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
                ),
            );
        } else {
            let ics: Vec<&str> = b
                .used_guess
                .iter()
                .map(String::as_str)
                .filter(|g| ["modbus", "iso_tsap", "enip", "opcua", "dnp3", "iec104"].contains(g))
                .collect();
            if !ics.is_empty() {
                s.add(
                    "workstation",
                    0.3,
                    format!(
                        "connects to industrial ports ({}) without a recognised exchange",
                        ics.join(", ")
                    ),
                );
            }
        }
    }
    // A PLC that also serves OPC UA is usually an OPC UA gateway/server when it has no controller identity.
    let mut out: Vec<Role> =
        s.0.into_iter()
            .map(|(role, (c, why))| Role {
                role: role.to_string(),
                confidence: (c * 100.0).round() / 100.0,
                evidence: why,
            })
            .collect();
    if let (Some(ua), Some(plc)) = (
        out.iter().position(|r| r.role == "opcua_server"),
        out.iter().position(|r| r.role == "plc"),
    ) {
        if !controller_identity && out[plc].confidence <= out[ua].confidence {
            out[plc].confidence = (out[plc].confidence * 0.6 * 100.0).round() / 100.0;
        }
    }
    // HMI vs SCADA: one box is one of them; keep the stronger, demote the other.
    if let (Some(h), Some(sc)) = (
        out.iter().position(|r| r.role == "hmi"),
        out.iter().position(|r| r.role == "scada_server"),
    ) {
        let weaker = if out[h].confidence >= out[sc].confidence {
            sc
        } else {
            h
        };
        out[weaker].confidence = (out[weaker].confidence * 0.5 * 100.0).round() / 100.0;
    }
    out.sort_by(|a, b| {
        b.confidence
            .partial_cmp(&a.confidence)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.role.cmp(&b.role))
    });
    out
}

/// Roles of a host with a public address: what it did to the plant, not a plant role.
fn external_roles(b: &Behavior) -> Vec<Role> {
    let remote: Vec<&str> = REMOTE_ACCESS
        .iter()
        .copied()
        .filter(|p| b.uses(p))
        .collect();
    let ics: Vec<&str> = ICS_PROTOS.iter().copied().filter(|p| b.uses(p)).collect();
    let mut out = Vec::new();
    if !remote.is_empty() {
        out.push(Role {
            role: "external_remote_access".into(),
            confidence: 0.7,
            evidence: vec![format!(
                "public address with {} sessions into the site",
                remote.join("/")
            )],
        });
    }
    if !ics.is_empty() || !b.used_guess.is_empty() {
        let mut what: Vec<String> = ics.iter().map(|s| s.to_string()).collect();
        what.extend(b.used_guess.iter().cloned());
        out.push(Role {
            role: "external_scanner".into(),
            confidence: 0.5,
            evidence: vec![format!("public address touching {}", what.join(", "))],
        });
    }
    if out.is_empty() {
        out.push(Role {
            role: "external_host".into(),
            confidence: 0.5,
            evidence: vec!["public address".into()],
        });
    }
    out
}
