//! The GNU-style long options `wnet` adds to net.exe's syntax, accepted anywhere on the line:
//! `--json` (machine-readable listing and detail) and `--help`.

use super::UsageError;

/// A long option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongOption {
    /// `--json`.
    Json,
    /// `--help`.
    Help,
}

/// `true` if `token` is a long option (starts with `--`).
pub fn is_long(token: &str) -> bool {
    token.starts_with("--")
}

/// Parses a long option; unknown ones are usage errors.
pub fn parse(token: &str) -> Result<LongOption, UsageError> {
    match token {
        "--json" => Ok(LongOption::Json),
        "--help" => Ok(LongOption::Help),
        _ => Err(UsageError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        assert_eq!(parse("--json"), Ok(LongOption::Json));
        assert_eq!(parse("--help"), Ok(LongOption::Help));
        assert_eq!(parse("--JSON"), Err(UsageError));
        assert_eq!(parse("--"), Err(UsageError));
        assert!(is_long("--x") && !is_long("-x") && !is_long("/x"));
    }
}
