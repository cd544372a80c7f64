//! Switches of net.exe that `wnet` knows but does not implement: `/SMARTCARD` (no smart-card
//! credentials on Linux) and `/HOME` (no account home directory share). They are matched so
//! that abbreviations stay as unambiguous as in net.exe (`/S` is ambiguous), and using one
//! answers `ERROR_NOT_SUPPORTED` (50) instead of a usage error.

use super::switch::{SwitchDef, ValueSyntax};

/// `/SMARTCARD`.
pub const SMARTCARD: SwitchDef = SwitchDef {
    name: "SMARTCARD",
    value: ValueSyntax::None,
};

/// `/HOME`.
pub const HOME: SwitchDef = SwitchDef {
    name: "HOME",
    value: ValueSyntax::None,
};

/// `true` for a switch that is recognised but not supported.
pub fn is_unsupported(def: &SwitchDef) -> bool {
    def == &SMARTCARD || def == &HOME
}

#[cfg(test)]
mod tests {
    use super::super::{USE_SWITCHES, switch::match_switch};
    use super::*;

    #[test]
    fn recognised() {
        assert_eq!(match_switch("/H", USE_SWITCHES).unwrap().def, &HOME);
        assert_eq!(match_switch("/SM", USE_SWITCHES).unwrap().def, &SMARTCARD);
        assert!(is_unsupported(&HOME));
        assert!(!is_unsupported(&super::super::delete::DELETE));
    }
}
