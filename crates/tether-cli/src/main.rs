//! `tether`: run a Tether node, and talk to Erlang/Elixir/Tether nodes.
//!
//! ```text
//! tether node --name N [--cookie C] [--hidden|--visible] [--epmd embedded|external|none] [--port P]
//!             [--net-ticktime SECS] [--discover STRATEGY:ARGS]... [--dns-server IP:PORT]
//!             [--tls-cert PEM --tls-key PEM --tls-ca PEM]   (also for ping and rpc)
//! tether ping NODE
//! tether rpc NODE MOD FUN '[Args]'          (arguments and result in Erlang syntax)
//! tether names [HOST]
//! tether epmd [--port P]
//! ```
//!
//! `tether node` runs a visible node (it speaks `global` and `pg`) with the demo
//! services (`echo`, `kv` also registered globally as `{kv, Node}` and in pg group
//! `kv`, rpc `tether:ping/0`, `erlang:node/0`, `erlang:whereis/1`,
//! `global:whereis_name/1`, `global:registered_names/0`; see `tether_cli::demo`). `ping` and `rpc`
//! start a hidden, unregistered node of their own to make the call. Logs go to
//! stderr; `RUST_LOG` filters them (default `tether=info`).

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use tether::dist::epmd::{EpmdClient, EpmdServer, epmd_port};
use tether::dist::{self, EpmdMode, NodeConfig};
use tether::{Node, Runtime, Term};

#[derive(Parser)]
#[command(
    name = "tether",
    version,
    about = "Run a Tether node and talk to Erlang, Elixir and Tether nodes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Epmd {
    /// Use the running epmd, or serve one in-process if none runs.
    Embedded,
    /// Use the running epmd; fail if none runs.
    External,
    /// No epmd: listen on --port, reach peers at the same port.
    None,
}

#[derive(clap::Args)]
struct Common {
    /// Cookie (default: $HOME/.erlang.cookie).
    #[arg(long)]
    cookie: Option<String>,
    /// Use long names (name@fully.qualified.host).
    #[arg(long)]
    long_names: bool,
    /// TLS distribution (as OTP's inet_tls_dist): this node's certificate chain (PEM).
    /// Needs --tls-key and --tls-ca; peers must present a certificate the CA signed.
    #[arg(long, value_name = "PEM", requires_all = ["tls_key", "tls_ca"])]
    tls_cert: Option<std::path::PathBuf>,
    /// TLS distribution: this node's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// TLS distribution: the CA certificates peers must chain to (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_ca: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node with the demo services until interrupted.
    Node {
        /// Node name: `name` or `name@host`.
        #[arg(long, default_value = "tether")]
        name: String,
        #[command(flatten)]
        common: Common,
        /// Run hidden: BEAM peers list the node in `nodes(hidden)`, and `global` and `pg`
        /// do not sync with it (the default is visible: the node speaks `global`).
        #[arg(long, conflicts_with = "visible")]
        hidden: bool,
        /// Run visible (the default; kept for scripts that pass it).
        #[arg(long)]
        visible: bool,
        /// How to use EPMD.
        #[arg(long, value_enum, default_value = "embedded")]
        epmd: Epmd,
        /// Listen port (default: any; required with --epmd none).
        #[arg(long)]
        port: Option<u16>,
        /// Listen address.
        #[arg(long, default_value = "0.0.0.0")]
        listen: IpAddr,
        /// `net_ticktime` in seconds, as `erl -kernel net_ticktime SECS`: a peer silent
        /// for about this long is disconnected (ticks go out every quarter of it).
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        net_ticktime: u64,
        /// Find and connect to the cluster's nodes (repeatable): `epmd:a@h1,b@h2`,
        /// `local-epmd`, `dns:basename@query.name` (A records), or
        /// `dns-srv:basename@_svc._tcp.name` (SRV records).
        #[arg(long = "discover", value_name = "STRATEGY:ARGS")]
        discover: Vec<String>,
        /// The DNS server the dns strategies ask (default: /etc/resolv.conf's).
        #[arg(long, value_name = "IP:PORT")]
        dns_server: Option<SocketAddr>,
        /// Seconds between two discovery polls.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
        discover_interval: u64,
    },
    /// Ping a node: prints pong or pang.
    Ping {
        /// The node to ping.
        node: String,
        #[command(flatten)]
        common: Common,
    },
    /// Call a function on a node: `tether rpc beam@host lists reverse '[[1,2,3]]'`.
    Rpc {
        /// The node.
        node: String,
        /// Module.
        module: String,
        /// Function.
        function: String,
        /// The argument list, in Erlang syntax.
        #[arg(default_value = "[]")]
        args: String,
        /// Use erpc (spawn requests) instead of rex.
        #[arg(long)]
        erpc: bool,
        /// Timeout in seconds.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
        #[command(flatten)]
        common: Common,
    },
    /// List the nodes registered with EPMD on a host.
    Names {
        /// Host (default: this one).
        #[arg(default_value = "127.0.0.1")]
        host: String,
    },
    /// Run an EPMD server in the foreground.
    Epmd {
        /// Port (default: ERL_EPMD_PORT or 4369).
        #[arg(long)]
        port: Option<u16>,
        /// Address to bind.
        #[arg(long, default_value = "0.0.0.0")]
        address: IpAddr,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tether=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let rt = match Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tether: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Command::Node { .. } = cli.command {
        // A node runs until SIGTERM, SIGINT or its kernel giving up, then stops in
        // order: supervisors, the node (peers see nodedown, EPMD forgets it).
        let stopped = rt.run(async move {
            start_node(cli.command).await.map_err(|e| {
                eprintln!("tether: {e}");
                tether::ExitReason::from(e.as_str())
            })
        });
        return std::process::Termination::report(stopped);
    }
    let code = rt.block_on(async move {
        match run(cli.command).await {
            Ok(()) => 0u8,
            Err(e) => {
                eprintln!("tether: {e}");
                1
            }
        }
    });
    ExitCode::from(code)
}

fn config(name: &str, common: &Common) -> NodeConfig {
    let mut cfg = NodeConfig::new(name).long_names(common.long_names);
    if let Some(c) = &common.cookie {
        cfg = cfg.cookie(c.clone());
    }
    if let (Some(cert), Some(key), Some(ca)) = (&common.tls_cert, &common.tls_key, &common.tls_ca) {
        cfg = cfg.tls(dist::TlsConfig::new(cert, key, ca));
    }
    cfg
}

async fn client(common: &Common) -> Result<(), String> {
    let name = format!("tether_cli_{}", std::process::id());
    let cfg = config(&name, common)
        .hidden()
        .epmd(EpmdMode::Lookup)
        .listen("127.0.0.1".parse().unwrap());
    dist::start(cfg)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn peer(name: &str) -> Result<Node, String> {
    let full = dist::host::full_name(name, name.contains('.')).map_err(|e| e.to_string())?;
    Node::intern(&full).map_err(|e| e.to_string())
}

/// Starts the node of `tether node` and its demo services; returns their supervisor.
async fn start_node(command: Command) -> Result<tether::Pid, String> {
    match command {
        Command::Node {
            name,
            common,
            hidden,
            visible: _,
            epmd,
            port,
            listen,
            net_ticktime,
            discover,
            dns_server,
            discover_interval,
        } => {
            let discoveries = discover
                .iter()
                .map(|d| tether_cli::discover::parse(d, dns_server))
                .collect::<Result<Vec<_>, _>>()?;
            let mut cfg = config(&name, &common)
                .listen(listen)
                .net_ticktime(Duration::from_secs(net_ticktime));
            if common.cookie.is_none() {
                // As `erl` does: use ~/.erlang.cookie, creating it on first run.
                let c = dist::host::read_or_create_cookie_file().map_err(|e| e.to_string())?;
                cfg = cfg.cookie(c.expose());
            }
            cfg = if hidden { cfg.hidden() } else { cfg.visible() };
            cfg = cfg.epmd(match epmd {
                Epmd::Embedded => EpmdMode::Embedded,
                Epmd::External => EpmdMode::External,
                Epmd::None => EpmdMode::None,
            });
            if let Some(p) = port {
                cfg = cfg.port(p);
            } else if matches!(epmd, Epmd::None) {
                return Err("--epmd none needs --port".into());
            }
            let node = dist::start(cfg).await.map_err(|e| e.to_string())?;
            let sup = tether_cli::demo::start(&node).await;
            if !discoveries.is_empty() {
                let mut strategies = Vec::new();
                for d in discoveries {
                    strategies.push(d.start().await?);
                }
                let opts = tether::cluster::ClusterOpts::new()
                    .poll_interval(Duration::from_secs(discover_interval));
                tether::cluster::start(strategies, opts)
                    .await
                    .map_err(|e| format!("cannot start cluster discovery: {e}"))?;
            }
            println!(
                "node {} up on port {} (epmd {})",
                node.name(),
                node.port(),
                node.epmd_addr()
            );
            Ok(sup)
        }
        _ => unreachable!("only nodes start here"),
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Node { .. } => unreachable!("main runs nodes"),
        Command::Ping { node, common } => {
            client(&common).await?;
            let n = peer(&node)?;
            let req = Term::tuple([Term::atom("is_auth"), Term::Atom(Node::local().name())]);
            match dist::call(("net_kernel", n), req, Duration::from_secs(10)).await {
                Ok(t) if t.is_atom("yes") => {
                    println!("pong");
                    Ok(())
                }
                _ => {
                    println!("pang");
                    Err(format!("{n} did not answer"))
                }
            }
        }
        Command::Rpc {
            node,
            module,
            function,
            args,
            erpc,
            timeout,
            common,
        } => {
            let args: Term = args.parse().map_err(|e| format!("bad arguments: {e}"))?;
            let Some(args) = args.as_list().map(<[Term]>::to_vec) else {
                return Err("the arguments must be a list, e.g. '[1, foo]'".into());
            };
            client(&common).await?;
            let n = peer(&node)?;
            let t = Duration::from_secs(timeout);
            let result = if erpc {
                dist::erpc::call(n, &module, &function, args, t)
                    .await
                    .map_err(|e| e.to_string())
            } else {
                dist::rpc::call(n, &module, &function, args, t)
                    .await
                    .map_err(|e| e.to_string())
            };
            let v = result?;
            println!("{v}");
            Ok(())
        }
        Command::Names { host } => {
            let ip: IpAddr = match host.parse() {
                Ok(ip) => ip,
                Err(_) => tokio::net::lookup_host((host.as_str(), 0))
                    .await
                    .map_err(|e| e.to_string())?
                    .next()
                    .ok_or("no address")?
                    .ip(),
            };
            let names = EpmdClient::new(SocketAddr::new(ip, epmd_port()))
                .names()
                .await
                .map_err(|e| e.to_string())?;
            for (name, port) in names {
                println!("name {name} at port {port}");
            }
            Ok(())
        }
        Command::Epmd { port, address } => {
            let addr = SocketAddr::new(address, port.unwrap_or_else(epmd_port));
            let server = EpmdServer::bind(addr)
                .await
                .map_err(|e| format!("cannot bind {addr}: {e}"))?;
            println!("epmd listening on {}", server.local_addr());
            tokio::select! {
                _ = server.serve() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            Ok(())
        }
    }
}
