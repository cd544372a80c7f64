/* A domain share through the C API with no user and no password: the calling process's
 * Kerberos ticket (KRB5CCNAME) is used, as Windows uses the logon session's.
 * Usage: kerberos <\\host@port\share>; prints `label=value` lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winnetwk.h>

static void r(const char *label, DWORD code) { printf("%s=%lu\n", label, (unsigned long)code); }

int main(int argc, char **argv)
{
    char local[] = "K:";
    char buf[512];
    char path[4096];
    DWORD len;
    FILE *f;
    NETRESOURCEA nr;
    const char *root = getenv("WNET_DRIVE_ROOT");

    if (argc != 2 || root == NULL) {
        fprintf(stderr, "usage: kerberos UNC (with WNET_DRIVE_ROOT set)\n");
        return 2;
    }
    memset(&nr, 0, sizeof nr);
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpLocalName = local;
    nr.lpRemoteName = argv[1];
    r("add", WNetAddConnection2A(&nr, NULL, NULL, 0));

    len = sizeof buf;
    r("getuser", WNetGetUserA(local, buf, &len));
    printf("getuser.name=%s\n", buf);

    snprintf(path, sizeof path, "%s/K/from-c.txt", root);
    f = fopen(path, "w");
    r("write", f != NULL && fputs("written by C with a ticket", f) >= 0 && fclose(f) == 0 ? 0 : 1);

    r("cancel", WNetCancelConnection2A(local, 0, FALSE));
    r("cancel.again", WNetCancelConnection2A(local, 0, FALSE));
    printf("done\n");
    return 0;
}
