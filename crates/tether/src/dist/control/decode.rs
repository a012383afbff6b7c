//! Reading control tuples: one arm per opcode, every field's shape checked.

use tether_term::{Atom, Pid, Reference, Term};

use super::{BadControl, Control, ProcRef, op};

fn bad<T>(m: impl Into<String>) -> Result<T, BadControl> {
    Err(BadControl(m.into()))
}

fn pid(t: &Term, what: &str) -> Result<Pid, BadControl> {
    t.as_pid()
        .ok_or_else(|| BadControl(format!("{what} is not a pid: {t}")))
}

fn reference(t: &Term, what: &str) -> Result<Reference, BadControl> {
    t.as_ref()
        .copied()
        .ok_or_else(|| BadControl(format!("{what} is not a reference: {t}")))
}

fn atom(t: &Term, what: &str) -> Result<Atom, BadControl> {
    match t {
        Term::Atom(a) => Ok(a.clone()),
        _ => bad(format!("{what} is not an atom: {t}")),
    }
}

fn proc_ref(t: &Term, what: &str) -> Result<ProcRef, BadControl> {
    match t {
        Term::Pid(p) => Ok(ProcRef::Pid(*p)),
        Term::Atom(a) => Ok(ProcRef::Name(a.clone())),
        _ => bad(format!("{what} is neither a pid nor a name: {t}")),
    }
}

fn unlink_id(t: &Term) -> Result<u64, BadControl> {
    match t {
        Term::Int(i) if *i > 0 => Ok(*i as u64),
        Term::BigInt(b) => b
            .to_u128()
            .and_then(|v| u64::try_from(v).ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| BadControl(format!("unlink id out of range: {t}"))),
        _ => bad(format!("unlink id is not a positive integer: {t}")),
    }
}

impl Control {
    /// Reads a control tuple and the payload that followed it (if any).
    pub fn decode(ctrl: Term, payload: Option<Term>) -> Result<Control, BadControl> {
        let Term::Tuple(items) = ctrl else {
            return bad(format!("control message is not a tuple: {ctrl}"));
        };
        let code = items
            .first()
            .and_then(Term::as_i64)
            .ok_or_else(|| BadControl("control tuple does not start with an opcode".to_string()))?;
        let Ok(code) = u8::try_from(code) else {
            return bad(format!("unknown opcode {code}"));
        };
        let arity = items.len();
        let f = |i: usize| &items[i];
        let want = |n: usize| -> Result<(), BadControl> {
            if arity == n {
                Ok(())
            } else {
                bad(format!("opcode {code} with {arity} elements"))
            }
        };
        // The seq-trace forms have the token as one more element.
        let want_tt = |plain: u8, n: usize| want(if code == plain { n } else { n + 1 });
        let need_payload = |p: Option<Term>| -> Result<Term, BadControl> {
            p.ok_or_else(|| BadControl(format!("opcode {code} without its payload")))
        };
        let no_payload = |p: &Option<Term>| -> Result<(), BadControl> {
            if p.is_some() {
                bad(format!("opcode {code} with an unexpected payload"))
            } else {
                Ok(())
            }
        };
        let c = match code {
            op::LINK => {
                want(3)?;
                no_payload(&payload)?;
                Control::Link {
                    from: pid(f(1), "LINK from")?,
                    to: pid(f(2), "LINK to")?,
                }
            }
            op::SEND | op::SEND_TT => {
                want_tt(op::SEND, 3)?;
                Control::Send {
                    from: None,
                    to: pid(f(2), "SEND to")?,
                    msg: need_payload(payload)?,
                }
            }
            op::SEND_SENDER | op::SEND_SENDER_TT => {
                want_tt(op::SEND_SENDER, 3)?;
                Control::Send {
                    from: Some(pid(f(1), "SEND_SENDER from")?),
                    to: pid(f(2), "SEND_SENDER to")?,
                    msg: need_payload(payload)?,
                }
            }
            op::REG_SEND | op::REG_SEND_TT => {
                want_tt(op::REG_SEND, 4)?;
                Control::RegSend {
                    from: pid(f(1), "REG_SEND from")?,
                    to: atom(f(3), "REG_SEND name")?,
                    msg: need_payload(payload)?,
                }
            }
            op::ALIAS_SEND | op::ALIAS_SEND_TT => {
                want_tt(op::ALIAS_SEND, 3)?;
                Control::AliasSend {
                    from: pid(f(1), "ALIAS_SEND from")?,
                    alias: reference(f(2), "ALIAS_SEND alias")?,
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
                let (from, to) = (pid(f(1), "EXIT from")?, pid(f(2), "EXIT to")?);
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
                let (from, to) = (pid(f(1), "EXIT from")?, pid(f(2), "EXIT to")?);
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
                    from: pid(f(1), "UNLINK from")?,
                    to: pid(f(2), "UNLINK to")?,
                }
            }
            op::UNLINK_ID | op::UNLINK_ID_ACK => {
                want(4)?;
                no_payload(&payload)?;
                let (id, from, to) = (unlink_id(f(1))?, pid(f(2), "from")?, pid(f(3), "to")?);
                if code == op::UNLINK_ID {
                    Control::UnlinkId { id, from, to }
                } else {
                    Control::UnlinkIdAck { id, from, to }
                }
            }
            op::MONITOR_P | op::DEMONITOR_P => {
                want(4)?;
                no_payload(&payload)?;
                let from = pid(f(1), "MONITOR_P from")?;
                let to = proc_ref(f(2), "MONITOR_P target")?;
                let reference = reference(f(3), "MONITOR_P ref")?;
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
                    from: proc_ref(f(1), "MONITOR_P_EXIT from")?,
                    to: pid(f(2), "MONITOR_P_EXIT to")?,
                    reference: reference(f(3), "MONITOR_P_EXIT ref")?,
                    reason,
                }
            }
            op::GROUP_LEADER => {
                want(3)?;
                Control::GroupLeader {
                    from: pid(f(1), "GROUP_LEADER from")?,
                    to: pid(f(2), "to")?,
                }
            }
            op::SPAWN_REQUEST | op::SPAWN_REQUEST_TT => {
                want_tt(op::SPAWN_REQUEST, 6)?;
                let mfa = f(4).as_tuple().filter(|t| t.len() == 3).ok_or_else(|| {
                    BadControl(format!("SPAWN_REQUEST mfa is not {{M, F, A}}: {}", f(4)))
                })?;
                let arity = mfa[2]
                    .as_i64()
                    .and_then(|a| u32::try_from(a).ok())
                    .ok_or_else(|| BadControl("SPAWN_REQUEST arity".into()))?;
                Control::SpawnRequest {
                    req_id: reference(f(1), "SPAWN_REQUEST id")?,
                    from: pid(f(2), "SPAWN_REQUEST from")?,
                    group_leader: pid(f(3), "SPAWN_REQUEST group leader")?,
                    module: atom(&mfa[0], "SPAWN_REQUEST module")?,
                    function: atom(&mfa[1], "SPAWN_REQUEST function")?,
                    arity,
                    opts: f(5).clone(),
                    args: need_payload(payload)?,
                }
            }
            op::SPAWN_REPLY | op::SPAWN_REPLY_TT => {
                want_tt(op::SPAWN_REPLY, 5)?;
                no_payload(&payload)?;
                let flags = f(3)
                    .as_i64()
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(|| BadControl("SPAWN_REPLY flags".into()))?;
                Control::SpawnReply {
                    req_id: reference(f(1), "SPAWN_REPLY id")?,
                    to: pid(f(2), "SPAWN_REPLY to")?,
                    flags,
                    result: f(4).clone(),
                }
            }
            op::NODE_LINK => Control::NodeLink,
            _ => return bad(format!("unknown opcode {code}")),
        };
        Ok(c)
    }
}
