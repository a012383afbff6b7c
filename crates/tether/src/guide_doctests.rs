//! The guide's chapters (`docs/guide/src`) as doc tests: each chapter is the doc
//! comment of an item here, so `cargo test --doc -p tether` compiles and runs every
//! ```` ```rust ```` block of the guide against this crate and its dependencies
//! (blocks marked `no_run` are compiled only; ```` ```elixir ````, ```` ```erlang ````,
//! ```` ```sh ```` and ```` ```toml ```` blocks are not Rust and are skipped).
//!
//! The module exists only under `cfg(doctest)`: it adds nothing to the crate. A
//! chapter added to `SUMMARY.md` gets a line here.

macro_rules! chapters {
    ($($item:ident => $path:literal,)*) => {
        $(
            #[doc = include_str!(concat!("../../../docs/guide/src/", $path))]
            pub struct $item;
        )*
    };
}

chapters! {
    Introduction => "introduction.md",
    RustProcesses => "rust/processes.md",
    RustLinksMonitors => "rust/links-monitors.md",
    RustSupervisors => "rust/supervisors.md",
    RustGenServer => "rust/gen-server.md",
    RustRegistryPg => "rust/registry-pg.md",
    RustGenStage => "rust/gen-stage.md",
    RustDistribution => "rust/distribution.md",
    RustTesting => "rust/testing.md",
    BeamMapping => "beam/mapping.md",
    BeamConnecting => "beam/connecting.md",
    BeamGenServerCall => "beam/gen-server-call.md",
    BeamRpc => "beam/rpc.md",
    BeamGlobalPg => "beam/global-pg.md",
    BeamGenStage => "beam/gen-stage.md",
    BeamTls => "beam/tls.md",
    BeamKubernetes => "beam/kubernetes.md",
    Examples => "examples.md",
}
