//! The registrar: runs registrations one at a time under the cluster-wide `global`
//! lock (OTP's `trans_all_known/1`).
//!
//! It locks `{global, Self}` on the boss (the greatest node) first, then on every
//! known node and itself, retrying with random back-off while a join or another
//! registrar holds the lock, and checks that no node became known meanwhile. Under
//! the lock it multi-calls `{register, Name, Pid, Method}` or `{unregister, Name}` on
//! every name server (which accept it only from the lock holder), then releases the
//! lock, the boss last.

use tether_term::{Node, Pid, Term};
use tokio::sync::oneshot;

use super::multi::{del_lock, delete_global_lock, multi_call, random_sleep, set_lock_on_nodes};
use super::server::GnsMsg;
use super::{GNS, the_boss};

/// A registration job.
pub(crate) enum Job {
    /// `register_name`: `yes` only if the name is free and the pid has no name.
    Register {
        name: Term,
        pid: Pid,
        method: Term,
        reply: oneshot::Sender<bool>,
    },
    /// `re_register_name`: always registers.
    ReRegister {
        name: Term,
        pid: Pid,
        method: Term,
        reply: oneshot::Sender<bool>,
    },
    /// `unregister_name`.
    Unregister {
        name: Term,
        reply: oneshot::Sender<()>,
    },
}

async fn get_known() -> Vec<Node> {
    let (tx, rx) = oneshot::channel();
    let _ = crate::send(GNS, GnsMsg::GetKnown(tx));
    rx.await.unwrap_or_default()
}

/// The registrar's body.
pub(crate) async fn run() {
    loop {
        let job: Job = crate::receive().await;
        let id = Term::tuple([Term::atom("global"), Term::Pid(crate::self_pid())]);
        let nodes = set_lock_known(&id).await;
        match job {
            Job::Register {
                name,
                pid,
                method,
                reply,
            } => {
                let ok = super::whereis_name(&name).is_none() && check_dupname(&name, pid);
                if ok {
                    multi_call(&nodes, register_req(&name, pid, &method)).await;
                }
                let _ = reply.send(ok);
            }
            Job::ReRegister {
                name,
                pid,
                method,
                reply,
            } => {
                multi_call(&nodes, register_req(&name, pid, &method)).await;
                let _ = reply.send(true);
            }
            Job::Unregister { name, reply } => {
                if super::whereis_name(&name).is_some()
                    || super::table::read(|t| t.name(&name).is_some())
                {
                    multi_call(&nodes, Term::tuple([Term::atom("unregister"), name])).await;
                }
                let _ = reply.send(());
            }
        }
        delete_global_lock(&id, &nodes).await;
    }
}

fn register_req(name: &Term, pid: Pid, method: &Term) -> Term {
    Term::tuple([
        Term::atom("register"),
        name.clone(),
        Term::Pid(pid),
        method.clone(),
    ])
}

/// OTP's default `global_multi_name_action`: a pid gets one name.
fn check_dupname(name: &Term, pid: Pid) -> bool {
    let names = super::table::read(|t| t.names_of(pid));
    if names.is_empty() {
        return true;
    }
    crate::runtime::logger::report_error!(%pid, %name, ?names, "global: pid registered under several names");
    false
}

async fn set_lock_known(id: &Term) -> Vec<Node> {
    let mut times = 0;
    loop {
        let known = get_known().await;
        let mut nodes = vec![Node::local()];
        nodes.extend(known.iter().copied());
        let boss = the_boss(&nodes).unwrap_or_else(Node::local);
        if set_lock_on_nodes(id, &[boss]).await {
            if set_lock_on_nodes(id, &nodes).await
                && get_known().await.iter().all(|n| known.contains(n))
            {
                return nodes;
            }
            del_lock(id, &[boss]).await;
        }
        random_sleep(times).await;
        times += 1;
    }
}
