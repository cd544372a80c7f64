/* Resource and provider queries against the real daemon and its SMB provider. */
#include <stdio.h>
#include <string.h>
#include <winnetwk.h>

static void r(const char *label, DWORD code) { printf("%s=%lu\n", label, (unsigned long)code); }
static void s(const char *label, const char *value) { printf("%s=%s\n", label, value ? value : "(null)"); }

static union { NETRESOURCEA a; NETRESOURCEW w; char bytes[2048]; } big;

int main(void)
{
    char path[] = "\\\\server\\share\\dir\\file";
    char share[] = "\\\\server\\share";
    char server[] = "\\\\server";
    char provider[] = "Microsoft Windows Network";
    WCHAR wpath[] = u"\\\\server\\share\\dir\\file";
    NETRESOURCEA nr;
    NETRESOURCEW nrw;
    NETINFOSTRUCT ni;
    DWORD len;
    char *system_part = NULL;
    WCHAR *wsystem = NULL;
    char buf[256];

    memset(&nr, 0, sizeof nr);
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpRemoteName = path;
    len = 10;
    r("info.small", WNetGetResourceInformationA(&nr, big.bytes, &len, &system_part));
    r("info.small.len", len);
    r("info.exact", WNetGetResourceInformationA(&nr, big.bytes, &len, &system_part));
    s("info.remote", big.a.lpRemoteName);
    s("info.provider", big.a.lpProvider);
    s("info.system", system_part);
    r("info.system_inside", system_part > big.bytes && system_part < big.bytes + len);
    r("info.type", big.a.dwType);
    memset(&nrw, 0, sizeof nrw);
    nrw.lpRemoteName = wpath;
    len = sizeof big;
    r("infoW", WNetGetResourceInformationW(&nrw, big.bytes, &len, &wsystem));
    r("infoW.system", wsystem != NULL && wsystem[0] == u'\\' && wsystem[1] == u'd' && wsystem[9] == 0);
    nr.lpRemoteName = share;
    len = sizeof big;
    system_part = big.bytes;
    r("info.share", WNetGetResourceInformationA(&nr, big.bytes, &len, &system_part));
    r("info.share.system_null", system_part == NULL);

    nr.lpProvider = provider;
    nr.lpRemoteName = path;
    len = sizeof big;
    r("parent.path", WNetGetResourceParentA(&nr, big.bytes, &len));
    s("parent.path.remote", big.a.lpRemoteName);
    nr.lpRemoteName = share;
    len = sizeof big;
    r("parent.share", WNetGetResourceParentA(&nr, big.bytes, &len));
    s("parent.share.remote", big.a.lpRemoteName);
    r("parent.share.display", big.a.dwDisplayType);
    nr.lpRemoteName = server;
    len = sizeof big;
    r("parent.server", WNetGetResourceParentA(&nr, big.bytes, &len));
    r("parent.server.remote_null", big.a.lpRemoteName == NULL);
    s("parent.server.provider", big.a.lpProvider);
    nr.lpRemoteName = share;
    len = 4;
    r("parent.small", WNetGetResourceParentA(&nr, big.bytes, &len));
    r("parent.small.len", len);

    len = sizeof buf;
    r("providername", WNetGetProviderNameA(WNNC_NET_LANMAN, buf, &len));
    s("providername.name", buf);
    len = 5;
    r("providername.small", WNetGetProviderNameA(WNNC_NET_LANMAN | 0x1234, buf, &len));
    r("providername.small.len", len);
    len = sizeof buf;
    r("providername.dav", WNetGetProviderNameA(WNNC_NET_DAV, buf, &len));
    s("providername.dav.name", buf);
    memset(&ni, 0, sizeof ni);
    ni.cbStructure = sizeof ni;
    r("netinfo", WNetGetNetworkInformationA(provider, &ni));
    r("netinfo.cb", ni.cbStructure);
    r("netinfo.nettype", ni.wNetType);
    r("netinfo.status", ni.dwStatus);
    r("netinfo.drives", ni.dwDrives);
    memset(&ni, 0, sizeof ni);
    ni.cbStructure = sizeof ni;
    r("netinfo.dav", WNetGetNetworkInformationA("Web Client Network", &ni));
    r("netinfo.dav.nettype", ni.wNetType);
    r("netinfo.dav.handle", (DWORD)ni.dwHandle);
    r("netinfo.unknown", WNetGetNetworkInformationA("No Such Network", &ni));
    return 0;
}
