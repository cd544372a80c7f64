//! `/SAVECRED`: keep the credentials used (typed at the prompt or given) for the restore at
//! login (`CONNECT_CMD_SAVECRED`).

use super::switch::{SwitchDef, ValueSyntax};

/// `/SAVECRED`.
pub const SAVECRED: SwitchDef = SwitchDef {
    name: "SAVECRED",
    value: ValueSyntax::None,
};

#[cfg(test)]
mod tests {
    use super::super::{USE_SWITCHES, UsageError, switch::match_switch};
    use super::*;

    #[test]
    fn abbreviations() {
        for t in ["/SAVECRED", "/savecred", "/SA", "/sav"] {
            assert_eq!(match_switch(t, USE_SWITCHES).unwrap().def, &SAVECRED, "{t}");
        }
        // `/S` is ambiguous with `/SMARTCARD`, as in net.exe.
        assert_eq!(match_switch("/S", USE_SWITCHES), Err(UsageError));
    }
}
