//! `/PERSISTENT:{YES | NO}`: remember the connection (and, as net.exe does, make this the
//! default for later connections); alone, set the default. `/P:Y`, `/P:N`, `/PERS:no`: the
//! switch and its value may both be abbreviated.

use super::UsageError;
use super::switch::{SwitchDef, ValueSyntax};

/// `/PERSISTENT:`.
pub const PERSISTENT: SwitchDef = SwitchDef {
    name: "PERSISTENT",
    value: ValueSyntax::Required("{YES | NO}"),
};

/// `YES`/`NO`, any case, any non-empty prefix.
pub fn parse(value: &str) -> Result<bool, UsageError> {
    let upper = value.to_ascii_uppercase();
    match upper.as_str() {
        "" => Err(UsageError),
        v if "YES".starts_with(v) => Ok(true),
        v if "NO".starts_with(v) => Ok(false),
        _ => Err(UsageError),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{USE_SWITCHES, switch::match_switch};
    use super::*;

    #[test]
    fn forms() {
        for (token, yes) in [
            ("/PERSISTENT:YES", true),
            ("/persistent:no", false),
            ("/P:YES", true),
            ("/P:Y", true),
            ("/p:n", false),
            ("/PERS:No", false),
        ] {
            let arg = match_switch(token, USE_SWITCHES).unwrap();
            assert_eq!(arg.def, &PERSISTENT, "{token}");
            assert_eq!(parse(arg.value.unwrap()).unwrap(), yes, "{token}");
        }
    }

    #[test]
    fn bad_values() {
        for v in ["", "YESS", "maybe", "0", "1", "NOPE"] {
            assert_eq!(parse(v), Err(UsageError), "{v}");
        }
        assert_eq!(match_switch("/PERSISTENT", USE_SWITCHES), Err(UsageError));
    }
}
