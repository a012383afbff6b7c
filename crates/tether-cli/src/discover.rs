//! `tether node --discover STRATEGY:ARGS`: the strategies of [`tether::cluster`]
//! written on the command line.
//!
//! | argument | strategy |
//! |---|---|
//! | `epmd:a@h1,b@h2` | [`Epmd`]: these nodes |
//! | `local-epmd` | [`LocalEpmd`]: every node in this host's EPMD |
//! | `dns:basename@query.name` | [`DnsPoll`]: `basename@IP` per A record of `query.name` |
//! | `dns-srv:basename@_svc._tcp.name` | [`DnsSrv`]: `basename@target` per SRV record |
//!
//! The DNS strategies ask `--dns-server IP:PORT` if given, else the first
//! `nameserver` of `/etc/resolv.conf`.

use std::net::SocketAddr;
use std::sync::Arc;

use tether::cluster::{DnsPoll, DnsSrv, Epmd, LocalEpmd, Resolver, Strategy};

/// Parses one `--discover` argument; `dns_server` overrides the system resolver.
///
/// ```
/// let s = tether_cli::discover::parse("epmd:a@h1,b@h2", None).unwrap();
/// assert_eq!(s.describe(), "epmd:a@h1,b@h2");
/// let s = tether_cli::discover::parse("dns:app@app.default.svc", Some("127.0.0.1:53".parse().unwrap())).unwrap();
/// assert_eq!(s.describe(), "dns:app@app.default.svc");
/// assert!(tether_cli::discover::parse("gossip", None).is_err());
/// ```
pub fn parse(spec: &str, dns_server: Option<SocketAddr>) -> Result<Arc<dyn Strategy>, String> {
    let (kind, args) = spec.split_once(':').unwrap_or((spec, ""));
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
            "unknown discovery {spec:?}: use epmd:NODES, local-epmd, dns:BASE@NAME or dns-srv:BASE@NAME"
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
