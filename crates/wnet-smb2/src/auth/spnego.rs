//! The SPNEGO (RFC 4178, MS-SPNG) tokens that SMB2 carries in its security
//! buffers, for NTLMSSP only.
//!
//! The exchange, as the engine drives it:
//!
//! 1. NEGOTIATE response: the server's `NegTokenInit2` listing its mechanisms
//!    ([`parse_init`]; may be empty, then just try NTLMSSP).
//! 2. SESSION_SETUP #1: [`init_token`] around the NTLM NEGOTIATE_MESSAGE.
//! 3. Response `STATUS_MORE_PROCESSING_REQUIRED`: a `NegTokenResp` with the
//!    NTLM CHALLENGE_MESSAGE ([`parse_resp`]).
//! 4. SESSION_SETUP #2: [`resp_token`] with the AUTHENTICATE_MESSAGE and the
//!    mechListMIC.
//! 5. Response `STATUS_SUCCESS`: a `NegTokenResp` with `accept-completed` and
//!    the server's mechListMIC.
//!
//! The mechListMIC is needed with Samba: once the NTLM AUTHENTICATE carries a
//! MIC and signing was negotiated, Samba's SPNEGO server insists on a
//! mechListMIC and, without one, answers MORE_PROCESSING_REQUIRED instead of
//! SUCCESS (`auth/gensec/spnego.c`, `needs_mic_check`).

use std::fmt;

use super::AuthError;
use super::der::{self, Reader};

/// DER content of the SPNEGO OID 1.3.6.1.5.5.2.
const SPNEGO_OID: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x02];
/// DER content of the NTLMSSP OID 1.3.6.1.4.1.311.2.2.10.
const NTLMSSP_OID: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0A];

/// A GSS mechanism OID, kept as its DER content bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Oid(Vec<u8>);

impl Oid {
    /// NTLMSSP, 1.3.6.1.4.1.311.2.2.10.
    pub fn ntlmssp() -> Self {
        Oid(NTLMSSP_OID.to_vec())
    }

    /// SPNEGO, 1.3.6.1.5.5.2.
    pub fn spnego() -> Self {
        Oid(SPNEGO_OID.to_vec())
    }

    /// An OID from its DER content bytes (without tag and length).
    pub fn from_der_content(bytes: &[u8]) -> Self {
        Oid(bytes.to_vec())
    }

    /// The DER content bytes.
    pub fn as_der_content(&self) -> &[u8] {
        &self.0
    }

    /// True for NTLMSSP.
    pub fn is_ntlmssp(&self) -> bool {
        self.0 == NTLMSSP_OID
    }
}

impl fmt::Display for Oid {
    /// Dotted notation; bytes that do not decode are shown as `?`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((&first, rest)) = self.0.split_first() else {
            return f.write_str("?");
        };
        write!(f, "{}.{}", first / 40, first % 40)?;
        let mut acc: u64 = 0;
        for &b in rest {
            acc = acc.saturating_mul(128) | u64::from(b & 0x7F);
            if b & 0x80 == 0 {
                write!(f, ".{acc}")?;
                acc = 0;
            }
        }
        if rest.last().is_some_and(|b| b & 0x80 != 0) {
            f.write_str(".?")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

/// The server's `NegTokenInit` / `NegTokenInit2` from the NEGOTIATE response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NegTokenInit {
    /// The mechanisms offered, most preferred first.
    pub mech_types: Vec<Oid>,
    /// An optimistic mechanism token, if any.
    pub mech_token: Option<Vec<u8>>,
}

impl NegTokenInit {
    /// True if NTLMSSP is among [`Self::mech_types`].
    pub fn offers_ntlmssp(&self) -> bool {
        self.mech_types.iter().any(Oid::is_ntlmssp)
    }
}

/// `negState` of a `NegTokenResp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegState {
    /// 0: authentication finished successfully.
    AcceptCompleted,
    /// 1: more tokens must follow.
    AcceptIncomplete,
    /// 2: the server rejected the authentication.
    Reject,
    /// 3: the server wants a mechListMIC.
    RequestMic,
    /// A value RFC 4178 does not define.
    Other(u32),
}

impl NegState {
    fn from_wire(v: u32) -> Self {
        match v {
            0 => NegState::AcceptCompleted,
            1 => NegState::AcceptIncomplete,
            2 => NegState::Reject,
            3 => NegState::RequestMic,
            other => NegState::Other(other),
        }
    }
}

const NEG_STATE: u8 = der::context(0);
const SUPPORTED_MECH: u8 = der::context(1);
const RESPONSE_TOKEN: u8 = der::context(2);
const MECH_LIST_MIC: u8 = der::context(3);

/// A `NegTokenResp` (the server's answers to SESSION_SETUP).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NegTokenResp {
    /// The negotiation state, if present.
    pub neg_state: Option<NegState>,
    /// The mechanism the server chose, if present (first response only).
    pub supported_mech: Option<Oid>,
    /// The mechanism's token (e.g. the NTLM CHALLENGE_MESSAGE).
    pub response_token: Option<Vec<u8>>,
    /// The server's mechListMIC.
    pub mech_list_mic: Option<Vec<u8>>,
}

/// The DER `MechTypeList` (SEQUENCE OF OID) for `mechs`: what a mechListMIC signs.
pub fn mech_type_list(mechs: &[Oid]) -> Vec<u8> {
    let mut content = Vec::new();
    for m in mechs {
        content.extend_from_slice(&der::tlv(der::OID, &m.0));
    }
    der::tlv(der::SEQUENCE, &content)
}

/// The `MechTypeList` this client sends: NTLMSSP alone.
pub fn ntlmssp_mech_type_list() -> Vec<u8> {
    mech_type_list(&[Oid::ntlmssp()])
}

/// The first SESSION_SETUP token: a GSS InitialContextToken
/// (`[APPLICATION 0]`, SPNEGO OID) around a `NegTokenInit` that offers
/// NTLMSSP alone with `ntlm_negotiate` as the optimistic mechToken.
pub fn init_token(ntlm_negotiate: &[u8]) -> Vec<u8> {
    init_token_for(&[Oid::ntlmssp()], ntlm_negotiate)
}

/// The first SESSION_SETUP token offering `mechs` (most preferred first), with `mech_token`
/// (the first mechanism's initial token) as the optimistic mechToken.
pub fn init_token_for(mechs: &[Oid], mech_token: &[u8]) -> Vec<u8> {
    let mut init = der::tlv(der::context(0), &mech_type_list(mechs));
    init.extend_from_slice(&der::tlv(
        der::context(2),
        &der::tlv(der::OCTET_STRING, mech_token),
    ));
    let neg_token_init = der::tlv(der::context(0), &der::tlv(der::SEQUENCE, &init));
    let mut inner = der::tlv(der::OID, SPNEGO_OID);
    inner.extend_from_slice(&neg_token_init);
    der::tlv(der::application(0), &inner)
}

/// A client `NegTokenResp` carrying `response_token` (the NTLM
/// AUTHENTICATE_MESSAGE; omitted if empty) and, if given, a mechListMIC.
/// `negState` is omitted, as Samba's client does.
pub fn resp_token(response_token: &[u8], mech_list_mic: Option<&[u8]>) -> Vec<u8> {
    let mut seq = Vec::new();
    if !response_token.is_empty() {
        seq.extend_from_slice(&der::tlv(
            der::context(2),
            &der::tlv(der::OCTET_STRING, response_token),
        ));
    }
    if let Some(mic) = mech_list_mic {
        seq.extend_from_slice(&der::tlv(
            der::context(3),
            &der::tlv(der::OCTET_STRING, mic),
        ));
    }
    der::tlv(der::context(1), &der::tlv(der::SEQUENCE, &seq))
}

/// Parses the server's security buffer from the NEGOTIATE response: a GSS
/// InitialContextToken with SPNEGO's `NegTokenInit` or `NegTokenInit2`
/// (a bare `[0] NegTokenInit` is accepted too).
///
/// Lenient: fields other than mechTypes and mechToken (reqFlags, negHints,
/// mechListMIC) are skipped unread. An empty buffer is an error here; the
/// engine should treat it as "no preference" and go ahead with NTLMSSP.
///
/// # Errors
/// [`AuthError::Malformed`] for truncated or mis-tagged DER;
/// [`AuthError::MechanismNotSupported`] if the token is not SPNEGO.
pub fn parse_init(bytes: &[u8]) -> Result<NegTokenInit, AuthError> {
    let mut r = Reader::new(bytes);
    let body = match r.peek_tag() {
        Some(t) if t == der::application(0) => {
            let gss = r.read(der::application(0), "expected GSS InitialContextToken")?;
            let mut g = Reader::new(gss);
            let oid = g.read(der::OID, "expected the GSS mechanism OID")?;
            if oid != SPNEGO_OID {
                return Err(AuthError::MechanismNotSupported);
            }
            g.read(der::context(0), "expected negTokenInit [0]")?
        }
        Some(t) if t == der::context(0) => r.read(der::context(0), "expected negTokenInit [0]")?,
        Some(_) => return Err(AuthError::Malformed("not a SPNEGO NegTokenInit")),
        None => return Err(AuthError::Malformed("empty SPNEGO token")),
    };
    let seq = Reader::new(body).read(der::SEQUENCE, "NegTokenInit: expected SEQUENCE")?;
    let mut fields = Reader::new(seq);
    let mut out = NegTokenInit {
        mech_types: Vec::new(),
        mech_token: None,
    };
    while !fields.is_empty() {
        let (tag, content) = fields.read_any()?;
        if tag == der::context(0) {
            let list = Reader::new(content).read(der::SEQUENCE, "mechTypes: expected SEQUENCE")?;
            let mut oids = Reader::new(list);
            while !oids.is_empty() {
                out.mech_types.push(Oid::from_der_content(
                    oids.read(der::OID, "mechTypes: expected OID")?,
                ));
            }
        } else if tag == der::context(2) {
            let token =
                Reader::new(content).read(der::OCTET_STRING, "mechToken: expected OCTET STRING")?;
            out.mech_token = Some(token.to_vec());
        }
        // [1] reqFlags, [3] negHints / mechListMIC, [4] mechListMIC: not needed.
    }
    Ok(out)
}

/// Parses a server `NegTokenResp` (`[1] SEQUENCE { [0] negState,
/// [1] supportedMech, [2] responseToken, [3] mechListMIC }`, all optional).
///
/// # Errors
/// [`AuthError::Malformed`] for truncated or mis-tagged DER.
pub fn parse_resp(bytes: &[u8]) -> Result<NegTokenResp, AuthError> {
    let mut r = Reader::new(bytes);
    let body = r.read(der::context(1), "expected negTokenResp [1]")?;
    let seq = Reader::new(body).read(der::SEQUENCE, "NegTokenResp: expected SEQUENCE")?;
    let mut fields = Reader::new(seq);
    let mut out = NegTokenResp::default();
    while !fields.is_empty() {
        let (tag, content) = fields.read_any()?;
        let mut inner = Reader::new(content);
        match tag {
            NEG_STATE => {
                let v = inner.read(der::ENUMERATED, "negState: expected ENUMERATED")?;
                if v.is_empty() || v.len() > 4 {
                    return Err(AuthError::Malformed("negState: bad ENUMERATED length"));
                }
                let n = v.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
                out.neg_state = Some(NegState::from_wire(n));
            }
            SUPPORTED_MECH => {
                out.supported_mech = Some(Oid::from_der_content(
                    inner.read(der::OID, "supportedMech: expected OID")?,
                ));
            }
            RESPONSE_TOKEN => {
                out.response_token = Some(
                    inner
                        .read(der::OCTET_STRING, "responseToken: expected OCTET STRING")?
                        .to_vec(),
                );
            }
            MECH_LIST_MIC => {
                out.mech_list_mic = Some(
                    inner
                        .read(der::OCTET_STRING, "mechListMIC: expected OCTET STRING")?
                        .to_vec(),
                );
            }
            _ => {} // unknown extension: skip
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::kdf::tests::hex;

    const NTLM_NEGOTIATE: &str = "4E544C4D5353500001000000978208E2000000000000000000000000000000000603802500\
                                  00000F";

    // The security blob of the first SESSION_SETUP in Microsoft's SMB 3.1.1
    // pre-authentication integrity example (a Windows 10 client).
    #[test]
    fn init_token_matches_windows() {
        let token = init_token(&hex(NTLM_NEGOTIATE));
        let expected = hex("604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A0428");
        assert_eq!(token[..expected.len()], expected[..]);
        assert_eq!(token[expected.len()..], hex(NTLM_NEGOTIATE)[..]);
        // And our own parser reads it back.
        let parsed = parse_init(&token).unwrap();
        assert!(parsed.offers_ntlmssp());
        assert_eq!(parsed.mech_token, Some(hex(NTLM_NEGOTIATE)));
    }

    // The NEGOTIATE response blob of the same example (Windows Server: NEGOEX + NTLMSSP).
    #[test]
    fn parses_windows_negotiate_blob() {
        let blob = hex(
            "6082013C06062B0601050502A08201303082012CA01A3018060A2B06010401823702021E060A2B060104\
             01823702020AA282010C048201084E45474F455854530100000000000000600000007000000\
             07C7CC0FD06D6362D02DDE1CF343BFE292900F49750B4AA97934D9C4296B26E51FD370471B235E15A50\
             DAE15BD5489C87000000000000000060000000010000000000000000000000\
             5C33530DEAF90D4DB2EC4AE3786EC3084E45474F4558545303000000010000004000000098000000\
             7C7CC0FD06D6362D02DDE1CF343BFE295C33530DEAF90D4DB2EC4AE3786EC3084000000058000000\
             3056A05430523027802530233121301F06035504031318546F6B656E205369676E696E6720507562\
             6C6963204B65793027802530233121301F06035504031318546F6B656E205369676E696E67205075\
             626C6963204B6579",
        );
        let init = parse_init(&blob).unwrap();
        assert_eq!(init.mech_types.len(), 2);
        assert_eq!(init.mech_types[0].to_string(), "1.3.6.1.4.1.311.2.2.30");
        assert_eq!(init.mech_types[1].to_string(), "1.3.6.1.4.1.311.2.2.10");
        assert!(init.offers_ntlmssp());
        assert_eq!(init.mech_token.as_ref().map(Vec::len), Some(0x108));
    }

    // A Samba-style NegTokenInit2: mechTypes, then negHints [3] { hintName [0] GeneralString }.
    #[test]
    fn parses_negtokeninit2_with_neghints() {
        let mut mechs = der::tlv(
            der::OID,
            &[0x2A, 0x86, 0x48, 0x82, 0xF7, 0x12, 0x01, 0x02, 0x02],
        );
        mechs.extend_from_slice(&der::tlv(der::OID, NTLMSSP_OID));
        let mut seq = der::tlv(der::context(0), &der::tlv(der::SEQUENCE, &mechs));
        let hint = der::tlv(
            der::context(0),
            &der::tlv(0x1B, b"not_defined_in_RFC4178@please_ignore"),
        );
        seq.extend_from_slice(&der::tlv(der::context(3), &der::tlv(der::SEQUENCE, &hint)));
        let mut inner = der::tlv(der::OID, SPNEGO_OID);
        inner.extend_from_slice(&der::tlv(der::context(0), &der::tlv(der::SEQUENCE, &seq)));
        let blob = der::tlv(der::application(0), &inner);
        let init = parse_init(&blob).unwrap();
        assert_eq!(init.mech_types[0].to_string(), "1.2.840.48018.1.2.2");
        assert!(init.offers_ntlmssp());
        assert_eq!(init.mech_token, None);
    }

    #[test]
    fn parse_init_rejects_other_mechanisms_and_garbage() {
        let mut inner = der::tlv(der::OID, NTLMSSP_OID);
        inner.extend_from_slice(&der::tlv(der::context(0), &der::tlv(der::SEQUENCE, &[])));
        let blob = der::tlv(der::application(0), &inner);
        assert_eq!(parse_init(&blob), Err(AuthError::MechanismNotSupported));
        assert!(parse_init(&[]).is_err());
        assert!(parse_init(b"NTLMSSP\0").is_err());
    }

    // The CHALLENGE response blob of Microsoft's example.
    #[test]
    fn parses_windows_challenge_resp() {
        let blob = hex(
            "A181B03081ADA0030A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000000C000C0038\
             00000015828AE20D1D8BA31179D008000000000000000050005000440000000A0092270000000F53\
             005500540033003100310002000C0053005500540033003100310001000C00530055005400330031\
             00310004000C0053005500540033003100310003000C0053005500540033003100310007000800A1\
             A1F5ADCBAED00100000000",
        );
        let resp = parse_resp(&blob).unwrap();
        assert_eq!(resp.neg_state, Some(NegState::AcceptIncomplete));
        assert!(resp.supported_mech.as_ref().is_some_and(Oid::is_ntlmssp));
        let tok = resp.response_token.unwrap();
        assert_eq!(tok.len(), 0x94);
        assert!(tok.starts_with(b"NTLMSSP\0\x02"));
        assert_eq!(resp.mech_list_mic, None);
    }

    #[test]
    fn resp_token_round_trips_and_matches_layout() {
        let tok = resp_token(b"AUTH", Some(&[1, 2, 3]));
        assert_eq!(
            tok,
            [
                0xA1, 0x11, 0x30, 0x0F, 0xA2, 0x06, 0x04, 0x04, b'A', b'U', b'T', b'H', 0xA3, 0x05,
                0x04, 0x03, 1, 2, 3
            ]
        );
        let parsed = parse_resp(&tok).unwrap();
        assert_eq!(parsed.response_token.as_deref(), Some(&b"AUTH"[..]));
        assert_eq!(parsed.mech_list_mic.as_deref(), Some(&[1u8, 2, 3][..]));
        assert_eq!(parsed.neg_state, None);
        // Long tokens use long-form lengths.
        let big = vec![7u8; 300];
        let parsed = parse_resp(&resp_token(&big, None)).unwrap();
        assert_eq!(parsed.response_token, Some(big));
    }

    #[test]
    fn parse_resp_handles_completed_reject_and_truncation() {
        // accept-completed with a mechListMIC (what Samba sends last).
        let mut seq = der::tlv(der::context(0), &der::tlv(der::ENUMERATED, &[0]));
        seq.extend_from_slice(&der::tlv(
            der::context(3),
            &der::tlv(der::OCTET_STRING, &[9; 16]),
        ));
        let done = der::tlv(der::context(1), &der::tlv(der::SEQUENCE, &seq));
        let parsed = parse_resp(&done).unwrap();
        assert_eq!(parsed.neg_state, Some(NegState::AcceptCompleted));
        assert_eq!(parsed.mech_list_mic, Some(vec![9; 16]));
        for cut in 0..done.len() {
            assert!(parse_resp(&done[..cut]).is_err(), "cut at {cut}");
        }
        let reject = der::tlv(
            der::context(1),
            &der::tlv(
                der::SEQUENCE,
                &der::tlv(der::context(0), &der::tlv(der::ENUMERATED, &[2])),
            ),
        );
        assert_eq!(
            parse_resp(&reject).unwrap().neg_state,
            Some(NegState::Reject)
        );
        // negState with a wrong inner type.
        let bad = der::tlv(
            der::context(1),
            &der::tlv(
                der::SEQUENCE,
                &der::tlv(der::context(0), &der::tlv(der::OID, &[2])),
            ),
        );
        assert!(parse_resp(&bad).is_err());
    }

    #[test]
    fn mech_type_list_is_the_der_sequence() {
        assert_eq!(
            ntlmssp_mech_type_list(),
            hex("300C060A2B06010401823702020A")
        );
    }
}
