//! A C program calls every export with NULL, bad and good arguments; each result must be the
//! documented code. Compiled and run as C and as C++.

use crate::support::{Env, Lang, compile};

const EXPECTED: &[(&str, &str)] = &[
    ("AddConnectionA.null", "87"),
    ("AddConnectionA.noprovider", "1222"),
    ("AddConnectionW.null", "87"),
    ("AddConnection2A.null", "487"),
    ("AddConnection2A.badflags", "87"),
    ("AddConnection2A.badtype", "87"),
    ("AddConnection2A.redirect_nolocal", "487"),
    ("AddConnection2A.noremote", "87"),
    ("AddConnection2A.noprovider", "1222"),
    ("AddConnection2W.null", "487"),
    ("AddConnection2W.noprovider", "1222"),
    ("AddConnection3A.null", "487"),
    ("AddConnection3W.noprovider", "1222"),
    ("AddConnection4A.null", "487"),
    ("AddConnection4A.authblob", "87"),
    ("AddConnection4A.nullauth_size", "487"),
    ("AddConnection4W.noprovider", "1222"),
    ("UseConnectionA.null", "487"),
    ("UseConnectionA.size0", "87"),
    ("UseConnectionA.sizenull", "87"),
    ("UseConnectionA.size1", "234"),
    ("UseConnectionA.size1.len", "3"),
    ("UseConnectionA.redirect_print", "87"),
    ("UseConnectionA.redirect_size2", "234"),
    ("UseConnectionA.redirect_size2.len", "3"),
    ("UseConnectionA.noprovider", "1222"),
    ("UseConnectionW.deviceless_size1", "234"),
    ("UseConnectionW.deviceless_size1.len", "15"),
    ("UseConnection4A.null", "487"),
    ("UseConnection4W.authblob", "87"),
    ("CancelConnectionA.null", "487"),
    ("CancelConnectionA.notconnected", "2250"),
    ("CancelConnectionW.notconnected", "2250"),
    ("CancelConnection2A.null", "487"),
    ("CancelConnection2A.badflags", "87"),
    ("CancelConnection2A.notconnected", "2250"),
    ("CancelConnection2A.remembered_flags0", "2250"),
    ("CancelConnection2W.null", "487"),
    ("CancelConnection2W.remote", "2250"),
    ("GetConnectionA.null", "487"),
    ("GetConnectionA.nulllen", "487"),
    ("GetConnectionA.remembered", "1201"),
    ("GetConnectionA.notconnected", "2250"),
    ("GetConnectionA.baddevice", "1200"),
    ("GetConnectionW.remembered", "1201"),
    ("GetUniversalNameA.null", "487"),
    ("GetUniversalNameA.level3", "124"),
    ("GetUniversalNameA.nulllen", "487"),
    // Q: is remembered, not connected: that answer wins over the NULL buffer.
    ("GetUniversalNameA.nullbuf", "1201"),
    ("GetUniversalNameA.remembered", "1201"),
    ("GetUniversalNameA.notconnected", "2250"),
    ("GetUniversalNameW.remembered", "1201"),
    ("GetUserA.null", "487"),
    ("GetUserA.size1", "234"),
    ("GetUserA.size1.len_ok", "1"),
    ("GetUserA.self", "0"),
    ("GetUserA.self.matches", "1"),
    ("GetUserA.empty", "0"),
    ("GetUserA.remembered", "0"),
    ("GetUserA.remembered.matches", "1"),
    ("GetUserA.notconnected", "2250"),
    ("GetUserW.self", "0"),
    ("GetUserW.self.length", "1"),
    ("GetProviderNameA.nulllen", "487"),
    ("GetProviderNameA.noprovider", "1222"),
    ("GetProviderNameW.noprovider", "1222"),
    ("GetNetworkInformationA.null", "487"),
    ("GetNetworkInformationA.nullstruct", "487"),
    ("GetNetworkInformationA.smallcb", "87"),
    ("GetNetworkInformationA.noprovider", "1222"),
    ("GetNetworkInformationW.noprovider", "1222"),
    ("MultinetA.null", "487"),
    ("MultinetA.nullstruct", "487"),
    ("MultinetA.badcb", "87"),
    ("MultinetA.remote_notconnected", "2250"),
    ("MultinetA.nothing", "87"),
    ("MultinetA.remembered", "1201"),
    ("MultinetW.notconnected", "2250"),
    ("OpenEnumA.nullhandle", "487"),
    ("OpenEnumA.badscope", "87"),
    ("OpenEnumA.badtype", "87"),
    ("OpenEnumA.badusage", "87"),
    ("OpenEnumA.remembered", "0"),
    ("OpenEnumA.handle_nonnull", "1"),
    ("EnumResourceA.nullcount", "487"),
    ("EnumResourceA.nullsize", "487"),
    ("EnumResourceA.count0", "87"),
    ("EnumResourceA.badhandle", "6"),
    ("EnumResourceA.small", "234"),
    // 48 + "Q:" 3 + "\\files\team" 13 + "Microsoft Windows Network" 26
    ("EnumResourceA.small.len", "90"),
    ("EnumResourceA.nullbuf", "234"),
    ("EnumResourceA.nullbuf.len", "90"),
    ("EnumResourceA.all", "0"),
    ("EnumResourceA.all.count", "1"),
    ("EnumResourceA.all.local", "Q:"),
    ("EnumResourceA.all.remote", r"\\files\team"),
    ("EnumResourceA.all.provider", "Microsoft Windows Network"),
    ("EnumResourceA.all.scope", "3"),
    ("EnumResourceA.all.type", "1"),
    ("EnumResourceA.all.comment_null", "1"),
    ("EnumResourceA.all.strings_inside", "1"),
    ("EnumResourceA.end", "259"),
    ("CloseEnum.ok", "0"),
    ("CloseEnum.again", "6"),
    ("CloseEnum.null", "6"),
    ("EnumResourceA.closed", "6"),
    ("OpenEnumW.connected", "0"),
    ("EnumResourceW.connected_empty", "259"),
    ("CloseEnumW.ok", "0"),
    ("OpenEnumW.globalnet_noprovider", "1222"),
    ("GetResourceInformationA.null", "487"),
    ("GetResourceInformationA.nulllen", "487"),
    ("GetResourceInformationA.noprovider", "1222"),
    ("GetResourceInformationW.null", "487"),
    ("GetResourceParentA.null", "487"),
    ("GetResourceParentA.nulllen", "487"),
    ("GetResourceParentA.noproviderfield", "1204"),
    ("GetResourceParentA.noprovider", "1222"),
    ("GetResourceParentW.null", "487"),
    ("RestoreConnectionA.notremembered", "2250"),
    ("RestoreConnectionW.all_noprovider", "1222"),
    ("RestoreAllConnectionsW.noprovider", "1222"),
    ("RestoreSingleConnectionA.null", "487"),
    ("RestoreSingleConnectionW.notremembered", "2250"),
    ("SetConnectionA.null", "487"),
    ("SetConnectionA.badproperty", "87"),
    ("SetConnectionA.nullvalue", "487"),
    ("SetConnectionA.notconnected", "2250"),
    ("SetConnectionW.notconnected", "2250"),
    ("ConnectionDialog.print", "66"),
    ("ConnectionDialog.disk", "4294967295"),
    ("DisconnectDialog.bad", "87"),
    ("DisconnectDialog.disk", "4294967295"),
    ("ConnectionDialog1A.null", "487"),
    ("ConnectionDialog1A.badcb", "87"),
    ("ConnectionDialog1A.nullres", "487"),
    ("ConnectionDialog1A.ro_mru", "87"),
    ("ConnectionDialog1A.persist_both", "87"),
    ("ConnectionDialog1A.ro_noremote", "87"),
    ("ConnectionDialog1A.print", "66"),
    ("ConnectionDialog1A.cancelled", "4294967295"),
    ("ConnectionDialog1W.badcb", "87"),
    ("DisconnectDialog1A.null", "487"),
    ("DisconnectDialog1A.badcb", "87"),
    ("DisconnectDialog1A.noname", "87"),
    ("DisconnectDialog1A.badflags", "87"),
    ("DisconnectDialog1A.notconnected", "2250"),
    ("DisconnectDialog1W.notconnected", "2250"),
    ("ClearConnections", "0"),
    ("GetLastErrorA.null", "487"),
    ("GetLastErrorA.nullbuf", "487"),
    ("GetLastErrorA.ok", "0"),
    ("GetLastErrorA.code", "2250"),
    ("GetLastErrorA.text_mentions_device", "1"),
    ("GetLastErrorA.provider", "wnet"),
    ("GetLastErrorA.after_set", "0"),
    ("GetLastErrorA.after_set.code", "5"),
    ("GetLastErrorA.after_set.text", "my "),
    ("GetLastErrorA.after_set.provider", "my provider"),
    ("GetUserA.sizequery", "234"),
    // 234 and 259 are protocol answers: the extended error stays.
    ("GetLastErrorA.kept_after_234", "5"),
    ("GetLastErrorW.ok", "0"),
    ("GetLastErrorW.code", "1208"),
    ("GetLastErrorW.text", "1"),
    ("GetLastErrorW.null", "487"),
    ("CancelConnection2A.remembered_update", "0"),
    ("GetConnectionA.after_cancel", "2250"),
];

fn check(lang: Lang) {
    let exe = compile("every_export.c", lang, &[]);
    let env = Env::with_daemon();
    env.remember("Q:", r"\\files\team");
    let run = env.run(&exe, &[]);
    assert_eq!(run.code, 0, "{lang:?}: {run:?}");
    assert!(
        run.stdout.ends_with("done\n"),
        "{lang:?} stopped early: {run:?}"
    );
    assert_eq!(run.stderr, "", "the library prints nothing");
    let got = run.values();
    let mut wrong = Vec::new();
    for (label, want) in EXPECTED {
        match got.get(*label) {
            Some(v) if v == want => {}
            other => wrong.push(format!("  {label}: want {want}, got {other:?}")),
        }
    }
    let known: std::collections::BTreeSet<_> = EXPECTED.iter().map(|(l, _)| *l).collect();
    for label in got.keys().filter(|l| !known.contains(l.as_str())) {
        wrong.push(format!("  {label}: printed but not checked"));
    }
    assert!(wrong.is_empty(), "{lang:?}:\n{}", wrong.join("\n"));
    assert!(
        !env.remembered("Q:"),
        "cancelled with CONNECT_UPDATE_PROFILE"
    );
}

#[test]
fn every_export_gives_the_documented_codes_in_c() {
    check(Lang::C);
}

#[test]
fn every_export_gives_the_documented_codes_in_cxx() {
    check(Lang::Cxx);
}
