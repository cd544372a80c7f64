//! Gives `libwnet.so` its SONAME, `libwnet.so.1` (ADR 0013): a program linked against it
//! records that name, so a future incompatible library (`libwnet.so.2`) can be installed beside
//! it without breaking the program. The exported symbols are exactly the `#[no_mangle]`
//! functions: rustc links every cdylib with a version script that makes all else local
//! (checked by the `exports` tests).
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libwnet.so.1");
    println!("cargo:rerun-if-changed=build.rs");
}
