//! FTP command verbs (RFC 959, 2228, 2389, 2428, 3659) and what they do to the server.

use crate::inventory::observation::Op;

/// (verb, operation class, detail). Verbs not listed are `other` / `ftp_other`.
pub const VERBS: &[(&[u8; 4], Op, &str)] = &[
    (b"USER", Op::Login, "ftp_user"),
    (b"PASS", Op::Login, "ftp_pass"),
    (b"ACCT", Op::Login, "ftp_acct"),
    (b"AUTH", Op::Connect, "ftp_auth"),
    (b"PBSZ", Op::Connect, "ftp_pbsz"),
    (b"PROT", Op::Connect, "ftp_prot"),
    (b"RETR", Op::Read, "ftp_retr"),
    (b"STOR", Op::Write, "ftp_stor"),
    (b"STOU", Op::Write, "ftp_stou"),
    (b"APPE", Op::Write, "ftp_appe"),
    (b"DELE", Op::Write, "ftp_dele"),
    (b"RNFR", Op::Write, "ftp_rnfr"),
    (b"RNTO", Op::Write, "ftp_rnto"),
    (b"MKD\0", Op::Write, "ftp_mkd"),
    (b"XMKD", Op::Write, "ftp_mkd"),
    (b"RMD\0", Op::Write, "ftp_rmd"),
    (b"XRMD", Op::Write, "ftp_rmd"),
    (b"SITE", Op::Write, "ftp_site"),
    (b"LIST", Op::Browse, "ftp_list"),
    (b"NLST", Op::Browse, "ftp_nlst"),
    (b"MLSD", Op::Browse, "ftp_mlsd"),
    (b"MLST", Op::Browse, "ftp_mlst"),
    (b"CWD\0", Op::Browse, "ftp_cwd"),
    (b"XCWD", Op::Browse, "ftp_cwd"),
    (b"CDUP", Op::Browse, "ftp_cdup"),
    (b"PWD\0", Op::Browse, "ftp_pwd"),
    (b"XPWD", Op::Browse, "ftp_pwd"),
    (b"SIZE", Op::Read, "ftp_size"),
    (b"MDTM", Op::Read, "ftp_mdtm"),
    (b"SYST", Op::Identify, "ftp_syst"),
    (b"FEAT", Op::Identify, "ftp_feat"),
    (b"HELP", Op::Identify, "ftp_help"),
    (b"STAT", Op::Diagnostics, "ftp_stat"),
    (b"PASV", Op::Other, "ftp_pasv"),
    (b"EPSV", Op::Other, "ftp_epsv"),
    (b"PORT", Op::Other, "ftp_port"),
    (b"EPRT", Op::Other, "ftp_eprt"),
    (b"TYPE", Op::Other, "ftp_type"),
    (b"MODE", Op::Other, "ftp_mode"),
    (b"STRU", Op::Other, "ftp_stru"),
    (b"REST", Op::Other, "ftp_rest"),
    (b"ABOR", Op::Other, "ftp_abor"),
    (b"NOOP", Op::Other, "ftp_noop"),
    (b"OPTS", Op::Other, "ftp_opts"),
    (b"QUIT", Op::Other, "ftp_quit"),
    (b"REIN", Op::Login, "ftp_rein"),
    (b"ALLO", Op::Other, "ftp_allo"),
];

/// The verb upper-cased into 4 bytes (3-letter verbs padded with NUL).
pub fn verb_key(verb: &[u8]) -> [u8; 4] {
    let mut k = [0u8; 4];
    for (d, s) in k.iter_mut().zip(verb.iter()) {
        *d = s.to_ascii_uppercase();
    }
    k
}

/// Operation and detail of a verb.
pub fn verb_op(key: &[u8; 4]) -> (Op, &'static str) {
    VERBS
        .iter()
        .find(|(v, _, _)| *v == key)
        .map_or((Op::Other, "ftp_other"), |(_, o, d)| (*o, *d))
}

/// Is this a known verb (used by the probe)?
pub fn is_known(key: &[u8; 4]) -> bool {
    VERBS.iter().any(|(v, _, _)| *v == key)
}
