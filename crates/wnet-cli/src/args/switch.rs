//! `/SWITCH[:value]` tokens and their matching, as net.exe does it.
//!
//! Rules:
//! - A token is a switch when it starts with exactly one `/` (`//server/share` and
//!   `/\server\share` are remote names, not switches).
//! - The name ends at the first `:`; everything after it is the value (`/USER:dom\user:x` has
//!   the value `dom\user:x`).
//! - Names are case-insensitive and may be abbreviated to any prefix that names exactly one
//!   switch of the command (`/D`, `/DEL`, `/DELETE`); a full name always wins over a longer
//!   switch it prefixes. Unknown or ambiguous names are usage errors.
//! - A switch that takes a value needs the `:` (the value itself may be empty where the switch
//!   allows it); a switch without value refuses one.

use super::UsageError;

/// Whether a switch takes a value, and its syntax for the help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueSyntax {
    /// A bare switch (`/DELETE`).
    None,
    /// `/NAME:value`; the text is the value's syntax (`{YES | NO}`).
    Required(&'static str),
}

/// One switch of a command: its full name and value syntax.
#[derive(Debug, PartialEq, Eq)]
pub struct SwitchDef {
    /// The full upper-case name, without `/`.
    pub name: &'static str,
    /// Whether it takes a value.
    pub value: ValueSyntax,
}

/// A switch found on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchArg<'a> {
    /// Which switch.
    pub def: &'static SwitchDef,
    /// Its value (after the `:`), for a switch that takes one.
    pub value: Option<&'a str>,
}

/// `true` if `token` is a switch: it starts with exactly one `/`, and what follows is not
/// a `\` (`/\server\share` is a remote name written with mixed separators).
pub fn is_switch(token: &str) -> bool {
    let mut chars = token.chars();
    chars.next() == Some('/') && !matches!(chars.next(), Some('/') | Some('\\'))
}

/// Matches a switch token against a command's switches.
pub fn match_switch<'a>(
    token: &'a str,
    table: &[&'static SwitchDef],
) -> Result<SwitchArg<'a>, UsageError> {
    let body = token.strip_prefix('/').ok_or(UsageError)?;
    let (name, value) = match body.split_once(':') {
        Some((name, value)) => (name, Some(value)),
        None => (body, None),
    };
    if name.is_empty() {
        return Err(UsageError);
    }
    let upper = name.to_ascii_uppercase();
    let def = match table.iter().find(|d| d.name == upper) {
        Some(exact) => *exact,
        None => {
            let mut candidates = table.iter().filter(|d| d.name.starts_with(&upper));
            match (candidates.next(), candidates.next()) {
                (Some(only), None) => *only,
                _ => return Err(UsageError),
            }
        }
    };
    match (def.value, value) {
        (ValueSyntax::None, Some(_)) | (ValueSyntax::Required(_), None) => Err(UsageError),
        _ => Ok(SwitchArg { def, value }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELETE: SwitchDef = SwitchDef {
        name: "DELETE",
        value: ValueSyntax::None,
    };
    const DEL: SwitchDef = SwitchDef {
        name: "DEL",
        value: ValueSyntax::None,
    };
    const USER: SwitchDef = SwitchDef {
        name: "USER",
        value: ValueSyntax::Required("user"),
    };
    const UNDO: SwitchDef = SwitchDef {
        name: "UNDO",
        value: ValueSyntax::None,
    };

    #[test]
    fn switch_shape() {
        assert!(is_switch("/D"));
        assert!(is_switch("/?"));
        assert!(is_switch("/"));
        assert!(!is_switch("//server/share"));
        assert!(!is_switch(r"/\server\share"));
        assert!(!is_switch(r"\\server\share"));
        assert!(!is_switch("Z:"));
        assert!(!is_switch("--json"));
    }

    #[test]
    fn prefixes_case_and_values() {
        let table = [&DELETE, &USER];
        for t in ["/D", "/d", "/DEL", "/delete", "/DeLeTe"] {
            assert_eq!(match_switch(t, &table).unwrap().def, &DELETE, "{t}");
        }
        let u = match_switch(r"/u:dom\me:x", &table).unwrap();
        assert_eq!((u.def, u.value), (&USER, Some(r"dom\me:x")));
        assert_eq!(match_switch("/USER:", &table).unwrap().value, Some(""));
        for bad in ["/", "/:x", "/X", "/DELETEX", "/D:yes", "/USER", "/U"] {
            assert_eq!(match_switch(bad, &table), Err(UsageError), "{bad}");
        }
    }

    #[test]
    fn ambiguous_prefix_is_refused_but_full_name_wins() {
        let table = [&USER, &UNDO];
        assert_eq!(match_switch("/U:x", &table), Err(UsageError));
        assert_eq!(match_switch("/US:x", &table).unwrap().def, &USER);
        let table = [&DELETE, &DEL];
        assert_eq!(match_switch("/DEL", &table).unwrap().def, &DEL);
        assert_eq!(match_switch("/DELE", &table).unwrap().def, &DELETE);
        assert_eq!(match_switch("/D", &table), Err(UsageError));
    }
}
