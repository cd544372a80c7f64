//! Running `wnet` in-process and comparing its output with a golden file, with a readable
//! line diff on failure.

use std::ffi::OsString;
use std::path::PathBuf;

use wnet_cli::Backend;

/// What one run printed and returned.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Runs `wnet <args>` with `stdin` as standard input (not a terminal).
pub fn run(args: &[&str], backend: &mut dyn Backend, stdin: &str) -> Outcome {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let mut input = stdin.as_bytes();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = wnet_cli::run(args, backend, &mut input, &mut out, &mut err, false);
    Outcome {
        stdout: String::from_utf8(out).expect("stdout is UTF-8"),
        stderr: String::from_utf8(err).expect("stderr is UTF-8"),
        code,
    }
}

fn section(out: &mut String, name: &str, text: &str) {
    out.push_str(&format!("---- {name}\n"));
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push_str("\n\\ no newline at end\n");
    }
}

/// The golden-file form of an outcome.
pub fn render(o: &Outcome) -> String {
    let mut s = String::new();
    section(&mut s, "stdout", &o.stdout);
    section(&mut s, "stderr", &o.stderr);
    s.push_str(&format!("---- exit {}\n", o.code));
    s
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"))
}

/// Asserts that `o` is exactly the golden file `name` (or rewrites it with UPDATE_GOLDEN=1).
#[track_caller]
pub fn check(name: &str, o: &Outcome) {
    let actual = render(o);
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
    if expected != actual {
        panic!(
            "output differs from {} (- expected, + actual, ⏎ = end of line):\n{}",
            path.display(),
            line_diff(&expected, &actual)
        );
    }
}

/// A line diff (longest common subsequence), every line shown with its end marked so that
/// trailing spaces and blank lines are visible.
pub fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.split('\n').collect();
    let b: Vec<&str> = actual.split('\n').collect();
    // lcs[i][j] = length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    let mut line = |mark: char, text: &str| out.push_str(&format!("{mark} {text}⏎\n"));
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            line(' ', a[i]);
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            line('-', a[i]);
            i += 1;
        } else {
            line('+', b[j]);
            j += 1;
        }
    }
    out
}

#[test]
fn line_diff_marks_changes_and_line_ends() {
    let d = line_diff("a\nb \nc", "a\nb\nc\nd");
    assert_eq!(d, "  a⏎\n- b ⏎\n+ b⏎\n  c⏎\n+ d⏎\n");
}
