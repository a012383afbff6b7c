//! [`Term`] → `Deserialize`.

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::passthrough::{TERM_NAME, park};
use super::{SerdeError, variant_atom};
use crate::Term;

/// Deserializes a Rust value from a term (see the [mapping](crate#serde-mapping)).
///
/// ```
/// use serde::Deserialize;
/// use tether_term::{from_term, Term};
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// enum Req { Put(String, u32), Get(String), Stop }
///
/// let t: Term = r#"{put, <<"k">>, 1}"#.parse().unwrap();
/// assert_eq!(from_term::<Req>(t).unwrap(), Req::Put("k".into(), 1));
/// assert_eq!(from_term::<Req>(Term::atom("stop")).unwrap(), Req::Stop);
/// // Charlists are accepted where a String is expected, and nil is None.
/// let t: Term = r#"{"abc", nil}"#.parse().unwrap();
/// assert_eq!(from_term::<(String, Option<u8>)>(t).unwrap(), ("abc".to_string(), None));
/// ```
pub fn from_term<T: DeserializeOwned>(term: Term) -> Result<T, SerdeError> {
    from_term_ref(&term)
}

/// Deserializes from a borrowed term; `&str` and `&[u8]` fields may borrow from it.
///
/// ```
/// use tether_term::{from_term_ref, Term};
/// let t = Term::from("borrowed");
/// let s: &str = from_term_ref(&t).unwrap();
/// assert_eq!(s, "borrowed");
/// ```
pub fn from_term_ref<'de, T: de::Deserialize<'de>>(term: &'de Term) -> Result<T, SerdeError> {
    T::deserialize(TermDeserializer { term })
}

#[derive(Clone, Copy)]
struct TermDeserializer<'de> {
    term: &'de Term,
}

fn invalid(t: &Term, expected: &str) -> SerdeError {
    let mut shown = t.to_string();
    if shown.len() > 80 {
        let mut cut = 77;
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        shown.truncate(cut);
        shown.push_str("...");
    }
    SerdeError::new(format!("expected {expected}, found {shown}"))
}

impl<'de> TermDeserializer<'de> {
    fn int(&self) -> Result<i128, SerdeError> {
        match self.term {
            Term::Int(i) => Ok(*i as i128),
            Term::BigInt(b) => b
                .to_i128()
                .ok_or_else(|| invalid(self.term, "an integer that fits in 128 bits")),
            t => Err(invalid(t, "an integer")),
        }
    }

    fn visit_int<V: Visitor<'de>>(&self, v: V) -> Result<V::Value, SerdeError> {
        if let Term::BigInt(b) = self.term {
            if let Some(u) = b.to_u128().filter(|u| *u > i128::MAX as u128) {
                return v.visit_u128(u);
            }
        }
        let i = self.int()?;
        if let Ok(x) = i64::try_from(i) {
            v.visit_i64(x)
        } else if let Ok(x) = u64::try_from(i) {
            v.visit_u64(x)
        } else {
            v.visit_i128(i)
        }
    }

    fn is_nil_atom(&self) -> bool {
        matches!(self.term.as_atom(), Some("nil" | "undefined"))
    }
}

impl<'de> de::Deserializer<'de> for TermDeserializer<'de> {
    type Error = SerdeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        match self.term {
            Term::Atom(a) => match a.as_str() {
                "true" => v.visit_bool(true),
                "false" => v.visit_bool(false),
                "nil" => v.visit_unit(),
                s => v.visit_borrowed_str(s),
            },
            Term::Int(_) | Term::BigInt(_) => self.visit_int(v),
            Term::Float(f) => v.visit_f64(*f),
            Term::Binary(b) => match std::str::from_utf8(b) {
                Ok(s) => v.visit_borrowed_str(s),
                Err(_) => v.visit_borrowed_bytes(b),
            },
            Term::BitBinary { bytes, .. } => v.visit_borrowed_bytes(bytes),
            Term::Pid(_) | Term::Port(_) | Term::Ref(_) | Term::Fun(_) | Term::Export(_) => {
                v.visit_string(self.term.to_string())
            }
            Term::Tuple(items) | Term::List(items) => v.visit_seq(Seq {
                items: items.iter(),
            }),
            Term::ImproperList(..) => Err(invalid(self.term, "a proper list")),
            Term::Map(pairs) => v.visit_map(Map {
                pairs: pairs.iter(),
                value: None,
                skip_struct: false,
            }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        match self.term.as_atom() {
            Some("true") => v.visit_bool(true),
            Some("false") => v.visit_bool(false),
            _ => Err(invalid(self.term, "true or false")),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.visit_int(v)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.visit_int(v)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.visit_int(v)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.visit_int(v)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.visit_int(v)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.visit_int(v)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.visit_int(v)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.visit_int(v)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.visit_int(v)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.visit_int(v)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.deserialize_f64(v)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        match self.term {
            Term::Float(f) => v.visit_f64(*f),
            Term::Int(i) => v.visit_f64(*i as f64),
            t => Err(invalid(t, "a float")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        let c = match self.term {
            Term::Int(i) => u32::try_from(*i).ok().and_then(char::from_u32),
            Term::Binary(_) => self
                .term
                .as_str()
                .and_then(|s| (s.chars().count() == 1).then(|| s.chars().next()).flatten()),
            Term::List(_) => self
                .term
                .as_charlist()
                .and_then(|s| (s.chars().count() == 1).then(|| s.chars().next()).flatten()),
            _ => None,
        };
        match c {
            Some(c) => v.visit_char(c),
            None => Err(invalid(self.term, "a character")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        match self.term {
            Term::Binary(b) => match std::str::from_utf8(b) {
                Ok(s) => v.visit_borrowed_str(s),
                Err(_) => Err(SerdeError::new("binary is not valid UTF-8")),
            },
            Term::Atom(a) => v.visit_borrowed_str(a.as_str()),
            Term::List(_) => match self.term.as_charlist() {
                Some(s) => v.visit_string(s),
                None => Err(invalid(self.term, "a string")),
            },
            t => Err(invalid(t, "a string")),
        }
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        match self.term {
            Term::Binary(b) => v.visit_borrowed_bytes(b),
            Term::List(items) => {
                let bytes: Option<Vec<u8>> = items
                    .iter()
                    .map(|t| match t {
                        Term::Int(i) => u8::try_from(*i).ok(),
                        _ => None,
                    })
                    .collect();
                match bytes {
                    Some(b) => v.visit_byte_buf(b),
                    None => Err(invalid(self.term, "a binary")),
                }
            }
            t => Err(invalid(t, "a binary")),
        }
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        self.deserialize_bytes(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        if self.is_nil_atom() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        match self.term.as_atom() {
            Some("ok" | "nil") => v.visit_unit(),
            _ => Err(invalid(self.term, "ok")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, SerdeError> {
        match self.term.as_atom() {
            Some(a) if a == super::name_atom(name) || a == name || a == "ok" || a == "nil" => {
                v.visit_unit()
            }
            _ => Err(invalid(
                self.term,
                &format!("the atom {}", super::name_atom(name)),
            )),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, SerdeError> {
        if name == TERM_NAME {
            park(self.term.clone());
            return v.visit_unit();
        }
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        match self.term {
            Term::List(items) | Term::Tuple(items) => v.visit_seq(Seq {
                items: items.iter(),
            }),
            Term::Binary(b) => v.visit_seq(de::value::SeqDeserializer::new(b.iter().copied())),
            t => Err(invalid(t, "a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, SerdeError> {
        match self.term {
            Term::Tuple(items) | Term::List(items) if items.len() == len => v.visit_seq(Seq {
                items: items.iter(),
            }),
            t => Err(invalid(t, &format!("a {len}-tuple"))),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, SerdeError> {
        self.deserialize_tuple(len, v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        match self.term {
            Term::Map(pairs) => v.visit_map(Map {
                pairs: pairs.iter(),
                value: None,
                skip_struct: false,
            }),
            Term::List(items) => v.visit_map(Keywords {
                items: items.iter(),
                value: None,
            }),
            t => Err(invalid(t, "a map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, SerdeError> {
        let skip_struct = !fields.contains(&"__struct__");
        match self.term {
            Term::Map(pairs) => {
                if name.starts_with("Elixir.") {
                    if let Some(m) = self.term.map_get(&Term::atom("__struct__")) {
                        if !m.is_atom(name) {
                            return Err(invalid(m, &format!("struct {name}")));
                        }
                    }
                }
                v.visit_map(Map {
                    pairs: pairs.iter(),
                    value: None,
                    skip_struct,
                })
            }
            Term::List(items) => v.visit_map(Keywords {
                items: items.iter(),
                value: None,
            }),
            t => Err(invalid(t, &format!("a map for struct {name}"))),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, SerdeError> {
        let (tag, rest): (&Term, &'de [Term]) = match self.term {
            Term::Tuple(items) if !items.is_empty() => (&items[0], &items[1..]),
            t => (t, &[]),
        };
        let text = match tag {
            Term::Atom(a) => a.as_str(),
            Term::Binary(_) => tag.as_str().unwrap_or(""),
            _ => {
                return Err(invalid(
                    self.term,
                    &format!("an atom or tagged tuple for enum {name}"),
                ));
            }
        };
        let variant = variants
            .iter()
            .find(|v| variant_atom(name, v) == text)
            .or_else(|| variants.iter().find(|v| **v == text))
            .ok_or_else(|| SerdeError::new(format!("unknown variant {text} of enum {name}")))?;
        v.visit_enum(Enum {
            variant,
            rest,
            whole: self.term,
        })
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        match self.term {
            Term::Atom(a) => v.visit_borrowed_str(a.as_str()),
            Term::Binary(_) => self.deserialize_str(v),
            Term::Int(i) if *i >= 0 => v.visit_u64(*i as u64),
            t => Err(invalid(t, "a field name")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, SerdeError> {
        v.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

struct Seq<'de> {
    items: std::slice::Iter<'de, Term>,
}

impl<'de> de::SeqAccess<'de> for Seq<'de> {
    type Error = SerdeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, SerdeError> {
        match self.items.next() {
            Some(term) => seed.deserialize(TermDeserializer { term }).map(Some),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Map<'de> {
    pairs: std::slice::Iter<'de, (Term, Term)>,
    value: Option<&'de Term>,
    skip_struct: bool,
}

impl<'de> de::MapAccess<'de> for Map<'de> {
    type Error = SerdeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, SerdeError> {
        for (k, v) in self.pairs.by_ref() {
            if self.skip_struct && k.is_atom("__struct__") {
                continue;
            }
            self.value = Some(v);
            return seed.deserialize(TermDeserializer { term: k }).map(Some);
        }
        Ok(None)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, SerdeError> {
        let term = self
            .value
            .take()
            .ok_or_else(|| SerdeError::new("map value without a key"))?;
        seed.deserialize(TermDeserializer { term })
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.pairs.len())
    }
}

/// A keyword list (`[{key, value}]`) read as a map.
struct Keywords<'de> {
    items: std::slice::Iter<'de, Term>,
    value: Option<&'de Term>,
}

impl<'de> de::MapAccess<'de> for Keywords<'de> {
    type Error = SerdeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, SerdeError> {
        match self.items.next() {
            Some(Term::Tuple(kv)) if kv.len() == 2 => {
                self.value = Some(&kv[1]);
                seed.deserialize(TermDeserializer { term: &kv[0] })
                    .map(Some)
            }
            Some(t) => Err(invalid(t, "a {key, value} pair")),
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, SerdeError> {
        let term = self
            .value
            .take()
            .ok_or_else(|| SerdeError::new("map value without a key"))?;
        seed.deserialize(TermDeserializer { term })
    }
}

struct Enum<'de> {
    variant: &'static str,
    rest: &'de [Term],
    whole: &'de Term,
}

impl<'de> de::EnumAccess<'de> for Enum<'de> {
    type Error = SerdeError;
    type Variant = Self;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), SerdeError> {
        let v = seed.deserialize(self.variant.into_deserializer())?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'de> {
    type Error = SerdeError;
    fn unit_variant(self) -> Result<(), SerdeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(invalid(self.whole, "a unit variant (an atom)"))
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, SerdeError> {
        match self.rest {
            [term] => seed.deserialize(TermDeserializer { term }),
            _ => Err(invalid(self.whole, "a 2-tuple {variant, value}")),
        }
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, SerdeError> {
        if self.rest.len() == len {
            v.visit_seq(Seq {
                items: self.rest.iter(),
            })
        } else {
            Err(invalid(self.whole, &format!("a {}-tuple", len + 1)))
        }
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, SerdeError> {
        match self.rest {
            [term] => {
                de::Deserializer::deserialize_struct(TermDeserializer { term }, "", fields, v)
            }
            _ => Err(invalid(self.whole, "a 2-tuple {variant, map}")),
        }
    }
}
