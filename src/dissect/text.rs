//! Turning device bytes into report text safely.
//!
//! Device strings are hostile input: they may hold NUL padding, control characters, escape
//! sequences or invalid UTF-8, and they may be long. Here they become bounded `String`s: valid
//! UTF-8 is kept as text (renderers strip or escape control characters for their medium);
//! anything else is rendered as `hex:` followed by the bytes, so nothing is silently altered.

/// Longest device string kept, in bytes.
pub const MAX_TEXT: usize = 256;

/// Bytes from a device field (NUL- or space-padded) as report text.
pub fn device_string(b: &[u8]) -> String {
    let start = b
        .iter()
        .position(|&c| c != 0 && c != b' ')
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| c != 0 && c != b' ' && c != b'\n' && c != b'\r')
        .map_or(start, |i| i + 1);
    let b = if start < end { &b[start..end] } else { &[][..] };
    // Stop at an embedded NUL: what follows is padding or junk.
    let b = match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    };
    match std::str::from_utf8(b) {
        Ok(s) => truncate(s, MAX_TEXT).to_string(),
        Err(_) => {
            let mut s = String::from("hex:");
            for &x in b.iter().take(MAX_TEXT / 2) {
                s.push_str(&format!("{x:02x}"));
            }
            s
        }
    }
}

/// Trim whitespace and NULs and bound the length (at a character boundary).
pub fn clean(s: &str) -> String {
    truncate(
        s.trim_matches(|c: char| c.is_whitespace() || c == '\0'),
        MAX_TEXT * 2,
    )
    .to_string()
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_invalid_utf8_and_length() {
        assert_eq!(
            device_string(b"6ES7 315-2EH14-0AB0 \0\0"),
            "6ES7 315-2EH14-0AB0"
        );
        assert_eq!(device_string(b"\0\0"), "");
        assert_eq!(device_string(b"PLC\0garbage"), "PLC");
        assert_eq!(device_string(&[0x41, 0xff, 0x42]), "hex:41ff42");
        assert_eq!(device_string(&[b'x'; 1000]).len(), MAX_TEXT);
        let multi = "é".repeat(400);
        assert!(clean(&multi).len() <= MAX_TEXT * 2);
        assert_eq!(clean("  a b \0"), "a b");
    }
}
