//! `/YES` and `/NO` (`/Y`, `/N`): net.exe's global switches that answer its questions in
//! advance, so that a script never waits at a prompt.

use super::switch::{SwitchDef, ValueSyntax};

/// `/YES`.
pub const YES: SwitchDef = SwitchDef {
    name: "YES",
    value: ValueSyntax::None,
};

/// `/NO`.
pub const NO: SwitchDef = SwitchDef {
    name: "NO",
    value: ValueSyntax::None,
};

#[cfg(test)]
mod tests {
    use super::super::{USE_SWITCHES, UsageError, switch::match_switch};
    use super::*;

    #[test]
    fn forms() {
        for t in ["/Y", "/y", "/YE", "/YES"] {
            assert_eq!(match_switch(t, USE_SWITCHES).unwrap().def, &YES, "{t}");
        }
        for t in ["/N", "/n", "/NO"] {
            assert_eq!(match_switch(t, USE_SWITCHES).unwrap().def, &NO, "{t}");
        }
        assert_eq!(match_switch("/NOPE", USE_SWITCHES), Err(UsageError));
        assert_eq!(match_switch("/Y:1", USE_SWITCHES), Err(UsageError));
    }
}
