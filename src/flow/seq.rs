//! TCP sequence-number arithmetic modulo 2^32 (RFC 1982 serial numbers).

/// `a - b` as a signed distance, correct across wrap-around.
#[inline]
pub fn diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// `a` comes before `b`.
#[inline]
pub fn lt(a: u32, b: u32) -> bool {
    diff(a, b) < 0
}

/// `a` comes at or before `b`.
#[inline]
pub fn le(a: u32, b: u32) -> bool {
    diff(a, b) <= 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps() {
        assert!(lt(u32::MAX - 10, 5));
        assert!(!lt(5, u32::MAX - 10));
        assert_eq!(diff(3, u32::MAX), 4);
        assert_eq!(diff(u32::MAX, 3), -4);
        assert!(le(7, 7));
    }
}
