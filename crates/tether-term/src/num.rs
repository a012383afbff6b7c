//! Arbitrary-size integers ([`BigInt`]) and the number helpers term order needs.
//!
//! Erlang integers have no size limit. Tether keeps integers that fit in an `i64` as
//! [`Term::Int`](crate::Term::Int) and only the rest as a [`BigInt`]: a sign and a
//! little-endian magnitude, exactly the digits of `SMALL_BIG_EXT`/`LARGE_BIG_EXT`, so
//! decoding and encoding copy bytes and do no arithmetic. Arithmetic is needed only to
//! print and parse decimal text and to compare with floats, and is done here on
//! 32-bit limbs with schoolbook algorithms: plenty for printing a term.

use std::cmp::Ordering;
use std::fmt;

/// An integer of any size: a sign and a little-endian magnitude.
///
/// The decoder produces a `BigInt` only for values outside the `i64` range; wrap a
/// `BigInt` with [`Term::big`](crate::Term::big) (or `Term::from`) to get the same
/// normalization.
///
/// ```
/// use tether_term::BigInt;
/// let b = BigInt::parse_decimal("-1180591620717411303424").unwrap(); // -(2^70)
/// assert!(b.negative);
/// assert_eq!(b.magnitude, vec![0, 0, 0, 0, 0, 0, 0, 0, 0x40]);
/// assert_eq!(b.to_string(), "-1180591620717411303424");
/// assert_eq!(BigInt::from_i128(300).to_i128(), Some(300));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BigInt {
    /// True when negative.
    pub negative: bool,
    /// Magnitude, little-endian, without trailing zero bytes.
    pub magnitude: Vec<u8>,
}

impl BigInt {
    /// Builds a `BigInt` from sign and little-endian magnitude, trimming zero bytes
    /// (zero is never negative).
    ///
    /// ```
    /// use tether_term::BigInt;
    /// // -258 is 0x0102, little-endian, with a zero byte trimmed.
    /// let n = BigInt::new(true, vec![2, 1, 0]);
    /// assert_eq!(n.to_i64(), Some(-258));
    /// assert_eq!(BigInt::new(true, vec![0]).to_i64(), Some(0)); // zero is never negative
    /// ```
    pub fn new(negative: bool, mut magnitude: Vec<u8>) -> BigInt {
        while magnitude.last() == Some(&0) {
            magnitude.pop();
        }
        let negative = negative && !magnitude.is_empty();
        BigInt {
            negative,
            magnitude,
        }
    }

    /// The value of an `i128`.
    ///
    /// ```
    /// use tether_term::BigInt;
    /// assert_eq!(BigInt::from_i128(-1 << 100).to_i128(), Some(-1 << 100));
    /// ```
    pub fn from_i128(v: i128) -> BigInt {
        BigInt::new(v < 0, v.unsigned_abs().to_le_bytes().to_vec())
    }

    /// The value as an `i128`, if it fits.
    ///
    /// ```
    /// use tether_term::BigInt;
    /// assert_eq!(BigInt::from_i128(i128::MIN).to_i128(), Some(i128::MIN));
    /// let too_big = BigInt::parse_decimal("1000000000000000000000000000000000000000").unwrap();
    /// assert_eq!(too_big.to_i128(), None);
    /// ```
    pub fn to_i128(&self) -> Option<i128> {
        let m = self.trimmed();
        if m.len() > 16 {
            return None;
        }
        let mut buf = [0u8; 16];
        buf[..m.len()].copy_from_slice(m);
        let u = u128::from_le_bytes(buf);
        if self.negative {
            if u <= i128::MAX as u128 + 1 {
                Some((u as i128).wrapping_neg())
            } else {
                None
            }
        } else {
            i128::try_from(u).ok()
        }
    }

    /// The value as an `i64`, if it fits.
    ///
    /// ```
    /// use tether_term::BigInt;
    /// assert_eq!(BigInt::from_i128(-42).to_i64(), Some(-42));
    /// assert_eq!(BigInt::from_i128(1 << 64).to_i64(), None);
    /// ```
    pub fn to_i64(&self) -> Option<i64> {
        self.to_i128().and_then(|v| i64::try_from(v).ok())
    }

    /// The value as a `u128`, if it fits.
    ///
    /// ```
    /// use tether_term::BigInt;
    /// assert_eq!(BigInt::from_i128(1 << 70).to_u128(), Some(1 << 70));
    /// assert_eq!(BigInt::from_i128(-1).to_u128(), None);
    /// ```
    pub fn to_u128(&self) -> Option<u128> {
        let m = self.trimmed();
        if self.negative && !m.is_empty() || m.len() > 16 {
            return None;
        }
        let mut buf = [0u8; 16];
        buf[..m.len()].copy_from_slice(m);
        Some(u128::from_le_bytes(buf))
    }

    /// Parses an optionally signed decimal integer (`-123`, `+7`, `42`).
    ///
    /// Returns `None` for empty input or a non-digit character.
    ///
    /// ```
    /// use tether_term::BigInt;
    /// assert_eq!(BigInt::parse_decimal("-123").unwrap().to_i64(), Some(-123));
    /// assert_eq!(BigInt::parse_decimal("+7").unwrap().to_i64(), Some(7));
    /// assert!(BigInt::parse_decimal("12a").is_none());
    /// assert!(BigInt::parse_decimal("").is_none());
    /// ```
    pub fn parse_decimal(text: &str) -> Option<BigInt> {
        BigInt::parse_radix(text, 10)
    }

    /// Parses an optionally signed integer in `radix` (2..=36); `_` separators between
    /// digits are allowed, as in Erlang source.
    ///
    /// ```
    /// use tether_term::BigInt;
    /// assert_eq!(BigInt::parse_radix("ff", 16).unwrap().to_i64(), Some(255));
    /// assert_eq!(BigInt::parse_radix("1_000", 10).unwrap().to_i64(), Some(1000));
    /// assert!(BigInt::parse_radix("2", 2).is_none());
    /// ```
    pub fn parse_radix(text: &str, radix: u32) -> Option<BigInt> {
        if !(2..=36).contains(&radix) {
            return None;
        }
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') {
            return None;
        }
        let mut limbs: Vec<u32> = Vec::new();
        let mut prev_underscore = false;
        for c in digits.chars() {
            if c == '_' {
                if prev_underscore {
                    return None;
                }
                prev_underscore = true;
                continue;
            }
            prev_underscore = false;
            let d = c.to_digit(radix)?;
            mul_add(&mut limbs, radix, d);
        }
        Some(BigInt::new(negative, limbs_to_bytes(&limbs)))
    }

    /// The magnitude without high zero bytes.
    pub(crate) fn trimmed(&self) -> &[u8] {
        let mut m = &self.magnitude[..];
        while let [rest @ .., 0] = m {
            m = rest;
        }
        m
    }

    /// Whether the value is zero.
    ///
    /// ```
    /// use tether_term::BigInt;
    /// assert!(BigInt::from_i128(0).is_zero());
    /// assert!(!BigInt::from_i128(-1).is_zero());
    /// ```
    pub fn is_zero(&self) -> bool {
        self.trimmed().is_empty()
    }
}

impl fmt::Display for BigInt {
    /// Writes the value in decimal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut limbs = bytes_to_limbs(self.trimmed());
        if limbs.is_empty() {
            return f.write_str("0");
        }
        // Peel off 9 decimal digits at a time.
        let mut chunks = Vec::new();
        while !limbs.is_empty() {
            chunks.push(div_rem(&mut limbs, 1_000_000_000));
        }
        if self.negative {
            f.write_str("-")?;
        }
        let mut it = chunks.iter().rev();
        if let Some(first) = it.next() {
            write!(f, "{first}")?;
        }
        for c in it {
            write!(f, "{c:09}")?;
        }
        Ok(())
    }
}

fn bytes_to_limbs(bytes: &[u8]) -> Vec<u32> {
    let mut limbs: Vec<u32> = bytes
        .chunks(4)
        .map(|c| {
            let mut b = [0u8; 4];
            b[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(b)
        })
        .collect();
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    limbs
}

fn limbs_to_bytes(limbs: &[u32]) -> Vec<u8> {
    let mut out: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
    while out.last() == Some(&0) {
        out.pop();
    }
    out
}

/// `limbs = limbs * mul + add`.
fn mul_add(limbs: &mut Vec<u32>, mul: u32, add: u32) {
    let mut carry = add as u64;
    for l in limbs.iter_mut() {
        let v = *l as u64 * mul as u64 + carry;
        *l = v as u32;
        carry = v >> 32;
    }
    if carry != 0 {
        limbs.push(carry as u32);
    }
}

/// Divides in place, returning the remainder; trims the quotient.
fn div_rem(limbs: &mut Vec<u32>, div: u32) -> u32 {
    let mut rem = 0u64;
    for l in limbs.iter_mut().rev() {
        let v = (rem << 32) | *l as u64;
        *l = (v / div as u64) as u32;
        rem = v % div as u64;
    }
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    rem as u32
}

/// A number as term order sees it.
#[derive(Clone, Copy)]
pub(crate) enum Num<'a> {
    Int(i64),
    Big(&'a BigInt),
    Float(f64),
}

/// Compares two integers given as sign + little-endian magnitude.
fn cmp_sign_mag(an: bool, am: &[u8], bn: bool, bm: &[u8]) -> Ordering {
    let am = trim(am);
    let bm = trim(bm);
    let an = an && !am.is_empty();
    let bn = bn && !bm.is_empty();
    match (an, bn) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        _ => {
            let mag = am
                .len()
                .cmp(&bm.len())
                .then_with(|| am.iter().rev().cmp(bm.iter().rev()));
            if an { mag.reverse() } else { mag }
        }
    }
}

fn trim(mut m: &[u8]) -> &[u8] {
    while let [rest @ .., 0] = m {
        m = rest;
    }
    m
}

fn int_parts(v: i64) -> (bool, [u8; 8]) {
    (v < 0, v.unsigned_abs().to_le_bytes())
}

/// The integer part of a finite float as sign + magnitude, and the sign of what was
/// cut off (-1, 0 or 1).
fn float_parts(f: f64) -> (bool, Vec<u8>, i8) {
    let t = f.trunc();
    let frac = f - t;
    let frac_sign = if frac > 0.0 {
        1
    } else if frac < 0.0 {
        -1
    } else {
        0
    };
    let neg = t < 0.0;
    let a = t.abs();
    if a < 1.0 {
        return (false, Vec::new(), frac_sign);
    }
    let bits = a.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
    let mant = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    // value = mant * 2^exp, exp may be negative only when the value has no fraction
    // bits left after truncation, i.e. shifting right is exact.
    let mut limbs: Vec<u32> = vec![mant as u32, (mant >> 32) as u32];
    if exp < 0 {
        let m = mant >> (-exp) as u32;
        limbs = vec![m as u32, (m >> 32) as u32];
    } else {
        for _ in 0..exp {
            mul_add(&mut limbs, 2, 0);
        }
    }
    (neg, limbs_to_bytes(&limbs), frac_sign)
}

/// Compares an integer with a float by exact mathematical value.
fn cmp_int_float(neg: bool, mag: &[u8], f: f64) -> Ordering {
    let (fneg, fmag, frac) = float_parts(f);
    match cmp_sign_mag(neg, mag, fneg, &fmag) {
        Ordering::Equal => match frac {
            1 => Ordering::Less,
            -1 => Ordering::Greater,
            _ => Ordering::Equal,
        },
        o => o,
    }
}

/// Compares numbers by value (`1 == 1.0`), as Erlang's `<` and `==` do.
pub(crate) fn cmp_num(a: Num<'_>, b: Num<'_>) -> Ordering {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y).unwrap_or_else(|| x.total_cmp(&y)),
        (Num::Int(x), Num::Big(y)) => {
            let (n, m) = int_parts(x);
            cmp_sign_mag(n, &m, y.negative, &y.magnitude)
        }
        (Num::Big(x), Num::Int(y)) => {
            let (n, m) = int_parts(y);
            cmp_sign_mag(x.negative, &x.magnitude, n, &m)
        }
        (Num::Big(x), Num::Big(y)) => {
            cmp_sign_mag(x.negative, &x.magnitude, y.negative, &y.magnitude)
        }
        (Num::Int(x), Num::Float(f)) => {
            if (x as f64) as i64 == x && x.unsigned_abs() < (1u64 << 53) {
                (x as f64).partial_cmp(&f).unwrap_or(Ordering::Equal)
            } else {
                let (n, m) = int_parts(x);
                cmp_int_float(n, &m, f)
            }
        }
        (Num::Big(x), Num::Float(f)) => cmp_int_float(x.negative, &x.magnitude, f),
        (Num::Float(_), Num::Int(_) | Num::Big(_)) => cmp_num(b, a).reverse(),
    }
}

/// Compares numbers in exact order (`=:=`): integers by value, floats by value, and
/// every integer before every float, as erts orders map keys.
pub(crate) fn cmp_num_exact(a: Num<'_>, b: Num<'_>) -> Ordering {
    match (a, b) {
        (Num::Float(_), Num::Int(_) | Num::Big(_)) => Ordering::Greater,
        (Num::Int(_) | Num::Big(_), Num::Float(_)) => Ordering::Less,
        // OTP 25 treats 0.0 and -0.0 as exactly equal (OTP 27 does not). Erlang has
        // no NaN; a Rust-made one is placed by `total_cmp`, equal only to itself, so
        // that this stays a total order.
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y).unwrap_or_else(|| x.total_cmp(&y)),
        _ => cmp_num(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trip() {
        for s in [
            "0",
            "1",
            "-1",
            "4294967296",
            "-18446744073709551616",
            "123456789012345678901234567890",
        ] {
            assert_eq!(BigInt::parse_decimal(s).unwrap().to_string(), s);
        }
        assert_eq!(BigInt::parse_radix("ff", 16).unwrap().to_i128(), Some(255));
        assert_eq!(
            BigInt::parse_decimal("1_000").unwrap().to_i128(),
            Some(1000)
        );
        assert!(BigInt::parse_decimal("1__0").is_none());
        assert!(BigInt::parse_decimal("").is_none());
        assert_eq!(BigInt::from_i128(i128::MIN).to_i128(), Some(i128::MIN));
    }

    #[test]
    fn int_float_compare() {
        let big = BigInt::parse_decimal("9007199254740993").unwrap(); // 2^53 + 1
        assert_eq!(
            cmp_num(Num::Big(&big), Num::Float(9007199254740992.0)),
            Ordering::Greater
        );
        assert_eq!(
            cmp_num(Num::Int(9007199254740993), Num::Float(9007199254740992.0)),
            Ordering::Greater
        );
        assert_eq!(cmp_num(Num::Int(1), Num::Float(1.0)), Ordering::Equal);
        assert_eq!(cmp_num(Num::Int(1), Num::Float(1.5)), Ordering::Less);
        assert_eq!(cmp_num(Num::Int(-2), Num::Float(-1.5)), Ordering::Less);
        assert_eq!(
            cmp_num(Num::Float(1e300), Num::Int(i64::MAX)),
            Ordering::Greater
        );
        assert_eq!(cmp_num_exact(Num::Int(2), Num::Float(1.0)), Ordering::Less);
    }

    #[test]
    fn exact_float_order_is_total() {
        let exact = |x: f64, y: f64| cmp_num_exact(Num::Float(x), Num::Float(y));
        assert_eq!(exact(0.0, -0.0), Ordering::Equal); // OTP 25
        assert_eq!(exact(f64::NAN, f64::NAN), Ordering::Equal);
        assert_eq!(exact(f64::NAN, 1.0), Ordering::Greater);
        assert_eq!(exact(-f64::NAN, f64::NEG_INFINITY), Ordering::Less);
    }
}
