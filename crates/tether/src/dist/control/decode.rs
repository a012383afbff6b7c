//! Reading control tuples: one arm per opcode, every field's shape checked.

use tether_term::{Atom, Pid, Reference, Term};

use super::{BadControl, Control, ProcRef};

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
        let op = items
            .first()
            .and_then(Term::as_i64)
            .ok_or_else(|| BadControl("control tuple does not start with an opcode".to_string()))?;
        let arity = items.len();
        let f = |i: usize| &items[i];
        let want = |n: usize| -> Result<(), BadControl> {
            if arity == n {
                Ok(())
            } else {
                bad(format!("opcode {op} with {arity} elements"))
            }
        };
        let need_payload = |p: Option<Term>| -> Result<Term, BadControl> {
            p.ok_or_else(|| BadControl(format!("opcode {op} without its payload")))
        };
        let no_payload = |p: &Option<Term>| -> Result<(), BadControl> {
            if p.is_some() {
                bad(format!("opcode {op} with an unexpected payload"))
            } else {
                Ok(())
            }
        };
        let c = match op {
            1 => {
                want(3)?;
                no_payload(&payload)?;
                Control::Link {
                    from: pid(f(1), "LINK from")?,
                    to: pid(f(2), "LINK to")?,
                }
            }
            2 | 12 => {
                want(if op == 2 { 3 } else { 4 })?;
                Control::Send {
                    from: None,
                    to: pid(f(2), "SEND to")?,
                    msg: need_payload(payload)?,
                }
            }
            22 | 23 => {
                want(if op == 22 { 3 } else { 4 })?;
                Control::Send {
                    from: Some(pid(f(1), "SEND_SENDER from")?),
                    to: pid(f(2), "SEND_SENDER to")?,
                    msg: need_payload(payload)?,
                }
            }
            6 | 16 => {
                want(if op == 6 { 4 } else { 5 })?;
                Control::RegSend {
                    from: pid(f(1), "REG_SEND from")?,
                    to: atom(f(3), "REG_SEND name")?,
                    msg: need_payload(payload)?,
                }
            }
            33 | 34 => {
                want(if op == 33 { 3 } else { 4 })?;
                Control::AliasSend {
                    from: pid(f(1), "ALIAS_SEND from")?,
                    alias: reference(f(2), "ALIAS_SEND alias")?,
                    msg: need_payload(payload)?,
                }
            }
            3 | 13 | 8 | 18 => {
                want(if op == 3 || op == 8 { 4 } else { 5 })?;
                no_payload(&payload)?;
                let (from, to) = (pid(f(1), "EXIT from")?, pid(f(2), "EXIT to")?);
                let reason = f(arity - 1).clone();
                if op == 3 || op == 13 {
                    Control::Exit { from, to, reason }
                } else {
                    Control::Exit2 { from, to, reason }
                }
            }
            24..=27 => {
                want(if op % 2 == 0 { 3 } else { 4 })?;
                let (from, to) = (pid(f(1), "EXIT from")?, pid(f(2), "EXIT to")?);
                let reason = need_payload(payload)?;
                if op < 26 {
                    Control::Exit { from, to, reason }
                } else {
                    Control::Exit2 { from, to, reason }
                }
            }
            4 => {
                want(3)?;
                no_payload(&payload)?;
                Control::Unlink {
                    from: pid(f(1), "UNLINK from")?,
                    to: pid(f(2), "UNLINK to")?,
                }
            }
            35 | 36 => {
                want(4)?;
                no_payload(&payload)?;
                let (id, from, to) = (unlink_id(f(1))?, pid(f(2), "from")?, pid(f(3), "to")?);
                if op == 35 {
                    Control::UnlinkId { id, from, to }
                } else {
                    Control::UnlinkIdAck { id, from, to }
                }
            }
            19 | 20 => {
                want(4)?;
                no_payload(&payload)?;
                let from = pid(f(1), "MONITOR_P from")?;
                let to = proc_ref(f(2), "MONITOR_P target")?;
                let reference = reference(f(3), "MONITOR_P ref")?;
                if op == 19 {
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
            21 | 28 => {
                let reason = if op == 21 {
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
            7 => {
                want(3)?;
                Control::GroupLeader {
                    from: pid(f(1), "GROUP_LEADER from")?,
                    to: pid(f(2), "to")?,
                }
            }
            29 | 30 => {
                want(if op == 29 { 6 } else { 7 })?;
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
            31 | 32 => {
                want(if op == 31 { 5 } else { 6 })?;
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
            5 => Control::NodeLink,
            _ => return bad(format!("unknown opcode {op}")),
        };
        Ok(c)
    }
}
