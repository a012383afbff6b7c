mod restart_storm;

fn main() {
    for (name, value, unit) in restart_storm::run() {
        println!("{name:<24} {value:>14.0} {unit}");
    }
}
