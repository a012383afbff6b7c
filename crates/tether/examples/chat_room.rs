//! A chat room shared by a Tether node and an Elixir node.
//!
//! ```text
//! cargo run -p tether --example chat_room            # the node chat@HOST, with the room
//! iex --sname me                                     # same ~/.erlang.cookie
//! iex> GenServer.call({:chat_room, :"chat@HOST"}, {:join, "ann"})   # :ok
//! iex> flush()                                       # {:said, "ferris", "welcome, ann!"}
//! iex> GenServer.call({:chat_room, :"chat@HOST"}, {:say, "hi all"}) # :ok
//! iex> flush()                                       # {:said, "ann", "hi all"}, {:said, "ferris", "you said: hi all"}
//! iex> GenServer.call({:chat_room, :"chat@HOST"}, :history)
//! ```
//!
//! The room is a GenServer registered as `chat_room`. Members join with a name
//! (`{join, Name}`); the room monitors each member, wherever it runs, and sends every
//! member each event as a term: `{joined, Name}`, `{said, Name, Text}`, `{left, Name}`.
//! A member that exits or whose node goes down (a monitor's `noconnection`) has left.
//! Requests, replies and events are serde types, so Elixir code writes and reads them
//! as ordinary tuples, atoms and strings; a request the room does not understand gets
//! `{error, {bad_request, Request}}` and the room goes on.
//!
//! `ferris` is a member written in Rust, on the room's node: it welcomes whoever joins
//! and answers what others say.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tether::otp::gen_server::{
    self, CallResult, CastResult, GenServer, Init, ReplyTo, StartOpts, Timeout,
};
use tether::{Down, Message, Pid, Reference, Term};

/// The room's registered name.
pub const ROOM: &str = "chat_room";

/// What members ask the room: `{join, Name}`, `{say, Text}`, `members`, `history`.
#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Join under a name (the caller is the member).
    Join(String),
    /// Say something to everyone (the caller must have joined).
    Say(String),
    /// The members' names.
    Members,
    /// Everything that happened in the room, oldest first.
    History,
}

/// The room's answers: `ok`, `{error, Problem}`, `{members, Names}`, `{history, Lines}`.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// Done.
    Ok,
    /// Refused.
    Error(Problem),
    /// The members' names, sorted.
    Members(Vec<String>),
    /// The room's history.
    History(Vec<String>),
}

/// Why a request was refused.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Another member has this name.
    NameTaken,
    /// The caller has already joined.
    AlreadyJoined,
    /// The caller has not joined.
    NotAMember,
}

/// What the room sends every member: `{joined, Name}`, `{said, Name, Text}`, `{left, Name}`.
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Someone joined.
    Joined(String),
    /// Someone said something.
    Said(String, String),
    /// Someone left (or their node went away).
    Left(String),
}

/// The room: its members (by pid: name and monitor) and its history.
pub struct Room {
    members: HashMap<Pid, (String, Reference)>,
    history: Vec<String>,
}

impl Room {
    fn broadcast(&mut self, event: Event) {
        self.history.push(match &event {
            Event::Joined(name) => format!("{name} joined"),
            Event::Said(name, text) => format!("{name}: {text}"),
            Event::Left(name) => format!("{name} left"),
        });
        let term = tether::to_term(&event).expect("events are terms");
        for pid in self.members.keys() {
            // To a pid, a send never fails; a member that is gone is dropped on its Down.
            let _ = tether::send(*pid, term.clone());
        }
    }
}

impl GenServer for Room {
    type Args = ();
    type Call = Request;
    type Cast = ();
    type Reply = Reply;
    type Continue = ();

    async fn init((): ()) -> Init<Self> {
        Init::ok(Room {
            members: HashMap::new(),
            history: Vec::new(),
        })
    }

    async fn handle_call(&mut self, req: Request, from: &ReplyTo<Reply>) -> CallResult<Self> {
        let caller = from.caller();
        let reply = match req {
            Request::Join(_) if self.members.contains_key(&caller) => {
                Reply::Error(Problem::AlreadyJoined)
            }
            Request::Join(name) if self.members.values().any(|(n, _)| *n == name) => {
                Reply::Error(Problem::NameTaken)
            }
            Request::Join(name) => {
                let monitor = tether::monitor(caller);
                self.members.insert(caller, (name.clone(), monitor));
                self.broadcast(Event::Joined(name));
                Reply::Ok
            }
            Request::Say(text) => match self.members.get(&caller) {
                Some((name, _)) => {
                    let name = name.clone();
                    self.broadcast(Event::Said(name, text));
                    Reply::Ok
                }
                None => Reply::Error(Problem::NotAMember),
            },
            Request::Members => {
                let mut names: Vec<String> =
                    self.members.values().map(|(n, _)| n.clone()).collect();
                names.sort();
                Reply::Members(names)
            }
            Request::History => Reply::History(self.history.clone()),
        };
        CallResult::reply(reply)
    }

    async fn handle_info(&mut self, message: Message) -> CastResult<Self> {
        if let Ok(down) = message.downcast::<Down>() {
            let gone = self
                .members
                .iter()
                .find(|(_, (_, r))| *r == down.reference)
                .map(|(pid, _)| *pid);
            if let Some(pid) = gone {
                let (name, _) = self.members.remove(&pid).expect("found above");
                self.broadcast(Event::Left(name));
            }
        }
        CastResult::noreply()
    }

    tether::serde_wire!();
}

/// Starts the room, registered as [`ROOM`].
pub async fn start_room() -> gen_server::Server<Room> {
    gen_server::start_link::<Room>((), StartOpts::new().name(ROOM))
        .await
        .expect("the room starts")
}

/// Asks the room on this node.
pub async fn ask(req: Request) -> Reply {
    gen_server::call::<Room>(ROOM, req, Timeout::DEFAULT)
        .await
        .expect("the room answers")
}

/// Spawns `ferris`, a member in Rust: it joins, welcomes whoever joins after it, and
/// answers what others say. It prints what it sees.
pub async fn spawn_ferris() -> Pid {
    let me = tether::self_pid();
    let ferris = tether::spawn(async move {
        assert_eq!(ask(Request::Join("ferris".into())).await, Reply::Ok);
        tether::send(me, "ferris joined").unwrap();
        loop {
            // Events arrive as terms, as they would at an Elixir member.
            let term: Term = tether::receive().await;
            let Ok(event) = tether::from_term::<Event>(term.clone()) else {
                println!("[ferris] ignores {term}");
                continue;
            };
            println!("[ferris] sees {event:?}");
            let answer = match event {
                Event::Joined(name) if name != "ferris" => format!("welcome, {name}!"),
                Event::Said(name, text) if name != "ferris" => format!("you said: {text}"),
                _ => continue,
            };
            assert_eq!(ask(Request::Say(answer)).await, Reply::Ok);
        }
    });
    let _: &str = tether::receive().await;
    ferris
}

#[allow(dead_code)] // the example's test includes this file and calls its functions
fn main() -> tether::Stopped {
    use tether::dist::{self, NodeConfig};
    let name = std::env::var("CHAT_NODE").unwrap_or_else(|_| "chat".into());
    tether::Runtime::new().expect("runtime").run(async move {
        let node = dist::start(NodeConfig::new(name)).await?;
        let room = start_room().await;
        spawn_ferris().await;
        println!(
            "node {} up; from iex: GenServer.call({{:{ROOM}, :\"{}\"}}, {{:join, \"ann\"}})",
            node.name(),
            node.name()
        );
        Ok::<_, tether::ExitReason>(room.pid())
    })
}
