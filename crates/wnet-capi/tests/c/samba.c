/* Against a real Samba share: connect Z:, query it every way, enumerate it, refuse a cancel
 * while a file on the drive is open, cancel once it is closed.
 * Usage: samba <\\server@port\share> <user> <password>; prints `label=value` lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

    if (argc != 5 || root == NULL) {
        fprintf(stderr, "usage: samba UNC USER PASSWORD DEVICELESS_DIR (with WNET_DRIVE_ROOT set)\n");
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

    /* A working directory on the drive refuses the cancel (2404). */
    snprintf(path, sizeof path, "%s/Z", root);
    r("chdir", chdir(path) == 0);
    r("cancel.cwd", WNetCancelConnection2A("z:", CONNECT_UPDATE_PROFILE, FALSE));
    r("chdir.out", chdir("/") == 0);

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

    /* W forms: a deviceless connection, found by its remote name, refused with an open file,
     * then cancelled by force with what was written kept. */
    {
        WCHAR wremote[512], wuser[128], wpass[128], wb[256];
        NETRESOURCEW nrw;
        size_t i;
        int same = 1;
        for (i = 0; argv[1][i] && i < 511; i++) wremote[i] = (WCHAR)(unsigned char)argv[1][i];
        wremote[i] = 0;
        for (i = 0; argv[2][i] && i < 127; i++) wuser[i] = (WCHAR)(unsigned char)argv[2][i];
        wuser[i] = 0;
        for (i = 0; argv[3][i] && i < 127; i++) wpass[i] = (WCHAR)(unsigned char)argv[3][i];
        wpass[i] = 0;
        memset(&nrw, 0, sizeof nrw);
        nrw.dwType = RESOURCETYPE_DISK;
        nrw.lpRemoteName = wremote;
        r("w.add_deviceless", WNetAddConnection2W(&nrw, wpass, wuser, 0));
        len = 256;
        r("w.getuser", WNetGetUserW(wremote, wb, &len));
        for (i = 0; argv[2][i]; i++)
            if (wb[i] != (WCHAR)(unsigned char)argv[2][i]) same = 0;
        r("w.getuser.same", same && wb[i] == 0);
        r("w.openenum", WNetOpenEnumW(RESOURCE_CONNECTED, RESOURCETYPE_ANY, 0, NULL, &h));
        count = 0xFFFFFFFF;
        len = sizeof big;
        r("w.enum", WNetEnumResourceW(h, &count, big.bytes, &len));
        r("w.enum.count", count);
        r("w.enum.local_null", ((NETRESOURCEW *)big.bytes)->lpLocalName == NULL);
        WNetCloseEnum(h);
        snprintf(path, sizeof path, "%s/deviceless.txt", argv[4]);
        f = fopen(path, "w");
        r("w.fopen", f != NULL);
        if (f == NULL) return 1;
        fputs("kept by a forced cancel\n", f);
        fflush(f);
        r("w.cancel.open", WNetCancelConnection2W(wremote, 0, FALSE));
        r("w.cancel.forced", WNetCancelConnection2W(wremote, 0, TRUE));
        fclose(f);
        r("w.cancel.gone", WNetCancelConnection2W(wremote, 0, FALSE));
    }
    /* WNetSetConnection toggles persistence; WNetClearConnections drops every live connection
     * and leaves the profile alone. */
    nr.lpLocalName = local;
    r("set.add", WNetAddConnection2A(&nr, argv[3], argv[2], 0));
    {
        BOOL yes = TRUE, no = FALSE;
        r("set.persistent", WNetSetConnectionA("z:", NETPROPERTY_PERSISTENT, &yes));
        r("set.remembered", WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h));
        count = 0xFFFFFFFF;
        len = sizeof big;
        r("set.remembered.enum", WNetEnumResourceA(h, &count, big.bytes, &len));
        r("set.remembered.count", count);
        WNetCloseEnum(h);
        r("set.not_persistent", WNetSetConnectionA("z:", NETPROPERTY_PERSISTENT, &no));
        r("set.forgotten", WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h));
        count = 0xFFFFFFFF;
        len = sizeof big;
        r("set.forgotten.enum", WNetEnumResourceA(h, &count, big.bytes, &len));
        WNetCloseEnum(h);
        r("set.persistent.again", WNetSetConnectionA("z:", NETPROPERTY_PERSISTENT, &yes));
    }
    r("clear", WNetClearConnections(NULL));
    len = sizeof buf;
    r("clear.z_remembered_only", WNetGetConnectionA("z:", buf, &len));
    r("clear.forget", WNetCancelConnection2A("z:", CONNECT_UPDATE_PROFILE, FALSE));
    printf("done\n");
    return 0;
}
