//! The DFS lab serves a real namespace: Samba's own client (smbclient follows referrals)
//! reads through its links and its proxy share, and each server is on its own address.

use wnet_testkit::{DFS_HELLO, DFS_PORT, DfsLab};

use crate::show;

#[test]
fn smbclient_follows_the_labs_links_to_its_targets() {
    let lab = DfsLab::start().unwrap_or_else(|e| panic!("cannot start the DFS lab: {e}"));
    let hosts = [lab.ns(), lab.target_a.host(), lab.target_b.host()];
    assert!(hosts[0] != hosts[1] && hosts[1] != hosts[2] && hosts[0] != hosts[2]);
    for s in [&lab.namespace, &lab.target_a, &lab.target_b] {
        assert_eq!(s.port(), DFS_PORT);
    }
    let out = lab
        .namespace
        .smbclient("dfs", r"get team\hello.txt /dev/stdout");
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(DFS_HELLO.trim()),
        "{}",
        show(&out)
    );
    let out = lab
        .namespace
        .smbclient("dfs", r"get deep\down\link\deep.txt /dev/stdout");
    assert!(out.status.success(), "{}", show(&out));
    let out = lab
        .namespace
        .smbclient("proxy", "get hello.txt /dev/stdout");
    assert!(out.status.success(), "{}", show(&out));
}
