/* A WebDAV folder through the C API: a deviceless connection by URL, the provider named by
 * the enumeration, WNetGetUser, WNetGetProviderName and WNetGetNetworkInformation; a drive
 * letter refused (50); the cancel by the WebClient UNC form of the same folder.
 * Usage: webdav <url> <unc>; prints `label=value` lines. */
#include <stdio.h>
#include <string.h>
#include <winnetwk.h>

static void r(const char *label, DWORD code) { printf("%s=%lu\n", label, (unsigned long)code); }
static void s(const char *label, const char *value) { printf("%s=%s\n", label, value ? value : "(null)"); }

static union { NETRESOURCEA nr; char bytes[16384]; } big;

int main(int argc, char **argv)
{
    char buf[512];
    DWORD len, count;
    HANDLE h;
    NETRESOURCEA nr;
    NETINFOSTRUCT ni;

    if (argc != 3) {
        fprintf(stderr, "usage: webdav URL UNC\n");
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

    r("cancel.unc", WNetCancelConnection2A(argv[2], 0, FALSE));
    r("cancel.again", WNetCancelConnection2A(argv[1], 0, FALSE));
    printf("done\n");
    return 0;
}
