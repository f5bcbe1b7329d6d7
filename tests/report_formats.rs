//! Every output format of the report, on real captures, against golden files
//! (`tests/golden/<name>.<ext>`, regenerated only with `UPDATE_GOLDEN=1`), and every renderer
//! against hostile device strings (ANSI escapes, HTML/JS, formulas, Markdown, 10 kB names).
//!
//! The only normalisation is the tool version (`VERSION`): the report body is deterministic,
//! and capture paths are relative to the package root (where cargo runs the tests).

mod common;

use otscope::report::{Report, csv, html, json, markdown, sarif, table};
use serde_json::Value;
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

/// (golden name, captures, zones file)
const CASES: [(&str, &[&str], Option<&str>); 4] = [
    (
        "modbus-pymodbus",
        &["captures/generated/modbus-pymodbus.pcap"],
        None,
    ),
    (
        "s7comm-download",
        &["captures/public/s7comm/iti__s7comm_downloading_block_db1.pcap"],
        None,
    ),
    (
        "telnet",
        &["captures/public/it-telnet/suricata__telnet-01.pcap"],
        None,
    ),
    (
        "demo",
        &[
            "captures/public/mixed/iti__Sample_File_MMS_and_GOOSE.pcap",
            "captures/public/enip/cisagov__enip_cip_example.pcap",
            "captures/public/modbus/zeek__modbus-and-non-modbus-p502.pcap",
            "captures/public/s7comm/iti__s7comm_downloading_block_db1.pcap",
        ],
        Some("tests/golden/demo-zones.toml"),
    ),
];

fn build(paths: &[&str], zones: Option<&str>) -> Report {
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let a = common::run(&paths);
    let sigs = otscope::inventory::signatures::Signatures::builtin();
    let z = zones.map(|p| otscope::zones::config::ZonesConfig::load(Path::new(p)).unwrap());
    let mut r = otscope::build_report(&a, &sigs, z, false);
    r.tool.version = "VERSION".into();
    r
}

/// Every rendering of a report: (extension, text).
fn renderings(r: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("json", json::render(r)),
        ("txt", table::render_with(r, false, 120)),
        ("md", markdown::render(r)),
        ("html", html::render(r)),
        ("sarif", sarif::render(r)),
        ("assets.csv", csv::assets(r)),
        ("conduits.csv", csv::conduits(r)),
        ("findings.csv", csv::findings(r)),
    ]
}

fn golden_dir() -> PathBuf {
    common::root().join("tests/golden")
}

/// Compare with the golden file (or write it under UPDATE_GOLDEN=1); on a mismatch, name the
/// first differing line.
fn check_golden(name: &str, got: &str) -> Option<String> {
    let p = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&p, got).unwrap();
        return None;
    }
    let want = match std::fs::read_to_string(&p) {
        Ok(w) => w,
        Err(e) => {
            return Some(format!(
                "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
                p.display()
            ));
        }
    };
    if want == got {
        return None;
    }
    let line = want
        .lines()
        .zip(got.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| want.lines().count().min(got.lines().count()));
    Some(format!(
        "{name}: differs from the golden file at line {}:\n  golden: {:?}\n  now:    {:?}\n(UPDATE_GOLDEN=1 regenerates after a deliberate change)",
        line + 1,
        want.lines().nth(line).unwrap_or("<end>"),
        got.lines().nth(line).unwrap_or("<end>")
    ))
}

struct Sarif {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

/// The official OASIS SARIF 2.1.0 schema (errata 01), shipped in tests/golden.
fn sarif_schema() -> Sarif {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(golden_dir().join("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
    let mut schemas = boon::Schemas::new();
    let mut c = boon::Compiler::new();
    c.enable_format_assertions();
    c.add_resource(url, doc).unwrap();
    let index = c.compile(url, &mut schemas).unwrap();
    Sarif { schemas, index }
}

impl Sarif {
    fn check(&self, what: &str, text: &str) {
        let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}"));
        if let Err(e) = self.schemas.validate(&v, self.index) {
            panic!("{what}: not valid SARIF 2.1.0: {e:#}");
        }
    }
}

#[test]
fn every_format_matches_its_golden_file() {
    let mut failures = Vec::new();
    for (name, paths, zones) in CASES {
        let r = build(paths, zones);
        // Deterministic: a second run renders the same bytes.
        let again = build(paths, zones);
        for ((ext, text), (_, text2)) in renderings(&r).into_iter().zip(renderings(&again)) {
            assert_eq!(text, text2, "{name}.{ext} differs between two runs");
            failures.extend(check_golden(&format!("{name}.{ext}"), &text));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn sarif_is_valid_against_the_official_schema_and_maps_findings() {
    let schema = sarif_schema();
    for (name, paths, zones) in CASES {
        let r = build(paths, zones);
        let text = sarif::render(&r);
        schema.check(name, &text);
        let v: Value = serde_json::from_str(&text).unwrap();
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "otscope");
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), r.findings.len(), "{name}");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for (f, res) in r.findings.iter().zip(results) {
            assert_eq!(res["ruleId"], f.rule.as_str());
            let idx = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], f.rule.as_str());
            assert!(
                rules[idx]["help"]["text"]
                    .as_str()
                    .unwrap()
                    .contains(&f.remediation),
                "help = remediation"
            );
            assert_eq!(res["properties"]["remediation"], f.remediation.as_str());
            let level = match f.severity.name() {
                "critical" | "high" => "error",
                "medium" => "warning",
                _ => "note",
            };
            assert_eq!(res["level"], level);
            assert_eq!(
                res["partialFingerprints"]["otscopeFindingId/v1"],
                f.id.as_str()
            );
            assert!(
                res["message"]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with(&f.title)
            );
            let loc = &res["locations"][0];
            let frames: Vec<u64> = loc["properties"]["frames"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            let first_input = f.evidence[0].input;
            let want: Vec<u64> = f
                .evidence
                .iter()
                .filter(|e| e.input == first_input)
                .map(|e| e.frame)
                .collect();
            assert_eq!(frames, want, "{name}: frames of {}", f.id);
            let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert_eq!(uri, r.inputs[first_input as usize].path, "relative paths");
            let logical = loc["logicalLocations"][0]["name"].as_str().unwrap();
            assert_eq!(
                logical,
                format!("{}:{}", f.asset, f.port.unwrap()),
                "IP:port"
            );
        }
    }
}

/// Text without SGR colour sequences.
fn strip_sgr(s: &str) -> String {
    let mut plain = String::new();
    let mut skip = false;
    for ch in s.chars() {
        match (skip, ch) {
            (_, '\u{1b}') => skip = true,
            (true, 'm') => skip = false,
            (true, _) => {}
            (false, x) => plain.push(x),
        }
    }
    plain
}

#[test]
fn terminal_tables_fit_the_width_and_colour_only_when_asked() {
    let (_, paths, zones) = CASES[3];
    let r = build(paths, zones);
    for w in [40, 60, 80, 120, 200] {
        let t = table::render_with(&r, false, w);
        assert!(!t.contains('\u{1b}'), "colour off: no escape byte");
        for line in t.lines() {
            assert!(
                line.width() <= w,
                "width {w}: {} columns: {line:?}",
                line.width()
            );
        }
        // Every section is there at every width.
        for s in [
            "Assets (36)",
            "Zone matrix",
            "Conduits (9",
            "Findings (21)",
            "violation",
        ] {
            assert!(t.contains(s), "width {w}: no {s:?}");
        }
    }
    let c = table::render_with(&r, true, 120);
    assert!(c.contains("\u{1b}[31mviolation"), "violations in red");
    assert!(c.contains("\u{1b}[1;31mcritical"), "critical in bold red");
    // Colour is the only escape sequence: ESC [ digits ; m.
    for (i, _) in c.match_indices('\u{1b}') {
        let rest = &c[i + 1..];
        let end = rest.find('m').expect("sequence ends with m");
        assert!(rest.starts_with('['));
        assert!(rest[1..end].chars().all(|x| x.is_ascii_digit() || x == ';'));
    }
    // Stripped of colour, the coloured rendering is the plain one.
    assert_eq!(strip_sgr(&c), table::render_with(&r, false, 120));
    // The caller's decision: NO_COLOR, or not a terminal, means no colour.
    assert!(!table::color_wanted(false));
}

// ---------------------------------------------------------------------------------------------
// Hostile strings.

const ANSI: &str = "\u{1b}[31mRED\u{1b}[0m\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}1m";
const SCRIPT: &str = "<script>alert(1)</script>";
const ATTR: &str = "\"><img src=x onerror=alert(2)>";
const SVG: &str = "</text><svg onload=alert(3)>";
const FORMULA: &str = "=HYPERLINK(\"http://evil.invalid\",\"click\")";
const MD: &str = "| a | b `code` # [x](javascript:alert(4))";
const HEX: &str = "deadbeef00ff80"; // how a dissector renders bytes that are not UTF-8

fn hostile_report() -> Report {
    let mut r = build(&["captures/generated/modbus-pymodbus.pcap"], None);
    let long = "L".repeat(10 * 1024);
    {
        let a = &mut r.assets[0];
        a.identity.vendor = Some(ANSI.into());
        a.identity.model = Some(SCRIPT.into());
        a.identity.firmware = Some(ATTR.into());
        a.identity.name = Some(FORMULA.into());
        a.identity.hostname = Some(MD.into());
        a.identity.serial = Some(HEX.into());
        a.identity.product = Some(long.clone());
        a.identity
            .attributes
            .insert("banner".into(), format!("{SVG}\r\n{MD}"));
        a.identity.provenance[0].value = format!("{SCRIPT}{ANSI}");
        a.mac_vendor = Some("+cmd|' /C calc'!A0".into());
        a.notes.push(format!("{ANSI}{SCRIPT}"));
        a.roles[0].evidence.push(ATTR.into());
        a.services[0].protocol = Some(format!("{SCRIPT}{MD}"));
        a.zone = Some(SVG.into());
    }
    r.zones[0].name = SVG.into();
    r.zones[0].description = Some(format!("{FORMULA}{ANSI}"));
    r.assets[1].identity.name = Some("-2+3".into());
    r.assets[1].identity.vendor = Some("@SUM(A1:A9)".into());
    r.assets[1].identity.model = Some("\t=1+1".into());
    r.inputs[0].path = format!("cap{SCRIPT}{ANSI}.pcap");
    let f = &mut r.findings[0];
    f.title = format!("{SCRIPT}{ATTR}{MD}{ANSI}");
    f.description = format!("{FORMULA} {long}");
    f.evidence[0].detail = format!("{SVG}{ANSI}");
    f.tshark_filter = format!("ip.addr==1.2.3.4 || {SCRIPT} `x`");
    f.tshark_commands.push(format!("tshark -r '{SCRIPT}'"));
    f.references.push(format!("javascript:alert(5) {SCRIPT}"));
    f.references.push(format!("https://x.invalid/\"{ATTR}"));
    f.peers.push(FORMULA.into());
    f.zone = Some(SVG.into());
    // A zone crossing, so the SVG draws an arrow from the hostile zone.
    r.zone_matrix.push(otscope::report::MatrixCell {
        src_zone: SVG.into(),
        dst_zone: SCRIPT.into(),
        conduits: 1,
        flows: 3,
        violations: 1,
        verdict: "violation".into(),
    });
    r
}

fn no_controls(what: &str, s: &str) {
    for (i, c) in s.char_indices() {
        let ok = !c.is_control() || c == '\n' || (c == '\r' && s[i..].starts_with("\r\n"));
        assert!(ok, "{what}: control character {c:?} at byte {i}");
    }
}

#[test]
fn hostile_strings_terminal() {
    let r = hostile_report();
    for color in [false, true] {
        let t = table::render_with(&r, color, 120);
        if !color {
            assert!(!t.contains('\u{1b}'), "no ESC byte from the data");
        } else {
            // The only escapes are the renderer's SGR codes.
            for (i, _) in t.match_indices('\u{1b}') {
                let rest = &t[i + 1..];
                let end = rest.find('m').unwrap();
                assert!(rest.starts_with('[') && end <= 6, "{:?}", &rest[..end]);
            }
        }
        assert!(!t.contains('\u{7}') && !t.contains('\u{9b}'));
        assert!(!t.contains("]0;pwned"), "OSC title sequence removed whole");
        assert!(t.contains("RED"), "the text between escapes stays");
        for line in t.lines() {
            assert!(strip_sgr(line).width() <= 120, "{line:?}");
        }
    }
    let d = otscope::report::diff::diff(
        &build(&["captures/generated/modbus-pymodbus.pcap"], None),
        &r,
    );
    let text = otscope::report::diff::render_text(&d, false);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'));
    assert!(text.contains("firmware"));
}

/// Every tag in the page: `<name` or `</name`, lower-cased.
fn tags(html: &str) -> Vec<String> {
    let mut v = Vec::new();
    let b = html.as_bytes();
    for (i, _) in html.match_indices('<') {
        let mut j = i + 1;
        if b.get(j) == Some(&b'/') {
            j += 1;
        }
        let start = j;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'!') {
            j += 1;
        }
        v.push(html[start..j].to_ascii_lowercase());
    }
    v
}

#[test]
fn hostile_strings_html() {
    let r = hostile_report();
    let h = html::render(&r);
    no_controls("html", &h);
    assert_eq!(
        h.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(!h.to_ascii_lowercase().contains("<img"));
    assert!(!h.contains("<svg onload"));
    assert!(
        !h.contains("href=\"javascript"),
        "javascript: never becomes a link"
    );
    // Every tag is one the renderer writes.
    let allowed = [
        "!doctype", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3",
        "p", "nav", "a", "main", "section", "div", "b", "span", "svg", "defs", "marker", "path",
        "rect", "text", "g", "i", "table", "thead", "tbody", "tr", "th", "td", "details",
        "summary", "dl", "dt", "dd", "code", "pre", "ul", "li", "br", "footer", "script",
    ];
    let script = h.find("<script>").unwrap();
    let end = h.find("</script>").unwrap();
    let outside = format!("{}{}", &h[..script], &h[end..]);
    for t in tags(&outside) {
        assert!(allowed.contains(&t.as_str()), "unexpected tag <{t}>");
    }
    // The data is there, escaped.
    assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(h.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(h.contains("&lt;/text&gt;&lt;svg onload=alert(3)&gt;"));
    // The 10 kB name is cut for display (the JSON keeps it).
    assert!(!h.contains(&"L".repeat(600)));
    // The CSP admits only the page's own style and script.
    assert!(h.contains("default-src 'none'"));
    assert!(h.contains("script-src 'sha256-"));
}

/// RFC 4180 parser: rows of fields.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut f = String::new();
    let mut q = false;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match (q, c) {
            (true, '"') if it.peek() == Some(&'"') => {
                it.next();
                f.push('"');
            }
            (true, '"') => q = false,
            (true, c) => f.push(c),
            (false, '"') if f.is_empty() => q = true,
            (false, ',') => row.push(std::mem::take(&mut f)),
            (false, '\r') if it.peek() == Some(&'\n') => {
                it.next();
                row.push(std::mem::take(&mut f));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => f.push(c),
        }
    }
    assert!(!q && f.is_empty() && row.is_empty(), "CSV ends with CRLF");
    rows
}

#[test]
fn hostile_strings_csv() {
    let r = hostile_report();
    for (what, text) in [
        ("assets", csv::assets(&r)),
        ("conduits", csv::conduits(&r)),
        ("findings", csv::findings(&r)),
    ] {
        no_controls(what, &text);
        let rows = parse_csv(&text);
        let n = rows[0].len();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(
                row.len(),
                n,
                "{what} row {i}: {} fields, header {n}",
                row.len()
            );
            for cell in row {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{what}: formula cell {cell:?}"
                );
            }
        }
    }
    let rows = parse_csv(&csv::assets(&r));
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    assert_eq!(rows[1][col("name")], format!("'{FORMULA}"));
    assert_eq!(rows[1][col("mac_vendor")], "'+cmd|' /C calc'!A0");
    assert_eq!(rows[1][col("serial")], HEX);
    assert_eq!(rows[1][col("vendor")], "RED");
    assert_eq!(rows[2][col("name")], "'-2+3");
    assert_eq!(rows[2][col("vendor")], "'@SUM(A1:A9)");
    assert_eq!(rows[2][col("model")], "' =1+1");
    assert_eq!(rows.len(), 1 + r.assets.len(), "one row per asset");
    assert_eq!(parse_csv(&csv::findings(&r)).len(), 1 + r.findings.len());
    // write_dir writes the three files.
    let dir = tempfile::tempdir().unwrap();
    csv::write_dir(&r, &dir.path().join("out")).unwrap();
    for f in ["assets.csv", "conduits.csv", "findings.csv"] {
        assert!(dir.path().join("out").join(f).is_file());
    }
}

#[test]
fn hostile_strings_markdown() {
    let r = hostile_report();
    let m = markdown::render(&r);
    no_controls("markdown", &m);
    assert!(!m.contains("<script") && !m.contains("<svg") && !m.contains("<img"));
    assert!(m.contains("\\| a \\| b \\`code\\` # \\[x\\](javascript:alert(4))"));
    // A table row never gains a column from the data: count unescaped pipes.
    let pipes = |l: &str| {
        let b = l.as_bytes();
        (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count()
    };
    let mut header = None;
    for l in m.lines() {
        if l.starts_with('|') {
            let n = pipes(l);
            match header {
                None => header = Some(n),
                Some(h) => assert_eq!(n, h, "row breaks its table: {l}"),
            }
        } else {
            header = None;
            // Headings are the renderer's own.
            if l.starts_with('#') {
                assert!(
                    [
                        "# OT network report",
                        "## ",
                        "### Finding details",
                        "#### ",
                        "### Declared"
                    ]
                    .iter()
                    .any(|p| l.starts_with(p)),
                    "{l}"
                );
            }
        }
    }
    assert!(!m.contains(&"L".repeat(600)));
}

#[test]
fn hostile_strings_json_and_sarif() {
    let r = hostile_report();
    let j = json::render(&r);
    let v: Value = serde_json::from_str(&j).expect("valid JSON");
    // JSON keeps every value exactly (it is the record).
    assert_eq!(v["assets"][0]["identity"]["vendor"], ANSI);
    assert_eq!(
        v["assets"][0]["identity"]["product"]
            .as_str()
            .unwrap()
            .len(),
        10 * 1024
    );
    let back: Report = serde_json::from_str(&j).unwrap();
    assert_eq!(back.assets, r.assets);
    let s = sarif::render(&r);
    sarif_schema().check("hostile", &s);
    let v: Value = serde_json::from_str(&s).unwrap();
    let uri = v["runs"][0]["artifacts"][0]["location"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        uri.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b)),
        "URI percent-encoded: {uri}"
    );
}

/// The JSON report written with its assets and findings rendered on several threads is the
/// same bytes as serde_json's own pretty printing: for every golden case, a report with no
/// assets or findings at all, and one with more elements than a rendering batch.
#[test]
fn json_rendered_on_threads_is_the_same_bytes() {
    let mut reports: Vec<(String, Report)> = CASES
        .iter()
        .map(|(name, paths, zones)| (name.to_string(), build(paths, *zones)))
        .collect();
    let mut empty = build(&["captures/generated/modbus-pymodbus.pcap"], None);
    empty.assets.clear();
    empty.findings.clear();
    reports.push(("empty arrays".into(), empty));
    let mut big = build(&["captures/generated/modbus-pymodbus.pcap"], None);
    let (a, f) = (big.assets.clone(), big.findings.clone());
    while big.assets.len() < 2500 {
        big.assets.extend(a.iter().cloned());
        big.findings.extend(f.iter().cloned());
    }
    reports.push(("2,500 assets".into(), big));
    for (name, mut r) in reports {
        let want = json::render(&r);
        for threads in [1, 2, 3, 8] {
            let mut got = Vec::new();
            json::write_parallel(&mut r, &mut got, threads).unwrap();
            assert!(
                got == want.as_bytes(),
                "{name}, {threads} threads: differs at byte {:?}",
                got.iter().zip(want.as_bytes()).position(|(a, b)| a != b)
            );
        }
        assert_eq!(
            json::render(&r),
            want,
            "{name}: the report is left as it was"
        );
    }
}

/// SARIF is streamed (results rendered one at a time and indented to their place, so that a
/// large log is never held as a tree of values): it must be exactly what serde_json's pretty
/// printer makes of the whole log as one tree, which is how it was rendered before, for every
/// golden case, findings whose text holds line breaks, quotes and non-ASCII, and none.
#[test]
fn sarif_streamed_is_the_pretty_printed_tree() {
    let canonical = |text: &str| {
        let v: Value = serde_json::from_str(text).unwrap();
        let mut s = serde_json::to_string_pretty(&v).unwrap();
        s.push('\n');
        s
    };
    let mut reports: Vec<(String, Report)> = CASES
        .iter()
        .map(|(name, paths, zones)| (name.to_string(), build(paths, *zones)))
        .collect();
    let mut odd = build(&["captures/generated/modbus-pymodbus.pcap"], None);
    assert!(!odd.findings.is_empty());
    odd.findings[0].description =
        "line one\nline \"two\"\n      \"results\": []\u{e9}\u{4e2d}".into();
    reports.push(("hostile text".into(), odd));
    let mut none = build(&["captures/generated/modbus-pymodbus.pcap"], None);
    none.findings.clear();
    reports.push(("no findings".into(), none));
    for (name, r) in reports {
        let text = sarif::render(&r);
        let want = canonical(&text);
        assert!(
            text == want,
            "{name}: differs at byte {:?}",
            text.bytes().zip(want.bytes()).position(|(a, b)| a != b)
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        let results = v["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), r.findings.len(), "{name}");
        let mut written = Vec::new();
        sarif::write(&r, &mut written).unwrap();
        assert_eq!(written, text.as_bytes(), "{name}");
    }
}

/// A capture of a large plant infers thousands of zones: the HTML zone matrix then lists the
/// pairs of zones with traffic instead of drawing a grid of millions of empty cells (which
/// also took minutes to render); below the limit the grid stays.
#[test]
fn html_matrix_of_thousands_of_zones_is_a_list_of_pairs() {
    let mut r = build(&["captures/generated/modbus-pymodbus.pcap"], None);
    let cell = |s: String, d: String, v: u64| otscope::zones::MatrixCell {
        src_zone: s,
        dst_zone: d,
        conduits: 1,
        flows: 7,
        violations: v,
        verdict: if v > 0 { "violation" } else { "unrated" }.into(),
    };
    r.zone_matrix = (0..3000)
        .map(|i| {
            cell(
                format!("zone-{i}"),
                format!("zone-{}", (i + 1) % 3000),
                i % 2,
            )
        })
        .collect();
    let h = html::render(&r);
    assert!(h.contains("3000 zones: too many for a grid; the 3000 pairs of zones"));
    for i in [0usize, 1234, 2999] {
        let row = format!(
            "<tr><th>zone-{i}</th><th>zone-{}</th><td class=\"cell-",
            (i + 1) % 3000
        );
        assert_eq!(h.matches(&row).count(), 1, "pair {i} listed once");
    }
    assert_eq!(h.matches("violation(s)</b>").count(), 1500);
    assert!(!h.contains("from \\ to"), "no grid header");

    // Under the limit: the grid, every pair in its cell and a dot elsewhere.
    r.zone_matrix = (0..5)
        .map(|i| cell(format!("z{i}"), format!("z{}", (i + 1) % 5), 0))
        .collect();
    let h = html::render(&r);
    assert!(h.contains("from \\ to"));
    assert!(!h.contains("too many for a grid"));
    let matrix = &h[h.find("<section id=\"matrix\">").unwrap()..];
    let matrix = &matrix[..matrix.find("</section>").unwrap()];
    assert_eq!(matrix.matches("7 flows").count(), 5);
    assert_eq!(matrix.matches("<td class=\"muted\">·</td>").count(), 20);
}
