//! Pure, zero-copy parsers (nom 8) for TPKT (RFC 1006), COTP (ISO 8073 class 0), S7comm,
//! S7comm-plus headers, SZL records, and the thin ISO session / presentation / BER layer in
//! front of MMS.
//!
//! Every parser takes a slice and returns what it recognised with the rest of the input; none
//! of them panics or allocates. Frames come before bodies: a length is read, its bytes are
//! taken, and the body is parsed on that slice only. Unknown code values are returned raw.

use nom::IResult;
use nom::bytes::complete::take;
use nom::number::complete::{be_u8, be_u16, be_u24, be_u32};

// ---------------------------------------------------------------------------------------------
// TPKT

/// Smallest TPKT carrying a COTP header (4 bytes TPKT, LI, code, one more header byte).
pub const TPKT_MIN: usize = 7;

/// What the bytes at a position say about a TPKT header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// A plausible TPKT of this total length (header included).
    Frame(usize),
    /// Not enough bytes to decide; this many (from the position) are needed.
    Incomplete(usize),
    /// Not a TPKT header.
    Bad,
}

/// Check a TPKT + COTP header at the start of `i` without consuming anything.
///
/// Plausible means: version 3, reserved 0, a length of at least 7, a COTP length indicator
/// that fits and a TPDU code used in class 0 (DT, CR, CC, DR, DC, ER). `strong` (used when
/// resynchronising after garbage or a gap, where a false positive would swallow real PDUs)
/// also requires, for data TPDUs, a first payload byte that opens an S7, S7comm-plus, session
/// or TLS unit.
pub fn check_header(i: &[u8], strong: bool) -> Header {
    match i.first() {
        None => return Header::Incomplete(4),
        Some(&3) => {}
        Some(_) => return Header::Bad,
    }
    match i.get(1) {
        None => return Header::Incomplete(4),
        Some(&0) => {}
        Some(_) => return Header::Bad,
    }
    let (Some(&h), Some(&l)) = (i.get(2), i.get(3)) else {
        return Header::Incomplete(4);
    };
    let len = u16::from_be_bytes([h, l]) as usize;
    if len < TPKT_MIN {
        return Header::Bad;
    }
    let (Some(&li), Some(&code)) = (i.get(4), i.get(5)) else {
        return Header::Incomplete(6);
    };
    // LI counts the header bytes after itself; it must fit in the TPKT.
    if li == 0 || li == 255 || 5 + li as usize > len {
        return Header::Bad;
    }
    // TPDU codes of class 0 with their minimum header length; data TPDUs have LI 2.
    let kind = code & 0xF0;
    let known = match kind {
        0xF0 => li == 2,
        0xE0 | 0xD0 | 0x80 => li >= 6,
        0xC0 => li >= 5,
        0x70 => li >= 4,
        _ => false,
    };
    if !known {
        return Header::Bad;
    }
    if !strong {
        return Header::Frame(len);
    }
    if kind == 0xF0 {
        if len == TPKT_MIN {
            // Empty data TPDU (S7comm-plus sends these between requests).
            return Header::Frame(len);
        }
        let Some(&eot) = i.get(6) else {
            return Header::Incomplete(8);
        };
        let Some(&p0) = i.get(7) else {
            return Header::Incomplete(8);
        };
        let ok = if eot & 0x80 != 0 {
            opens_unit(p0)
        } else {
            // A fragment that starts a unit (fragments in the middle are not trusted).
            p0 == crate::dissect::s7::codes::S7_PROTOCOL_ID
                || p0 == crate::dissect::s7::codes::S7PLUS_PROTOCOL_ID
        };
        if !ok {
            return Header::Bad;
        }
    }
    Header::Frame(len)
}

/// First byte of a COTP SDU that this dissector recognises.
pub fn opens_unit(p0: u8) -> bool {
    p0 == crate::dissect::s7::codes::S7_PROTOCOL_ID
        || p0 == crate::dissect::s7::codes::S7PLUS_PROTOCOL_ID
        || crate::dissect::s7::codes::is_session_spdu(p0)
        || is_tls_record_type(p0)
}

pub fn is_tls_record_type(b: u8) -> bool {
    matches!(b, 0x14..=0x17)
}

/// A TPKT: the COTP bytes it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tpkt<'a> {
    pub len: u16,
    pub cotp: &'a [u8],
}

/// TPKT: version (3), reserved (0), length (including these 4 bytes), COTP.
pub fn parse_tpkt(i: &[u8]) -> IResult<&[u8], Tpkt<'_>> {
    let (i, version) = be_u8(i)?;
    let (i, reserved) = be_u8(i)?;
    if version != 3 || reserved != 0 {
        return Err(err(i));
    }
    let (i, len) = be_u16(i)?;
    let body_len = (len as usize).checked_sub(4).ok_or_else(|| err(i))?;
    let (i, cotp) = take(body_len)(i)?;
    Ok((i, Tpkt { len, cotp }))
}

fn err(i: &[u8]) -> nom::Err<nom::error::Error<&[u8]>> {
    nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify))
}

// ---------------------------------------------------------------------------------------------
// COTP

/// A COTP TPDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cotp<'a> {
    /// Data: end-of-TSDU flag, TPDU number, user data.
    Dt { eot: bool, nr: u8, data: &'a [u8] },
    /// Connection request.
    Cr(Conn<'a>),
    /// Connection confirm.
    Cc(Conn<'a>),
    /// Disconnect request.
    Dr {
        dst_ref: u16,
        src_ref: u16,
        reason: u8,
    },
    /// Disconnect confirm.
    Dc,
    /// TPDU error.
    Er { cause: u8 },
    /// Any other code (kept raw).
    Other { code: u8 },
}

/// The fixed and variable parts of a CR or CC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conn<'a> {
    pub credit: u8,
    pub dst_ref: u16,
    pub src_ref: u16,
    pub class: u8,
    pub calling_tsap: Option<&'a [u8]>,
    pub called_tsap: Option<&'a [u8]>,
    pub tpdu_size: Option<u8>,
    /// The variable part did not parse as parameters (RDP puts its negotiation request there).
    pub params_malformed: bool,
    /// The variable part, raw.
    pub var: &'a [u8],
    /// User data after the header.
    pub user: &'a [u8],
}

/// COTP: length indicator, then `LI` header bytes (code first), then user data.
pub fn parse_cotp(i: &[u8]) -> IResult<&[u8], Cotp<'_>> {
    let (i, li) = be_u8(i)?;
    let (user, hdr) = take(li as usize)(i)?;
    let (h, code) = be_u8(hdr)?;
    let tpdu = match code & 0xF0 {
        0xF0 => {
            let (_, nr) = be_u8(h)?;
            Cotp::Dt {
                eot: nr & 0x80 != 0,
                nr: nr & 0x7F,
                data: user,
            }
        }
        0xE0 | 0xD0 => {
            let (h, dst_ref) = be_u16(h)?;
            let (h, src_ref) = be_u16(h)?;
            let (var, class) = be_u8(h)?;
            let mut c = Conn {
                credit: code & 0x0F,
                dst_ref,
                src_ref,
                class,
                calling_tsap: None,
                called_tsap: None,
                tpdu_size: None,
                params_malformed: false,
                var,
                user,
            };
            let mut p = var;
            while !p.is_empty() {
                match cotp_param(p) {
                    Ok((rest, (pc, val))) => {
                        match pc {
                            0xC0 => c.tpdu_size = val.first().copied(),
                            0xC1 => c.calling_tsap = Some(val),
                            0xC2 => c.called_tsap = Some(val),
                            _ => {}
                        }
                        p = rest;
                    }
                    Err(_) => {
                        c.params_malformed = true;
                        break;
                    }
                }
            }
            if code & 0xF0 == 0xE0 {
                Cotp::Cr(c)
            } else {
                Cotp::Cc(c)
            }
        }
        0x80 => {
            let (h, dst_ref) = be_u16(h)?;
            let (h, src_ref) = be_u16(h)?;
            let (_, reason) = be_u8(h)?;
            Cotp::Dr {
                dst_ref,
                src_ref,
                reason,
            }
        }
        0xC0 => Cotp::Dc,
        0x70 => {
            let (h, _dst_ref) = be_u16(h)?;
            let (_, cause) = be_u8(h)?;
            Cotp::Er { cause }
        }
        _ => Cotp::Other { code },
    };
    Ok((&[], tpdu))
}

/// One CR/CC parameter: code, length, value.
pub fn cotp_param(i: &[u8]) -> IResult<&[u8], (u8, &[u8])> {
    let (i, code) = be_u8(i)?;
    let (i, len) = be_u8(i)?;
    let (i, val) = take(len as usize)(i)?;
    Ok((i, (code, val)))
}

// ---------------------------------------------------------------------------------------------
// S7comm

/// An S7comm PDU: header, parameter and data parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S7Pdu<'a> {
    pub rosctr: u8,
    pub pdu_ref: u16,
    pub param_len: u16,
    pub data_len: u16,
    /// Error class and code (ack and ack_data only).
    pub error: Option<(u8, u8)>,
    pub params: &'a [u8],
    pub data: &'a [u8],
    /// The declared lengths run past the unit; `params`/`data` hold what is there.
    pub truncated: bool,
}

/// S7 header: protocol id 0x32, ROSCTR, reserved (2), PDU reference, parameter length, data
/// length, and for ack/ack_data error class and code.
pub fn parse_s7(i: &[u8]) -> IResult<&[u8], S7Pdu<'_>> {
    let (i, id) = be_u8(i)?;
    if id != 0x32 {
        return Err(err(i));
    }
    let (i, rosctr) = be_u8(i)?;
    let (i, _reserved) = be_u16(i)?;
    let (i, pdu_ref) = be_u16(i)?;
    let (i, param_len) = be_u16(i)?;
    let (i, data_len) = be_u16(i)?;
    let (i, error) = if rosctr == 2 || rosctr == 3 {
        let (i, c) = be_u8(i)?;
        let (i, e) = be_u8(i)?;
        (i, Some((c, e)))
    } else {
        (i, None)
    };
    let pl = (param_len as usize).min(i.len());
    let (params, rest) = i.split_at(pl);
    let dl = (data_len as usize).min(rest.len());
    let (data, rest) = rest.split_at(dl);
    let truncated = pl < param_len as usize || dl < data_len as usize;
    Ok((
        rest,
        S7Pdu {
            rosctr,
            pdu_ref,
            param_len,
            data_len,
            error,
            params,
            data,
            truncated,
        },
    ))
}

/// Setup communication parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    pub max_amq_calling: u16,
    pub max_amq_called: u16,
    pub pdu_size: u16,
}

/// Setup communication: function (0xF0), reserved, max AmQ calling, max AmQ called, PDU size.
pub fn parse_setup(i: &[u8]) -> IResult<&[u8], Setup> {
    let (i, _func) = be_u8(i)?;
    let (i, _reserved) = be_u8(i)?;
    let (i, max_amq_calling) = be_u16(i)?;
    let (i, max_amq_called) = be_u16(i)?;
    let (i, pdu_size) = be_u16(i)?;
    Ok((
        i,
        Setup {
            max_amq_calling,
            max_amq_called,
            pdu_size,
        },
    ))
}

/// One read/write var item address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarItem<'a> {
    pub syntax_id: u8,
    /// S7ANY (0x10) fields; zero for other syntax ids.
    pub transport_size: u8,
    pub length: u16,
    pub db: u16,
    pub area: u8,
    /// Byte address * 8 + bit address.
    pub address: u32,
    /// The item specification after the syntax id, raw.
    pub raw: &'a [u8],
}

/// Read/write var parameters: function, item count, then the items.
pub fn parse_var_header(i: &[u8]) -> IResult<&[u8], (u8, u8)> {
    let (i, func) = be_u8(i)?;
    let (i, count) = be_u8(i)?;
    Ok((i, (func, count)))
}

/// One item: variable specification (0x12), length of what follows, syntax id, then for S7ANY
/// transport size, length, DB number, area and a 3-byte address.
pub fn parse_var_item(i: &[u8]) -> IResult<&[u8], VarItem<'_>> {
    let (i, spec) = be_u8(i)?;
    if spec != 0x12 {
        return Err(err(i));
    }
    let (i, len) = be_u8(i)?;
    let (rest, body) = take(len as usize)(i)?;
    let (b, syntax_id) = be_u8(body)?;
    let mut item = VarItem {
        syntax_id,
        transport_size: 0,
        length: 0,
        db: 0,
        area: 0,
        address: 0,
        raw: b,
    };
    if syntax_id == 0x10 {
        let (b, ts) = be_u8(b)?;
        let (b, length) = be_u16(b)?;
        let (b, db) = be_u16(b)?;
        let (b, area) = be_u8(b)?;
        let (_, address) = be_u24(b)?;
        item.transport_size = ts;
        item.length = length;
        item.db = db;
        item.area = area;
        item.address = address;
    }
    Ok((rest, item))
}

/// Up/download block control: function, status, then for the functions that carry one, a
/// file name (`_0A00001P`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockControl<'a> {
    pub func: u8,
    pub status: u8,
    pub filename: Option<&'a [u8]>,
}

/// Function, status, 2 bytes (error code for download ended), 4 bytes (upload id), then
/// optionally a length-prefixed file name.
pub fn parse_block_control(i: &[u8]) -> IResult<&[u8], BlockControl<'_>> {
    let (i, func) = be_u8(i)?;
    let (i, status) = be_u8(i)?;
    let (i, _unknown) = take(2usize)(i)?;
    let (i, _id) = be_u32(i)?;
    if i.is_empty() {
        return Ok((
            i,
            BlockControl {
                func,
                status,
                filename: None,
            },
        ));
    }
    let (i, n) = be_u8(i)?;
    let (i, name) = take(n as usize)(i)?;
    Ok((
        i,
        BlockControl {
            func,
            status,
            filename: Some(name),
        },
    ))
}

/// Block type and number from a file name: optional `_`, two ASCII hex digits of type, five
/// decimal digits of number, then the destination file system.
pub fn parse_block_name(name: &[u8]) -> Option<(&'static str, u32)> {
    let n = name.strip_prefix(b"_").unwrap_or(name);
    let t = n.get(0..2)?;
    let digits = n.get(2..7)?;
    let ty = crate::dissect::s7::codes::block_type(t)?;
    let mut num = 0u32;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        num = num * 10 + u32::from(d - b'0');
    }
    Some((ty, num))
}

/// PI service: function (0x28), 7 unknown bytes, parameter block (length-prefixed, 2 bytes),
/// service name (length-prefixed, 1 byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PiService<'a> {
    pub param_block: &'a [u8],
    pub service: &'a [u8],
}

pub fn parse_pi_service(i: &[u8]) -> IResult<&[u8], PiService<'_>> {
    let (i, _func) = be_u8(i)?;
    let (i, _unknown) = take(7usize)(i)?;
    let (i, plen) = be_u16(i)?;
    let (i, param_block) = take(plen as usize)(i)?;
    let (i, slen) = be_u8(i)?;
    let (i, service) = take(slen as usize)(i)?;
    Ok((
        i,
        PiService {
            param_block,
            service,
        },
    ))
}

/// PLC stop: function (0x29), 5 unknown bytes, service name (length-prefixed).
pub fn parse_plc_stop(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, _func) = be_u8(i)?;
    let (i, _unknown) = take(5usize)(i)?;
    let (i, slen) = be_u8(i)?;
    take(slen as usize)(i)
}

/// Userdata parameter header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdParam {
    /// 0x11 request, 0x12 response (follow-up requests use 0x12 too).
    pub method: u8,
    /// 0 push, 4 request, 8 response.
    pub typ: u8,
    pub group: u8,
    pub sub: u8,
    pub seq: u8,
    /// Data unit reference, last data unit (0 = last, 1 = more follow) and error code, present
    /// when the parameter length is 8.
    pub dur: u8,
    pub last: u8,
    pub err: u16,
}

impl UdParam {
    pub fn more_follows(&self) -> bool {
        self.last != 0
    }
}

/// Head (3 bytes, usually 00 01 12), parameter length, method, type/group, subfunction,
/// sequence number, and for length 8: data unit reference, last data unit, error code.
///
/// The length byte is not trusted: mode-transition pushes send head 01 00 10 and length 16
/// with only 4 bytes following, so the fields are read where they are.
pub fn parse_ud_param(i: &[u8]) -> IResult<&[u8], UdParam> {
    let (i, _head) = take(3usize)(i)?;
    let (i, plen) = be_u8(i)?;
    let n = (plen as usize).min(i.len());
    let (body, rest) = i.split_at(n);
    let (b, method) = be_u8(body)?;
    let (b, tg) = be_u8(b)?;
    let (b, sub) = be_u8(b)?;
    let (b, seq) = be_u8(b)?;
    let mut p = UdParam {
        method,
        typ: tg >> 4,
        group: tg & 0x0F,
        sub,
        seq,
        dur: 0,
        last: 0,
        err: 0,
    };
    if b.len() >= 4 {
        let (b, dur) = be_u8(b)?;
        let (b, last) = be_u8(b)?;
        let (_, e) = be_u16(b)?;
        p.dur = dur;
        p.last = last;
        p.err = e;
    }
    Ok((rest, p))
}

/// Userdata data part: return code, transport size, length, data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdData<'a> {
    pub ret: u8,
    pub tsize: u8,
    pub data: &'a [u8],
    /// The declared length ran past the part.
    pub truncated: bool,
}

pub fn parse_ud_data(i: &[u8]) -> IResult<&[u8], UdData<'_>> {
    let (i, ret) = be_u8(i)?;
    let (i, tsize) = be_u8(i)?;
    let (i, len) = be_u16(i)?;
    let n = (len as usize).min(i.len());
    let (data, rest) = i.split_at(n);
    Ok((
        rest,
        UdData {
            ret,
            tsize,
            data,
            truncated: n < len as usize,
        },
    ))
}

/// SZL id and index (the request's data, and the start of the first response fragment).
pub fn parse_szl_id(i: &[u8]) -> IResult<&[u8], (u16, u16)> {
    let (i, id) = be_u16(i)?;
    let (i, index) = be_u16(i)?;
    Ok((i, (id, index)))
}

/// An SZL response list: id, index, record length, record count, records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SzlList<'a> {
    pub id: u16,
    pub index: u16,
    pub rec_len: u16,
    pub count: u16,
    pub records: &'a [u8],
}

impl<'a> SzlList<'a> {
    /// The complete records, at most `count`.
    pub fn records(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let n = self.rec_len as usize;
        let recs = self.records;
        let count = recs
            .len()
            .checked_div(n)
            .map_or(0, |k| k.min(self.count as usize));
        (0..count).filter_map(move |k| recs.get(k * n..(k + 1) * n))
    }
}

pub fn parse_szl_list(i: &[u8]) -> IResult<&[u8], SzlList<'_>> {
    let (i, (id, index)) = parse_szl_id(i)?;
    let (i, rec_len) = be_u16(i)?;
    let (records, count) = be_u16(i)?;
    Ok((
        &[],
        SzlList {
            id,
            index,
            rec_len,
            count,
            records,
        },
    ))
}

/// SZL xy11 (module identification) record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleId<'a> {
    pub index: u16,
    /// Order number (MLFB), 20 bytes, space padded.
    pub mlfb: &'a [u8],
    pub bgtyp: u16,
    pub ausbg: [u8; 2],
    pub ausbe: [u8; 2],
}

pub fn parse_module_id(i: &[u8]) -> IResult<&[u8], ModuleId<'_>> {
    let (i, index) = be_u16(i)?;
    let (i, mlfb) = take(20usize)(i)?;
    let (i, bgtyp) = be_u16(i)?;
    let (i, g) = take(2usize)(i)?;
    let (i, e) = take(2usize)(i)?;
    Ok((
        i,
        ModuleId {
            index,
            mlfb,
            bgtyp,
            ausbg: [g[0], g[1]],
            ausbe: [e[0], e[1]],
        },
    ))
}

/// A version as Siemens writes it, from the Ausbg/Ausbe words of an xy11 record whose first
/// byte is a letter (`V` for firmware, `A` for the boot loader): `V3.2.6` from
/// 0x56 0x03 0x02 0x06. `None` when the first byte is not an ASCII letter.
pub fn siemens_version(ausbg: [u8; 2], ausbe: [u8; 2]) -> Option<String> {
    let c = ausbg[0];
    if !c.is_ascii_alphabetic() {
        return None;
    }
    Some(format!(
        "{}{}.{}.{}",
        c as char, ausbg[1], ausbe[0], ausbe[1]
    ))
}

/// SZL xy1C (component identification) record: index, then 32 bytes whose layout depends on
/// the index.
pub fn parse_component(i: &[u8]) -> IResult<&[u8], (u16, &[u8])> {
    let (i, index) = be_u16(i)?;
    Ok((&[], (index, i)))
}

/// SZL 0x0132 index 4 (protection) record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protection {
    pub index: u16,
    /// Protection level set with the mode selector.
    pub sch_schal: u16,
    /// Password protection level set in the parameters (0: no password).
    pub sch_par: u16,
    /// Valid (effective) protection level of the CPU.
    pub sch_rel: u16,
    /// Mode selector position.
    pub bart_sch: u16,
    /// Startup switch setting.
    pub anl_sch: u16,
}

pub fn parse_protection(i: &[u8]) -> IResult<&[u8], Protection> {
    let (i, index) = be_u16(i)?;
    let (i, sch_schal) = be_u16(i)?;
    let (i, sch_par) = be_u16(i)?;
    let (i, sch_rel) = be_u16(i)?;
    let (i, bart_sch) = be_u16(i)?;
    let (i, anl_sch) = be_u16(i)?;
    Ok((
        i,
        Protection {
            index,
            sch_schal,
            sch_par,
            sch_rel,
            bart_sch,
            anl_sch,
        },
    ))
}

/// SZL xy24 (mode transition) record: event id, ae, bzu-id (requested mode in the low
/// nibble, previous mode in the high nibble).
pub fn parse_mode_record(i: &[u8]) -> IResult<&[u8], (u16, u8)> {
    let (i, ereig) = be_u16(i)?;
    let (i, _ae) = be_u8(i)?;
    let (i, bzu) = be_u8(i)?;
    Ok((i, (ereig, bzu)))
}

// ---------------------------------------------------------------------------------------------
// S7comm-plus

/// An S7comm-plus unit: protocol id 0x72, version (PDU type), data length, data, and whether
/// the trailer (0x72, version, 0x0000) that closes the last fragment follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S7Plus<'a> {
    pub version: u8,
    pub data_len: u16,
    pub data: &'a [u8],
    pub trailer: bool,
    pub truncated: bool,
}

pub fn parse_s7plus(i: &[u8]) -> IResult<&[u8], S7Plus<'_>> {
    let (i, id) = be_u8(i)?;
    if id != 0x72 {
        return Err(err(i));
    }
    let (i, version) = be_u8(i)?;
    let (i, data_len) = be_u16(i)?;
    let n = (data_len as usize).min(i.len());
    let (data, rest) = i.split_at(n);
    let trailer = rest.len() >= 4 && rest[0] == 0x72 && rest[1] == version && rest[2..4] == [0, 0];
    Ok((
        rest,
        S7Plus {
            version,
            data_len,
            data,
            trailer,
            truncated: n < data_len as usize,
        },
    ))
}

/// The start of an S7comm-plus data part: opcode, and for requests and responses a reserved
/// word, the function code, a reserved word and the sequence number. V3 data starts with an
/// integrity part (digest length 0x20 and the digest), skipped here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S7PlusHead<'a> {
    pub opcode: u8,
    pub function: Option<u16>,
    pub seq: u16,
    pub body: &'a [u8],
}

pub fn parse_s7plus_head(i: &[u8]) -> IResult<&[u8], S7PlusHead<'_>> {
    let i = match i {
        [0x20, rest @ ..] if rest.len() > 32 => &rest[32..],
        _ => i,
    };
    let (i, opcode) = be_u8(i)?;
    if opcode == 0x33 {
        return Ok((
            &[],
            S7PlusHead {
                opcode,
                function: None,
                seq: 0,
                body: i,
            },
        ));
    }
    let (i, _reserved) = be_u16(i)?;
    let (i, function) = be_u16(i)?;
    let (i, _reserved2) = be_u16(i)?;
    let (i, seq) = be_u16(i)?;
    Ok((
        &[],
        S7PlusHead {
            opcode,
            function: Some(function),
            seq,
            body: i,
        },
    ))
}

/// An S7 order number in free text (`6ES7 214-1HE30-0XB0`) and the firmware written after it
/// (`;V2.2`), as S7comm-plus session objects carry them.
pub fn find_order_number(b: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    for pos in memchr::memmem::find_iter(b, b"6ES7 ") {
        let Some(cand) = b.get(pos..pos + 19) else {
            continue;
        };
        let shape_ok = cand[5..8].iter().all(u8::is_ascii_digit)
            && cand[8] == b'-'
            && cand[9..14].iter().all(u8::is_ascii_alphanumeric)
            && cand[14] == b'-'
            && cand[15..19].iter().all(u8::is_ascii_alphanumeric);
        if !shape_ok {
            continue;
        }
        // Firmware: within a few bytes, after spaces and a separator: V<digits>.<digits>[...]
        let after = b.get(pos + 19..).unwrap_or(&[]);
        let v = after
            .iter()
            .take(8)
            .position(|&c| !matches!(c, b' ' | b';' | b','))
            .filter(|&k| after[k] == b'V');
        let fw = v.and_then(|v| {
            let s = after.get(v + 1..)?;
            let n = s
                .iter()
                .take(16)
                .take_while(|c| c.is_ascii_digit() || **c == b'.')
                .count();
            let ver = &s[..n];
            let ok =
                n >= 3 && ver[0].is_ascii_digit() && ver.contains(&b'.') && !ver.ends_with(b".");
            ok.then(|| &after[v..v + 1 + n])
        });
        return Some((cand, fw));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// ISO session / presentation / BER (just enough to find an MMS PDU)

/// A session SPDU header: identifier and parameter bytes.
pub fn parse_spdu(i: &[u8]) -> IResult<&[u8], (u8, &[u8])> {
    let (i, si) = be_u8(i)?;
    let (i, li) = be_u8(i)?;
    let (i, len) = if li == 0xFF {
        let (i, l) = be_u16(i)?;
        (i, l as usize)
    } else {
        (i, li as usize)
    };
    let (i, params) = take(len)(i)?;
    Ok((i, (si, params)))
}

/// A BER TLV: the first identifier octet (class and constructed bit), the tag number, the
/// value. Indefinite lengths take the rest of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub id: u8,
    pub number: u32,
    pub value: &'a [u8],
}

impl Tlv<'_> {
    pub fn is_context(&self) -> bool {
        self.id & 0xC0 == 0x80
    }
}

pub fn parse_tlv(i: &[u8]) -> IResult<&[u8], Tlv<'_>> {
    let (mut i, id) = be_u8(i)?;
    let mut number = u32::from(id & 0x1F);
    if number == 0x1F {
        // High tag number form: base-128 digits, at most 4 of them.
        number = 0;
        let mut done = false;
        for _ in 0..4 {
            let (r, b) = be_u8(i)?;
            i = r;
            number = (number << 7) | u32::from(b & 0x7F);
            if b & 0x80 == 0 {
                done = true;
                break;
            }
        }
        if !done {
            return Err(err(i));
        }
    }
    let (i, l0) = be_u8(i)?;
    let (i, len) = match l0 {
        0x00..=0x7F => (i, l0 as usize),
        // Indefinite: everything that is left (lenient; MMS over TPKT uses definite lengths).
        0x80 => (i, i.len()),
        0x81..=0x84 => {
            let n = (l0 & 0x7F) as usize;
            let (i, b) = take(n)(i)?;
            let len = b.iter().fold(0usize, |a, &x| (a << 8) | x as usize);
            (i, len)
        }
        _ => return Err(err(i)),
    };
    let (i, value) = take(len)(i)?;
    Ok((i, Tlv { id, number, value }))
}

/// The MMS PDU inside a session DATA TRANSFER unit: skip the GIVE TOKENS / DATA TRANSFER
/// SPDU headers, the presentation fully-encoded user data ([APPLICATION 1]) and its PDV list,
/// and return the single-ASN1-type value.
pub fn mms_pdu_in_data_transfer(i: &[u8]) -> Option<Tlv<'_>> {
    let (i, (si1, _)) = parse_spdu(i).ok()?;
    let i = if si1 == 0x01 {
        match parse_spdu(i) {
            Ok((rest, (0x01, _))) => rest,
            _ => i,
        }
    } else {
        return None;
    };
    let (_, user) = parse_tlv(i).ok()?;
    if user.id != 0x61 {
        return None;
    }
    let (_, pdv) = parse_tlv(user.value).ok()?;
    if pdv.id != 0x30 {
        return None;
    }
    let mut p = pdv.value;
    for _ in 0..4 {
        let (rest, t) = parse_tlv(p).ok()?;
        if t.id == 0xA0 {
            let (_, mms) = parse_tlv(t.value).ok()?;
            return Some(mms);
        }
        p = rest;
    }
    None
}

/// The service choice of an MMS confirmed-RequestPDU / ResponsePDU body (after the invoke id
/// and an optional list of modifiers).
pub fn mms_service(body: &[u8]) -> Option<Tlv<'_>> {
    let (mut p, invoke) = parse_tlv(body).ok()?;
    if invoke.id != 0x02 {
        return None;
    }
    for _ in 0..2 {
        let (rest, t) = parse_tlv(p).ok()?;
        if t.is_context() {
            return Some(t);
        }
        p = rest;
    }
    None
}

/// MMS identify response: vendor name [0], model name [1], revision [2].
pub fn mms_identify(body: &[u8]) -> [Option<&[u8]>; 3] {
    let mut out = [None, None, None];
    let mut p = body;
    for _ in 0..4 {
        let Ok((rest, t)) = parse_tlv(p) else { break };
        if t.is_context() && t.number < 3 {
            out[t.number as usize] = Some(t.value);
        }
        p = rest;
    }
    out
}
