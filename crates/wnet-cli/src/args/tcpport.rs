//! `/TCPPORT:n`: connect to the server's SMB service on port `n` (Windows 11 24H2's alternative
//! port switch). It sets the port of the remote name, the same as writing
//! `\\server@n\share`.

use super::UsageError;
use super::switch::{SwitchDef, ValueSyntax};

/// `/TCPPORT:`.
pub const TCPPORT: SwitchDef = SwitchDef {
    name: "TCPPORT",
    value: ValueSyntax::Required("port"),
};

/// A decimal port 1–65535.
pub fn parse(value: &str) -> Result<u16, UsageError> {
    if value.is_empty() || value.len() > 5 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UsageError);
    }
    match value.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(UsageError),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{USE_SWITCHES, switch::match_switch};
    use super::*;

    #[test]
    fn forms() {
        for (token, port) in [
            ("/TCPPORT:4455", 4455),
            ("/t:445", 445),
            ("/tcp:65535", 65535),
        ] {
            let arg = match_switch(token, USE_SWITCHES).unwrap();
            assert_eq!(arg.def, &TCPPORT, "{token}");
            assert_eq!(parse(arg.value.unwrap()).unwrap(), port, "{token}");
        }
    }

    #[test]
    fn bad_ports() {
        for v in ["", "0", "65536", "-1", "+445", "44 5", "0x1bd", "123456"] {
            assert_eq!(parse(v), Err(UsageError), "{v}");
        }
        assert_eq!(match_switch("/TCPPORT", USE_SWITCHES), Err(UsageError));
    }
}
