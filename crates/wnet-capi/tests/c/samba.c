/* Against a real Samba share: connect Z:, query it every way, enumerate it, refuse a cancel
 * while a file on the drive is open, cancel once it is closed.
 * Usage: samba <\\server@port\share> <user> <password>; prints `label=value` lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winnetwk.h>

static void r(const char *label, DWORD code) { printf("%s=%lu\n", label, (unsigned long)code); }
static void s(const char *label, const char *value) { printf("%s=%s\n", label, value ? value : "(null)"); }

static union { NETRESOURCEA nr; UNIVERSAL_NAME_INFOA uni; REMOTE_NAME_INFOA rni; char bytes[16384]; } big;

int main(int argc, char **argv)
{
    char local[] = "Z:";
    char buf[512];
    DWORD len, count, code, result;
    HANDLE h;
    NETRESOURCEA nr;
    NETCONNECTINFOSTRUCT ci;
    char path[4096];
    FILE *f;
    const char *root = getenv("WNET_DRIVE_ROOT");

    if (argc != 4 || root == NULL) {
        fprintf(stderr, "usage: samba UNC USER PASSWORD (with WNET_DRIVE_ROOT set)\n");
        return 2;
    }
    memset(&nr, 0, sizeof nr);
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpLocalName = local;
    nr.lpRemoteName = argv[1];

    r("add.badpassword", WNetAddConnection2A(&nr, "wrong password", argv[2], 0));
    r("add", WNetAddConnection2A(&nr, argv[3], argv[2], CONNECT_UPDATE_PROFILE));
    r("add.again", WNetAddConnection2A(&nr, argv[3], argv[2], 0));

    len = sizeof buf;
    r("getconnection", WNetGetConnectionA("z:", buf, &len));
    s("getconnection.remote", buf);
    len = 3;
    r("getconnection.small", WNetGetConnectionA("z:", buf, &len));
    r("getconnection.small.len", len);
    {
        WCHAR w[512];
        DWORD i, same = 1;
        len = 512;
        r("getconnectionW", WNetGetConnectionW(u"Z:", w, &len));
        len = sizeof buf;
        WNetGetConnectionA("Z:", buf, &len);
        for (i = 0; buf[i] != 0; i++)
            if (w[i] != (WCHAR)buf[i]) same = 0;
        r("getconnectionW.same", same && w[i] == 0);
    }

    len = sizeof big;
    r("universal1", WNetGetUniversalNameA("Z:\\dir\\file.txt", UNIVERSAL_NAME_INFO_LEVEL, big.bytes, &len));
    s("universal1.name", big.uni.lpUniversalName);
    len = sizeof big;
    r("universal2", WNetGetUniversalNameA("z:\\dir\\file.txt", REMOTE_NAME_INFO_LEVEL, big.bytes, &len));
    s("universal2.name", big.rni.lpUniversalName);
    s("universal2.connection", big.rni.lpConnectionName);
    s("universal2.remaining", big.rni.lpRemainingPath);
    len = 8;
    r("universal2.small", WNetGetUniversalNameA("z:\\dir\\file.txt", REMOTE_NAME_INFO_LEVEL, big.bytes, &len));
    r("universal2.small.len_ok", len > 24 && len < 200);

    len = sizeof buf;
    r("getuser", WNetGetUserA("Z:", buf, &len));
    s("getuser.name", buf);

    memset(&ci, 0, sizeof ci);
    ci.cbStructure = sizeof ci;
    r("performance", MultinetGetConnectionPerformanceA(&nr, &ci));
    r("performance.speed_nonzero", ci.dwSpeed != 0);

    len = sizeof buf;
    r("providername", WNetGetProviderNameA(WNNC_NET_LANMAN, buf, &len));
    s("providername.name", buf);
    {
        NETINFOSTRUCT ni;
        memset(&ni, 0, sizeof ni);
        ni.cbStructure = sizeof ni;
        r("networkinformation", WNetGetNetworkInformationA(buf, &ni));
        r("networkinformation.drives_has_z", (ni.dwDrives >> 25) & 1);
        r("networkinformation.nettype", ni.wNetType);
    }

    r("openenum.connected", WNetOpenEnumA(RESOURCE_CONNECTED, RESOURCETYPE_DISK, 0, NULL, &h));
    count = 0xFFFFFFFF;
    len = sizeof big;
    r("enum.connected", WNetEnumResourceA(h, &count, big.bytes, &len));
    r("enum.connected.count", count);
    s("enum.connected.local", big.nr.lpLocalName);
    s("enum.connected.remote", big.nr.lpRemoteName);
    s("enum.connected.provider", big.nr.lpProvider);
    r("enum.connected.end", WNetEnumResourceA(h, &count, big.bytes, &len));
    r("closeenum", WNetCloseEnum(h));
    r("openenum.remembered", WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h));
    count = 0xFFFFFFFF;
    len = sizeof big;
    r("enum.remembered", WNetEnumResourceA(h, &count, big.bytes, &len));
    s("enum.remembered.local", big.nr.lpLocalName);
    WNetCloseEnum(h);

    /* A file open on the drive refuses the cancel, and nothing changes. */
    snprintf(path, sizeof path, "%s/Z/open.txt", root);
    f = fopen(path, "w");
    r("fopen", f != NULL);
    if (f == NULL) return 1;
    fputs("written before the cancel\n", f);
    fflush(f);
    r("cancel.open", WNetCancelConnection2A("z:", CONNECT_UPDATE_PROFILE, FALSE));
    {
        char name[256];
        WNetGetLastErrorA(&code, buf, sizeof buf, name, sizeof name);
        r("cancel.open.lasterror", code);
        s("cancel.open.lasterror.provider", name);
        s("cancel.open.lasterror.text", buf);
    }
    len = sizeof buf;
    r("cancel.open.still_connected", WNetGetConnectionA("z:", buf, &len));
    fclose(f);
    r("cancel.closed", WNetCancelConnection2A("z:", CONNECT_UPDATE_PROFILE, FALSE));
    len = sizeof buf;
    r("after.getconnection", WNetGetConnectionA("z:", buf, &len));

    /* WNetUseConnection chooses a drive itself. */
    nr.lpLocalName = NULL;
    len = sizeof buf;
    result = 0;
    r("use.redirect", WNetUseConnectionA(NULL, &nr, argv[3], argv[2], CONNECT_REDIRECT, buf, &len, &result));
    s("use.redirect.access", buf);
    r("use.redirect.result", result);
    r("use.cancel", WNetCancelConnection2A(buf, 0, FALSE));
    printf("done\n");
    return 0;
}
