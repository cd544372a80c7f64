//! `/USER:[domain\]user`, `/USER:[dotted domain\]user`, `/USER:user@dotted.domain`: the
//! account to connect as. An empty value (`/USER:`, from `/USER:""`) asks for an anonymous
//! (null) session.

use super::UsageError;
use super::switch::{SwitchDef, ValueSyntax};

/// `/USER:`.
pub const USER: SwitchDef = SwitchDef {
    name: "USER",
    value: ValueSyntax::Required("[domainname\\]username"),
};

/// The user name as given; the service validates it (2202). Control characters and more
/// than one `\` are usage errors.
pub fn parse(value: &str) -> Result<String, UsageError> {
    if value.chars().any(char::is_control) || value.matches('\\').count() > 1 {
        return Err(UsageError);
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::{USE_SWITCHES, switch::match_switch};
    use super::*;

    #[test]
    fn forms() {
        for (token, user) in [
            (r"/USER:dom\me", r"dom\me"),
            ("/U:me@corp.example", "me@corp.example"),
            (r"/user:corp.example\me", r"corp.example\me"),
            ("/us:me", "me"),
            ("/USER:", ""),
        ] {
            let arg = match_switch(token, USE_SWITCHES).unwrap();
            assert_eq!(arg.def, &USER, "{token}");
            assert_eq!(parse(arg.value.unwrap()).unwrap(), user, "{token}");
        }
    }

    #[test]
    fn needs_a_value_and_a_sane_one() {
        assert_eq!(match_switch("/USER", USE_SWITCHES), Err(UsageError));
        assert_eq!(parse(r"a\b\c"), Err(UsageError));
        assert_eq!(parse("a\tb"), Err(UsageError));
    }
}
