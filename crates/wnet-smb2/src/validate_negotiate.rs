//! FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2 §3.2.5.14.12 / §2.2.31.4): on SMB 3.0 and 3.0.2,
//! which have no preauth integrity, the client asks the server over the signed session what it
//! received and chose in the (unsigned) NEGOTIATE; a difference means someone in the middle
//! changed it, and the connection is dropped.

use crate::conn::{CallOptions, Connection};
use crate::error::{Error, Result};
use crate::msg::DecodeError;
use crate::msg::Response;
use crate::msg::file_id::FileId;
use crate::msg::ioctl::{
    FSCTL_VALIDATE_NEGOTIATE_INFO, IOCTL_IS_FSCTL, IoctlRequest, IoctlResponse,
};
use crate::msg::negotiate::Dialect;
use crate::msg::tree_connect::TreeConnectRequest;
use crate::msg::tree_disconnect::TreeDisconnectRequest;
use crate::msg::wire::{Put, array_at, u16_at, u32_at};
use crate::session::{Negotiated, build, check_status};

/// What our NEGOTIATE request said (the server echoes none of it; it compares).
pub(crate) struct Offer<'a> {
    pub(crate) capabilities: u32,
    pub(crate) guid: [u8; 16],
    pub(crate) security_mode: u16,
    pub(crate) dialects: &'a [Dialect],
}

/// The request's input buffer (VALIDATE_NEGOTIATE_INFO request, §2.2.31.4).
fn input(offer: &Offer<'_>) -> Vec<u8> {
    let mut b = Vec::with_capacity(24 + 2 * offer.dialects.len());
    b.put_u32(offer.capabilities);
    b.extend_from_slice(&offer.guid);
    b.put_u16(offer.security_mode);
    b.put_u16(offer.dialects.len() as u16);
    for d in offer.dialects {
        b.put_u16(d.0);
    }
    b
}

/// Checks the server's answer (§2.2.32.6) against what its NEGOTIATE response said.
pub(crate) fn check(output: &[u8], neg: &Negotiated) -> Result<()> {
    const W: &str = "validate negotiate: response";
    let capabilities = u32_at(output, 0, W)?;
    let guid: [u8; 16] = array_at(output, 4, W)?;
    let security_mode = u16_at(output, 20, W)?;
    let dialect = u16_at(output, 22, W)?;
    if capabilities != neg.capabilities
        || guid != neg.server_guid
        || security_mode != neg.security_mode
        || dialect != neg.dialect.0
    {
        return Err(Error::Protocol(DecodeError(
            "validate negotiate: the negotiation was tampered with",
        )));
    }
    Ok(())
}

/// Runs the validation on the signed session `session_id` (through a tree connect to IPC$).
pub(crate) async fn validate(
    conn: &Connection,
    host: &str,
    session_id: u64,
    neg: &Negotiated,
    offer: &Offer<'_>,
    opts: CallOptions,
) -> Result<()> {
    let path = format!("\\\\{host}\\IPC$");
    let resp = conn
        .call(
            build(session_id, 0, &TreeConnectRequest { path }, false),
            0,
            opts,
        )
        .await?;
    let tree_id = check_status(&resp)?.tree_id;
    let req = IoctlRequest {
        ctl_code: FSCTL_VALIDATE_NEGOTIATE_INFO,
        file_id: FileId::RELATED,
        input: input(offer),
        max_output_response: 24,
        flags: IOCTL_IS_FSCTL,
    };
    let answer = conn
        .call(build(session_id, tree_id, &req, false), 0, opts)
        .await;
    let _ = conn
        .call(
            build(session_id, tree_id, &TreeDisconnectRequest, false),
            0,
            opts,
        )
        .await;
    let resp = answer?;
    check_status(&resp)?;
    check(&IoctlResponse::decode(&resp)?.output, neg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::signing::SigningAlgo;

    fn neg() -> Negotiated {
        Negotiated {
            dialect: Dialect::SMB302,
            capabilities: 0x2f,
            max_read: 1,
            max_write: 1,
            max_transact: 1,
            signing_required: false,
            security_mode: 1,
            cipher: None,
            signing: SigningAlgo::AesCmac,
            server_guid: [5; 16],
        }
    }

    fn answer(caps: u32, guid: [u8; 16], mode: u16, dialect: u16) -> Vec<u8> {
        let mut b = Vec::new();
        b.put_u32(caps);
        b.extend_from_slice(&guid);
        b.put_u16(mode);
        b.put_u16(dialect);
        b
    }

    #[test]
    fn a_matching_answer_passes_and_any_difference_fails() {
        let n = neg();
        check(&answer(0x2f, [5; 16], 1, 0x0302), &n).unwrap();
        for bad in [
            answer(0x2e, [5; 16], 1, 0x0302),
            answer(0x2f, [6; 16], 1, 0x0302),
            answer(0x2f, [5; 16], 3, 0x0302),
            answer(0x2f, [5; 16], 1, 0x0300),
        ] {
            assert!(matches!(check(&bad, &n), Err(Error::Protocol(_))));
        }
        assert!(check(&[0; 10], &n).is_err());
    }

    #[test]
    fn the_input_lists_what_we_offered() {
        let offer = Offer {
            capabilities: 0x44,
            guid: [9; 16],
            security_mode: 1,
            dialects: &[Dialect::SMB21, Dialect::SMB30],
        };
        let b = input(&offer);
        assert_eq!(b.len(), 28);
        assert_eq!(b[22..24], [2, 0]);
        assert_eq!(b[24..28], [0x10, 0x02, 0x00, 0x03]);
    }
}
