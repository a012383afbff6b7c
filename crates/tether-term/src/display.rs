//! Writing terms in Erlang syntax.
//!
//! `Display for Term` writes what Erlang's `io_lib:format("~w", [T])` writes, with one
//! deliberate difference: a binary whose bytes are all printable ASCII is written as a
//! string, `<<"abc">>` (as `~p` does), because that is what people want to read.
//! Lists of integers are always written as lists (`[104,105]`, never `"hi"`), as `~w`
//! does, so that the output says exactly what the term is.
//!
//! Maps print their pairs in the order the [`Term::Map`] holds them. A decoded map of
//! up to 32 keys holds them in Erlang's order, so it prints as Erlang prints it; for
//! larger maps erts prints its hash order backwards, which Tether does not mimic.
//!
//! Pids, ports and references print as Erlang prints them (`<0.42.0>`,
//! `#Port<0.7>`, `#Ref<0.1.2.3>`), with the node's table index where Erlang prints its
//! own per-node number. Local funs print as `#Fun<module.index.uniq>`. Floats use the
//! shortest digits that read back to the same float, placed as Erlang places them
//! (`1.0`, `0.1`, `1.0e20`, `123456789.0`).
//!
//! Everything but funs reads back with [`Term::from_str`](std::str::FromStr): text
//! written by `Display` parses to an equal term (identities come back with creation 0).

use std::fmt::{self, Write};

use crate::Term;

/// Writes `chars` with Erlang's escapes, for a string quoted with `quote`.
pub(crate) fn write_escaped(
    f: &mut impl Write,
    chars: impl Iterator<Item = char>,
    quote: char,
) -> fmt::Result {
    for c in chars {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{b}' => f.write_str("\\v")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            '\u{1b}' => f.write_str("\\e")?,
            '\u{7f}' => f.write_str("\\d")?,
            c if c == quote => {
                f.write_char('\\')?;
                f.write_char(c)?
            }
            c if (c as u32) < 32 => {
                f.write_str("\\^")?;
                f.write_char(char::from(c as u8 + b'@'))?
            }
            c if ('\u{80}'..'\u{a0}').contains(&c) => write!(f, "\\x{{{:X}}}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

/// Writes a float as Erlang's `float_to_list(F, [short])` (and so `~w`) does: the
/// shortest digits that read back to the same float, in plain or scientific notation,
/// whichever is shorter (plain on a tie), and always scientific from 2^53 up.
pub(crate) fn write_float(f: &mut impl Write, v: f64) -> fmt::Result {
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde±x".
    let s = format!("{:e}", v.abs());
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if v.is_sign_negative() {
        f.write_char('-')?;
    }
    if digits == "0" {
        return f.write_str("0.0");
    }
    // value = 0.DIGITS * 10^place
    let place = exp + 1;
    let len = digits.len() as i32;
    let plain = if place <= 0 {
        format!("0.{}{digits}", "0".repeat((-place) as usize))
    } else if place >= len {
        format!("{digits}{}.0", "0".repeat((place - len) as usize))
    } else {
        let (a, b) = digits.split_at(place as usize);
        format!("{a}.{b}")
    };
    let (first, rest) = digits.split_at(1);
    let rest = if rest.is_empty() { "0" } else { rest };
    let sci = format!("{first}.{rest}e{exp}");
    if v.abs() < 9007199254740992.0 && plain.len() <= sci.len() {
        f.write_str(&plain)
    } else {
        f.write_str(&sci)
    }
}

fn printable_binary(b: &[u8]) -> bool {
    !b.is_empty()
        && b.iter().all(|&c| {
            (32..127).contains(&c) || matches!(c, b'\n' | b'\r' | b'\t' | 11 | 8 | 12 | 27)
        })
}

fn write_seq(f: &mut fmt::Formatter<'_>, items: &[Term]) -> fmt::Result {
    for (i, t) in items.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        fmt::Display::fmt(t, f)?;
    }
    Ok(())
}

impl fmt::Display for Term {
    /// Writes the term in Erlang syntax, as `io_lib:format("~w", [T])` does, except
    /// that binaries of printable ASCII are written as strings (`<<"abc">>`, as `~p`
    /// does). Lists are always lists of integers (`[104,105]`, never `"hi"`); maps
    /// print their pairs in the order the term holds them; pids, ports and references
    /// print with their node's table index (`<0.42.0>`); local funs as
    /// `#Fun<module.index.uniq>`; floats with the shortest digits that read back
    /// exactly, placed as Erlang places them (`1.0`, `0.1`, `1.0e20`). Everything but
    /// funs parses back with [`Term::parse`].
    ///
    /// ```
    /// use tether_term::Term;
    /// let t = Term::tuple([
    ///     Term::atom("ok"),
    ///     Term::from("bin"),
    ///     Term::improper_list([Term::from(1), Term::from(2)], Term::from(3)),
    ///     Term::map([(Term::atom("k"), Term::from(1.5))]),
    /// ]);
    /// assert_eq!(t.to_string(), r#"{ok,<<"bin">>,[1,2|3],#{k => 1.5}}"#);
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Atom(a) => fmt::Display::fmt(a, f),
            Term::Int(i) => write!(f, "{i}"),
            Term::BigInt(b) => write!(f, "{b}"),
            Term::Float(v) => write_float(f, *v),
            Term::Binary(b) => {
                f.write_str("<<")?;
                if printable_binary(b) {
                    f.write_char('"')?;
                    write_escaped(f, b.iter().map(|&c| c as char), '"')?;
                    f.write_char('"')?;
                } else {
                    for (i, c) in b.iter().enumerate() {
                        if i > 0 {
                            f.write_char(',')?;
                        }
                        write!(f, "{c}")?;
                    }
                }
                f.write_str(">>")
            }
            Term::BitBinary { bytes, bits } => {
                f.write_str("<<")?;
                if let Some((last, init)) = bytes.split_last() {
                    for c in init {
                        write!(f, "{c},")?;
                    }
                    let bits = (*bits).clamp(1, 8);
                    write!(f, "{}:{}", last >> (8 - bits), bits)?;
                }
                f.write_str(">>")
            }
            Term::Pid(p) => write!(f, "{p}"),
            Term::Port(p) => write!(f, "{p}"),
            Term::Ref(r) => write!(f, "{r}"),
            Term::Tuple(items) => {
                f.write_char('{')?;
                write_seq(f, items)?;
                f.write_char('}')
            }
            Term::List(items) => {
                f.write_char('[')?;
                write_seq(f, items)?;
                f.write_char(']')
            }
            Term::ImproperList(items, tail) => {
                f.write_char('[')?;
                write_seq(f, items)?;
                f.write_char('|')?;
                fmt::Display::fmt(tail, f)?;
                f.write_char(']')
            }
            Term::Map(pairs) => {
                f.write_str("#{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{k} => {v}")?;
                }
                f.write_char('}')
            }
            Term::Fun(fun) => {
                write!(f, "#Fun<{}.{}.", fun.module, fun.index)?;
                match &fun.old_uniq {
                    Term::Int(u) => write!(f, "{u}>"),
                    other => write!(f, "{other}>"),
                }
            }
            Term::Export(e) => write!(f, "fun {}:{}/{}", e.module, e.function, e.arity),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fl(v: f64) -> String {
        let mut s = String::new();
        write_float(&mut s, v).unwrap();
        s
    }

    #[test]
    fn floats_as_erlang_prints_them() {
        // Expected strings are io_lib:format("~w", [F]) from OTP 25.
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1.0e20, "1.0e20"),
            (1.0e-10, "1.0e-10"),
            (123456789.0, "123456789.0"),
            (1.0e15, "1.0e15"),
            (1.0e16, "1.0e16"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (3.25, "3.25"),
            (100.0, "100.0"),
            (1000.0, "1.0e3"),
            (0.01, "0.01"),
            (0.001, "0.001"),
            (0.0001, "0.0001"),
            (0.00001, "1.0e-5"),
            (1.5e300, "1.5e300"),
            (9007199254740991.0, "9007199254740991.0"),
            (9007199254740992.0, "9.007199254740992e15"),
            (1.2e-4, "1.2e-4"),
            (2560.0, "2560.0"),
            (25600.0, "2.56e4"),
            (1.0e23, "1.0e23"),
            (-2.5, "-2.5"),
        ];
        for (v, s) in cases {
            assert_eq!(fl(v), s, "{v:e}");
        }
    }
}
