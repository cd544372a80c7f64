//! Resource and provider queries through the real daemon and its providers, SMB then WebDAV
//! (no server needed: these are syntactic or about the providers themselves).

use crate::support::{Env, Lang, compile};

#[test]
fn resource_information_parent_and_provider_queries() {
    let exe = compile("resources.c", Lang::C, &[]);
    let env = Env::new();
    let run = env.run(&exe, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let want = "\
info.small=234
info.small.len=99
info.exact=0
info.remote=\\\\server\\share
info.provider=Microsoft Windows Network
info.system=\\dir\\file
info.system_inside=1
info.type=1
infoW=0
infoW.system=1
info.share=0
info.share.system_null=1
parent.path=0
parent.path.remote=\\\\server\\share\\dir
parent.share=0
parent.share.remote=\\\\server
parent.share.display=2
parent.server=0
parent.server.remote_null=1
parent.server.provider=Microsoft Windows Network
parent.small=234
parent.small.len=83
providername=0
providername.name=Microsoft Windows Network
providername.small=234
providername.small.len=26
providername.dav=0
providername.dav.name=Web Client Network
netinfo=0
netinfo.cb=40
netinfo.nettype=2
netinfo.status=0
netinfo.drives=0
netinfo.dav=0
netinfo.dav.nettype=46
netinfo.dav.handle=1
netinfo.unknown=1204
";
    assert_eq!(run.stdout, want, "{run:?}");
}
