/* A WebDAV folder through the C API: a deviceless connection by URL, the provider named by
 * the enumeration, WNetGetUser, WNetGetProviderName and WNetGetNetworkInformation; the same
 * URL to Z:, WNetGetConnection, files read and written through the drive (ZDIR, where Z: is
 * mounted), a cancel refused with 2401 while a file is open, then forced; the cancel by the
 * WebClient UNC form of the deviceless connection.
 * Usage: webdav <url> <unc> <zdir>; prints `label=value` lines. */
#include <stdio.h>
#include <string.h>
#include <winnetwk.h>

static void r(const char *label, DWORD code) { printf("%s=%lu\n", label, (unsigned long)code); }
static void s(const char *label, const char *value) { printf("%s=%s\n", label, value ? value : "(null)"); }

static union { NETRESOURCEA nr; char bytes[16384]; } big;

int main(int argc, char **argv)
{
    char buf[512], path[4096], data[64];
    DWORD len, count;
    FILE *f, *held;
    size_t n;
    HANDLE h;
    NETRESOURCEA nr;
    NETINFOSTRUCT ni;

    if (argc != 4) {
        fprintf(stderr, "usage: webdav URL UNC ZDIR\n");
        return 2;
    }
    memset(&nr, 0, sizeof nr);
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpRemoteName = argv[1];
    r("add", WNetAddConnection2A(&nr, NULL, NULL, 0));
    r("add.again", WNetAddConnection2A(&nr, NULL, NULL, 0));

    r("openenum.connected", WNetOpenEnumA(RESOURCE_CONNECTED, RESOURCETYPE_DISK, 0, NULL, &h));
    count = 0xFFFFFFFF;
    len = sizeof big;
    r("enum.connected", WNetEnumResourceA(h, &count, big.bytes, &len));
    r("enum.connected.count", count);
    s("enum.connected.local", big.nr.lpLocalName);
    s("enum.connected.remote", big.nr.lpRemoteName);
    s("enum.connected.provider", big.nr.lpProvider);
    WNetCloseEnum(h);

    len = sizeof buf;
    r("getuser", WNetGetUserA(argv[1], buf, &len));
    len = sizeof buf;
    r("providername", WNetGetProviderNameA(WNNC_NET_DAV, buf, &len));
    s("providername.name", buf);
    memset(&ni, 0, sizeof ni);
    ni.cbStructure = sizeof ni;
    r("networkinformation", WNetGetNetworkInformationA(buf, &ni));
    r("networkinformation.nettype", ni.wNetType);

    nr.lpLocalName = "Z:";
    r("add.drive", WNetAddConnection2A(&nr, NULL, NULL, 0));
    len = sizeof buf;
    r("getconnection.z", WNetGetConnectionA("Z:", buf, &len));
    s("getconnection.z.remote", buf);

    snprintf(path, sizeof path, "%s/readme.txt", argv[3]);
    f = fopen(path, "r");
    n = f ? fread(data, 1, sizeof data - 1, f) : 0;
    data[n] = 0;
    if (f)
        fclose(f);
    s("drive.read", data);
    snprintf(path, sizeof path, "%s/fromc.txt", argv[3]);
    f = fopen(path, "w");
    r("drive.write", f && fputs("written by C", f) >= 0 ? 0 : 1);
    r("drive.write.close", f ? (DWORD)fclose(f) : 1);

    snprintf(path, sizeof path, "%s/readme.txt", argv[3]);
    held = fopen(path, "r");
    r("drive.held", held ? 0 : 1);
    r("cancel.z.open", WNetCancelConnection2A("Z:", 0, FALSE));
    len = sizeof buf;
    r("getconnection.z.still", WNetGetConnectionA("Z:", buf, &len));
    r("cancel.z.force", WNetCancelConnection2A("Z:", 0, TRUE));
    if (held)
        fclose(held);
    len = sizeof buf;
    r("getconnection.z.after", WNetGetConnectionA("Z:", buf, &len));

    r("cancel.unc", WNetCancelConnection2A(argv[2], 0, FALSE));
    r("cancel.again", WNetCancelConnection2A(argv[1], 0, FALSE));
    printf("done\n");
    return 0;
}
