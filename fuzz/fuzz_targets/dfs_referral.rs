//! A DFS referral (the output of FSCTL_DFS_GET_REFERRALS): v1-v4 entries, name lists.
#![no_main]
use wnet_smb2::msg::dfs::ReferralResponse;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ReferralResponse::decode(data);
});
