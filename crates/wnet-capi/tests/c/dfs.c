/* A DFS name through the C API: map a path below a DFS link, read a file through the drive,
 * and the names WNetGetConnection / WNetGetUniversalName give back (the DFS name, as mapped).
 * Usage: dfs <\\ns\dfs\link\path> <user> <password>; prints `label=value` lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winnetwk.h>

static void r(const char *label, DWORD code) { printf("%s=%lu\n", label, (unsigned long)code); }
static void s(const char *label, const char *value) { printf("%s=%s\n", label, value ? value : "(null)"); }

static union { NETRESOURCEA nr; UNIVERSAL_NAME_INFOA uni; REMOTE_NAME_INFOA rni; char bytes[4096]; } big;

int main(int argc, char **argv)
{
    char local[] = "Y:";
    char buf[512];
    char path[4096];
    DWORD len;
    NETRESOURCEA nr;
    FILE *f;
    const char *root = getenv("WNET_DRIVE_ROOT");

    if (argc != 4 || root == NULL) {
        fprintf(stderr, "usage: dfs UNC USER PASSWORD (with WNET_DRIVE_ROOT set)\n");
        return 2;
    }
    memset(&nr, 0, sizeof nr);
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpLocalName = local;
    nr.lpRemoteName = argv[1];
    r("add", WNetAddConnection2A(&nr, argv[3], argv[2], 0));

    snprintf(path, sizeof path, "%s/Y/inner.txt", root);
    f = fopen(path, "r");
    r("fopen", f != NULL);
    if (f != NULL) {
        memset(buf, 0, sizeof buf);
        r("fread", (DWORD)fread(buf, 1, sizeof buf - 1, f));
        buf[strcspn(buf, "\n")] = 0;
        s("content", buf);
        fclose(f);
    }

    len = sizeof buf;
    r("getconnection", WNetGetConnectionA("Y:", buf, &len));
    s("getconnection.remote", buf);
    len = sizeof big;
    r("universal", WNetGetUniversalNameA("Y:\\inner.txt", REMOTE_NAME_INFO_LEVEL, big.bytes, &len));
    s("universal.name", big.rni.lpUniversalName);
    s("universal.connection", big.rni.lpConnectionName);
    s("universal.remaining", big.rni.lpRemainingPath);

    {
        NETRESOURCEA q;
        char *system_part = NULL;
        memset(&q, 0, sizeof q);
        q.dwType = RESOURCETYPE_DISK;
        q.lpRemoteName = argv[1];
        len = sizeof big;
        r("info", WNetGetResourceInformationA(&q, big.bytes, &len, &system_part));
        s("info.remote", big.nr.lpRemoteName);
        s("info.system", system_part);
    }

    r("cancel", WNetCancelConnection2A("Y:", 0, FALSE));
    len = sizeof buf;
    r("after.getconnection", WNetGetConnectionA("Y:", buf, &len));
    printf("done\n");
    return 0;
}
