//! HTML renderer: one self-contained file (inline CSS and a few lines of inline JS, no fetch of
//! any kind) with the summary, a zone map drawn as inline SVG (zones in rows by Purdue level,
//! conduits as arrows coloured by verdict), sortable tables of findings, assets and conduits,
//! the evidence of every finding (frames, tshark filter and commands, remediation), the zone
//! matrix and the capture quality.
//!
//! Everything that comes from a capture is hostile: every string is passed through [`esc`]
//! (control characters replaced, `& < > " '` as entities) whether it lands in text, an
//! attribute or the SVG; no capture data is ever written into the script. A Content Security
//! Policy admits only this file's own style and script (by hash), and no network access, so
//! even a renderer bug could not run injected script or fetch anything.

use super::{
    Report, clean_max, frames_label, identity_line, service_label, verdict_name, verdict_rank,
};
use crate::zones::Severity;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Longest text (characters) of one cell; the JSON report keeps the whole value.
const TEXT_MAX: usize = 512;

/// HTML-escape a device string for text or a quoted attribute (control characters replaced,
/// cut at 512 characters).
pub fn esc(s: &str) -> String {
    esc_max(s, TEXT_MAX)
}

fn esc_max(s: &str, max: usize) -> String {
    let c = clean_max(s, max);
    let mut out = String::with_capacity(c.len() + 16);
    for ch in c.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root{--v:#d62728;--a:#2ca02c;--o:#8c8c8c;--crit:#7a0019;--high:#d62728;--med:#e07b00;--low:#1f6fb4;--info:#6b6b6b;--bg:#fff;--fg:#1d1f23;--mut:#5f6670;--line:#dde1e6;--head:#f3f5f7}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:18px 28px;background:#17324d;color:#fff}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#c9d6e3}
nav{padding:8px 28px;background:var(--head);border-bottom:1px solid var(--line)}
nav a{margin-right:16px;color:#17324d;text-decoration:none;font-weight:600}
main{padding:8px 28px 40px}
section{margin-top:26px}
h2{font-size:18px;border-bottom:2px solid #17324d;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:22px}
.card span{color:var(--mut)}
.card.bad b{color:var(--v)}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--head);white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th::after{content:" \2195";color:#9aa3ad}
th[aria-sort=ascending]::after{content:" \2191";color:var(--fg)}
th[aria-sort=descending]::after{content:" \2193";color:var(--fg)}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.wrap{word-break:break-word;max-width:420px}
code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;background:#f3f5f7;border-radius:3px}
code{padding:1px 4px}
pre{padding:8px;white-space:pre-wrap;word-break:break-all}
.sev{display:inline-block;min-width:62px;padding:1px 6px;border-radius:3px;color:#fff;font-weight:600;text-align:center;font-size:12px}
.sev-critical{background:var(--crit)}.sev-high{background:var(--high)}.sev-medium{background:var(--med)}.sev-low{background:var(--low)}.sev-info{background:var(--info)}
.verdict-violation{color:var(--v);font-weight:600}.verdict-allowed{color:var(--a)}.verdict-unzoned,.verdict-unrated{color:var(--o)}
td.cell-violation{background:#fde2e2}td.cell-allowed{background:#e3f4e3}td.cell-unzoned,td.cell-unrated{background:#eeeeee}td.cell-intra_zone{color:var(--mut)}
details.finding{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:6px 10px}
details.finding summary{cursor:pointer;font-weight:600}
details.finding dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}
details.finding dt{color:var(--mut)}
.muted{color:var(--mut)}
.id{color:var(--mut);font-weight:400;font-size:12px}
svg.zonemap{max-width:100%;height:auto;border:1px solid var(--line);border-radius:6px;background:#fbfcfd}
svg .zone rect{fill:#fff;stroke:#17324d;stroke-width:1.5}
svg .zone .zn{font-weight:600;font-size:15px;fill:#17324d}
svg .zone .zl{font-size:12px;fill:#5f6670}
svg .lvl{font-size:13px;font-weight:600;fill:#5f6670}
svg .band{fill:#f1f4f7}
svg .conduit path{fill:none;stroke-opacity:.85;stroke-linejoin:round}
svg .conduit:hover path{stroke-opacity:1}
svg .violation path{stroke:var(--v)}svg .allowed path{stroke:var(--a)}svg .other path{stroke:var(--o)}
svg #ah-violation path{fill:var(--v)}svg #ah-allowed path{fill:var(--a)}svg #ah-other path{fill:var(--o)}
.legend span{margin-right:18px}
.legend i{display:inline-block;width:26px;height:4px;vertical-align:middle;margin-right:6px}
.lg-v{background:var(--v)}.lg-a{background:var(--a)}.lg-o{background:var(--o)}
footer{padding:16px 28px;color:var(--mut);border-top:1px solid var(--line)}
"#;

const JS: &str = r#"
(function(){
function key(td){var v=td.getAttribute('data-v');return v===null?td.textContent.trim().toLowerCase():v;}
function sortBy(th){
var tr=th.parentNode,table=tr.parentNode.parentNode,tb=table.tBodies[0];
var i=Array.prototype.indexOf.call(tr.cells,th),num=th.hasAttribute('data-num');
var dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
var rows=Array.prototype.slice.call(tb.rows);
rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]),c;
if(num){c=(parseFloat(x)||0)-(parseFloat(y)||0);}else{c=x<y?-1:(x>y?1:0);}
return dir==='ascending'?c:-c;});
for(var j=0;j<tr.cells.length;j++){tr.cells[j].removeAttribute('aria-sort');}
th.setAttribute('aria-sort',dir);
rows.forEach(function(r){tb.appendChild(r);});
}
var ths=document.querySelectorAll('table.sortable thead th');
Array.prototype.forEach.call(ths,function(th){th.tabIndex=0;
th.addEventListener('click',function(){sortBy(th);});
th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sortBy(th);}});});
var m=/[#&]sort=([A-Za-z0-9_-]+):([0-9]+)(?::(asc|desc))?/.exec(location.hash);
if(m){var t=document.getElementById(m[1]);if(t&&t.tHead){var h=t.tHead.rows[0].cells[+m[2]];
if(h){h.click();if(m[3]==='desc'){h.click();}}}}
document.documentElement.setAttribute('data-js','ready');
})();
"#;

fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for ch in data.chunks(3) {
        let n = (ch[0] as u32) << 16
            | (*ch.get(1).unwrap_or(&0) as u32) << 8
            | *ch.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= ch.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn csp_hash(s: &str) -> String {
    format!("'sha256-{}'", b64(&Sha256::digest(s.as_bytes())))
}

/// Sort key of an address: numeric order for IPv4 and IPv6, text after them.
fn ip_key(s: &str) -> String {
    match s.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v)) => {
            let o = v.octets();
            format!("4.{:03}.{:03}.{:03}.{:03}", o[0], o[1], o[2], o[3])
        }
        Ok(std::net::IpAddr::V6(v)) => format!("6.{:032x}", u128::from(v)),
        Err(_) => format!("9.{}", esc(s)),
    }
}

fn sev_rank(s: Severity) -> u8 {
    s as u8
}

fn level_title(l: Option<f64>) -> String {
    match l {
        Some(5.0) => "L5 Internet".into(),
        Some(4.0) => "L4 Enterprise".into(),
        Some(3.5) => "L3.5 IDMZ".into(),
        Some(3.0) => "L3 Operations".into(),
        Some(2.0) => "L2 Supervisory".into(),
        Some(1.0) => "L1 Control".into(),
        Some(0.0) => "L0 Process".into(),
        Some(x) => format!("L{x}"),
        None => "No level".into(),
    }
}

/// The zone map: one row per Purdue level (internet at the top, then L4 down to L0, zones
/// without a level last), a box per zone, an arrow per pair of zones with traffic, from the
/// zone that opened the connections to the zone that answered.
///
/// Arrows never cross a box: between adjacent rows they run in the gap between the rows; a
/// longer one leaves its box into the channel beside its row, runs down (or up) a lane of its
/// own in the corridor right of the boxes, and enters its target from the channel beside the
/// target's row; one within a row loops through the channel below the row. Where several
/// arrows meet a box side, their ends are spread along it in the order of their other ends.
pub fn zone_map(r: &Report) -> String {
    const BW: f64 = 220.0;
    const BH: f64 = 68.0;
    const GAP: f64 = 52.0;
    const ROW: f64 = 136.0;
    const LEFT: f64 = 150.0;
    const TOP: f64 = 10.0;
    const PER_ROW: usize = 6;

    // Zones to draw: the report's, then any that only the matrix names.
    let mut zones: Vec<(String, Option<f64>, usize)> = r
        .zones
        .iter()
        .map(|z| (z.name.clone(), z.level, z.assets.len()))
        .collect();
    let mut known: std::collections::HashSet<String> = zones.iter().map(|z| z.0.clone()).collect();
    for c in &r.zone_matrix {
        for n in [&c.src_zone, &c.dst_zone] {
            if known.insert(n.clone()) {
                zones.push((n.clone(), None, 0));
            }
        }
    }
    // Bands by level, highest first; no level last. A band wraps into several rows.
    let mut levels: Vec<Option<f64>> = Vec::new();
    for z in &zones {
        if !levels.contains(&z.1) {
            levels.push(z.1);
        }
    }
    levels.sort_by(|a, b| match (a, b) {
        (Some(x), Some(y)) => y.total_cmp(x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut bands: Vec<(usize, usize, String)> = Vec::new();
    for l in &levels {
        let members: Vec<usize> = (0..zones.len()).filter(|&i| zones[i].1 == *l).collect();
        let first = rows.len();
        for chunk in members.chunks(PER_ROW) {
            rows.push(chunk.to_vec());
        }
        bands.push((first, rows.len() - first, level_title(*l)));
    }
    let max_cols = rows.iter().map(|r| r.len()).max().unwrap_or(1).max(1);
    let boxes_right = LEFT + max_cols as f64 * (BW + GAP);
    // (centre x, centre y, row) of every zone; rows centred.
    let mut at: Vec<(f64, f64, usize)> = vec![(0.0, 0.0, 0); zones.len()];
    for (ri, row) in rows.iter().enumerate() {
        let used = row.len() as f64 * (BW + GAP);
        let x0 = LEFT + (boxes_right - LEFT - used) / 2.0 + GAP / 2.0;
        for (k, &zi) in row.iter().enumerate() {
            at[zi] = (
                x0 + k as f64 * (BW + GAP) + BW / 2.0,
                TOP + ri as f64 * ROW + ROW / 2.0,
                ri,
            );
        }
    }
    let mut first: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, z) in zones.iter().enumerate() {
        first.entry(z.0.as_str()).or_insert(i);
    }
    let index = |name: &str| first.get(name).copied();

    // Edges: (src, dst, cell). Side of a box an edge uses: false = top, true = bottom.
    struct Edge<'a> {
        s: usize,
        d: usize,
        c: &'a crate::zones::MatrixCell,
        s_bottom: bool,
        d_bottom: bool,
        sx: f64,
        dx: f64,
    }
    let mut edges: Vec<Edge> = Vec::new();
    for c in r.zone_matrix.iter().filter(|c| c.src_zone != c.dst_zone) {
        let (Some(s), Some(d)) = (index(&c.src_zone), index(&c.dst_zone)) else {
            continue;
        };
        let (rs, rd) = (at[s].2, at[d].2);
        let (s_bottom, d_bottom) = match rd.cmp(&rs) {
            std::cmp::Ordering::Greater => (true, false),
            std::cmp::Ordering::Less => (false, true),
            std::cmp::Ordering::Equal => (true, true),
        };
        edges.push(Edge {
            s,
            d,
            c,
            s_bottom,
            d_bottom,
            sx: at[s].0,
            dx: at[d].0,
        });
    }
    // Spread the ends on each box side, ordered by where the other end is.
    // (zone, bottom side) -> (where the other end is, edge, this end is the source)
    type Ends = Vec<(f64, usize, bool)>;
    let mut sides: BTreeMap<(usize, bool), Ends> = BTreeMap::new();
    for (i, e) in edges.iter().enumerate() {
        let far_d = if at[e.d].2.abs_diff(at[e.s].2) > 1 {
            boxes_right
        } else {
            at[e.d].0
        };
        let far_s = if at[e.d].2.abs_diff(at[e.s].2) > 1 {
            boxes_right
        } else {
            at[e.s].0
        };
        sides
            .entry((e.s, e.s_bottom))
            .or_default()
            .push((far_d, i, true));
        sides
            .entry((e.d, e.d_bottom))
            .or_default()
            .push((far_s, i, false));
    }
    for ((zi, _), mut ends) in sides {
        ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let n = ends.len() as f64;
        for (k, (_, i, is_src)) in ends.into_iter().enumerate() {
            let x = at[zi].0 - BW * 0.4 + BW * 0.8 * (k as f64 + 1.0) / (n + 1.0);
            if is_src {
                edges[i].sx = x;
            } else {
                edges[i].dx = x;
            }
        }
    }
    // Long arrows get lanes of their own in the corridor (at most 40; then lanes are shared).
    const LANES: usize = 40;
    let long: Vec<usize> = (0..edges.len())
        .filter(|&i| at[edges[i].d].2.abs_diff(at[edges[i].s].2) > 1)
        .collect();
    let width = boxes_right + 16.0 + 10.0 * long.len().min(LANES) as f64 + 8.0;
    let height = TOP * 2.0 + rows.len() as f64 * ROW;

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="zonemap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-label="Zone map: {} zones, {} zone pairs with traffic">"#,
        zones.len(),
        edges.len()
    );
    s.push_str("<defs>");
    for k in ["violation", "allowed", "other"] {
        let _ = write!(
            s,
            r#"<marker id="ah-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker>"#
        );
    }
    s.push_str("</defs>");
    for (i, (first, n, label)) in bands.iter().enumerate() {
        let by = TOP + *first as f64 * ROW;
        let bh = *n as f64 * ROW;
        if i % 2 == 0 {
            let _ = write!(
                s,
                r#"<rect class="band" x="0" y="{by:.0}" width="{width:.0}" height="{bh:.0}"/>"#
            );
        }
        let _ = write!(
            s,
            r#"<text class="lvl" x="12" y="{:.0}">{}</text>"#,
            by + bh / 2.0 + 4.0,
            esc(label)
        );
    }
    for (zi, (name, level, n)) in zones.iter().enumerate() {
        let (cx, cy, _) = at[zi];
        let lv = match level {
            Some(l) => format!("L{l}"),
            None => "no level".into(),
        };
        let _ = write!(
            s,
            r#"<g class="zone" data-zone="{}"><title>{}: {lv}, {n} asset(s)</title><rect x="{:.0}" y="{:.0}" width="{BW:.0}" height="{BH:.0}" rx="6"/><text class="zn" x="{cx:.0}" y="{:.0}" text-anchor="middle">{}</text><text class="zl" x="{cx:.0}" y="{:.0}" text-anchor="middle">{lv} · {n} asset(s)</text></g>"#,
            esc(name),
            esc(name),
            cx - BW / 2.0,
            cy - BH / 2.0,
            cy - 4.0,
            esc_max(name, 24),
            cy + 17.0,
        );
    }
    for (i, e) in edges.iter().enumerate() {
        let class = match e.c.verdict.as_str() {
            "violation" => "violation",
            "allowed" => "allowed",
            _ => "other",
        };
        let edge_y = |zi: usize, bottom: bool| {
            if bottom {
                at[zi].1 + BH / 2.0
            } else {
                at[zi].1 - BH / 2.0 - 1.0
            }
        };
        let (x1, y1) = (e.sx, edge_y(e.s, e.s_bottom));
        let (x2, y2) = (e.dx, edge_y(e.d, e.d_bottom));
        let lane = (i % 4) as f64 * 4.0;
        let path = match at[e.d].2.abs_diff(at[e.s].2) {
            0 => {
                let ch = y1 + 14.0 + lane;
                format!("M{x1:.1},{y1:.1} V{ch:.1} H{x2:.1} V{y2:.1}")
            }
            1 => {
                let my = (y1 + y2) / 2.0;
                format!("M{x1:.1},{y1:.1} C{x1:.1},{my:.1} {x2:.1},{my:.1} {x2:.1},{y2:.1}")
            }
            _ => {
                let k = (long.iter().position(|&j| j == i).unwrap_or(0) % LANES) as f64;
                let lx = boxes_right + 16.0 + 10.0 * k;
                let down = y2 > y1;
                let off = 12.0 + lane;
                let (c1, c2) = if down {
                    (y1 + off, y2 - off)
                } else {
                    (y1 - off, y2 + off)
                };
                format!("M{x1:.1},{y1:.1} V{c1:.1} H{lx:.1} V{c2:.1} H{x2:.1} V{y2:.1}")
            }
        };
        let w = (1.5 + 1.1 * (1.0 + e.c.flows as f64).ln()).min(8.0);
        let _ = write!(
            s,
            r#"<g class="conduit {class}" data-src="{}" data-dst="{}"><title>{} → {}: {} conduit(s), {} flow(s), {} violation(s); {}</title><path d="{path}" stroke-width="{w:.1}" marker-end="url(#ah-{class})"/></g>"#,
            esc(&e.c.src_zone),
            esc(&e.c.dst_zone),
            esc(&e.c.src_zone),
            esc(&e.c.dst_zone),
            e.c.conduits,
            e.c.flows,
            e.c.violations,
            esc(&e.c.verdict),
        );
    }
    s.push_str("</svg>");
    s
}

struct Col<'a> {
    name: &'a str,
    num: bool,
}

fn th(cols: &[Col]) -> String {
    let mut s = String::from("<thead><tr>");
    for c in cols {
        if c.num {
            let _ = write!(s, "<th data-num>{}</th>", c.name);
        } else {
            let _ = write!(s, "<th>{}</th>", c.name);
        }
    }
    s.push_str("</tr></thead>");
    s
}

fn td(s: &str) -> String {
    format!("<td>{}</td>", esc(s))
}

fn td_n(n: impl std::fmt::Display) -> String {
    format!("<td class=\"n\">{n}</td>")
}

fn td_ip(ip: &str) -> String {
    format!("<td data-v=\"{}\">{}</td>", ip_key(ip), esc(ip))
}

fn sev_span(s: Severity) -> String {
    format!("<span class=\"sev sev-{0}\">{0}</span>", s.name())
}

/// The report as one self-contained HTML page.
pub fn render(r: &Report) -> String {
    let s = &r.summary;
    let mut b = String::new();
    let total_findings: u64 = s.findings_by_severity.values().sum();
    let _ = write!(
        b,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n\
         <title>OT network report: {} assets, {} findings</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        csp_hash(CSS),
        csp_hash(JS),
        esc(&r.tool.name),
        esc(&r.tool.version),
        s.assets,
        total_findings
    );
    let span = match (&s.first_ts, &s.last_ts) {
        (Some(a), Some(z)) => format!(
            "{} to {} ({})",
            esc(a),
            esc(z),
            super::human_duration(s.duration_s)
        ),
        _ => "no timestamps".into(),
    };
    let _ = writeln!(
        b,
        "<header><h1>OT network report</h1><p>{span} · {} packets · {} input(s){} · {} {}</p></header>",
        s.packets,
        r.inputs.len(),
        if r.sensors.is_empty() {
            String::new()
        } else {
            format!(
                " from {} sensor(s): {}",
                r.sensors.len(),
                r.sensors
                    .iter()
                    .map(|x| esc(&x.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        esc(&r.tool.name),
        esc(&r.tool.version)
    );
    b.push_str(
        "<nav><a href=\"#summary\">Summary</a><a href=\"#zone-map\">Zone map</a><a href=\"#findings\">Findings</a><a href=\"#assets\">Assets</a><a href=\"#conduits\">Conduits</a><a href=\"#matrix\">Zone matrix</a><a href=\"#quality\">Capture quality</a></nav>\n<main>\n",
    );
    summary(&mut b, r);
    b.push_str("<section id=\"zone-map\"><h2>Zone map</h2>\n");
    if r.zones.is_empty() {
        b.push_str("<p class=\"muted\">No zones.</p>");
    } else {
        b.push_str(&zone_map(r));
        b.push_str(
            "\n<p class=\"legend\"><span><i class=\"lg-v\"></i>violation</span><span><i class=\"lg-a\"></i>allowed</span><span><i class=\"lg-o\"></i>unzoned or unrated</span><span class=\"muted\">Rows: Purdue levels. Arrows point from the zone that opened the connections to the zone that answered; width grows with flows; hover for counts.</span></p>\n",
        );
        if !r.zone_matrix.iter().any(|c| c.src_zone != c.dst_zone) {
            b.push_str("<p class=\"muted\">No traffic crossed a zone boundary.</p>\n");
        }
    }
    b.push_str("</section>\n");
    findings(&mut b, r);
    assets(&mut b, r);
    conduits(&mut b, r);
    matrix(&mut b, r);
    quality(&mut b, r);
    let _ = write!(
        b,
        "</main>\n<footer>Made by {} {} from passive observation only: no packet was sent. Device strings are shown as captured (escaped); the JSON report holds every value in full.</footer>\n<script>{JS}</script>\n</body>\n</html>\n",
        esc(&r.tool.name),
        esc(&r.tool.version)
    );
    b
}

fn summary(b: &mut String, r: &Report) {
    let s = &r.summary;
    b.push_str("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
    let card = |b: &mut String, n: String, label: &str, bad: bool| {
        let _ = write!(
            b,
            "<div class=\"card{}\"><b>{n}</b><span>{label}</span></div>",
            if bad { " bad" } else { "" }
        );
    };
    card(b, s.assets.to_string(), "assets", false);
    card(
        b,
        s.zones.to_string(),
        if r.zones_inferred {
            "zones (inferred)"
        } else {
            "zones"
        },
        false,
    );
    card(b, s.conduits.to_string(), "conduits", false);
    card(b, s.violations.to_string(), "violations", s.violations > 0);
    let total: u64 = s.findings_by_severity.values().sum();
    let worst_bad = s.findings_by_severity.contains_key("critical")
        || s.findings_by_severity.contains_key("high");
    card(b, total.to_string(), "findings", worst_bad);
    b.push_str("</div>\n<p>");
    for sev in ["critical", "high", "medium", "low", "info"] {
        if let Some(n) = s.findings_by_severity.get(sev) {
            let _ = write!(b, "<span class=\"sev sev-{sev}\">{sev} {n}</span> ");
        }
    }
    b.push_str("</p>\n<p>Assets by role: ");
    let roles: Vec<String> = s
        .assets_by_role
        .iter()
        .map(|(k, v)| format!("{} {v}", esc(k)))
        .collect();
    b.push_str(&if roles.is_empty() {
        "none".to_string()
    } else {
        roles.join(", ")
    });
    let _ = writeln!(
        b,
        ". Policy: {}{}.</p>",
        esc(&r.policy_model),
        if r.zones_inferred {
            " (zones inferred from the traffic: give a zones file for a real verdict)"
        } else {
            ""
        }
    );
    for e in &r.input_errors {
        let _ = writeln!(
            b,
            "<p class=\"verdict-violation\">Input error: {}: {}</p>",
            esc(&e.path),
            esc(&e.error)
        );
    }
    b.push_str("</section>\n");
}

fn findings(b: &mut String, r: &Report) {
    let _ = writeln!(
        b,
        "<section id=\"findings\"><h2>Findings ({})</h2>",
        r.findings.len()
    );
    if r.findings.is_empty() {
        b.push_str("<p>No findings.</p></section>\n");
        return;
    }
    b.push_str("<table class=\"sortable\" id=\"findings-table\">");
    b.push_str(&th(&[
        Col {
            name: "Severity",
            num: true,
        },
        Col {
            name: "Kind",
            num: false,
        },
        Col {
            name: "Asset",
            num: false,
        },
        Col {
            name: "Port",
            num: true,
        },
        Col {
            name: "Title",
            num: false,
        },
        Col {
            name: "Count",
            num: true,
        },
        Col {
            name: "Evidence frames",
            num: false,
        },
    ]));
    b.push_str("<tbody>");
    for (i, f) in r.findings.iter().enumerate() {
        let _ = write!(
            b,
            "<tr><td data-v=\"{}\">{}</td>{}{}<td class=\"n\" data-v=\"{}\">{}</td><td class=\"wrap\"><a href=\"#f{i}\">{}</a></td>{}{}</tr>",
            sev_rank(f.severity),
            sev_span(f.severity),
            td(&f.kind),
            td_ip(&f.asset),
            f.port.map_or(-1, |p| p as i64),
            match (&f.transport, f.port) {
                (Some(t), Some(p)) => format!("{}/{p}", esc(t)),
                (None, Some(p)) => p.to_string(),
                _ => String::new(),
            },
            esc(&f.title),
            td_n(f.count),
            td(&frames_label(&f.evidence)),
        );
    }
    b.push_str("</tbody></table>\n<h3>Evidence</h3>\n");
    for (i, f) in r.findings.iter().enumerate() {
        let _ = write!(
            b,
            "<details class=\"finding\" id=\"f{i}\"><summary>{} {} <span class=\"id\">{}</span></summary>\n<p>{}</p><dl>",
            sev_span(f.severity),
            esc(&f.title),
            esc(&f.id),
            esc(&f.description)
        );
        let dd = |b: &mut String, k: &str, v: String| {
            if !v.is_empty() {
                let _ = write!(b, "<dt>{k}</dt><dd>{v}</dd>");
            }
        };
        dd(b, "Rule", esc(&f.rule));
        dd(
            b,
            "Asset",
            format!(
                "{}{}",
                esc(&f.asset),
                f.zone
                    .as_ref()
                    .map(|z| format!(" (zone {})", esc(z)))
                    .unwrap_or_default()
            ),
        );
        dd(
            b,
            "Service",
            match (&f.transport, f.port) {
                (Some(t), Some(p)) => format!(
                    "{}/{p}{}",
                    esc(t),
                    f.protocol
                        .as_ref()
                        .map(|x| format!(" {}", esc(x)))
                        .unwrap_or_default()
                ),
                _ => String::new(),
            },
        );
        dd(
            b,
            "Peers",
            f.peers
                .iter()
                .map(|p| esc(p))
                .collect::<Vec<_>>()
                .join(", "),
        );
        dd(b, "Occurrences", f.count.to_string());
        if !f.credentials.is_empty() {
            dd(
                b,
                "Credentials",
                f.credentials
                    .iter()
                    .map(|c| {
                        format!(
                            "{} / {}",
                            esc(c.user.as_deref().unwrap_or("-")),
                            esc(c.secret.as_deref().unwrap_or("-"))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
        if !f.sensors.is_empty() {
            dd(
                b,
                "Sensors",
                f.sensors
                    .iter()
                    .map(|p| esc(p))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        b.push_str("</dl>");
        if !f.evidence.is_empty() {
            b.push_str(
                "<table class=\"evidence\"><thead><tr><th>Input</th><th>Frame</th><th>Time</th><th>Detail</th></tr></thead><tbody>",
            );
            for e in &f.evidence {
                let input = r
                    .inputs
                    .get(e.input as usize)
                    .map_or_else(|| e.input.to_string(), |x| x.path.clone());
                let _ = write!(
                    b,
                    "<tr>{}{}{}{}</tr>",
                    td(&input),
                    td_n(e.frame),
                    td(&e.ts),
                    td(&e.detail)
                );
            }
            b.push_str("</tbody></table>");
        }
        if !f.tshark_filter.is_empty() {
            let _ = write!(
                b,
                "<p>tshark display filter: <code>{}</code></p>",
                esc(&f.tshark_filter)
            );
        }
        if !f.tshark_commands.is_empty() {
            let _ = write!(
                b,
                "<pre><code>{}</code></pre>",
                f.tshark_commands
                    .iter()
                    .map(|c| esc_max(c, 4096))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        let _ = write!(b, "<p><b>Remediation:</b> {}</p>", esc(&f.remediation));
        if !f.references.is_empty() {
            b.push_str("<ul class=\"refs\">");
            for x in &f.references {
                if super::sarif::is_plain_uri(x) {
                    let _ = write!(
                        b,
                        "<li><a href=\"{0}\" rel=\"noreferrer noopener\">{0}</a></li>",
                        esc(x)
                    );
                } else {
                    let _ = write!(b, "<li>{}</li>", esc(x));
                }
            }
            b.push_str("</ul>");
        }
        b.push_str("</details>\n");
    }
    b.push_str("</section>\n");
}

fn assets(b: &mut String, r: &Report) {
    let _ = write!(
        b,
        "<section id=\"assets\"><h2>Assets ({})</h2>\n<table class=\"sortable\" id=\"assets-table\">",
        r.assets.len()
    );
    b.push_str(&th(&[
        Col {
            name: "IP",
            num: false,
        },
        Col {
            name: "MAC",
            num: false,
        },
        Col {
            name: "MAC vendor",
            num: false,
        },
        Col {
            name: "Role",
            num: false,
        },
        Col {
            name: "Confidence",
            num: true,
        },
        Col {
            name: "Identity",
            num: false,
        },
        Col {
            name: "Services",
            num: false,
        },
        Col {
            name: "Zone",
            num: false,
        },
        Col {
            name: "Packets",
            num: true,
        },
    ]));
    b.push_str("<tbody>");
    for a in &r.assets {
        let role = a.roles.first();
        let mut ident = esc(&identity_line(&a.identity));
        let id = &a.identity;
        let mut extra: Vec<String> = Vec::new();
        for (k, v) in [
            ("serial", &id.serial),
            ("order number", &id.order_number),
            ("hardware", &id.hardware_version),
            ("name", &id.name),
            ("hostname", &id.hostname),
        ] {
            if let Some(v) = v {
                extra.push(format!("{k} {}", esc(v)));
            }
        }
        if !extra.is_empty() {
            let _ = write!(
                ident,
                "<br><span class=\"muted\">{}</span>",
                extra.join(" · ")
            );
        }
        if !id.provenance.is_empty() {
            ident.push_str("<details><summary class=\"muted\">sources</summary><ul>");
            for p in id.provenance.iter().take(64) {
                let _ = write!(
                    ident,
                    "<li>{} = {} <span class=\"muted\">({}, {}%{})</span></li>",
                    esc(&p.field),
                    esc(&p.value),
                    esc(&p.source),
                    p.confidence,
                    if p.frames.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", frames {}",
                            p.frames
                                .iter()
                                .map(|f| f.frame.to_string())
                                .collect::<Vec<_>>()
                                .join(" ")
                        )
                    }
                );
            }
            ident.push_str("</ul></details>");
        }
        let _ = write!(
            b,
            "<tr>{}{}{}{}<td class=\"n\" data-v=\"{:.2}\">{}</td><td class=\"wrap\">{ident}</td><td class=\"wrap\">{}</td>{}{}</tr>",
            td_ip(&a.ip),
            td(&a.macs.join(" ")),
            td(a.mac_vendor.as_deref().unwrap_or("")),
            td(role.map_or("", |x| x.role.as_str())),
            role.map_or(0.0, |x| x.confidence),
            role.map_or(String::new(), |x| format!("{:.2}", x.confidence)),
            esc(&a
                .services
                .iter()
                .map(service_label)
                .collect::<Vec<_>>()
                .join(", ")),
            td(a.zone.as_deref().unwrap_or("")),
            td_n(a.packets_sent + a.packets_received),
        );
    }
    b.push_str("</tbody></table></section>\n");
}

fn conduits(b: &mut String, r: &Report) {
    let _ = writeln!(
        b,
        "<section id=\"conduits\"><h2>Conduits ({})</h2>",
        r.conduits.len()
    );
    if r.conduits.is_empty() {
        b.push_str("<p>No traffic crossed a zone boundary.</p>");
    } else {
        b.push_str("<table class=\"sortable\" id=\"conduits-table\">");
        b.push_str(&th(&[
            Col {
                name: "From",
                num: false,
            },
            Col {
                name: "To",
                num: false,
            },
            Col {
                name: "Service",
                num: false,
            },
            Col {
                name: "Protocol",
                num: false,
            },
            Col {
                name: "Flows",
                num: true,
            },
            Col {
                name: "Initiators",
                num: false,
            },
            Col {
                name: "Responders",
                num: false,
            },
            Col {
                name: "Verdict",
                num: true,
            },
            Col {
                name: "Rule",
                num: false,
            },
        ]));
        b.push_str("<tbody>");
        let mut order: Vec<&crate::zones::Conduit> = r.conduits.iter().collect();
        order.sort_by_key(|c| std::cmp::Reverse(verdict_rank(c.verdict)));
        for c in order {
            let v = verdict_name(c.verdict);
            let _ = write!(
                b,
                "<tr>{}{}<td data-v=\"{}/{:05}\">{}/{}</td>{}{}<td class=\"wrap\">{}</td><td class=\"wrap\">{}</td><td data-v=\"{}\" class=\"verdict-{v}\">{v}</td><td class=\"wrap\">{}</td></tr>",
                td(&c.src_zone),
                td(&c.dst_zone),
                esc(&c.transport),
                c.port,
                esc(&c.transport),
                c.port,
                td(&match &c.protocol {
                    Some(p) if c.protocol_from_content => p.clone(),
                    Some(p) => format!("{p}?"),
                    None => String::new(),
                }),
                td_n(c.flows),
                esc(&c.initiators.join(", ")),
                esc(&c.responders.join(", ")),
                verdict_rank(c.verdict),
                esc(&c.rule),
            );
        }
        b.push_str("</tbody></table>");
    }
    if !r.unused_conduits.is_empty() {
        b.push_str("<h3>Declared conduits no traffic used</h3><ul>");
        for u in &r.unused_conduits {
            let _ = write!(
                b,
                "<li>{} → {}: {}</li>",
                esc(&u.from),
                esc(&u.to),
                esc(&u.services.join(", "))
            );
        }
        b.push_str("</ul>");
    }
    b.push_str("</section>\n");
}

/// Zones beyond which the matrix is listed cell by cell: a grid of thousands of inferred zones
/// would be millions of empty cells that no one reads.
const MATRIX_GRID_MAX: usize = 40;

fn matrix_cell(b: &mut String, c: &crate::zones::MatrixCell) {
    let _ = write!(
        b,
        "<td class=\"cell-{}\" title=\"{}\">{} / {} flows{}</td>",
        esc(&c.verdict),
        esc(&c.verdict),
        c.conduits,
        c.flows,
        if c.violations > 0 {
            format!(" / <b>{} violation(s)</b>", c.violations)
        } else {
            String::new()
        }
    );
}

fn matrix(b: &mut String, r: &Report) {
    b.push_str("<section id=\"matrix\"><h2>Zone matrix</h2>\n");
    if r.zone_matrix.is_empty() {
        b.push_str("<p>No traffic between or inside zones.</p></section>\n");
        return;
    }
    let mut cells: std::collections::HashMap<(&str, &str), &crate::zones::MatrixCell> =
        std::collections::HashMap::new();
    for c in &r.zone_matrix {
        cells
            .entry((c.src_zone.as_str(), c.dst_zone.as_str()))
            .or_insert(c);
    }
    let names = r.matrix_zones();
    if names.len() > MATRIX_GRID_MAX {
        let _ = write!(
            b,
            "<p class=\"muted\">{} zones: too many for a grid; the {} pairs of zones with traffic are listed (from the zone that opened the connections to the zone that answered). Cell: conduits (services), flows and violations.</p>",
            names.len(),
            r.zone_matrix.len()
        );
        b.push_str("<table class=\"matrix\"><thead><tr><th>from</th><th>to</th><th>conduits / flows</th></tr></thead><tbody>");
        for c in &r.zone_matrix {
            let _ = write!(
                b,
                "<tr><th>{}</th><th>{}</th>",
                esc(&c.src_zone),
                esc(&c.dst_zone)
            );
            matrix_cell(b, c);
            b.push_str("</tr>");
        }
        b.push_str("</tbody></table></section>\n");
        return;
    }
    b.push_str("<p class=\"muted\">Rows: the zone that opened the connections; columns: the zone that answered. Cell: conduits (services), flows and violations; the diagonal counts traffic inside a zone.</p>");
    b.push_str("<table class=\"matrix\"><thead><tr><th>from \\ to</th>");
    for n in &names {
        let _ = write!(b, "<th>{}</th>", esc(n));
    }
    b.push_str("</tr></thead><tbody>");
    for s in &names {
        let _ = write!(b, "<tr><th>{}</th>", esc(s));
        for d in &names {
            match cells.get(&(*s, *d)) {
                None => b.push_str("<td class=\"muted\">·</td>"),
                Some(c) => matrix_cell(b, c),
            }
        }
        b.push_str("</tr>");
    }
    b.push_str("</tbody></table></section>\n");
}

fn quality(b: &mut String, r: &Report) {
    let q = &r.capture_quality;
    b.push_str("<section id=\"quality\"><h2>Capture quality</h2>\n<table><tbody>");
    let row = |b: &mut String, k: &str, v: String| {
        let _ = write!(b, "<tr><th>{k}</th><td>{v}</td></tr>");
    };
    row(b, "Frames", format!("{} ({} bytes)", q.frames, q.bytes));
    row(
        b,
        "Duplicate frames (SPAN copies)",
        q.duplicate_frames.to_string(),
    );
    row(
        b,
        "Frames cut by the snap length",
        q.frames_truncated_by_snaplen.to_string(),
    );
    row(b, "Inputs stopped early", q.inputs_stopped.to_string());
    row(b, "Capture drops", q.capture_drops.to_string());
    for (name, m) in [
        ("Link layer", &q.link_layer),
        ("Network", &q.network),
        ("Decode errors", &q.decode_errors),
        ("IP fragments", &q.ip_fragments),
        ("TCP", &q.tcp),
        ("Flows", &q.flows),
        ("Anomalies", &q.anomalies),
        ("Bounds hit", &q.bounds_hit),
    ] {
        if !m.is_empty() {
            row(
                b,
                name,
                m.iter()
                    .map(|(k, v)| format!("{} {v}", esc(k)))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
    }
    b.push_str("</tbody></table>\n<h3>Inputs</h3><table class=\"sortable\" id=\"inputs-table\">");
    b.push_str(&th(&[
        Col {
            name: "#",
            num: true,
        },
        Col {
            name: "Path",
            num: false,
        },
        Col {
            name: "Format",
            num: false,
        },
        Col {
            name: "Packets",
            num: true,
        },
        Col {
            name: "First",
            num: false,
        },
        Col {
            name: "Last",
            num: false,
        },
        Col {
            name: "SHA-256",
            num: false,
        },
        Col {
            name: "Note",
            num: false,
        },
    ]));
    b.push_str("<tbody>");
    for (i, x) in r.inputs.iter().enumerate() {
        let _ = write!(
            b,
            "<tr>{}<td class=\"wrap\">{}</td>{}{}{}{}<td><code>{}</code></td>{}</tr>",
            td_n(i),
            esc(&x.path),
            td(&format!("{:?}{}", x.format, if x.compressed { "+gz" } else { "" }).to_lowercase()),
            td_n(x.packets),
            td(&x.first_ts.map(|t| t.to_string()).unwrap_or_default()),
            td(&x.last_ts.map(|t| t.to_string()).unwrap_or_default()),
            esc(&x.sha256),
            td(&x.status()),
        );
    }
    b.push_str("</tbody></table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            esc("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            esc("\"><img src=x onerror='a'>"),
            "&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;"
        );
        assert_eq!(esc("a\u{1b}[31mb"), "ab");
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(b64(b""), "");
        assert_eq!(b64(b"f"), "Zg==");
        assert_eq!(b64(b"fo"), "Zm8=");
        assert_eq!(b64(b"foo"), "Zm9v");
        assert_eq!(b64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn ip_keys_sort_numerically() {
        assert!(ip_key("10.0.0.9") < ip_key("10.0.0.10"));
        assert!(ip_key("192.168.1.1") < ip_key("::1"));
    }
}
