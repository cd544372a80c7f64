//! Usage errors, help and invalid names.

use crate::fake::Fake;
use crate::golden::{check, run};

#[test]
fn unknown_switch_prints_the_syntax() {
    let mut fake = Fake::default();
    check(
        "use_usage",
        &run(&["use", "Z:", "/FROBNICATE"], &mut fake, ""),
    );
    assert!(fake.calls.is_empty());
}

#[test]
fn ambiguous_switch_prints_the_syntax() {
    let mut fake = Fake::default();
    let o = run(&["use", r"\\s\x", "/R"], &mut fake, "");
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .starts_with("The syntax of this command is:\n\nwnet use\n")
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn no_command_prints_wnet_syntax() {
    check("wnet_usage", &run(&[], &mut Fake::default(), ""));
}

#[test]
fn help_goes_to_stdout_and_succeeds() {
    let o = run(&["use", "--help"], &mut Fake::default(), "");
    assert_eq!(o.code, 0);
    assert!(
        o.stdout
            .starts_with("The syntax of this command is:\n\nwnet use\n")
    );
    assert!(o.stderr.is_empty());
    let o = run(&["--help"], &mut Fake::default(), "");
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("wnet use"));
}

#[test]
fn bad_device_is_system_error_1200() {
    check(
        "use_bad_device",
        &run(&["use", "1:", r"\\s\x"], &mut Fake::default(), ""),
    );
}

#[test]
fn non_utf8_argument_is_a_usage_error() {
    use std::os::unix::ffi::OsStringExt;
    let args = vec!["use".into(), std::ffi::OsString::from_vec(vec![0xff, b':'])];
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = wnet_cli::run(
        args,
        &mut Fake::default(),
        &mut &b""[..],
        &mut out,
        &mut err,
        false,
    );
    assert_eq!(code, 2);
    assert!(String::from_utf8(err).unwrap().contains("wnet use"));
}
