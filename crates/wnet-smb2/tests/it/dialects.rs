//! Every dialect we offer, against a Samba capped at it: negotiate, keys, signing, I/O.

use crate::common::*;
use wnet_smb2::msg::negotiate::Dialect;
use wnet_smb2::{CreateOptions, Session};
use wnet_testkit::{DEFAULT_PASSWORD, DEFAULT_USER, SambaBuilder, Share};

async fn roundtrip_with_max_protocol(max: &str, want: Dialect, encrypt: bool) {
    let mut b = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(Share::new("rw").read_only(false))
        .global("server max protocol", max);
    if encrypt {
        b = b.global("smb encrypt", "required");
    }
    let s = b.start().unwrap();
    let sess = session(&s).await;
    assert_eq!(sess.negotiated().dialect, want);
    assert_eq!(sess.is_encrypted(), encrypt);
    let t = sess.tree_connect("rw").await.unwrap();
    three_mib_both_ways(&s, &t, want.0 as u64).await;
    assert_eq!(t.list("").await.unwrap().len(), 1);
}

/// Writes 3 MiB to `d.bin` on share `rw` in 1 MiB messages (4 in flight), reads them back
/// the same way, and checks both the bytes read and the server's disk.
async fn three_mib_both_ways(s: &wnet_testkit::Samba, t: &wnet_smb2::Tree, seed: u64) {
    let data = pattern(3 << 20, seed);
    let f = t
        .create("d.bin", &CreateOptions::create_new())
        .await
        .unwrap();
    f.write_pipelined(0, &data, 1 << 20, 4).await.unwrap();
    assert!(
        f.read_pipelined(0, data.len() as u64, 1 << 20, 4)
            .await
            .unwrap()
            == data
    );
    f.close().await.unwrap();
    assert!(std::fs::read(s.share_dir("rw").join("d.bin")).unwrap() == data);
}

#[tokio::test]
async fn smb21_hmac_sha256_signing() {
    roundtrip_with_max_protocol("SMB2_10", Dialect::SMB21, false).await;
}

#[tokio::test]
async fn smb30_aes_cmac_signing() {
    roundtrip_with_max_protocol("SMB3_00", Dialect::SMB30, false).await;
}

#[tokio::test]
async fn smb30_aes_ccm_encryption() {
    roundtrip_with_max_protocol("SMB3_00", Dialect::SMB30, true).await;
}

#[tokio::test]
async fn smb302_signing() {
    roundtrip_with_max_protocol("SMB3_02", Dialect::SMB302, false).await;
}

#[tokio::test]
async fn anonymous_session_reaches_ipc() {
    let s = samba();
    let mut cfg = config(&s, "", "");
    cfg.require_signing = false;
    let sess = Session::connect(cfg)
        .await
        .expect("anonymous session refused");
    let ipc = sess.tree_connect("IPC$").await.unwrap();
    assert_eq!(
        ipc.share_type(),
        wnet_smb2::msg::tree_connect::share_type::PIPE
    );
}

/// A man in the middle between us and a real Samba capped at SMB 3.0.2: it forwards every
/// byte, but (when `tamper`) flips the DFS capability bit in the server's NEGOTIATE response,
/// which nothing signs. Returns the port to connect to.
async fn mitm(server_port: u16, tamper: bool) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(("127.0.0.1", server_port))
                .await
                .unwrap();
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut cr, &mut sw).await;
            });
            tokio::spawn(async move {
                // The first frame from the server is the NEGOTIATE response: 4-byte length,
                // 64-byte header, then StructureSize, SecurityMode, Dialect, ContextCount,
                // ServerGuid (16): Capabilities start 24 bytes into the body.
                let mut len = [0u8; 4];
                if sr.read_exact(&mut len).await.is_err() {
                    return;
                }
                let n = u32::from_be_bytes(len) as usize & 0x00FF_FFFF;
                let mut frame = vec![0u8; n];
                if sr.read_exact(&mut frame).await.is_err() {
                    return;
                }
                if tamper {
                    frame[64 + 24] ^= 0x01;
                }
                if cw.write_all(&len).await.is_err() || cw.write_all(&frame).await.is_err() {
                    return;
                }
                let _ = tokio::io::copy(&mut sr, &mut cw).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn a_tampered_smb302_negotiation_is_caught_by_validate_negotiate() {
    let s = SambaBuilder::new()
        .user(DEFAULT_USER, DEFAULT_PASSWORD)
        .share(Share::new("rw"))
        .global("server max protocol", "SMB3_02")
        .start()
        .unwrap();
    // Untouched, the proxy is invisible: validation passes.
    let honest = mitm(s.port(), false).await;
    let sess = Session::connect(config(&s, DEFAULT_USER, DEFAULT_PASSWORD).port(honest))
        .await
        .unwrap();
    assert_eq!(sess.negotiated().dialect, Dialect::SMB302);
    sess.tree_connect("rw").await.unwrap();
    // A changed capability in the unsigned NEGOTIATE response: the signed validation differs.
    let evil = mitm(s.port(), true).await;
    let e = Session::connect(config(&s, DEFAULT_USER, DEFAULT_PASSWORD).port(evil))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("tampered"), "{e}");
}

/// Each SMB 3.1.1 cipher, the server allowing only it: 3 MiB written and read back in 1 MiB
/// messages, each encrypted and decrypted in its own buffer with the session's expanded key.
#[tokio::test]
async fn every_smb311_cipher_moves_megabytes_both_ways() {
    use wnet_smb2::crypto::encryption::CipherId;
    for (name, id) in [
        ("aes-128-gcm", CipherId::Aes128Gcm),
        ("aes-128-ccm", CipherId::Aes128Ccm),
        ("aes-256-gcm", CipherId::Aes256Gcm),
        ("aes-256-ccm", CipherId::Aes256Ccm),
    ] {
        let s = SambaBuilder::new()
            .user(DEFAULT_USER, DEFAULT_PASSWORD)
            .share(Share::new("rw").read_only(false))
            .global("smb encrypt", "required")
            .global("server smb3 encryption algorithms", name)
            .start()
            .unwrap();
        let sess = session(&s).await;
        assert_eq!(sess.negotiated().cipher, Some(id), "{name}");
        assert!(sess.is_encrypted());
        let t = sess.tree_connect("rw").await.unwrap();
        three_mib_both_ways(&s, &t, id.wire_id() as u64).await;
    }
}
