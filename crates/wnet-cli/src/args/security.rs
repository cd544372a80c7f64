//! `/REQUIREINTEGRITY`, `/REQUIREPRIVACY`, `/WRITETHROUGH`: the connection options of
//! Windows 10+, mapped to `CONNECT_REQUIRE_INTEGRITY` (signing), `CONNECT_REQUIRE_PRIVACY`
//! (encryption) and `CONNECT_WRITE_THROUGH_SEMANTICS`.

use wnet_core::ConnectFlags;

use super::switch::{SwitchDef, ValueSyntax};

/// `/REQUIREINTEGRITY`.
pub const REQUIRE_INTEGRITY: SwitchDef = SwitchDef {
    name: "REQUIREINTEGRITY",
    value: ValueSyntax::None,
};

/// `/REQUIREPRIVACY`.
pub const REQUIRE_PRIVACY: SwitchDef = SwitchDef {
    name: "REQUIREPRIVACY",
    value: ValueSyntax::None,
};

/// `/WRITETHROUGH`.
pub const WRITE_THROUGH: SwitchDef = SwitchDef {
    name: "WRITETHROUGH",
    value: ValueSyntax::None,
};

/// The `CONNECT_*` flag a security switch sets, `None` for any other switch.
pub fn flag(def: &SwitchDef) -> Option<ConnectFlags> {
    if def == &REQUIRE_INTEGRITY {
        Some(ConnectFlags::REQUIRE_INTEGRITY)
    } else if def == &REQUIRE_PRIVACY {
        Some(ConnectFlags::REQUIRE_PRIVACY)
    } else if def == &WRITE_THROUGH {
        Some(ConnectFlags::WRITE_THROUGH_SEMANTICS)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::{USE_SWITCHES, UsageError, switch::match_switch};
    use super::*;

    #[test]
    fn abbreviations_and_flags() {
        let m = |t| match_switch(t, USE_SWITCHES).map(|a| flag(a.def));
        assert_eq!(
            m("/REQUIREINTEGRITY"),
            Ok(Some(ConnectFlags::REQUIRE_INTEGRITY))
        );
        assert_eq!(m("/requirei"), Ok(Some(ConnectFlags::REQUIRE_INTEGRITY)));
        assert_eq!(m("/REQUIREP"), Ok(Some(ConnectFlags::REQUIRE_PRIVACY)));
        assert_eq!(m("/w"), Ok(Some(ConnectFlags::WRITE_THROUGH_SEMANTICS)));
        assert_eq!(
            m("/WriteThrough"),
            Ok(Some(ConnectFlags::WRITE_THROUGH_SEMANTICS))
        );
        // `/R`..`/REQUIRE` name both REQUIRE switches.
        assert_eq!(m("/R"), Err(UsageError));
        assert_eq!(m("/REQUIRE"), Err(UsageError));
        assert_eq!(flag(&super::super::delete::DELETE), None);
    }
}
