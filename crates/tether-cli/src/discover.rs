//! `tether node --discover STRATEGY:ARGS`: the strategies of [`tether::cluster`]
//! written on the command line.
//!
//! | argument | strategy |
//! |---|---|
//! | `epmd:a@h1,b@h2` | [`Epmd`]: these nodes |
//! | `local-epmd` | [`LocalEpmd`]: every node in this host's EPMD |
//! | `dns:basename@query.name` | [`DnsPoll`]: `basename@IP` per A record of `query.name` |
//! | `dns-srv:basename@_svc._tcp.name` | [`DnsSrv`]: `basename@target` per SRV record |
//! | `gossip` or `gossip:KEY=VALUE,...` | [`Gossip`]: libcluster's multicast gossip; keys `port`, `if_addr`, `multicast_addr`, `multicast_ttl`, `secret`, `heartbeat_ms` |
//!
//! A gossip secret on the command line is visible to other users of the host
//! (`ps`); `secret_env=VAR` reads it from the environment variable `VAR` instead.
//!
//! The DNS strategies ask `--dns-server IP:PORT` if given, else the first
//! `nameserver` of `/etc/resolv.conf`.

use std::net::SocketAddr;
use std::sync::Arc;

use std::time::Duration;

use tether::cluster::{DnsPoll, DnsSrv, Epmd, Gossip, GossipConfig, LocalEpmd, Resolver, Strategy};

/// A parsed `--discover` argument: a strategy, or gossip to start once the node is up
/// (it announces the node's name).
pub enum Discovery {
    /// A strategy ready to poll.
    Strategy(Arc<dyn Strategy>),
    /// Multicast gossip, started by [`Discovery::start`].
    Gossip(GossipConfig),
}

impl Discovery {
    /// The strategy, starting gossip on the running node.
    pub async fn start(self) -> Result<Arc<dyn Strategy>, String> {
        match self {
            Discovery::Strategy(s) => Ok(s),
            Discovery::Gossip(c) => Ok(Arc::new(
                Gossip::start(c).await.map_err(|e| format!("gossip: {e}"))?,
            )),
        }
    }

    /// The strategy's description, for logs (`gossip` for gossip not started yet).
    pub fn describe(&self) -> String {
        match self {
            Discovery::Strategy(s) => s.describe(),
            Discovery::Gossip(_) => "gossip".into(),
        }
    }
}

/// Parses one `--discover` argument; `dns_server` overrides the system resolver.
///
/// ```
/// use tether_cli::discover::parse;
/// assert_eq!(parse("epmd:a@h1,b@h2", None).unwrap().describe(), "epmd:a@h1,b@h2");
/// let dns = Some("127.0.0.1:53".parse().unwrap());
/// assert_eq!(parse("dns:app@app.default.svc", dns).unwrap().describe(), "dns:app@app.default.svc");
/// assert_eq!(parse("gossip:secret=s3cret,port=45892", None).unwrap().describe(), "gossip");
/// assert!(parse("gossip:colour=blue", None).is_err());
/// ```
pub fn parse(spec: &str, dns_server: Option<SocketAddr>) -> Result<Discovery, String> {
    let (kind, args) = spec.split_once(':').unwrap_or((spec, ""));
    if kind == "gossip" {
        return gossip(args);
    }
    strategy(kind, args, spec, dns_server).map(Discovery::Strategy)
}

fn gossip(args: &str) -> Result<Discovery, String> {
    let mut c = GossipConfig::new();
    for kv in args.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("gossip: expected KEY=VALUE, got {kv:?}"))?;
        let bad = |e: &dyn std::fmt::Display| format!("gossip: bad {k} {v:?}: {e}");
        c = match k {
            "port" => c.port(v.parse().map_err(|e| bad(&e))?),
            "if_addr" => c.if_addr(v.parse().map_err(|e| bad(&e))?),
            "multicast_addr" => c.multicast_addr(v.parse().map_err(|e| bad(&e))?),
            "multicast_ttl" => c.multicast_ttl(v.parse().map_err(|e| bad(&e))?),
            "secret" => c.secret(v),
            "secret_env" => c.secret(std::env::var(v).map_err(|e| bad(&e))?),
            "heartbeat_ms" => {
                c.heartbeat_interval(Duration::from_millis(v.parse().map_err(|e| bad(&e))?))
            }
            _ => return Err(format!("gossip: unknown key {k:?}")),
        };
    }
    Ok(Discovery::Gossip(c))
}

/// The polled strategies.
fn strategy(
    kind: &str,
    args: &str,
    spec: &str,
    dns_server: Option<SocketAddr>,
) -> Result<Arc<dyn Strategy>, String> {
    let resolver = || {
        dns_server
            .map(Resolver::new)
            .unwrap_or_else(Resolver::system)
    };
    let base_and_query = |what: &str| {
        args.split_once('@')
            .filter(|(b, q)| !b.is_empty() && !q.is_empty())
            .ok_or_else(|| format!("{what} needs basename@name, got {args:?}"))
    };
    match kind {
        "epmd" => {
            let nodes: Vec<&str> = args
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect();
            if nodes.is_empty() {
                return Err("epmd: needs a list of nodes, e.g. epmd:a@h1,b@h2".into());
            }
            Ok(Arc::new(
                Epmd::new(nodes).map_err(|e| format!("epmd: {e}"))?,
            ))
        }
        "local-epmd" if args.is_empty() => Ok(Arc::new(LocalEpmd::new())),
        "dns" => {
            let (base, query) = base_and_query("dns:")?;
            Ok(Arc::new(DnsPoll::new(base, query).resolver(resolver())))
        }
        "dns-srv" => {
            let (base, query) = base_and_query("dns-srv:")?;
            Ok(Arc::new(DnsSrv::new(base, query).resolver(resolver())))
        }
        _ => Err(format!(
            "unknown discovery {spec:?}: use epmd:NODES, local-epmd, dns:BASE@NAME, dns-srv:BASE@NAME or gossip[:KEY=VALUE,...]"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn every_strategy_parses_and_bad_ones_say_why() {
        assert_eq!(parse("local-epmd", None).unwrap().describe(), "local-epmd");
        assert_eq!(
            parse("dns-srv:app@_erlang._tcp.app.svc", None)
                .unwrap()
                .describe(),
            "dns-srv:app@_erlang._tcp.app.svc"
        );
        for bad in [
            "epmd:",
            "epmd:nohost",
            "dns:nobase",
            "dns:@x",
            "dns-srv:a@",
            "local-epmd:x",
            "",
        ] {
            assert!(parse(bad, None).is_err(), "{bad}");
        }
    }
}
