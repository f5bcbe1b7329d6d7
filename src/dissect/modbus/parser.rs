//! Modbus/TCP wire format, zero-copy, with nom: the MBAP header, the ADU framed by its length,
//! the bodies of the PDUs otscope reads (Read Device Identification, Report Server ID,
//! diagnostics, Schneider UMAS), and the structural checks of request and response bodies that
//! the probe, the resynchronisation and the anomaly counters share.
//!
//! Frame before body: [`parse_adu`] reads the header, takes exactly `length - 1` bytes and every
//! body parser works on that slice only. Unknown code values are never a parse error.

use super::codes::{self, FC_MEI, FC_UMAS, MEI_CANOPEN, MEI_READ_DEVICE_ID, umas};
use nom::bytes::complete::take;
use nom::multi::length_data;
use nom::number::complete::{be_u16, le_u16, le_u32, u8 as byte};
use nom::{IResult, Parser};

/// Bytes of the MBAP header (transaction id, protocol id, length, unit id).
pub const MBAP_LEN: usize = 7;
/// Smallest MBAP length: unit id and function code.
pub const MIN_LENGTH: u16 = 2;
/// Largest MBAP length the specification allows (unit id + 253 bytes of PDU).
pub const MAX_LENGTH: u16 = 254;
/// Largest MBAP length accepted (with a `long_pdu` anomaly): some devices overshoot a little.
pub const MAX_LENGTH_TOLERATED: u16 = 260;
/// Largest ADU accepted, in bytes.
pub const MAX_ADU: usize = 6 + MAX_LENGTH_TOLERATED as usize;

/// The MBAP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mbap {
    pub transaction: u16,
    /// 0 for Modbus.
    pub protocol: u16,
    /// Bytes that follow the length field (unit id + PDU).
    pub length: u16,
    pub unit: u8,
}

/// What a header says about the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderCheck {
    Ok,
    /// Length 255..=260: accepted, counted as `long_pdu`.
    Long,
    BadProtocol,
    BadLength,
}

impl Mbap {
    pub fn check(&self) -> HeaderCheck {
        if self.protocol != 0 {
            HeaderCheck::BadProtocol
        } else if self.length < MIN_LENGTH || self.length > MAX_LENGTH_TOLERATED {
            HeaderCheck::BadLength
        } else if self.length > MAX_LENGTH {
            HeaderCheck::Long
        } else {
            HeaderCheck::Ok
        }
    }

    /// Whether this header can start a Modbus ADU (protocol 0, length accepted).
    pub fn plausible(&self) -> bool {
        matches!(self.check(), HeaderCheck::Ok | HeaderCheck::Long)
    }

    /// Bytes of the whole ADU (header + PDU).
    pub fn adu_len(&self) -> usize {
        6 + usize::from(self.length)
    }
}

pub fn parse_mbap(i: &[u8]) -> IResult<&[u8], Mbap> {
    let (i, transaction) = be_u16(i)?;
    let (i, protocol) = be_u16(i)?;
    let (i, length) = be_u16(i)?;
    let (i, unit) = byte(i)?;
    Ok((
        i,
        Mbap {
            transaction,
            protocol,
            length,
            unit,
        },
    ))
}

/// One Modbus/TCP ADU: header, function code and the rest of the PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adu<'a> {
    pub hdr: Mbap,
    /// Function code as sent (exception responses have bit 0x80 set).
    pub fc: u8,
    /// PDU bytes after the function code.
    pub body: &'a [u8],
}

impl Adu<'_> {
    pub fn is_exception(&self) -> bool {
        self.fc & 0x80 != 0
    }
}

/// Frame one ADU: the header, then exactly `length - 1` bytes of PDU. Fails on a length below
/// 2 or when the input is shorter than the ADU.
pub fn parse_adu(i: &[u8]) -> IResult<&[u8], Adu<'_>> {
    let (i, hdr) = parse_mbap(i)?;
    if hdr.length < MIN_LENGTH {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::LengthValue,
        )));
    }
    let (rest, pdu) = take(usize::from(hdr.length) - 1).parse(i)?;
    let (body, fc) = byte(pdu)?;
    Ok((rest, Adu { hdr, fc, body }))
}

/// Result of a structural check of a PDU body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Ok,
    /// A function code whose body is not checked (not a spec violation by itself).
    Unknown,
    /// A spec violation, named as the anomaly kind.
    Bad(&'static str),
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at.checked_add(1)?)?,
    ]))
}

fn exact(body: &[u8], n: usize) -> Check {
    if body.len() == n {
        Check::Ok
    } else {
        Check::Bad("bad_pdu_length")
    }
}

fn quantity(q: Option<u16>, max: u16) -> Check {
    match q {
        Some(q) if (1..=max).contains(&q) => Check::Ok,
        _ => Check::Bad("bad_quantity"),
    }
}

/// `body` = byte count then exactly that many bytes.
fn counted(body: &[u8]) -> Option<usize> {
    let n = usize::from(*body.first()?);
    (body.len() == n + 1).then_some(n)
}

/// Structural check of a request body (after the function code), per the specification.
pub fn check_request(fc: u8, body: &[u8]) -> Check {
    let n = body.len();
    match fc {
        1 | 2 => match exact(body, 4) {
            Check::Ok => quantity(be16(body, 2), 2000),
            c => c,
        },
        3 | 4 => match exact(body, 4) {
            Check::Ok => quantity(be16(body, 2), 125),
            c => c,
        },
        5 => match exact(body, 4) {
            Check::Ok => match be16(body, 2) {
                Some(0xff00) | Some(0x0000) => Check::Ok,
                _ => Check::Bad("bad_coil_value"),
            },
            c => c,
        },
        6 | 22 => exact(body, if fc == 6 { 4 } else { 6 }),
        7 | 11 | 12 | 17 => exact(body, 0),
        8 => {
            if n >= 2 {
                Check::Ok
            } else {
                Check::Bad("bad_pdu_length")
            }
        }
        15 => {
            if n < 6 {
                return Check::Bad("bad_pdu_length");
            }
            let q = be16(body, 2).unwrap_or(0);
            if !(1..=0x07b0).contains(&q) {
                return Check::Bad("bad_quantity");
            }
            let bc = usize::from(body[4]);
            if bc != usize::from(q).div_ceil(8) || n != 5 + bc {
                return Check::Bad("bad_byte_count");
            }
            Check::Ok
        }
        16 => {
            if n < 7 {
                return Check::Bad("bad_pdu_length");
            }
            let q = be16(body, 2).unwrap_or(0);
            if !(1..=123).contains(&q) {
                return Check::Bad("bad_quantity");
            }
            let bc = usize::from(body[4]);
            if bc != 2 * usize::from(q) || n != 5 + bc {
                return Check::Bad("bad_byte_count");
            }
            Check::Ok
        }
        20 => match counted(body) {
            // sub-requests of 7 bytes, each with reference type 6
            Some(bc) if (7..=245).contains(&bc) && bc % 7 == 0 => {
                if body[1..].chunks(7).all(|c| c.first() == Some(&6)) {
                    Check::Ok
                } else {
                    Check::Bad("bad_reference_type")
                }
            }
            _ => Check::Bad("bad_byte_count"),
        },
        21 => match counted(body) {
            Some(bc) if (9..=251).contains(&bc) => {
                if body.get(1) == Some(&6) {
                    Check::Ok
                } else {
                    Check::Bad("bad_reference_type")
                }
            }
            _ => Check::Bad("bad_byte_count"),
        },
        23 => {
            if n < 11 {
                return Check::Bad("bad_pdu_length");
            }
            let rq = be16(body, 2).unwrap_or(0);
            let wq = be16(body, 6).unwrap_or(0);
            if !(1..=125).contains(&rq) || !(1..=121).contains(&wq) {
                return Check::Bad("bad_quantity");
            }
            let bc = usize::from(body[8]);
            if bc != 2 * usize::from(wq) || n != 9 + bc {
                return Check::Bad("bad_byte_count");
            }
            Check::Ok
        }
        24 => exact(body, 2),
        FC_MEI => match body.first() {
            Some(&MEI_READ_DEVICE_ID) => {
                if n != 3 {
                    Check::Bad("bad_pdu_length")
                } else if !(1..=4).contains(&body[1]) {
                    Check::Bad("bad_read_device_id_code")
                } else {
                    Check::Ok
                }
            }
            Some(&MEI_CANOPEN) => Check::Ok,
            Some(_) => Check::Bad("bad_mei_type"),
            None => Check::Bad("bad_pdu_length"),
        },
        FC_UMAS => {
            if n < 2 {
                Check::Bad("bad_pdu_length")
            } else if !codes::umas_known(body[1]) {
                Check::Unknown
            } else {
                Check::Ok
            }
        }
        _ => Check::Unknown,
    }
}

/// Structural check of a normal (non-exception) response body, per the specification.
pub fn check_response(fc: u8, body: &[u8]) -> Check {
    let n = body.len();
    match fc {
        1 | 2 => match counted(body) {
            Some(bc) if bc >= 1 => Check::Ok,
            _ => Check::Bad("bad_byte_count"),
        },
        3 | 4 | 23 => match counted(body) {
            Some(bc) if bc >= 2 && bc % 2 == 0 => Check::Ok,
            _ => Check::Bad("bad_byte_count"),
        },
        5 | 6 | 11 | 15 | 16 => exact(body, 4),
        7 => exact(body, 1),
        8 => {
            if n >= 2 {
                Check::Ok
            } else {
                Check::Bad("bad_pdu_length")
            }
        }
        12 => match counted(body) {
            Some(bc) if bc >= 6 => Check::Ok,
            _ => Check::Bad("bad_byte_count"),
        },
        17 => match counted(body) {
            Some(bc) if bc >= 1 => Check::Ok,
            _ => Check::Bad("bad_byte_count"),
        },
        20 | 21 => match counted(body) {
            Some(bc) if bc >= 1 => Check::Ok,
            _ => Check::Bad("bad_byte_count"),
        },
        22 => exact(body, 6),
        24 => {
            let (Some(bc), Some(count)) = (be16(body, 0), be16(body, 2)) else {
                return Check::Bad("bad_pdu_length");
            };
            if count > 31
                || usize::from(bc) != 2 + 2 * usize::from(count)
                || n != 2 + usize::from(bc)
            {
                Check::Bad("bad_byte_count")
            } else {
                Check::Ok
            }
        }
        FC_MEI => match body.first() {
            Some(&MEI_READ_DEVICE_ID) => {
                if n < 6 {
                    Check::Bad("bad_pdu_length")
                } else if !matches!(body[2], 0x01..=0x03 | 0x81..=0x83) {
                    Check::Bad("bad_conformity_level")
                } else if !matches!(body[3], 0x00 | 0xff) {
                    Check::Bad("bad_more_follows")
                } else {
                    Check::Ok
                }
            }
            Some(&MEI_CANOPEN) => Check::Ok,
            Some(_) => Check::Bad("bad_mei_type"),
            None => Check::Bad("bad_pdu_length"),
        },
        FC_UMAS => {
            if n < 2 {
                Check::Bad("bad_pdu_length")
            } else if body[1] != umas::RESPONSE_OK && body[1] != umas::RESPONSE_ERROR {
                Check::Bad("bad_umas_status")
            } else {
                Check::Ok
            }
        }
        _ => Check::Unknown,
    }
}

/// Structural check of an exception response body (one known exception code).
pub fn check_exception(body: &[u8]) -> Check {
    match body {
        [code] if codes::is_exception_code(*code) => Check::Ok,
        [_] => Check::Bad("unknown_exception_code"),
        _ => Check::Bad("bad_pdu_length"),
    }
}

/// Diagnostics (function 8): sub-function and data.
pub fn parse_diagnostics(body: &[u8]) -> IResult<&[u8], u16> {
    be_u16(body)
}

/// Read Device Identification request (after MEI type 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceIdRequest {
    pub code: u8,
    pub object: u8,
}

pub fn parse_device_id_request(i: &[u8]) -> IResult<&[u8], DeviceIdRequest> {
    let (i, code) = byte(i)?;
    let (i, object) = byte(i)?;
    Ok((i, DeviceIdRequest { code, object }))
}

/// Read Device Identification response (after MEI type 14). `objects` holds the object list,
/// walked with [`Objects`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceIdResponse<'a> {
    pub code: u8,
    pub conformity: u8,
    pub more_follows: u8,
    pub next_object: u8,
    pub count: u8,
    pub objects: &'a [u8],
}

pub fn parse_device_id_response(i: &[u8]) -> IResult<&[u8], DeviceIdResponse<'_>> {
    let (i, code) = byte(i)?;
    let (i, conformity) = byte(i)?;
    let (i, more_follows) = byte(i)?;
    let (i, next_object) = byte(i)?;
    let (objects, count) = byte(i)?;
    Ok((
        &[],
        DeviceIdResponse {
            code,
            conformity,
            more_follows,
            next_object,
            count,
            objects,
        },
    ))
}

/// One identification object: id, length, value.
pub fn parse_object(i: &[u8]) -> IResult<&[u8], (u8, &[u8])> {
    let (i, id) = byte(i)?;
    let (i, value) = length_data(byte).parse(i)?;
    Ok((i, (id, value)))
}

/// Walks the `count` objects of a response; stops at the first object that does not fit.
pub struct Objects<'a> {
    rest: &'a [u8],
    left: u8,
    /// An object's header or value ran past the end of the PDU (when the PDU simply ends
    /// before `count` objects, [`Objects::left`] says how many are missing).
    pub truncated: bool,
}

impl<'a> Objects<'a> {
    pub fn new(r: &DeviceIdResponse<'a>) -> Objects<'a> {
        Objects {
            rest: r.objects,
            left: r.count,
            truncated: false,
        }
    }

    /// Bytes after the objects read so far.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Objects announced but not read.
    pub fn left(&self) -> u8 {
        self.left
    }
}

impl<'a> Iterator for Objects<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 || self.truncated || self.rest.is_empty() {
            return None;
        }
        match parse_object(self.rest) {
            Ok((rest, obj)) => {
                self.rest = rest;
                self.left -= 1;
                Some(obj)
            }
            Err(_) => {
                self.truncated = true;
                None
            }
        }
    }
}

/// Report Server ID response: the byte count and the device-specific data it counts.
pub fn parse_server_id_response(i: &[u8]) -> IResult<&[u8], &[u8]> {
    length_data(byte).parse(i)
}

/// A Schneider UMAS message inside function 90: pairing key and UMAS function code (request)
/// or status byte (response, 0xFE ok / 0xFD error), then data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Umas<'a> {
    pub session: u8,
    pub code: u8,
    pub data: &'a [u8],
}

pub fn parse_umas(i: &[u8]) -> IResult<&[u8], Umas<'_>> {
    let (i, session) = byte(i)?;
    let (data, code) = byte(i)?;
    Ok((
        &[],
        Umas {
            session,
            code,
            data,
        },
    ))
}

/// UMAS 0x02 READ_ID (Request a PLC ID) response data, little-endian (layout as reverse
/// engineered by the public UMAS write-ups; the CPU name is what nmap's `modicon-info` reports
/// as "CPU Module").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmasPlcId<'a> {
    pub range: u16,
    /// PLC hardware identifier.
    pub ident: u32,
    pub model: u16,
    pub com_version: u16,
    pub com_patch: u16,
    pub int_version: u16,
    pub hardware_version: u16,
    pub crash_code: u32,
    /// CPU module name, e.g. `140 CPU 311 10`, `BMX P34 2000`.
    pub name: &'a [u8],
}

pub fn parse_umas_plc_id(i: &[u8]) -> IResult<&[u8], UmasPlcId<'_>> {
    let (i, range) = le_u16(i)?;
    let (i, ident) = le_u32(i)?;
    let (i, model) = le_u16(i)?;
    let (i, com_version) = le_u16(i)?;
    let (i, com_patch) = le_u16(i)?;
    let (i, int_version) = le_u16(i)?;
    let (i, hardware_version) = le_u16(i)?;
    let (i, crash_code) = le_u32(i)?;
    let (i, _) = take(2usize).parse(i)?;
    let (i, name) = length_data(byte).parse(i)?;
    Ok((
        i,
        UmasPlcId {
            range,
            ident,
            model,
            com_version,
            com_patch,
            int_version,
            hardware_version,
            crash_code,
            name,
        },
    ))
}

/// UMAS 0x01 INIT_COMM response data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmasInitComm<'a> {
    pub max_frame_size: u16,
    pub firmware_version: u16,
    pub internal_code: u32,
    pub hostname: &'a [u8],
}

pub fn parse_umas_init_comm(i: &[u8]) -> IResult<&[u8], UmasInitComm<'_>> {
    let (i, max_frame_size) = le_u16(i)?;
    let (i, firmware_version) = le_u16(i)?;
    let (i, _) = take(4usize).parse(i)?;
    let (i, internal_code) = le_u32(i)?;
    let (i, hostname) = length_data(byte).parse(i)?;
    Ok((
        i,
        UmasInitComm {
            max_frame_size,
            firmware_version,
            internal_code,
            hostname,
        },
    ))
}

/// UMAS 0x03 READ_PROJECT_INFO response data: the application (project) loaded in the PLC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmasProjectInfo<'a> {
    /// Last modification: seconds, minutes, hours, day, month, year.
    pub modified: (u8, u8, u8, u8, u8, u16),
    /// Project revision, most significant part first.
    pub revision: (u8, u8, u8),
    pub name: &'a [u8],
}

impl UmasProjectInfo<'_> {
    /// A real date and a printable name (other layouts exist for other sub-codes).
    pub fn plausible(&self) -> bool {
        let (s, mi, h, d, mo, y) = self.modified;
        s < 60
            && mi < 60
            && h < 24
            && (1..=31).contains(&d)
            && (1..=12).contains(&mo)
            && (1980..=2100).contains(&y)
            && !self.name.is_empty()
            && self
                .name
                .iter()
                .take_while(|&&c| c != 0)
                .all(|c| (0x20..0x7f).contains(c))
    }
}

pub fn parse_umas_project_info(i: &[u8]) -> IResult<&[u8], UmasProjectInfo<'_>> {
    let (i, _) = take(27usize).parse(i)?;
    let (i, sec) = byte(i)?;
    let (i, min) = byte(i)?;
    let (i, hour) = byte(i)?;
    let (i, day) = byte(i)?;
    let (i, month) = byte(i)?;
    let (i, year) = le_u16(i)?;
    let (i, r1) = byte(i)?;
    let (i, r2) = byte(i)?;
    let (i, r3) = byte(i)?;
    let (i, _) = byte(i)?;
    let (i, name) = length_data(byte).parse(i)?;
    Ok((
        i,
        UmasProjectInfo {
            modified: (sec, min, hour, day, month, year),
            revision: (r3, r2, r1),
            name,
        },
    ))
}

/// UMAS 0x10 TAKE_PLC_RESERVATION request data: 4 bytes, then the engineering station's name
/// (length-prefixed), and nothing after it.
pub fn parse_umas_reservation(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, _) = take(4usize).parse(i)?;
    let (i, name) = length_data(byte).parse(i)?;
    if !i.is_empty() {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Eof,
        )));
    }
    Ok((i, name))
}
