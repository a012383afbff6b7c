pub use tether_term::*;
