// The console's built files are embedded (api/src/console.rs): rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=../console/dist");
}
