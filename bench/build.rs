//! Enables the Tether side of the restart-storm workload once Tether has a supervisor
//! (`crates/tether/src/otp/supervisor/`, from the otp-sup branch). Until then the
//! Tether column of that row reads "n/a" and the other systems still run.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tether_supervisor)");
    let sup = std::path::Path::new("../crates/tether/src/otp/supervisor");
    println!("cargo::rerun-if-changed=../crates/tether/src/otp");
    if sup.is_dir() {
        println!("cargo::rustc-cfg=tether_supervisor");
    }
}
