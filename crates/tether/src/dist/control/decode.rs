//! Reading control tuples: one arm per opcode, every field's shape checked.

use tether_term::{Atom, Pid, Reference, Term};

use super::{BadControl, Control, ProcRef, op};

/// The elements of one control tuple, read field by field; a field of the wrong
/// shape is a [`BadControl::Field`] naming the opcode and the field.
struct Fields<'a> {
    code: u8,
    items: &'a [Term],
}

impl Fields<'_> {
    fn bad<T>(
        &self,
        i: usize,
        field: &'static str,
        expected: &'static str,
    ) -> Result<T, BadControl> {
        Err(BadControl::Field {
            op: self.code,
            field,
            expected,
            value: self.items[i].clone(),
        })
    }

    fn pid(&self, i: usize, field: &'static str) -> Result<Pid, BadControl> {
        match self.items[i].as_pid() {
            Some(p) => Ok(p),
            None => self.bad(i, field, "a pid"),
        }
    }

    fn reference(&self, i: usize, field: &'static str) -> Result<Reference, BadControl> {
        match self.items[i].as_ref() {
            Some(r) => Ok(*r),
            None => self.bad(i, field, "a reference"),
        }
    }

    fn proc_ref(&self, i: usize, field: &'static str) -> Result<ProcRef, BadControl> {
        match &self.items[i] {
            Term::Pid(p) => Ok(ProcRef::Pid(*p)),
            Term::Atom(a) => Ok(ProcRef::Name(a.clone())),
            _ => self.bad(i, field, "a pid or a name"),
        }
    }

    fn atom(&self, i: usize, field: &'static str) -> Result<Atom, BadControl> {
        match &self.items[i] {
            Term::Atom(a) => Ok(a.clone()),
            _ => self.bad(i, field, "an atom"),
        }
    }

    fn u32(&self, i: usize, field: &'static str) -> Result<u32, BadControl> {
        match self.items[i].as_i64().and_then(|v| u32::try_from(v).ok()) {
            Some(v) => Ok(v),
            None => self.bad(i, field, "a 32-bit unsigned integer"),
        }
    }

    fn unlink_id(&self, i: usize) -> Result<u64, BadControl> {
        let id = match &self.items[i] {
            Term::Int(i) if *i > 0 => Some(*i as u64),
            Term::BigInt(b) => b
                .to_u128()
                .and_then(|v| u64::try_from(v).ok())
                .filter(|v| *v > 0),
            _ => None,
        };
        match id {
            Some(id) => Ok(id),
            None => self.bad(i, "id", "a positive 64-bit integer"),
        }
    }
}

impl Control {
    /// Reads a control tuple and the payload that followed it (if any).
    pub fn decode(ctrl: Term, payload: Option<Term>) -> Result<Control, BadControl> {
        let Term::Tuple(items) = ctrl else {
            return Err(BadControl::NotATuple(ctrl));
        };
        Control::from_elements(&items, payload)
    }

    /// [`Control::decode`] of a control tuple given as its elements (the connection's
    /// reader decodes them into a buffer it reuses: no tuple is built).
    pub(crate) fn from_elements(
        items: &[Term],
        payload: Option<Term>,
    ) -> Result<Control, BadControl> {
        let code = items
            .first()
            .and_then(Term::as_i64)
            .ok_or(BadControl::NoOpcode)?;
        let code = u8::try_from(code).map_err(|_| BadControl::UnknownOpcode(code))?;
        let arity = items.len();
        let f = |i: usize| &items[i];
        let fields = Fields { code, items };
        let want = |n: usize| -> Result<(), BadControl> {
            if arity == n {
                Ok(())
            } else {
                Err(BadControl::Arity { op: code, arity })
            }
        };
        // The seq-trace forms have the token as one more element.
        let want_tt = |plain: u8, n: usize| want(if code == plain { n } else { n + 1 });
        let need_payload = |p: Option<Term>| -> Result<Term, BadControl> {
            p.ok_or(BadControl::MissingPayload(code))
        };
        let no_payload = |p: &Option<Term>| -> Result<(), BadControl> {
            if p.is_some() {
                Err(BadControl::UnexpectedPayload(code))
            } else {
                Ok(())
            }
        };
        let c = match code {
            op::LINK => {
                want(3)?;
                no_payload(&payload)?;
                Control::Link {
                    from: fields.pid(1, "from")?,
                    to: fields.pid(2, "to")?,
                }
            }
            op::SEND | op::SEND_TT => {
                want_tt(op::SEND, 3)?;
                Control::Send {
                    from: None,
                    to: fields.pid(2, "to")?,
                    msg: need_payload(payload)?,
                }
            }
            op::SEND_SENDER | op::SEND_SENDER_TT => {
                want_tt(op::SEND_SENDER, 3)?;
                Control::Send {
                    from: Some(fields.pid(1, "from")?),
                    to: fields.pid(2, "to")?,
                    msg: need_payload(payload)?,
                }
            }
            op::REG_SEND | op::REG_SEND_TT => {
                want_tt(op::REG_SEND, 4)?;
                Control::RegSend {
                    from: fields.pid(1, "from")?,
                    to: fields.atom(3, "name")?,
                    msg: need_payload(payload)?,
                }
            }
            op::ALIAS_SEND | op::ALIAS_SEND_TT => {
                want_tt(op::ALIAS_SEND, 3)?;
                Control::AliasSend {
                    from: fields.pid(1, "from")?,
                    alias: fields.reference(2, "alias")?,
                    msg: need_payload(payload)?,
                }
            }
            op::EXIT | op::EXIT_TT | op::EXIT2 | op::EXIT2_TT => {
                want(if matches!(code, op::EXIT | op::EXIT2) {
                    4
                } else {
                    5
                })?;
                no_payload(&payload)?;
                let (from, to) = (fields.pid(1, "from")?, fields.pid(2, "to")?);
                let reason = f(arity - 1).clone();
                if matches!(code, op::EXIT | op::EXIT_TT) {
                    Control::Exit { from, to, reason }
                } else {
                    Control::Exit2 { from, to, reason }
                }
            }
            op::PAYLOAD_EXIT | op::PAYLOAD_EXIT_TT | op::PAYLOAD_EXIT2 | op::PAYLOAD_EXIT2_TT => {
                want(if matches!(code, op::PAYLOAD_EXIT | op::PAYLOAD_EXIT2) {
                    3
                } else {
                    4
                })?;
                let (from, to) = (fields.pid(1, "from")?, fields.pid(2, "to")?);
                let reason = need_payload(payload)?;
                if matches!(code, op::PAYLOAD_EXIT | op::PAYLOAD_EXIT_TT) {
                    Control::Exit { from, to, reason }
                } else {
                    Control::Exit2 { from, to, reason }
                }
            }
            op::UNLINK => {
                want(3)?;
                no_payload(&payload)?;
                Control::Unlink {
                    from: fields.pid(1, "from")?,
                    to: fields.pid(2, "to")?,
                }
            }
            op::UNLINK_ID | op::UNLINK_ID_ACK => {
                want(4)?;
                no_payload(&payload)?;
                let (id, from, to) = (
                    fields.unlink_id(1)?,
                    fields.pid(2, "from")?,
                    fields.pid(3, "to")?,
                );
                if code == op::UNLINK_ID {
                    Control::UnlinkId { id, from, to }
                } else {
                    Control::UnlinkIdAck { id, from, to }
                }
            }
            op::MONITOR_P | op::DEMONITOR_P => {
                want(4)?;
                no_payload(&payload)?;
                let from = fields.pid(1, "from")?;
                let to = fields.proc_ref(2, "target")?;
                let reference = fields.reference(3, "ref")?;
                if code == op::MONITOR_P {
                    Control::MonitorP {
                        from,
                        to,
                        reference,
                    }
                } else {
                    Control::DemonitorP {
                        from,
                        to,
                        reference,
                    }
                }
            }
            op::MONITOR_P_EXIT | op::PAYLOAD_MONITOR_P_EXIT => {
                let reason = if code == op::MONITOR_P_EXIT {
                    want(5)?;
                    no_payload(&payload)?;
                    f(4).clone()
                } else {
                    want(4)?;
                    need_payload(payload)?
                };
                Control::MonitorPExit {
                    from: fields.proc_ref(1, "from")?,
                    to: fields.pid(2, "to")?,
                    reference: fields.reference(3, "ref")?,
                    reason,
                }
            }
            op::GROUP_LEADER => {
                want(3)?;
                Control::GroupLeader {
                    from: fields.pid(1, "from")?,
                    to: fields.pid(2, "to")?,
                }
            }
            op::SPAWN_REQUEST | op::SPAWN_REQUEST_TT => {
                want_tt(op::SPAWN_REQUEST, 6)?;
                let Some(mfa) = f(4).as_tuple().filter(|t| t.len() == 3) else {
                    return fields.bad(4, "mfa", "{M, F, A}");
                };
                let mfa = Fields { code, items: mfa };
                Control::SpawnRequest {
                    req_id: fields.reference(1, "id")?,
                    from: fields.pid(2, "from")?,
                    group_leader: fields.pid(3, "group leader")?,
                    module: mfa.atom(0, "module")?,
                    function: mfa.atom(1, "function")?,
                    arity: mfa.u32(2, "arity")?,
                    opts: f(5).clone(),
                    args: need_payload(payload)?,
                }
            }
            op::SPAWN_REPLY | op::SPAWN_REPLY_TT => {
                want_tt(op::SPAWN_REPLY, 5)?;
                no_payload(&payload)?;
                Control::SpawnReply {
                    req_id: fields.reference(1, "id")?,
                    to: fields.pid(2, "to")?,
                    flags: fields.u32(3, "flags")?,
                    result: f(4).clone(),
                }
            }
            op::NODE_LINK => Control::NodeLink,
            _ => return Err(BadControl::UnknownOpcode(code.into())),
        };
        Ok(c)
    }
}
