//! The HTML report in a real browser: headless Chromium loads the self-contained page (no
//! network, the page's own Content Security Policy in force), runs its script, and we check the
//! DOM it produces (the zone map with one box per zone and one arrow per zone pair, the tables,
//! a sort scripted through the URL) and a screenshot (a real, coloured picture).
//!
//! Skipped with a notice when Chromium is not installed (`scripts/install-deps.sh` installs
//! it). `UPDATE_SCREENSHOT=1` also writes `docs/report-screenshot.png`.

mod common;

use otscope::report::{Report, html};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
        if let Some(p) = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        }) {
            return Some(p);
        }
    }
    None
}

fn demo() -> Report {
    let paths: Vec<PathBuf> = [
        "captures/public/mixed/iti__Sample_File_MMS_and_GOOSE.pcap",
        "captures/public/enip/cisagov__enip_cip_example.pcap",
        "captures/public/modbus/zeek__modbus-and-non-modbus-p502.pcap",
        "captures/public/s7comm/iti__s7comm_downloading_block_db1.pcap",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    let a = common::run(&paths);
    let sigs = otscope::inventory::signatures::Signatures::builtin();
    let z = otscope::zones::config::ZonesConfig::load(Path::new("tests/golden/demo-zones.toml"))
        .unwrap();
    otscope::build_report(&a, &sigs, Some(z), false)
}

/// Run headless Chromium (bounded by `timeout`) and return its standard output.
fn run_chromium(bin: &Path, profile: &Path, args: &[String], url: &str) -> String {
    let out = Command::new("timeout")
        .args(["-k", "5", "90"])
        .arg(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Values of attribute `attr` of the elements whose opening tag starts with `prefix`.
fn attr_values<'a>(dom: &'a str, prefix: &str, attr: &str) -> Vec<&'a str> {
    dom.match_indices(prefix)
        .filter_map(|(i, _)| {
            let tag = &dom[i..i + dom[i..].find('>')?];
            let k = tag.find(&format!("{attr}=\""))? + attr.len() + 2;
            Some(&tag[k..k + tag[k..].find('"')?])
        })
        .collect()
}

#[test]
fn html_report_renders_in_chromium() {
    let Some(bin) = chromium() else {
        println!(
            "NOTICE: skipping html_report_renders_in_chromium: chromium is not installed (scripts/install-deps.sh installs it)"
        );
        return;
    };
    let r = demo();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html::render(&r)).unwrap();
    let url = format!("file://{}", page.display());

    // 1. The DOM after the page's script ran, with a sort scripted through the URL: assets by
    //    IP, descending (the header's click handler does the sorting).
    let dom = run_chromium(
        &bin,
        &dir.path().join("profile1"),
        &["--dump-dom".into(), "--virtual-time-budget=3000".into()],
        &format!("{url}#sort=assets-table:0:desc"),
    );
    assert!(
        dom.contains("data-js=\"ready\""),
        "the page's script did not run (blocked by its own CSP?)"
    );
    let zones: Vec<&str> = attr_values(&dom, "<g class=\"zone\"", "data-zone");
    let mut want: Vec<&str> = r.zones.iter().map(|z| z.name.as_str()).collect();
    for c in &r.zone_matrix {
        for z in [&c.src_zone, &c.dst_zone] {
            if !want.contains(&z.as_str()) {
                want.push(z);
            }
        }
    }
    assert_eq!(zones, want, "one <g class=\"zone\"> per zone");
    let crossings: Vec<_> = r
        .zone_matrix
        .iter()
        .filter(|c| c.src_zone != c.dst_zone)
        .collect();
    let arrows = dom.matches("<g class=\"conduit ").count();
    assert_eq!(arrows, crossings.len(), "one arrow per zone pair");
    let red = crossings
        .iter()
        .filter(|c| c.verdict == "violation")
        .count();
    assert!(red > 0);
    assert_eq!(dom.matches("<g class=\"conduit violation\"").count(), red);
    assert!(dom.matches("<g class=\"conduit allowed\"").count() > 0);
    for id in [
        "findings-table",
        "assets-table",
        "conduits-table",
        "inputs-table",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id}");
    }
    // Sorted: the IP column's keys descend, and the header says so.
    let start = dom.find("id=\"assets-table\"").unwrap();
    let end = start + dom[start..].find("</table>").unwrap();
    let table = &dom[start..end];
    assert!(table.contains("aria-sort=\"descending\""));
    let keys = attr_values(table, "<td data-v=\"", "data-v");
    assert_eq!(keys.len(), r.assets.len());
    let mut sorted = keys.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "rows sorted by IP, descending");
    assert_ne!(
        keys[0],
        attr_values(&html::render(&r), "<td data-v=\"4.", "data-v")[0],
        "the order changed from the page's own"
    );

    // 2. A screenshot: the picture a reader sees.
    let shot = dir.path().join("shot.png");
    run_chromium(
        &bin,
        &dir.path().join("profile2"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,1800".into(),
            "--virtual-time-budget=3000".into(),
        ],
        &url,
    );
    let png = std::fs::read(&shot).unwrap();
    let img = decode_png(&png);
    assert_eq!((img.width, img.height), (1400, 1800));
    let (mut dark_blue, mut red, mut green, mut white) = (0usize, 0usize, 0usize, 0usize);
    for p in img.pixels.chunks(3) {
        let (r, g, b) = (p[0] as i32, p[1] as i32, p[2] as i32);
        if (r - 0x17).abs() < 12 && (g - 0x32).abs() < 12 && (b - 0x4d).abs() < 12 {
            dark_blue += 1; // header band, zone box outlines
        }
        if r > 180 && g < 110 && b < 110 {
            red += 1; // violation arrows, severity chips
        }
        if g > 130 && r < 120 && b < 120 {
            green += 1; // allowed arrows
        }
        if r > 245 && g > 245 && b > 245 {
            white += 1;
        }
    }
    let total = img.width * img.height;
    assert!(dark_blue > 1400 * 40, "header band missing: {dark_blue}");
    assert!(red > 2000, "no red (violations): {red}");
    assert!(green > 500, "no green (allowed conduits): {green}");
    assert!(
        white < total * 95 / 100,
        "blank page: {white} of {total} white"
    );
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        std::fs::create_dir_all("docs").unwrap();
        std::fs::write("docs/report-screenshot.png", &png).unwrap();
    }
}

struct Image {
    width: usize,
    height: usize,
    /// RGB, 8 bits per channel.
    pixels: Vec<u8>,
}

/// A minimal PNG decoder for what Chromium writes: 8-bit RGB or RGBA, not interlaced.
fn decode_png(b: &[u8]) -> Image {
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let mut i = 8;
    let (mut w, mut h, mut ct) = (0usize, 0usize, 0u8);
    let mut idat = Vec::new();
    while i + 8 <= b.len() {
        let len = u32::from_be_bytes(b[i..i + 4].try_into().unwrap()) as usize;
        let kind = &b[i + 4..i + 8];
        let data = &b[i + 8..i + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                h = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(data[8], 8, "8-bit");
                ct = data[9];
                assert_eq!(data[12], 0, "not interlaced");
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        i += 12 + len;
    }
    let bpp = match ct {
        2 => 3,
        6 => 4,
        other => panic!("PNG colour type {other}"),
    };
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = w * bpp;
    assert_eq!(raw.len(), h * (stride + 1));
    let mut out = vec![0u8; h * stride];
    for y in 0..h {
        let f = raw[y * (stride + 1)];
        let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        for x in 0..stride {
            let a = if x >= bpp {
                out[y * stride + x - bpp]
            } else {
                0
            } as i32;
            let up = if y > 0 { out[(y - 1) * stride + x] } else { 0 } as i32;
            let c = if x >= bpp && y > 0 {
                out[(y - 1) * stride + x - bpp]
            } else {
                0
            } as i32;
            let v = line[x] as i32
                + match f {
                    0 => 0,
                    1 => a,
                    2 => up,
                    3 => (a + up) / 2,
                    4 => {
                        let p = a + up - c;
                        let (pa, pb, pc) = ((p - a).abs(), (p - up).abs(), (p - c).abs());
                        if pa <= pb && pa <= pc {
                            a
                        } else if pb <= pc {
                            up
                        } else {
                            c
                        }
                    }
                    other => panic!("PNG filter {other}"),
                };
            out[y * stride + x] = v as u8;
        }
    }
    let pixels = if bpp == 3 {
        out
    } else {
        out.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect()
    };
    Image {
        width: w,
        height: h,
        pixels,
    }
}
