//! The systems compared, in table order. Tether first: every ratio is peer ÷ Tether.

/// One system under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum System {
    /// This project.
    Tether,
    /// Erlang/OTP (`erl`), the reference.
    Beam,
    /// The `ractor` crate.
    Ractor,
    /// The `kameo` crate.
    Kameo,
    /// The `actix` crate.
    Actix,
    /// Plain tokio tasks and channels: the floor any tokio-based system sits on.
    Tokio,
    /// Tether with its activity counters off (`Builder::metrics(false)`): what the
    /// metrics cost, on the workloads that send the most.
    TetherMetricsOff,
}

impl System {
    /// All systems, in table order.
    pub const ALL: [System; 7] = [
        System::Tether,
        System::Beam,
        System::Ractor,
        System::Kameo,
        System::Actix,
        System::Tokio,
        System::TetherMetricsOff,
    ];

    /// Lower-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            System::Tether => "tether",
            System::Beam => "beam",
            System::Ractor => "ractor",
            System::Kameo => "kameo",
            System::Actix => "actix",
            System::Tokio => "tokio",
            System::TetherMetricsOff => "tether-nometrics",
        }
    }

    /// Column heading.
    pub fn title(self) -> &'static str {
        match self {
            System::Tether => "Tether",
            System::Beam => "BEAM",
            System::Ractor => "ractor",
            System::Kameo => "kameo",
            System::Actix => "actix",
            System::Tokio => "tokio",
            System::TetherMetricsOff => "Tether, metrics off",
        }
    }

    /// Parses [`System::name`].
    pub fn from_name(s: &str) -> Option<System> {
        System::ALL.into_iter().find(|x| x.name() == s)
    }
}
