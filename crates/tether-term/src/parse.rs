//! Reading terms from Erlang syntax.
//!
//! [`Term::from_str`](std::str::FromStr) (and so `"...".parse::<Term>()`) reads one
//! term written as in Erlang source or in the shell, optionally followed by a `.`:
//!
//! | text | term |
//! |---|---|
//! | `ok`, `'EXIT'`, `'hello world'` | atoms |
//! | `42`, `-7`, `16#ff`, `1_000_000`, `123456789012345678901234567890`, `$a` | integers |
//! | `1.5`, `-0.0`, `6.02e23` | floats (Erlang form: digits on both sides of the dot) |
//! | `"abc"` | a charlist `[97,98,99]` (adjacent strings concatenate) |
//! | `<<"abc">>`, `<<1,2,3>>`, `<<"ü"/utf8>>`, `<<1:3>>`, `<<>>` | binaries and bitstrings |
//! | `{a, 1}`, `[1, 2 | 3]`, `#{k => v}` | tuples, lists, maps |
//! | `<0.42.0>`, `#Ref<0.1.2.3>`, `#Port<0.7>` | identities; the first number is the node's table index |
//! | `fun lists:map/2` | exports |
//!
//! `%` comments and whitespace are skipped. Nesting is limited to 512 levels.
//! Local funs (`#Fun<...>`) cannot be read back, as in Erlang.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;

use crate::atom::{is_lower, is_name_char};
use crate::{Atom, BigInt, Export, Node, Pid, Port, Reference, Term};

const MAX_DEPTH: usize = 512;

/// A term text that could not be read: where and why.
///
/// ```
/// use tether_term::Term;
/// let err = "{ok, ".parse::<Term>().unwrap_err();
/// assert_eq!(err.offset(), 5);
/// assert!(err.to_string().contains("offset 5"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    offset: usize,
    message: String,
}

impl ParseError {
    /// The byte offset in the text.
    ///
    /// ```
    /// use tether_term::Term;
    /// let err = Term::parse("{ok, }").unwrap_err();
    /// assert_eq!(err.offset(), 5);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was wrong.
    ///
    /// ```
    /// use tether_term::Term;
    /// let err = Term::parse("{ok").unwrap_err();
    /// assert!(!err.message().is_empty());
    /// assert!(err.to_string().contains(err.message()));
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "term syntax error at offset {}: {}",
            self.offset, self.message
        )
    }
}

impl std::error::Error for ParseError {}

impl FromStr for Term {
    type Err = ParseError;

    /// Reads a term from Erlang syntax (see the [module docs](crate::parse)).
    ///
    /// ```
    /// use tether_term::Term;
    /// let t: Term = r#"[1, {ok, <<"bin">>}, #{k => v}, "hi", 'Quoted', -2.5]."#.parse().unwrap();
    /// assert_eq!(t.to_string(), r#"[1,{ok,<<"bin">>},#{k => v},[104,105],'Quoted',-2.5]"#);
    /// ```
    fn from_str(text: &str) -> Result<Term, ParseError> {
        let mut p = Parser {
            s: text,
            pos: 0,
            depth: 0,
        };
        let t = p.term()?;
        p.skip_ws();
        if p.peek() == Some('.') {
            p.pos += 1;
            p.skip_ws();
        }
        if p.pos < text.len() {
            return Err(p.err("unexpected text after the term"));
        }
        Ok(t)
    }
}

impl Term {
    /// Reads a term from Erlang syntax; the same as `text.parse::<Term>()`.
    ///
    /// ```
    /// use tether_term::Term;
    /// let t = Term::parse("{reply, [1, 2], <<\"ok\">>}").unwrap();
    /// assert_eq!(t.as_tuple().unwrap()[0], Term::atom("reply"));
    /// assert!(Term::parse("{unclosed").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Term, ParseError> {
        text.parse()
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    depth: usize,
}

/// Accumulates the bits of a binary.
#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    /// Bits used in the last byte (0 = the last byte is full or there is none).
    partial: u8,
}

impl Bits {
    fn push_bit(&mut self, bit: bool) {
        if self.partial == 0 {
            self.bytes.push(0);
        }
        if bit {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 0x80 >> self.partial;
            }
        }
        self.partial = (self.partial + 1) % 8;
    }

    fn push_bytes(&mut self, bytes: &[u8]) {
        if self.partial == 0 {
            self.bytes.extend_from_slice(bytes);
        } else {
            for b in bytes {
                for i in (0..8).rev() {
                    self.push_bit(b >> i & 1 == 1);
                }
            }
        }
    }

    /// Pushes the low `size` bits of the two's complement of `v`, most significant first.
    fn push_int(&mut self, v: &BigInt, size: usize) {
        let mut mag = v.magnitude.clone();
        mag.resize(size.div_ceil(8).max(mag.len()), 0);
        if v.negative {
            // Two's complement: invert and add one.
            let mut carry = true;
            for b in mag.iter_mut() {
                let (nb, c) = (!*b).overflowing_add(carry as u8);
                *b = nb;
                carry = c;
            }
        }
        for i in (0..size).rev() {
            self.push_bit(mag[i / 8] >> (i % 8) & 1 == 1);
        }
    }

    fn into_term(self) -> Term {
        if self.partial == 0 {
            Term::Binary(Bytes::from(self.bytes))
        } else {
            Term::BitBinary {
                bytes: Bytes::from(self.bytes),
                bits: self.partial,
            }
        }
    }
}

impl<'a> Parser<'a> {
    fn err(&self, message: &str) -> ParseError {
        ParseError {
            offset: self.pos,
            message: message.to_string(),
        }
    }

    fn err_at(&self, offset: usize, message: &str) -> ParseError {
        ParseError {
            offset,
            message: message.to_string(),
        }
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if c == '%' {
                while let Some(c) = self.bump() {
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), ParseError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.err(&format!("expected `{token}`")))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(self.err("nesting too deep"))
        } else {
            Ok(())
        }
    }

    fn term(&mut self) -> Result<Term, ParseError> {
        self.skip_ws();
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.err("expected a term"));
        };
        match c {
            '{' => {
                self.enter()?;
                self.pos += 1;
                let items = self.items('}')?;
                self.depth -= 1;
                Ok(Term::Tuple(items))
            }
            '[' => {
                self.enter()?;
                self.pos += 1;
                let t = self.list()?;
                self.depth -= 1;
                Ok(t)
            }
            '#' if self.rest().starts_with("#{") => {
                self.enter()?;
                self.pos += 2;
                let t = self.map()?;
                self.depth -= 1;
                Ok(t)
            }
            '#' if self.rest().starts_with("#Ref<") || self.rest().starts_with("#Port<") => {
                self.ref_or_port(start)
            }
            '#' => Err(self.err("funs and other # forms cannot be read")),
            '<' if self.rest().starts_with("<<") => {
                self.enter()?;
                self.pos += 2;
                let t = self.binary()?;
                self.depth -= 1;
                Ok(t)
            }
            '<' => self.pid(start),
            '"' => self.string(),
            '\'' => self.quoted_atom(start),
            '$' => {
                self.pos += 1;
                Ok(Term::Int(self.char_literal()? as i64))
            }
            '-' | '+' | '0'..='9' => self.number(),
            c if is_lower(c) => {
                let name = self.name();
                if name == "fun" {
                    return self.export(start);
                }
                Ok(Term::atom(name))
            }
            _ => Err(self.err("expected a term")),
        }
    }

    #[inline(never)]
    fn ref_or_port(&mut self, start: usize) -> Result<Term, ParseError> {
        if self.rest().starts_with("#Ref<") {
            self.pos += 5;
            let nums = self.dotted()?;
            if nums.len() < 2 || nums.len() > 6 {
                return Err(self.err_at(start, "a reference has a node and 1 to 5 words"));
            }
            let node = self.node_index(nums[0], start)?;
            if nums[1..].iter().any(|&w| w > u32::MAX as u64) {
                return Err(self.err_at(start, "reference word out of range"));
            }
            let words: Vec<u32> = nums[1..].iter().rev().map(|&w| w as u32).collect();
            Ok(Term::Ref(Reference::new(node, 0, &words)))
        } else {
            self.pos += 6;
            let nums = self.dotted()?;
            if nums.len() != 2 {
                return Err(self.err_at(start, "a port is #Port<Node.Id>"));
            }
            let node = self.node_index(nums[0], start)?;
            Ok(Term::Port(Port::new(node, nums[1], 0)))
        }
    }

    #[inline(never)]
    fn pid(&mut self, start: usize) -> Result<Term, ParseError> {
        self.pos += 1;
        let nums = self.dotted()?;
        if nums.len() != 3 || nums[1] > u32::MAX as u64 || nums[2] > u32::MAX as u64 {
            return Err(self.err_at(start, "a pid is <Node.Id.Serial>"));
        }
        let node = self.node_index(nums[0], start)?;
        Ok(Term::Pid(Pid::new(node, nums[1] as u32, nums[2] as u32, 0)))
    }

    #[inline(never)]
    fn string(&mut self) -> Result<Term, ParseError> {
        let mut chars = Vec::new();
        while self.eat("\"") {
            self.quoted('"', &mut chars)?;
        }
        Ok(Term::List(
            chars.into_iter().map(|c| Term::Int(c as i64)).collect(),
        ))
    }

    #[inline(never)]
    fn quoted_atom(&mut self, start: usize) -> Result<Term, ParseError> {
        self.pos += 1;
        let mut chars = Vec::new();
        self.quoted('\'', &mut chars)?;
        let text: String = chars.into_iter().collect();
        if text.chars().count() > 255 {
            return Err(self.err_at(start, "atom longer than 255 characters"));
        }
        Ok(Term::Atom(Atom::from(text)))
    }

    fn name(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_name_char(c) {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        &self.s[start..self.pos]
    }

    fn atom(&mut self) -> Result<Atom, ParseError> {
        self.skip_ws();
        match self.term()? {
            Term::Atom(a) => Ok(a),
            _ => Err(self.err("expected an atom")),
        }
    }

    #[inline(never)]
    fn export(&mut self, start: usize) -> Result<Term, ParseError> {
        let module = self.atom()?;
        self.expect(":")?;
        let function = self.atom()?;
        self.expect("/")?;
        self.skip_ws();
        let arity = self.term()?.as_i64().and_then(|a| u8::try_from(a).ok());
        let arity = arity.ok_or_else(|| self.err_at(start, "bad arity"))?;
        Ok(Term::Export(Box::new(Export {
            module,
            function,
            arity,
        })))
    }

    fn node_index(&self, i: u64, at: usize) -> Result<Node, ParseError> {
        u32::try_from(i)
            .ok()
            .and_then(Node::from_index)
            .ok_or_else(|| self.err_at(at, "no node with that index"))
    }

    /// Reads `N.N.N...>` (the opening `<` already read).
    fn dotted(&mut self) -> Result<Vec<u64>, ParseError> {
        let mut nums = Vec::new();
        loop {
            let start = self.pos;
            while matches!(self.peek(), Some('0'..='9')) {
                self.pos += 1;
            }
            let n = self.s[start..self.pos]
                .parse::<u64>()
                .map_err(|_| self.err_at(start, "expected a number"))?;
            nums.push(n);
            match self.bump() {
                Some('.') if nums.len() < 8 => continue,
                Some('>') => return Ok(nums),
                _ => return Err(self.err("expected `.` or `>`")),
            }
        }
    }

    /// Reads comma-separated terms up to `close`.
    fn items(&mut self, close: char) -> Result<Vec<Term>, ParseError> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(self.term()?);
            self.skip_ws();
            match self.bump() {
                Some(',') => continue,
                Some(c) if c == close => return Ok(items),
                _ => return Err(self.err(&format!("expected `,` or `{close}`"))),
            }
        }
    }

    fn list(&mut self) -> Result<Term, ParseError> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(Term::nil());
        }
        loop {
            items.push(self.term()?);
            self.skip_ws();
            match self.bump() {
                Some(',') => continue,
                Some(']') => return Ok(Term::List(items)),
                Some('|') => {
                    let tail = self.term()?;
                    self.expect("]")?;
                    return Ok(Term::improper_list(items, tail));
                }
                _ => return Err(self.err("expected `,`, `|` or `]`")),
            }
        }
    }

    fn map(&mut self) -> Result<Term, ParseError> {
        let mut pairs: Vec<(Term, Term)> = Vec::new();
        if self.eat("}") {
            return Ok(Term::Map(pairs));
        }
        loop {
            let at = self.pos;
            let k = self.term()?;
            self.expect("=>")?;
            let v = self.term()?;
            if pairs.iter().any(|(o, _)| o.exact_eq(&k)) {
                return Err(self.err_at(at, "duplicate map key"));
            }
            pairs.push((k, v));
            self.skip_ws();
            match self.bump() {
                Some(',') => continue,
                Some('}') => return Ok(Term::Map(pairs)),
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
    }

    #[inline(never)]
    fn binary(&mut self) -> Result<Term, ParseError> {
        let mut bits = Bits::default();
        if self.eat(">>") {
            return Ok(bits.into_term());
        }
        loop {
            self.skip_ws();
            let at = self.pos;
            // The value: a string, or an integer (possibly negative, or a char).
            enum Seg {
                Str(Vec<char>),
                Int(BigInt),
            }
            let seg = if self.peek() == Some('"') {
                let mut chars = Vec::new();
                while self.eat("\"") {
                    self.quoted('"', &mut chars)?;
                }
                Seg::Str(chars)
            } else {
                match self.term()? {
                    Term::Int(i) => Seg::Int(BigInt::from_i128(i as i128)),
                    Term::BigInt(b) => Seg::Int(b),
                    _ => return Err(self.err_at(at, "a binary segment is a string or an integer")),
                }
            };
            let mut size: Option<usize> = None;
            if self.eat(":") {
                self.skip_ws();
                let s = self.pos;
                while matches!(self.peek(), Some('0'..='9')) {
                    self.pos += 1;
                }
                size = Some(
                    self.s[s..self.pos]
                        .parse()
                        .map_err(|_| self.err_at(s, "expected a size"))?,
                );
                if size > Some(1 << 20) {
                    return Err(self.err_at(s, "segment size too large"));
                }
            }
            let mut utf8 = false;
            if self.eat("/") {
                self.skip_ws();
                match self.name() {
                    "utf8" => utf8 = true,
                    "integer" => {}
                    _ => return Err(self.err("only /utf8 and /integer segments are supported")),
                }
            }
            match seg {
                Seg::Str(chars) => {
                    if size.is_some() {
                        return Err(self.err_at(at, "a string segment takes no size"));
                    }
                    for c in chars {
                        if utf8 {
                            let mut buf = [0u8; 4];
                            bits.push_bytes(c.encode_utf8(&mut buf).as_bytes());
                        } else if (c as u32) < 256 {
                            bits.push_bytes(&[c as u32 as u8]);
                        } else {
                            return Err(
                                self.err_at(at, "character above 255 in a binary: add /utf8")
                            );
                        }
                    }
                }
                Seg::Int(v) if utf8 => {
                    let c = v
                        .to_i128()
                        .and_then(|c| u32::try_from(c).ok())
                        .and_then(char::from_u32);
                    let c = c.ok_or_else(|| self.err_at(at, "not a code point"))?;
                    let mut buf = [0u8; 4];
                    bits.push_bytes(c.encode_utf8(&mut buf).as_bytes());
                }
                Seg::Int(v) => bits.push_int(&v, size.unwrap_or(8)),
            }
            self.skip_ws();
            if self.eat(",") {
                continue;
            }
            self.expect(">>")?;
            return Ok(bits.into_term());
        }
    }

    #[inline(never)]
    fn number(&mut self) -> Result<Term, ParseError> {
        let start = self.pos;
        let negative = match self.peek() {
            Some('-') => {
                self.pos += 1;
                true
            }
            Some('+') => {
                self.pos += 1;
                false
            }
            _ => false,
        };
        self.skip_ws();
        if self.peek() == Some('$') {
            self.pos += 1;
            let c = self.char_literal()? as i64;
            return Ok(Term::Int(if negative { -c } else { c }));
        }
        let digits_start = self.pos;
        while matches!(self.peek(), Some('0'..='9' | '_')) {
            self.pos += 1;
        }
        let int_text = &self.s[digits_start..self.pos];
        if int_text.is_empty() {
            return Err(self.err("expected a number"));
        }
        let sign = if negative { "-" } else { "" };
        // Radix: 16#ff
        if self.peek() == Some('#') {
            let radix: u32 = int_text
                .parse()
                .map_err(|_| self.err_at(digits_start, "bad radix"))?;
            self.pos += 1;
            let s = self.pos;
            while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '_') {
                self.pos += 1;
            }
            let b = BigInt::parse_radix(&format!("{sign}{}", &self.s[s..self.pos]), radix)
                .ok_or_else(|| self.err_at(s, "bad digits for the radix"))?;
            return Ok(Term::big(b));
        }
        // Float: digits '.' digits [e [+-] digits]
        let rest = self.rest();
        if rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
            self.pos += 1;
            while matches!(self.peek(), Some('0'..='9' | '_')) {
                self.pos += 1;
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                let save = self.pos;
                self.pos += 1;
                if matches!(self.peek(), Some('+' | '-')) {
                    self.pos += 1;
                }
                if matches!(self.peek(), Some('0'..='9')) {
                    while matches!(self.peek(), Some('0'..='9')) {
                        self.pos += 1;
                    }
                } else {
                    self.pos = save;
                }
            }
            let text: String = self.s[digits_start..self.pos]
                .chars()
                .filter(|&c| c != '_')
                .collect();
            let f: f64 = text.parse().map_err(|_| self.err_at(start, "bad float"))?;
            if !f.is_finite() {
                return Err(self.err_at(start, "float out of range"));
            }
            return Ok(Term::Float(if negative { -f } else { f }));
        }
        let b = BigInt::parse_decimal(&format!("{sign}{int_text}"))
            .ok_or_else(|| self.err_at(start, "bad integer"))?;
        Ok(Term::big(b))
    }

    /// Reads the character after `$`.
    fn char_literal(&mut self) -> Result<char, ParseError> {
        match self.bump() {
            Some('\\') => self.escape(),
            Some(c) => Ok(c),
            None => Err(self.err("expected a character")),
        }
    }

    /// Reads a quoted string's characters up to the closing `quote` (the opening one
    /// already read).
    fn quoted(&mut self, quote: char, out: &mut Vec<char>) -> Result<(), ParseError> {
        loop {
            match self.bump() {
                None => return Err(self.err("unterminated string")),
                Some('\\') => out.push(self.escape()?),
                Some(c) if c == quote => return Ok(()),
                Some(c) => out.push(c),
            }
        }
    }

    /// Reads an escape sequence after `\`.
    fn escape(&mut self) -> Result<char, ParseError> {
        let at = self.pos;
        let c = self.bump().ok_or_else(|| self.err("unterminated escape"))?;
        Ok(match c {
            'b' => '\u{8}',
            'd' => '\u{7f}',
            'e' => '\u{1b}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            's' => ' ',
            't' => '\t',
            'v' => '\u{b}',
            '0'..='7' => {
                let mut v = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                char::from_u32(v).ok_or_else(|| self.err_at(at, "bad octal escape"))?
            }
            'x' => {
                let v = if self.peek() == Some('{') {
                    self.pos += 1;
                    let s = self.pos;
                    while matches!(self.peek(), Some(c) if c.is_ascii_hexdigit()) {
                        self.pos += 1;
                    }
                    let v = u32::from_str_radix(&self.s[s..self.pos], 16).ok();
                    if self.bump() != Some('}') {
                        return Err(self.err_at(at, "bad \\x{...} escape"));
                    }
                    v
                } else {
                    let s = self.pos;
                    for _ in 0..2 {
                        if matches!(self.peek(), Some(c) if c.is_ascii_hexdigit()) {
                            self.pos += 1;
                        }
                    }
                    u32::from_str_radix(&self.s[s..self.pos], 16).ok()
                };
                v.and_then(char::from_u32)
                    .ok_or_else(|| self.err_at(at, "bad \\x escape"))?
            }
            '^' => {
                let c = self.bump().ok_or_else(|| self.err("unterminated escape"))?;
                char::from_u32(c as u32 & 0x1f)
                    .ok_or_else(|| self.err_at(at, "bad control escape"))?
            }
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Term {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn forms() {
        assert_eq!(p("16#FF"), Term::Int(255));
        assert_eq!(p("-16#10"), Term::Int(-16));
        assert_eq!(p("$a"), Term::Int(97));
        assert_eq!(p("$\\n"), Term::Int(10));
        assert_eq!(p("\"a\" \"b\""), Term::charlist("ab"));
        assert_eq!(
            p("<<1:3>>"),
            Term::BitBinary {
                bytes: Bytes::from_static(&[0x20]),
                bits: 3
            }
        );
        assert_eq!(
            p("<<-1:16>>"),
            Term::binary(Bytes::from_static(&[0xff, 0xff]))
        );
        assert_eq!(
            p("<<\"ü\"/utf8>>"),
            Term::binary(Bytes::from_static("ü".as_bytes()))
        );
        assert_eq!(p("<<\"ü\">>"), Term::binary(Bytes::from_static(&[252])));
        assert_eq!(
            p("<<256:16, 1>>"),
            Term::binary(Bytes::from_static(&[1, 0, 1]))
        );
        assert_eq!(p("'\\x{65E5}'"), Term::atom("日"));
        assert_eq!(p("fun lists:map/2"), Term::export("lists", "map", 2));
        assert_eq!(p("<0.5.1>"), Term::Pid(Pid::new(Node::local(), 5, 1, 0)));
        assert_eq!(p("[1|[2]]"), p("[1,2]"));
        assert_eq!(p("% comment\n ok ."), Term::atom("ok"));
        assert!("X".parse::<Term>().is_err());
        assert!("#{a => 1, a => 2}".parse::<Term>().is_err());
        assert!("[".repeat(10_000).parse::<Term>().is_err());
    }
}
