//! Application instance certificates seen on the wire (OPN sender certificates, endpoint
//! descriptions, CreateSession): subject, issuer, validity, self-signed, SHA-1 thumbprint.
//!
//! Self-signed means the subject and issuer names are equal (byte for byte) and, when both key
//! identifier extensions are present, the authority key identifier names the subject key: the
//! signature itself is not verified (no crypto dependency for a passive inventory).

use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::*;

/// What the report says about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    pub self_signed: bool,
    /// Lower-case hex SHA-1 of the DER certificate (the OPC UA "thumbprint").
    pub sha1: String,
}

const MAX_NAME: usize = 256;

fn bounded(mut s: String) -> String {
    if s.len() > MAX_NAME {
        let mut i = MAX_NAME;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        s.truncate(i);
    }
    s
}

/// Parse the first certificate of a DER certificate or chain (OPC UA concatenates chains).
pub fn parse(der: &[u8]) -> Option<CertInfo> {
    let (rest, cert) = parse_x509_certificate(der).ok()?;
    let own = der.get(..der.len().saturating_sub(rest.len()))?;
    let tbs = &cert.tbs_certificate;
    let mut aki: Option<&[u8]> = None;
    let mut ski: Option<&[u8]> = None;
    for ext in tbs.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0);
            }
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0),
            _ => {}
        }
    }
    let names_equal = tbs.subject.as_raw() == tbs.issuer.as_raw();
    let keys_agree = match (aki, ski) {
        (Some(a), Some(s)) => a == s,
        _ => true,
    };
    Some(CertInfo {
        subject: bounded(tbs.subject.to_string()),
        issuer: bounded(tbs.issuer.to_string()),
        not_before: tbs.validity.not_before.timestamp(),
        not_after: tbs.validity.not_after.timestamp(),
        self_signed: names_equal && keys_agree,
        sha1: hex(&sha1(own)),
    })
}

pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(char::from(b"0123456789abcdef"[(x >> 4) as usize]));
        s.push(char::from(b"0123456789abcdef"[(x & 15) as usize]));
    }
    s
}

/// `2031-05-04T12:00:00Z` for Unix seconds (proleptic Gregorian, UTC).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        y,
        m,
        d,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// SHA-1 (FIPS 180-4). Used only for certificate thumbprints, which OPC UA defines as SHA-1.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    let mut block = [0u8; 64];
    let process = |block: &[u8; 64], h: &mut [u32; 5]| {
        let mut w = [0u32; 80];
        for (t, c) in block.chunks_exact(4).enumerate() {
            w[t] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        for t in 16..80 {
            w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
        }
        let (mut a, mut b, mut c, mut d, mut e) = (h[0], h[1], h[2], h[3], h[4]);
        for (t, wt) in w.iter().enumerate() {
            let (f, k) = match t {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let tmp = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wt);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = tmp;
        }
        h[0] = h[0].wrapping_add(a);
        h[1] = h[1].wrapping_add(b);
        h[2] = h[2].wrapping_add(c);
        h[3] = h[3].wrapping_add(d);
        h[4] = h[4].wrapping_add(e);
    };
    let mut chunks = data.chunks_exact(64);
    for c in &mut chunks {
        block.copy_from_slice(c);
        process(&block, &mut h);
    }
    let rem = chunks.remainder();
    block = [0u8; 64];
    block[..rem.len()].copy_from_slice(rem);
    block[rem.len()] = 0x80;
    if rem.len() >= 56 {
        process(&block, &mut h);
        block = [0u8; 64];
    }
    block[56..].copy_from_slice(&bit_len.to_be_bytes());
    process(&block, &mut h);
    let mut out = [0u8; 20];
    for (o, v) in out.chunks_exact_mut(4).zip(h) {
        o.copy_from_slice(&v.to_be_bytes());
    }
    out
}
