//! A small BER reader (ITU-T X.690 subset) for SNMP and the RDP MCS layer.
//!
//! * definite lengths only: the indefinite form (`0x80`) is an error the caller counts as an
//!   anomaly (SNMP and T.125 never use it);
//! * lengths of at most [`MAX_LENGTH_OCTETS`] octets, high tag numbers of at most 4 octets;
//! * every value is `take(len)` of its parent: a value never reaches past its container;
//! * nesting is walked to at most [`MAX_DEPTH`] levels ([`check_nesting`]), so hostile input
//!   cannot exhaust the stack;
//! * INTEGERs are read into `i64` (at most 8 octets), unsigned application types into `u64`
//!   (at most 9 octets with a leading zero), OIDs are iterated arc by arc with a bound on arcs.
//!
//! Everything is zero-copy: a [`Tlv`] borrows its value from the input.

use nom::IResult;
use nom::bytes::complete::take;
use nom::error::{ErrorKind, ParseError};
use nom::number::complete::be_u8;

/// Deepest nesting of constructed values walked by [`check_nesting`].
pub const MAX_DEPTH: usize = 16;
/// Longest long-form length accepted, in octets (4 GiB is far beyond any datagram).
pub const MAX_LENGTH_OCTETS: usize = 4;
/// Arcs of an OID rendered by [`oid_string`].
pub const MAX_OID_ARCS: usize = 128;

pub const UNIVERSAL: u8 = 0;
pub const APPLICATION: u8 = 1;
pub const CONTEXT: u8 = 2;

/// Why a BER element could not be read. Each kind is an anomaly name ([`BerError::anomaly`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BerError {
    /// The input ended inside an identifier or a length.
    Truncated,
    /// Indefinite length form (`0x80`).
    Indefinite,
    /// Length of more than [`MAX_LENGTH_OCTETS`] octets, or the reserved `0xff`.
    BadLength,
    /// High tag number longer than 4 octets.
    BadTag,
    /// The length claims more bytes than the container holds.
    Short,
    /// Constructed values nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Another element than the one the structure requires.
    Unexpected,
    /// A value not valid for its type (empty or over-long INTEGER, bad OID).
    BadValue,
}

impl BerError {
    /// Anomaly kind for [`crate::dissect::Cx::anomaly`].
    pub fn anomaly(self) -> &'static str {
        match self {
            BerError::Truncated => "ber_truncated",
            BerError::Indefinite => "ber_indefinite_length",
            BerError::BadLength => "ber_bad_length",
            BerError::BadTag => "ber_bad_tag",
            BerError::Short => "ber_length_exceeds_data",
            BerError::TooDeep => "ber_too_deep",
            BerError::Unexpected => "ber_unexpected_element",
            BerError::BadValue => "ber_bad_value",
        }
    }
}

impl<'a> ParseError<&'a [u8]> for BerError {
    fn from_error_kind(_: &'a [u8], _: ErrorKind) -> Self {
        BerError::Truncated
    }
    fn append(_: &'a [u8], _: ErrorKind, other: Self) -> Self {
        other
    }
}

pub type BResult<'a, T> = IResult<&'a [u8], T, BerError>;

fn fail<T>(e: BerError) -> Result<T, nom::Err<BerError>> {
    Err(nom::Err::Error(e))
}

/// Map any nom error of a BER parser to its [`BerError`].
pub fn err_of(e: nom::Err<BerError>) -> BerError {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        nom::Err::Incomplete(_) => BerError::Truncated,
    }
}

/// One element: identifier octets decoded, value borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// 0 universal, 1 application, 2 context-specific, 3 private.
    pub class: u8,
    pub constructed: bool,
    pub tag: u32,
    pub value: &'a [u8],
}

impl Tlv<'_> {
    pub fn is(&self, class: u8, constructed: bool, tag: u32) -> bool {
        self.class == class && self.constructed == constructed && self.tag == tag
    }
}

/// Identifier and length octets: (class, constructed, tag, length).
pub fn header(i: &[u8]) -> BResult<'_, (u8, bool, u32, usize)> {
    let (mut i, b) = be_u8(i)?;
    let class = b >> 6;
    let constructed = b & 0x20 != 0;
    let mut tag = u32::from(b & 0x1f);
    if tag == 0x1f {
        tag = 0;
        let mut n = 0;
        loop {
            let (r, t) = be_u8(i)?;
            i = r;
            n += 1;
            if n > 4 {
                return fail(BerError::BadTag);
            }
            tag = (tag << 7) | u32::from(t & 0x7f);
            if t & 0x80 == 0 {
                break;
            }
        }
    }
    let (mut i, l) = be_u8(i)?;
    let len = if l < 0x80 {
        usize::from(l)
    } else if l == 0x80 {
        return fail(BerError::Indefinite);
    } else {
        let n = usize::from(l & 0x7f);
        if n > MAX_LENGTH_OCTETS || l == 0xff {
            return fail(BerError::BadLength);
        }
        let mut len = 0usize;
        for _ in 0..n {
            let (r, b) = be_u8(i)?;
            i = r;
            len = (len << 8) | usize::from(b);
        }
        len
    };
    Ok((i, (class, constructed, tag, len)))
}

/// One element; its value is exactly `length` bytes of the input (else [`BerError::Short`]).
pub fn tlv(i: &[u8]) -> BResult<'_, Tlv<'_>> {
    let (i, (class, constructed, tag, len)) = header(i)?;
    if len > i.len() {
        return fail(BerError::Short);
    }
    let (i, value) = take(len)(i)?;
    Ok((
        i,
        Tlv {
            class,
            constructed,
            tag,
            value,
        },
    ))
}

/// The value of the next element, which must have this identifier.
pub fn expect(class: u8, constructed: bool, tag: u32) -> impl Fn(&[u8]) -> BResult<'_, &[u8]> {
    move |i| {
        let (r, t) = tlv(i)?;
        if !t.is(class, constructed, tag) {
            return fail(BerError::Unexpected);
        }
        Ok((r, t.value))
    }
}

/// SEQUENCE (universal 16, constructed): its contents.
pub fn sequence(i: &[u8]) -> BResult<'_, &[u8]> {
    expect(UNIVERSAL, true, 16)(i)
}

/// OCTET STRING (universal 4, primitive).
pub fn octet_string(i: &[u8]) -> BResult<'_, &[u8]> {
    expect(UNIVERSAL, false, 4)(i)
}

/// INTEGER (universal 2) as `i64`.
pub fn integer(i: &[u8]) -> BResult<'_, i64> {
    let (r, v) = expect(UNIVERSAL, false, 2)(i)?;
    match int_value(v) {
        Some(n) => Ok((r, n)),
        None => fail(BerError::BadValue),
    }
}

/// ENUMERATED (universal 10) as `i64`.
pub fn enumerated(i: &[u8]) -> BResult<'_, i64> {
    let (r, v) = expect(UNIVERSAL, false, 10)(i)?;
    match int_value(v) {
        Some(n) => Ok((r, n)),
        None => fail(BerError::BadValue),
    }
}

/// Two's complement contents of 1 to 8 octets.
pub fn int_value(v: &[u8]) -> Option<i64> {
    let (&first, _) = v.split_first()?;
    if v.len() > 8 {
        return None;
    }
    let mut n: i64 = if first & 0x80 != 0 { -1 } else { 0 };
    for &b in v {
        n = (n << 8) | i64::from(b);
    }
    Some(n)
}

/// Unsigned contents (Counter32, Gauge32, TimeTicks, Counter64): 1 to 8 octets, or 9 with a
/// leading zero.
pub fn uint_value(v: &[u8]) -> Option<u64> {
    let v = match v {
        [0, rest @ ..] if v.len() == 9 => rest,
        _ => v,
    };
    if v.is_empty() || v.len() > 8 {
        return None;
    }
    Some(v.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)))
}

/// Arcs of an OID's contents (the first octet expanded to two arcs). Stops with `None` after
/// an arc that does not fit `u64` or a truncated last arc (`valid()` then says false).
#[derive(Debug, Clone)]
pub struct OidArcs<'a> {
    rest: &'a [u8],
    pending: Option<u64>,
    first: bool,
    bad: bool,
}

impl<'a> OidArcs<'a> {
    pub fn new(v: &'a [u8]) -> Self {
        OidArcs {
            rest: v,
            pending: None,
            first: true,
            bad: v.is_empty(),
        }
    }

    /// The encoding was well-formed up to where iteration stopped.
    pub fn valid(&self) -> bool {
        !self.bad
    }

    fn subid(&mut self) -> Option<u64> {
        let mut n: u64 = 0;
        for (k, &b) in self.rest.iter().enumerate() {
            if n > (u64::MAX >> 7) {
                self.bad = true;
                self.rest = &[];
                return None;
            }
            n = (n << 7) | u64::from(b & 0x7f);
            if b & 0x80 == 0 {
                self.rest = self.rest.get(k + 1..).unwrap_or(&[]);
                return Some(n);
            }
        }
        self.bad = true;
        self.rest = &[];
        None
    }
}

impl Iterator for OidArcs<'_> {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        if let Some(p) = self.pending.take() {
            return Some(p);
        }
        if self.rest.is_empty() {
            return None;
        }
        let n = self.subid()?;
        if self.first {
            self.first = false;
            let (a, b) = match n {
                0..=39 => (0, n),
                40..=79 => (1, n - 40),
                _ => (2, n - 80),
            };
            self.pending = Some(b);
            return Some(a);
        }
        Some(n)
    }
}

/// Dotted text of an OID's contents (`1.3.6.1.2.1.1.2.0`), at most [`MAX_OID_ARCS`] arcs;
/// `None` when the encoding is invalid.
pub fn oid_string(v: &[u8]) -> Option<String> {
    let mut it = OidArcs::new(v);
    let mut s = String::with_capacity(v.len() * 3);
    for (k, arc) in it.by_ref().enumerate() {
        if k >= MAX_OID_ARCS {
            s.push_str(".…");
            break;
        }
        if k > 0 {
            s.push('.');
        }
        s.push_str(&arc.to_string());
    }
    if it.valid() { Some(s) } else { None }
}

/// Walk every element of `i` (recursing into constructed ones) and fail when an element is
/// malformed or constructed values nest deeper than [`MAX_DEPTH`] below `depth`.
pub fn check_nesting(i: &[u8], depth: usize) -> Result<(), BerError> {
    if depth > MAX_DEPTH {
        return Err(BerError::TooDeep);
    }
    let mut rest = i;
    while !rest.is_empty() {
        let (r, t) = tlv(rest).map_err(err_of)?;
        if t.constructed {
            check_nesting(t.value, depth + 1)?;
        }
        rest = r;
    }
    Ok(())
}

/// Lowercase hex of at most `max` bytes (engine IDs and other binary identifiers).
pub fn hex(b: &[u8], max: usize) -> String {
    let mut s = String::with_capacity(b.len().min(max) * 2);
    for &x in b.iter().take(max) {
        s.push(char::from(b"0123456789abcdef"[usize::from(x >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(x & 15)]));
    }
    s
}
