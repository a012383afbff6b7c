mod call;

fn main() {
    for (name, value, unit) in call::run() {
        println!("{name:<40} {value:>10.1} {unit}");
    }
}
