/* Calls every export of libwnet.so with NULL, bad and good arguments and prints
 * `label=result` lines; the Rust test compares them with the documented codes.
 * Run with a daemon that has no network provider and a profile remembering
 * Q: -> \\files\team. Valid C11 and C++17. */
#include <stdio.h>
#include <string.h>
#include <pwd.h>
#include <unistd.h>
#include <winnetwk.h>

static void r(const char *label, DWORD code) { printf("%s=%lu\n", label, (unsigned long)code); }
static void s(const char *label, const char *value) { printf("%s=%s\n", label, value); }

/* Aligned scratch space for the byte-buffer functions. */
static union { NETRESOURCEA nr; char bytes[4096]; } big;

int main(void)
{
    char remote[] = "\\\\server\\share";
    char local_z[] = "Z:";
    char local_j[] = "J:";
    char provider[] = "Microsoft Windows Network";
    WCHAR wremote[] = u"\\\\server\\share";
    WCHAR wlocal[] = u"Z:";
    char buf[256];
    WCHAR wbuf[256];
    DWORD len, count, result, code;
    HANDLE h = NULL;
    BOOL yes = TRUE;
    NETRESOURCEA nr;
    NETRESOURCEW nrw;
    NETINFOSTRUCT ni;
    NETCONNECTINFOSTRUCT ci;
    CONNECTDLGSTRUCTA cd;
    CONNECTDLGSTRUCTW cdw;
    DISCDLGSTRUCTA dd;
    DISCDLGSTRUCTW ddw;
    char *system_part = NULL;
    unsigned char auth[4] = {1, 2, 3, 4};

    memset(&nr, 0, sizeof nr);
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpLocalName = local_z;
    nr.lpRemoteName = remote;
    memset(&nrw, 0, sizeof nrw);
    nrw.dwType = RESOURCETYPE_DISK;
    nrw.lpLocalName = wlocal;
    nrw.lpRemoteName = wremote;

    /* ---- connect */
    r("AddConnectionA.null", WNetAddConnectionA(NULL, NULL, NULL));
    r("AddConnectionA.noprovider", WNetAddConnectionA(remote, NULL, local_z));
    r("AddConnectionW.null", WNetAddConnectionW(NULL, NULL, NULL));
    r("AddConnection2A.null", WNetAddConnection2A(NULL, NULL, NULL, 0));
    r("AddConnection2A.badflags", WNetAddConnection2A(&nr, NULL, NULL, 0x01000000));
    nr.dwType = 3;
    r("AddConnection2A.badtype", WNetAddConnection2A(&nr, NULL, NULL, 0));
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpLocalName = NULL;
    r("AddConnection2A.redirect_nolocal", WNetAddConnection2A(&nr, NULL, NULL, CONNECT_REDIRECT));
    nr.lpLocalName = local_z;
    nr.lpRemoteName = NULL;
    r("AddConnection2A.noremote", WNetAddConnection2A(&nr, NULL, NULL, 0));
    nr.lpRemoteName = remote;
    r("AddConnection2A.noprovider", WNetAddConnection2A(&nr, "pw", "user", CONNECT_UPDATE_PROFILE));
    r("AddConnection2W.null", WNetAddConnection2W(NULL, NULL, NULL, 0));
    r("AddConnection2W.noprovider", WNetAddConnection2W(&nrw, NULL, NULL, 0));
    r("AddConnection3A.null", WNetAddConnection3A(NULL, NULL, NULL, NULL, 0));
    r("AddConnection3W.noprovider", WNetAddConnection3W(NULL, &nrw, NULL, NULL, CONNECT_INTERACTIVE));
    r("AddConnection4A.null", WNetAddConnection4A(NULL, NULL, NULL, 0, 0, NULL, 0));
    r("AddConnection4A.authblob", WNetAddConnection4A(NULL, &nr, auth, sizeof auth, 0, NULL, 0));
    r("AddConnection4A.nullauth_size", WNetAddConnection4A(NULL, &nr, NULL, 4, 0, NULL, 0));
    r("AddConnection4W.noprovider", WNetAddConnection4W(NULL, &nrw, NULL, 0, 0, NULL, 0));

    r("UseConnectionA.null", WNetUseConnectionA(NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL));
    len = 0;
    r("UseConnectionA.size0", WNetUseConnectionA(NULL, &nr, NULL, NULL, 0, buf, &len, &result));
    r("UseConnectionA.sizenull", WNetUseConnectionA(NULL, &nr, NULL, NULL, 0, buf, NULL, &result));
    nr.lpLocalName = local_j;
    len = 1;
    r("UseConnectionA.size1", WNetUseConnectionA(NULL, &nr, NULL, NULL, 0, buf, &len, &result));
    r("UseConnectionA.size1.len", len);
    nr.lpLocalName = NULL;
    nr.dwType = RESOURCETYPE_PRINT;
    len = sizeof buf;
    r("UseConnectionA.redirect_print", WNetUseConnectionA(NULL, &nr, NULL, NULL, CONNECT_REDIRECT, buf, &len, &result));
    nr.dwType = RESOURCETYPE_DISK;
    len = 2;
    r("UseConnectionA.redirect_size2", WNetUseConnectionA(NULL, &nr, NULL, NULL, CONNECT_REDIRECT, buf, &len, &result));
    r("UseConnectionA.redirect_size2.len", len);
    len = 3;
    r("UseConnectionA.noprovider", WNetUseConnectionA(NULL, &nr, NULL, NULL, CONNECT_REDIRECT, buf, &len, &result));
    len = 1;
    nrw.lpLocalName = NULL;
    r("UseConnectionW.deviceless_size1", WNetUseConnectionW(NULL, &nrw, NULL, NULL, 0, wbuf, &len, &result));
    r("UseConnectionW.deviceless_size1.len", len);
    nrw.lpLocalName = wlocal;
    nr.lpLocalName = local_z;
    r("UseConnection4A.null", WNetUseConnection4A(NULL, NULL, NULL, 0, 0, NULL, 0, NULL, NULL, NULL));
    r("UseConnection4W.authblob", WNetUseConnection4W(NULL, &nrw, auth, sizeof auth, 0, NULL, 0, NULL, NULL, NULL));

    /* ---- cancel */
    r("CancelConnectionA.null", WNetCancelConnectionA(NULL, FALSE));
    r("CancelConnectionA.notconnected", WNetCancelConnectionA("z:", FALSE));
    r("CancelConnectionW.notconnected", WNetCancelConnectionW(u"z:", TRUE));
    r("CancelConnection2A.null", WNetCancelConnection2A(NULL, 0, FALSE));
    r("CancelConnection2A.badflags", WNetCancelConnection2A("q:", 0x01000000, FALSE));
    r("CancelConnection2A.notconnected", WNetCancelConnection2A("z:", CONNECT_UPDATE_PROFILE, FALSE));
    r("CancelConnection2A.remembered_flags0", WNetCancelConnection2A("q:", 0, FALSE));
    r("CancelConnection2W.null", WNetCancelConnection2W(NULL, 0, FALSE));
    r("CancelConnection2W.remote", WNetCancelConnection2W(u"\\\\files\\team", CONNECT_UPDATE_PROFILE, TRUE));

    /* ---- names */
    len = sizeof buf;
    r("GetConnectionA.null", WNetGetConnectionA(NULL, buf, &len));
    r("GetConnectionA.nulllen", WNetGetConnectionA("Q:", buf, NULL));
    r("GetConnectionA.remembered", WNetGetConnectionA("q:", buf, &len));
    r("GetConnectionA.notconnected", WNetGetConnectionA("R:", buf, &len));
    r("GetConnectionA.baddevice", WNetGetConnectionA("RR", buf, &len));
    len = sizeof wbuf / sizeof wbuf[0];
    r("GetConnectionW.remembered", WNetGetConnectionW(u"Q:", wbuf, &len));
    len = sizeof big;
    r("GetUniversalNameA.null", WNetGetUniversalNameA(NULL, UNIVERSAL_NAME_INFO_LEVEL, big.bytes, &len));
    r("GetUniversalNameA.level3", WNetGetUniversalNameA("Q:\\a", 3, big.bytes, &len));
    r("GetUniversalNameA.nulllen", WNetGetUniversalNameA("Q:\\a", UNIVERSAL_NAME_INFO_LEVEL, big.bytes, NULL));
    r("GetUniversalNameA.nullbuf", WNetGetUniversalNameA("Q:\\a", UNIVERSAL_NAME_INFO_LEVEL, NULL, &len));
    r("GetUniversalNameA.remembered", WNetGetUniversalNameA("Q:\\a", UNIVERSAL_NAME_INFO_LEVEL, big.bytes, &len));
    r("GetUniversalNameA.notconnected", WNetGetUniversalNameA("R:\\a", REMOTE_NAME_INFO_LEVEL, big.bytes, &len));
    r("GetUniversalNameW.remembered", WNetGetUniversalNameW(u"Q:\\a\\b", REMOTE_NAME_INFO_LEVEL, big.bytes, &len));

    {
        struct passwd *pw = getpwuid(getuid());
        r("GetUserA.null", WNetGetUserA(NULL, NULL, NULL));
        len = 1;
        r("GetUserA.size1", WNetGetUserA(NULL, buf, &len));
        r("GetUserA.size1.len_ok", len == strlen(pw->pw_name) + 1);
        len = sizeof buf;
        r("GetUserA.self", WNetGetUserA(NULL, buf, &len));
        r("GetUserA.self.matches", strcmp(buf, pw->pw_name) == 0);
        len = sizeof buf;
        r("GetUserA.empty", WNetGetUserA("", buf, &len));
        len = sizeof buf;
        r("GetUserA.remembered", WNetGetUserA("Q:", buf, &len));
        r("GetUserA.remembered.matches", strcmp(buf, pw->pw_name) == 0);
        len = sizeof buf;
        r("GetUserA.notconnected", WNetGetUserA("R:", buf, &len));
        len = sizeof wbuf / sizeof wbuf[0];
        r("GetUserW.self", WNetGetUserW(NULL, wbuf, &len));
        r("GetUserW.self.length", (DWORD)(strlen(pw->pw_name) == 0 ? 1 : wbuf[strlen(pw->pw_name)] == 0 && wbuf[0] == (WCHAR)pw->pw_name[0]));
    }

    len = sizeof buf;
    r("GetProviderNameA.nulllen", WNetGetProviderNameA(WNNC_NET_LANMAN, buf, NULL));
    r("GetProviderNameA.noprovider", WNetGetProviderNameA(WNNC_NET_LANMAN, buf, &len));
    len = sizeof wbuf / sizeof wbuf[0];
    r("GetProviderNameW.noprovider", WNetGetProviderNameW(WNNC_NET_LANMAN, wbuf, &len));

    memset(&ni, 0, sizeof ni);
    ni.cbStructure = sizeof ni;
    r("GetNetworkInformationA.null", WNetGetNetworkInformationA(NULL, &ni));
    r("GetNetworkInformationA.nullstruct", WNetGetNetworkInformationA(provider, NULL));
    ni.cbStructure = 4;
    r("GetNetworkInformationA.smallcb", WNetGetNetworkInformationA(provider, &ni));
    ni.cbStructure = sizeof ni;
    r("GetNetworkInformationA.noprovider", WNetGetNetworkInformationA(provider, &ni));
    r("GetNetworkInformationW.noprovider", WNetGetNetworkInformationW(u"Microsoft Windows Network", &ni));

    memset(&ci, 0, sizeof ci);
    ci.cbStructure = sizeof ci;
    r("MultinetA.null", MultinetGetConnectionPerformanceA(NULL, &ci));
    r("MultinetA.nullstruct", MultinetGetConnectionPerformanceA(&nr, NULL));
    ci.cbStructure = 4;
    r("MultinetA.badcb", MultinetGetConnectionPerformanceA(&nr, &ci));
    ci.cbStructure = sizeof ci;
    nr.lpLocalName = NULL;
    r("MultinetA.remote_notconnected", MultinetGetConnectionPerformanceA(&nr, &ci));
    nr.lpRemoteName = NULL;
    r("MultinetA.nothing", MultinetGetConnectionPerformanceA(&nr, &ci));
    {
        char q[] = "Q:";
        nr.lpLocalName = q;
        r("MultinetA.remembered", MultinetGetConnectionPerformanceA(&nr, &ci));
    }
    nr.lpLocalName = local_z;
    nr.lpRemoteName = remote;
    r("MultinetW.notconnected", MultinetGetConnectionPerformanceW(&nrw, &ci));

    /* ---- enumeration */
    r("OpenEnumA.nullhandle", WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, NULL));
    r("OpenEnumA.badscope", WNetOpenEnumA(9, RESOURCETYPE_ANY, 0, NULL, &h));
    r("OpenEnumA.badtype", WNetOpenEnumA(RESOURCE_REMEMBERED, 7, 0, NULL, &h));
    r("OpenEnumA.badusage", WNetOpenEnumA(RESOURCE_GLOBALNET, RESOURCETYPE_ANY, 0x20, NULL, &h));
    r("OpenEnumA.remembered", WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h));
    r("OpenEnumA.handle_nonnull", h != NULL);
    count = 0xFFFFFFFF;
    len = sizeof big;
    r("EnumResourceA.nullcount", WNetEnumResourceA(h, NULL, big.bytes, &len));
    r("EnumResourceA.nullsize", WNetEnumResourceA(h, &count, big.bytes, NULL));
    count = 0;
    r("EnumResourceA.count0", WNetEnumResourceA(h, &count, big.bytes, &len));
    count = 0xFFFFFFFF;
    r("EnumResourceA.badhandle", WNetEnumResourceA((HANDLE)0x1234, &count, big.bytes, &len));
    len = 10;
    r("EnumResourceA.small", WNetEnumResourceA(h, &count, big.bytes, &len));
    r("EnumResourceA.small.len", len);
    len = 0;
    r("EnumResourceA.nullbuf", WNetEnumResourceA(h, &count, NULL, &len));
    r("EnumResourceA.nullbuf.len", len);
    len = sizeof big;
    count = 0xFFFFFFFF;
    r("EnumResourceA.all", WNetEnumResourceA(h, &count, big.bytes, &len));
    r("EnumResourceA.all.count", count);
    s("EnumResourceA.all.local", big.nr.lpLocalName);
    s("EnumResourceA.all.remote", big.nr.lpRemoteName);
    s("EnumResourceA.all.provider", big.nr.lpProvider);
    r("EnumResourceA.all.scope", big.nr.dwScope);
    r("EnumResourceA.all.type", big.nr.dwType);
    r("EnumResourceA.all.comment_null", big.nr.lpComment == NULL);
    r("EnumResourceA.all.strings_inside",
      (char *)big.nr.lpRemoteName > big.bytes && (char *)big.nr.lpRemoteName < big.bytes + sizeof big);
    r("EnumResourceA.end", WNetEnumResourceA(h, &count, big.bytes, &len));
    r("CloseEnum.ok", WNetCloseEnum(h));
    r("CloseEnum.again", WNetCloseEnum(h));
    r("CloseEnum.null", WNetCloseEnum(NULL));
    r("EnumResourceA.closed", WNetEnumResourceA(h, &count, big.bytes, &len));
    r("OpenEnumW.connected", WNetOpenEnumW(RESOURCE_CONNECTED, RESOURCETYPE_DISK, 0, NULL, &h));
    count = 0xFFFFFFFF;
    len = sizeof big;
    r("EnumResourceW.connected_empty", WNetEnumResourceW(h, &count, big.bytes, &len));
    r("CloseEnumW.ok", WNetCloseEnum(h));
    r("OpenEnumW.globalnet_noprovider", WNetOpenEnumW(RESOURCE_GLOBALNET, RESOURCETYPE_ANY, 0, &nrw, &h));

    /* ---- resources */
    len = sizeof big;
    r("GetResourceInformationA.null", WNetGetResourceInformationA(NULL, big.bytes, &len, &system_part));
    r("GetResourceInformationA.nulllen", WNetGetResourceInformationA(&nr, big.bytes, NULL, &system_part));
    r("GetResourceInformationA.noprovider", WNetGetResourceInformationA(&nr, big.bytes, &len, &system_part));
    r("GetResourceInformationW.null", WNetGetResourceInformationW(NULL, big.bytes, &len, NULL));
    r("GetResourceParentA.null", WNetGetResourceParentA(NULL, big.bytes, &len));
    r("GetResourceParentA.nulllen", WNetGetResourceParentA(&nr, big.bytes, NULL));
    r("GetResourceParentA.noproviderfield", WNetGetResourceParentA(&nr, big.bytes, &len));
    nr.lpProvider = provider;
    r("GetResourceParentA.noprovider", WNetGetResourceParentA(&nr, big.bytes, &len));
    nr.lpProvider = NULL;
    r("GetResourceParentW.null", WNetGetResourceParentW(NULL, big.bytes, &len));

    /* ---- restore / set */
    r("RestoreConnectionA.notremembered", WNetRestoreConnectionA(NULL, "R:"));
    r("RestoreConnectionW.all_noprovider", WNetRestoreConnectionW(NULL, NULL));
    r("RestoreAllConnectionsW.noprovider", WNetRestoreAllConnectionsW(NULL, 0));
    r("RestoreSingleConnectionA.null", WNetRestoreSingleConnectionA(NULL, NULL, FALSE));
    r("RestoreSingleConnectionW.notremembered", WNetRestoreSingleConnectionW(NULL, u"R:", FALSE));
    r("SetConnectionA.null", WNetSetConnectionA(NULL, NETPROPERTY_PERSISTENT, &yes));
    r("SetConnectionA.badproperty", WNetSetConnectionA("Q:", 2, &yes));
    r("SetConnectionA.nullvalue", WNetSetConnectionA("Q:", NETPROPERTY_PERSISTENT, NULL));
    r("SetConnectionA.notconnected", WNetSetConnectionA("Q:", NETPROPERTY_PERSISTENT, &yes));
    r("SetConnectionW.notconnected", WNetSetConnectionW(u"Q:", NETPROPERTY_PERSISTENT, &yes));

    /* ---- dialogs */
    r("ConnectionDialog.print", WNetConnectionDialog(NULL, RESOURCETYPE_PRINT));
    r("ConnectionDialog.disk", WNetConnectionDialog(NULL, RESOURCETYPE_DISK));
    r("DisconnectDialog.bad", WNetDisconnectDialog(NULL, 7));
    r("DisconnectDialog.disk", WNetDisconnectDialog(NULL, RESOURCETYPE_DISK));
    memset(&cd, 0, sizeof cd);
    r("ConnectionDialog1A.null", WNetConnectionDialog1A(NULL));
    r("ConnectionDialog1A.badcb", WNetConnectionDialog1A(&cd));
    cd.cbStructure = sizeof cd;
    r("ConnectionDialog1A.nullres", WNetConnectionDialog1A(&cd));
    cd.lpConnRes = &nr;
    cd.dwFlags = CONNDLG_RO_PATH | CONNDLG_USE_MRU;
    r("ConnectionDialog1A.ro_mru", WNetConnectionDialog1A(&cd));
    cd.dwFlags = CONNDLG_PERSIST | CONNDLG_NOT_PERSIST;
    r("ConnectionDialog1A.persist_both", WNetConnectionDialog1A(&cd));
    nr.lpRemoteName = NULL;
    cd.dwFlags = CONNDLG_RO_PATH;
    r("ConnectionDialog1A.ro_noremote", WNetConnectionDialog1A(&cd));
    nr.lpRemoteName = remote;
    nr.dwType = RESOURCETYPE_PRINT;
    cd.dwFlags = 0;
    r("ConnectionDialog1A.print", WNetConnectionDialog1A(&cd));
    nr.dwType = RESOURCETYPE_DISK;
    r("ConnectionDialog1A.cancelled", WNetConnectionDialog1A(&cd));
    memset(&cdw, 0, sizeof cdw);
    r("ConnectionDialog1W.badcb", WNetConnectionDialog1W(&cdw));
    memset(&dd, 0, sizeof dd);
    r("DisconnectDialog1A.null", WNetDisconnectDialog1A(NULL));
    r("DisconnectDialog1A.badcb", WNetDisconnectDialog1A(&dd));
    dd.cbStructure = sizeof dd;
    r("DisconnectDialog1A.noname", WNetDisconnectDialog1A(&dd));
    dd.lpLocalName = local_z;
    dd.dwFlags = 0x1000;
    r("DisconnectDialog1A.badflags", WNetDisconnectDialog1A(&dd));
    dd.dwFlags = DISC_UPDATE_PROFILE;
    r("DisconnectDialog1A.notconnected", WNetDisconnectDialog1A(&dd));
    memset(&ddw, 0, sizeof ddw);
    ddw.cbStructure = sizeof ddw;
    ddw.lpRemoteName = wremote;
    r("DisconnectDialog1W.notconnected", WNetDisconnectDialog1W(&ddw));
    r("ClearConnections", WNetClearConnections(NULL));

    /* ---- last error */
    r("GetLastErrorA.null", WNetGetLastErrorA(NULL, buf, sizeof buf, buf, sizeof buf));
    r("GetLastErrorA.nullbuf", WNetGetLastErrorA(&code, NULL, 10, buf, sizeof buf));
    WNetCancelConnection2A("y:", 0, FALSE);
    {
        char name[64];
        r("GetLastErrorA.ok", WNetGetLastErrorA(&code, buf, sizeof buf, name, sizeof name));
        r("GetLastErrorA.code", code);
        r("GetLastErrorA.text_mentions_device", strstr(buf, "Y:") != NULL);
        s("GetLastErrorA.provider", name);
        WNetSetLastErrorA(5, "my text", "my provider");
        r("GetLastErrorA.after_set", WNetGetLastErrorA(&code, buf, 4, name, sizeof name));
        r("GetLastErrorA.after_set.code", code);
        s("GetLastErrorA.after_set.text", buf);
        s("GetLastErrorA.after_set.provider", name);
        len = 0;
        r("GetUserA.sizequery", WNetGetUserA(NULL, NULL, &len));
        WNetGetLastErrorA(&code, buf, sizeof buf, name, sizeof name);
        r("GetLastErrorA.kept_after_234", code);
        WNetSetLastErrorW(1208, u"wide text", NULL);
        r("GetLastErrorW.ok", WNetGetLastErrorW(&code, wbuf, 256, NULL, 0));
        r("GetLastErrorW.code", code);
        r("GetLastErrorW.text", wbuf[0] == u'w' && wbuf[9] == 0);
        r("GetLastErrorW.null", WNetGetLastErrorW(NULL, wbuf, 256, NULL, 0));
    }

    /* ---- the remembered Q: is cancelled by name with CONNECT_UPDATE_PROFILE */
    r("CancelConnection2A.remembered_update", WNetCancelConnection2A("q:", CONNECT_UPDATE_PROFILE, FALSE));
    len = sizeof buf;
    r("GetConnectionA.after_cancel", WNetGetConnectionA("Q:", buf, &len));
    printf("done\n");
    return 0;
}
