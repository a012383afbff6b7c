//! `Serialize` → [`Term`].

use serde::ser::{self, Serialize};

use super::passthrough::{TERM_NAME, capture};
use super::{SerdeError, name_atom, variant_atom};
use crate::{Atom, Term};

/// Serializes a Rust value into a term (see the [mapping](crate#serde-mapping)).
///
/// ```
/// use serde::Serialize;
/// use tether_term::{to_term, Term};
///
/// #[derive(Serialize)]
/// enum Req { Put(String, u32), Get(String), Stop }
///
/// #[derive(Serialize)]
/// #[serde(rename = "Elixir.MyApp.User")]
/// struct User { name: String, age: u32, email: Option<String> }
///
/// assert_eq!(to_term(&Req::Put("k".into(), 1)).unwrap().to_string(), r#"{put,<<"k">>,1}"#);
/// assert_eq!(to_term(&Req::Stop).unwrap().to_string(), "stop");
/// let u = User { name: "bob".into(), age: 42, email: None };
/// assert_eq!(
///     to_term(&u).unwrap().to_string(),
///     r#"#{'__struct__' => 'Elixir.MyApp.User',age => 42,email => nil,name => <<"bob">>}"#
/// );
/// ```
pub fn to_term<T: Serialize + ?Sized>(value: &T) -> Result<Term, SerdeError> {
    value.serialize(TermSerializer)
}

#[derive(Clone, Copy)]
struct TermSerializer;

fn atom(text: &str) -> Term {
    Term::Atom(Atom::new(text))
}

fn float(v: f64) -> Result<Term, SerdeError> {
    if v.is_finite() {
        Ok(Term::Float(v))
    } else {
        Err(SerdeError::new("Erlang floats must be finite"))
    }
}

impl ser::Serializer for TermSerializer {
    type Ok = Term;
    type Error = SerdeError;
    type SerializeSeq = SeqSer;
    type SerializeTuple = SeqSer;
    type SerializeTupleStruct = SeqSer;
    type SerializeTupleVariant = SeqSer;
    type SerializeMap = MapSer;
    type SerializeStruct = MapSer;
    type SerializeStructVariant = MapSer;

    fn serialize_bool(self, v: bool) -> Result<Term, SerdeError> {
        Ok(Term::from(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Term, SerdeError> {
        Ok(Term::Int(v as i64))
    }
    fn serialize_i16(self, v: i16) -> Result<Term, SerdeError> {
        Ok(Term::Int(v as i64))
    }
    fn serialize_i32(self, v: i32) -> Result<Term, SerdeError> {
        Ok(Term::Int(v as i64))
    }
    fn serialize_i64(self, v: i64) -> Result<Term, SerdeError> {
        Ok(Term::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Term, SerdeError> {
        Ok(Term::from(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Term, SerdeError> {
        Ok(Term::Int(v as i64))
    }
    fn serialize_u16(self, v: u16) -> Result<Term, SerdeError> {
        Ok(Term::Int(v as i64))
    }
    fn serialize_u32(self, v: u32) -> Result<Term, SerdeError> {
        Ok(Term::Int(v as i64))
    }
    fn serialize_u64(self, v: u64) -> Result<Term, SerdeError> {
        Ok(Term::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Term, SerdeError> {
        Ok(Term::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Term, SerdeError> {
        float(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Result<Term, SerdeError> {
        float(v)
    }
    fn serialize_char(self, v: char) -> Result<Term, SerdeError> {
        Ok(Term::Int(v as i64))
    }
    fn serialize_str(self, v: &str) -> Result<Term, SerdeError> {
        Ok(Term::from(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Term, SerdeError> {
        Ok(Term::binary(bytes::Bytes::copy_from_slice(v)))
    }
    fn serialize_none(self) -> Result<Term, SerdeError> {
        Ok(atom("nil"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Term, SerdeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Term, SerdeError> {
        Ok(atom("ok"))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<Term, SerdeError> {
        Ok(atom(&name_atom(name)))
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Term, SerdeError> {
        Ok(atom(&variant_atom(name, variant)))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Term, SerdeError> {
        if name == TERM_NAME {
            return capture(value, self).ok_or_else(|| SerdeError::new("term pass-through failed"));
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Term, SerdeError> {
        Ok(Term::Tuple(vec![
            atom(&variant_atom(name, variant)),
            value.serialize(self)?,
        ]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer, SerdeError> {
        Ok(SeqSer {
            items: Vec::with_capacity(len.unwrap_or(0).min(4096)),
            tuple: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer, SerdeError> {
        Ok(SeqSer {
            items: Vec::with_capacity(len),
            tuple: true,
        })
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqSer, SerdeError> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqSer, SerdeError> {
        let mut items = Vec::with_capacity(len + 1);
        items.push(atom(&variant_atom(name, variant)));
        Ok(SeqSer { items, tuple: true })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapSer, SerdeError> {
        Ok(MapSer::new(len.unwrap_or(0), None, None))
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<MapSer, SerdeError> {
        let module = name.starts_with("Elixir.").then_some(name);
        Ok(MapSer::new(len, module, None))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapSer, SerdeError> {
        Ok(MapSer::new(
            len,
            None,
            Some(atom(&variant_atom(name, variant))),
        ))
    }
    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<Term, SerdeError> {
        Ok(Term::from(value.to_string()))
    }
}

/// Builds tuples and lists.
pub(crate) struct SeqSer {
    items: Vec<Term>,
    tuple: bool,
}

impl SeqSer {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerdeError> {
        self.items.push(v.serialize(TermSerializer)?);
        Ok(())
    }
    fn done(self) -> Result<Term, SerdeError> {
        Ok(if self.tuple {
            Term::Tuple(self.items)
        } else {
            Term::List(self.items)
        })
    }
}

impl ser::SerializeSeq for SeqSer {
    type Ok = Term;
    type Error = SerdeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerdeError> {
        self.push(v)
    }
    fn end(self) -> Result<Term, SerdeError> {
        self.done()
    }
}

impl ser::SerializeTuple for SeqSer {
    type Ok = Term;
    type Error = SerdeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerdeError> {
        self.push(v)
    }
    fn end(self) -> Result<Term, SerdeError> {
        self.done()
    }
}

impl ser::SerializeTupleStruct for SeqSer {
    type Ok = Term;
    type Error = SerdeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerdeError> {
        self.push(v)
    }
    fn end(self) -> Result<Term, SerdeError> {
        self.done()
    }
}

impl ser::SerializeTupleVariant for SeqSer {
    type Ok = Term;
    type Error = SerdeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerdeError> {
        self.push(v)
    }
    fn end(self) -> Result<Term, SerdeError> {
        self.done()
    }
}

/// Builds maps, structs and struct variants.
pub(crate) struct MapSer {
    pairs: Vec<(Term, Term)>,
    key: Option<Term>,
    module: Option<&'static str>,
    variant: Option<Term>,
}

impl MapSer {
    fn new(len: usize, module: Option<&'static str>, variant: Option<Term>) -> MapSer {
        MapSer {
            pairs: Vec::with_capacity(len.min(4096) + 1),
            key: None,
            module,
            variant,
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), SerdeError> {
        self.pairs.push((atom(key), v.serialize(TermSerializer)?));
        Ok(())
    }

    fn done(mut self) -> Result<Term, SerdeError> {
        if let Some(m) = self.module {
            self.pairs.push((atom("__struct__"), atom(m)));
        }
        let map = Term::map(self.pairs);
        Ok(match self.variant {
            Some(tag) => Term::Tuple(vec![tag, map]),
            None => map,
        })
    }
}

impl ser::SerializeMap for MapSer {
    type Ok = Term;
    type Error = SerdeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), SerdeError> {
        self.key = Some(k.serialize(TermSerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerdeError> {
        let k = self
            .key
            .take()
            .ok_or_else(|| SerdeError::new("map value without a key"))?;
        self.pairs.push((k, v.serialize(TermSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Term, SerdeError> {
        self.done()
    }
}

impl ser::SerializeStruct for MapSer {
    type Ok = Term;
    type Error = SerdeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), SerdeError> {
        self.field(key, v)
    }
    fn end(self) -> Result<Term, SerdeError> {
        self.done()
    }
}

impl ser::SerializeStructVariant for MapSer {
    type Ok = Term;
    type Error = SerdeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), SerdeError> {
        self.field(key, v)
    }
    fn end(self) -> Result<Term, SerdeError> {
        self.done()
    }
}
