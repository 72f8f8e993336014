//! Gives the shared Rust core (the cdylib, libsurrealcpp_core.so) a SONAME,
//! so that a program linked against it records that name and finds the
//! library through its RPATH, wherever cargo's target directory is.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsurrealcpp_core.so");
    }
}
