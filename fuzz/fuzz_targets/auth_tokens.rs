//! What a server sends during logon: SPNEGO tokens, the NTLM CHALLENGE and its AV pairs, and
//! the client's answer built from them (lengths must be refused, never truncated).
#![no_main]
use wnet_smb2::auth::ntlm::{AvPairs, ChallengeMessage, NtlmCredentials};
use wnet_smb2::auth::{NtlmAuthenticator, spnego};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = spnego::parse_init(data);
    let _ = spnego::parse_resp(data);
    let _ = AvPairs::parse(data);
    let _ = ChallengeMessage::parse(data);
    let mut a = NtlmAuthenticator::new(NtlmCredentials::new("user", "DOMAIN", "password"));
    if a.step(&[]).is_ok() && a.step(data).is_ok() {
        let _ = a.finish(data);
    }
});
