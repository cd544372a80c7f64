//! `/DELETE`: cancel the connection named by the device (`X:`), the remote name
//! (`\\server\share`), or every connection (`*`). `/D`, `/DEL` abbreviate it.

use super::switch::{SwitchDef, ValueSyntax};

/// `/DELETE`.
pub const DELETE: SwitchDef = SwitchDef {
    name: "DELETE",
    value: ValueSyntax::None,
};

#[cfg(test)]
mod tests {
    use super::super::{USE_SWITCHES, UsageError, switch::match_switch};
    use super::*;

    #[test]
    fn abbreviations() {
        for t in ["/D", "/d", "/DE", "/DEL", "/dele", "/DELETE"] {
            assert_eq!(match_switch(t, USE_SWITCHES).unwrap().def, &DELETE, "{t}");
        }
        assert_eq!(match_switch("/DELETE:YES", USE_SWITCHES), Err(UsageError));
        assert_eq!(match_switch("/DELETED", USE_SWITCHES), Err(UsageError));
    }
}
