//! The operation codes of control messages: the first element of every control tuple
//! (docs/distribution.md §4.1; erts `dist.h`, `DOP_*`).
//!
//! This is the one list of them: the encoder ([`Control::encode_parts`] and the
//! message fast path of the frame writer), the decoder ([`Control::decode`]) and the
//! tests all name opcodes through these constants. The `_TT` forms carry a
//! seq-trace token; Tether reads them (dropping the token) and never sends them.
//!
//! ```
//! use tether::dist::control::op;
//! use tether::{Term, dist::control::Control};
//! let link = Term::tuple([Term::from(op::LINK), Term::atom("not_a_pid"), Term::atom("x")]);
//! assert!(Control::decode(link, None).is_err());
//! assert_eq!(op::name(op::ALIAS_SEND), Some("ALIAS_SEND"));
//! assert_eq!(op::name(99), None);
//! ```
//!
//! [`Control::encode_parts`]: super::Control::encode_parts
//! [`Control::decode`]: super::Control::decode

/// `{1, FromPid, ToPid}`
pub const LINK: u8 = 1;
/// `{2, Unused, ToPid}`, then the message.
pub const SEND: u8 = 2;
/// `{3, FromPid, ToPid, Reason}`: a linked process ended.
pub const EXIT: u8 = 3;
/// `{4, FromPid, ToPid}` (obsolete since `UNLINK_ID`).
pub const UNLINK: u8 = 4;
/// `{5}` (obsolete).
pub const NODE_LINK: u8 = 5;
/// `{6, FromPid, Unused, ToName}`, then the message.
pub const REG_SEND: u8 = 6;
/// `{7, FromPid, ToPid}`
pub const GROUP_LEADER: u8 = 7;
/// `{8, FromPid, ToPid, Reason}`: `exit/2`.
pub const EXIT2: u8 = 8;
/// `SEND` with a trace token.
pub const SEND_TT: u8 = 12;
/// `EXIT` with a trace token.
pub const EXIT_TT: u8 = 13;
/// `REG_SEND` with a trace token.
pub const REG_SEND_TT: u8 = 16;
/// `EXIT2` with a trace token.
pub const EXIT2_TT: u8 = 18;
/// `{19, FromPid, ToProc, Ref}`
pub const MONITOR_P: u8 = 19;
/// `{20, FromPid, ToProc, Ref}`
pub const DEMONITOR_P: u8 = 20;
/// `{21, FromProc, ToPid, Ref, Reason}`
pub const MONITOR_P_EXIT: u8 = 21;
/// `{22, FromPid, ToPid}`, then the message.
pub const SEND_SENDER: u8 = 22;
/// `SEND_SENDER` with a trace token.
pub const SEND_SENDER_TT: u8 = 23;
/// `{24, FromPid, ToPid}`, then the reason.
pub const PAYLOAD_EXIT: u8 = 24;
/// `PAYLOAD_EXIT` with a trace token.
pub const PAYLOAD_EXIT_TT: u8 = 25;
/// `{26, FromPid, ToPid}`, then the reason.
pub const PAYLOAD_EXIT2: u8 = 26;
/// `PAYLOAD_EXIT2` with a trace token.
pub const PAYLOAD_EXIT2_TT: u8 = 27;
/// `{28, FromProc, ToPid, Ref}`, then the reason.
pub const PAYLOAD_MONITOR_P_EXIT: u8 = 28;
/// `{29, ReqId, From, GroupLeader, {M, F, A}, OptList}`, then the argument list.
pub const SPAWN_REQUEST: u8 = 29;
/// `SPAWN_REQUEST` with a trace token.
pub const SPAWN_REQUEST_TT: u8 = 30;
/// `{31, ReqId, To, Flags, Result}`
pub const SPAWN_REPLY: u8 = 31;
/// `SPAWN_REPLY` with a trace token.
pub const SPAWN_REPLY_TT: u8 = 32;
/// `{33, FromPid, Alias}`, then the message.
pub const ALIAS_SEND: u8 = 33;
/// `ALIAS_SEND` with a trace token.
pub const ALIAS_SEND_TT: u8 = 34;
/// `{35, Id, FromPid, ToPid}`
pub const UNLINK_ID: u8 = 35;
/// `{36, Id, FromPid, ToPid}`
pub const UNLINK_ID_ACK: u8 = 36;

/// The name of opcode `op` as docs/distribution.md writes it, if it is one.
pub fn name(op: u8) -> Option<&'static str> {
    Some(match op {
        LINK => "LINK",
        SEND => "SEND",
        EXIT => "EXIT",
        UNLINK => "UNLINK",
        NODE_LINK => "NODE_LINK",
        REG_SEND => "REG_SEND",
        GROUP_LEADER => "GROUP_LEADER",
        EXIT2 => "EXIT2",
        SEND_TT => "SEND_TT",
        EXIT_TT => "EXIT_TT",
        REG_SEND_TT => "REG_SEND_TT",
        EXIT2_TT => "EXIT2_TT",
        MONITOR_P => "MONITOR_P",
        DEMONITOR_P => "DEMONITOR_P",
        MONITOR_P_EXIT => "MONITOR_P_EXIT",
        SEND_SENDER => "SEND_SENDER",
        SEND_SENDER_TT => "SEND_SENDER_TT",
        PAYLOAD_EXIT => "PAYLOAD_EXIT",
        PAYLOAD_EXIT_TT => "PAYLOAD_EXIT_TT",
        PAYLOAD_EXIT2 => "PAYLOAD_EXIT2",
        PAYLOAD_EXIT2_TT => "PAYLOAD_EXIT2_TT",
        PAYLOAD_MONITOR_P_EXIT => "PAYLOAD_MONITOR_P_EXIT",
        SPAWN_REQUEST => "SPAWN_REQUEST",
        SPAWN_REQUEST_TT => "SPAWN_REQUEST_TT",
        SPAWN_REPLY => "SPAWN_REPLY",
        SPAWN_REPLY_TT => "SPAWN_REPLY_TT",
        ALIAS_SEND => "ALIAS_SEND",
        ALIAS_SEND_TT => "ALIAS_SEND_TT",
        UNLINK_ID => "UNLINK_ID",
        UNLINK_ID_ACK => "UNLINK_ID_ACK",
        _ => return None,
    })
}
