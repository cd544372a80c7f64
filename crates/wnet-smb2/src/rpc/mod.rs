//! Minimal DCE/RPC over SMB named pipes (MS-RPCE, C706): enough to call `srvsvc`
//! NetrShareEnum and list a server's shares.
//!
//! # Layout
//! - [`pdu`]: connection-oriented PDUs (bind, bind_ack, request, response, fault).
//! - [`ndr`]: the little NDR reader/writer the calls need.
//! - [`srvsvc`]: NetrShareEnum (opnum 15), level 1.

pub mod ndr;
pub mod pdu;
pub mod srvsvc;

use crate::error::{Error, Result};
use crate::file::File;
use crate::msg::create::{disposition, share};
use crate::msg::fscc::access;
use crate::session::Session;
use crate::tree::CreateOptions;
pub use srvsvc::ShareInfo;

/// Largest pipe read/transceive output we ask for.
const PIPE_OUT: u32 = 65536;

/// Most stub bytes one call's answer may carry (a share list of 65536 entries fits).
pub const MAX_RESPONSE: usize = 8 << 20;
/// Most time one whole share enumeration may take (bind, request, every fragment).
pub const ENUM_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Sends one PDU and collects the fragments of the answer (until the last-fragment flag).
///
/// The server is not trusted: every fragment must carry `call_id`, and the fragments together
/// may hold at most [`MAX_RESPONSE`] bytes (which also bounds their count: each holds at least
/// a header); the caller bounds the time.
async fn call(pipe: &File, call_id: u32, pdu_bytes: &[u8]) -> Result<Vec<pdu::Fragment>> {
    let bad = |what| Error::Protocol(crate::msg::DecodeError(what));
    let mut buf = pipe.transceive(pdu_bytes, PIPE_OUT).await?;
    let mut frags = Vec::new();
    let mut received = buf.len();
    loop {
        while let Some((f, n)) = pdu::parse(&buf)? {
            buf.drain(..n);
            if f.call_id != call_id {
                return Err(bad("rpc: answer to another call"));
            }
            let last = f.last || f.ptype != pdu::RESPONSE;
            frags.push(f);
            if last {
                return Ok(frags);
            }
        }
        if received > MAX_RESPONSE {
            return Err(bad("rpc: answer too long"));
        }
        let more = pipe.read_at(0, PIPE_OUT as usize).await?;
        if more.is_empty() {
            return Err(bad("rpc: pipe ended mid-response"));
        }
        received += more.len();
        buf.extend_from_slice(&more);
    }
}

/// Lists the shares of the session's server over `IPC$` / `srvsvc`.
///
/// Errors: any SMB error of the tree connect or pipe open (e.g. ACCESS_DENIED); a DCE/RPC
/// fault is [`Error::RpcFault`], a WERROR [`Error::RpcStatus`], a refused bind
/// [`Error::Protocol`].
pub async fn list_shares(session: &Session) -> Result<Vec<ShareInfo>> {
    let stub = srvsvc::share_enum_request(&session.config().host);
    let answer = srvsvc_call(session, srvsvc::OPNUM_SHARE_ENUM, &stub).await?;
    srvsvc::share_enum_response(&answer)?.map_err(Error::RpcStatus)
}

/// Calls `srvsvc` operation `opnum` with the NDR `stub` over `IPC$` and returns the
/// response's stub. A fault PDU is [`Error::RpcFault`] with its status.
pub async fn srvsvc_call(session: &Session, opnum: u16, stub: &[u8]) -> Result<Vec<u8>> {
    let ipc = session.tree_connect("IPC$").await?;
    let opts = CreateOptions {
        access: access::READ_DATA
            | access::WRITE_DATA
            | access::READ_EA
            | access::WRITE_EA
            | access::READ_ATTRIBUTES
            | access::WRITE_ATTRIBUTES
            | access::READ_CONTROL
            | access::SYNCHRONIZE,
        disposition: disposition::OPEN,
        options: 0,
        share_access: share::READ | share::WRITE,
        attributes: 0,
        durable: false,
        lease: None,
        lease_key: None,
    };
    let pipe = ipc.create("srvsvc", &opts).await?;
    let result = tokio::time::timeout(ENUM_DEADLINE, async {
        let ack = call(&pipe, 1, &pdu::bind(1, srvsvc::INTERFACE, srvsvc::VERSION)).await?;
        if ack.first().map(|f| f.ptype) != Some(pdu::BIND_ACK) {
            return Err(Error::Protocol(crate::msg::DecodeError(
                "rpc: bind refused",
            )));
        }
        let frags = call(&pipe, 2, &pdu::request(2, opnum, stub)?).await?;
        if let Some(f) = frags.iter().find(|f| f.ptype == pdu::FAULT) {
            return Err(Error::RpcFault(f.status));
        }
        Ok(frags.into_iter().flat_map(|f| f.body).collect())
    })
    .await
    .unwrap_or(Err(Error::Timeout {
        what: "srvsvc call",
        after: ENUM_DEADLINE,
    }));
    let _ = pipe.close().await;
    let _ = ipc.disconnect().await;
    result
}
