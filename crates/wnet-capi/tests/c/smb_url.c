/* An smb:// URL where a UNC goes: WNetAddConnection2 with the URL and no user name connects as
 * the URL's user; the connection is then known by its UNC name.
 * Usage: smb_url <smb://user@host:port/share> <password>; prints `label=value` lines. */
#include <stdio.h>
#include <string.h>
#include <winnetwk.h>

static void r(const char *label, DWORD code) { printf("%s=%lu\n", label, (unsigned long)code); }
static void s(const char *label, const char *value) { printf("%s=%s\n", label, value ? value : "(null)"); }

int main(int argc, char **argv)
{
    char local[] = "Y:";
    char buf[512];
    DWORD len;
    NETRESOURCEA nr;

    if (argc != 3) {
        fprintf(stderr, "usage: smb_url URL PASSWORD\n");
        return 2;
    }
    memset(&nr, 0, sizeof nr);
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpLocalName = local;
    nr.lpRemoteName = argv[1];
    r("add", WNetAddConnection2A(&nr, argv[2], NULL, 0));
    len = sizeof buf;
    r("getconnection", WNetGetConnectionA("Y:", buf, &len));
    s("getconnection.remote", buf);
    len = sizeof buf;
    r("getuser", WNetGetUserA("Y:", buf, &len));
    s("getuser.name", buf);
    r("cancel.by_url", WNetCancelConnection2A(argv[1], 0, FALSE));
    r("cancel", WNetCancelConnection2A("Y:", 0, FALSE));
    printf("done\n");
    return 0;
}
