/* A print share through the C API: connect LPT1: with RESOURCETYPE_PRINT, query it, find it
 * in every enumeration as a printer, print a job through the port file, refuse a cancel while
 * a job is open, cancel once it is closed.
 * Usage: printer <\\server@port\printer> <\\server@port\disk> <user> <password>;
 * prints `label=value` lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winnetwk.h>

static void r(const char *label, DWORD code) { printf("%s=%lu\n", label, (unsigned long)code); }
static void s(const char *label, const char *value) { printf("%s=%s\n", label, value ? value : "(null)"); }

static union { NETRESOURCEA nr[64]; UNIVERSAL_NAME_INFOA uni; char bytes[65536]; } big;

/* Enumerates (scope, type, container) and reports how many entries, and the first entry whose
 * remote name ends with `suffix`: its local name and dwType. */
static void find(const char *label, DWORD scope, DWORD type, NETRESOURCEA *container, const char *suffix)
{
    HANDLE h;
    DWORD count = 0xFFFFFFFF, len = sizeof big, i, code;
    char key[128];
    snprintf(key, sizeof key, "%s.open", label);
    code = WNetOpenEnumA(scope, type, 0, container, &h);
    r(key, code);
    if (code != NO_ERROR) return;
    code = WNetEnumResourceA(h, &count, big.bytes, &len);
    snprintf(key, sizeof key, "%s.enum", label);
    r(key, code);
    for (i = 0; code == NO_ERROR && i < count; i++) {
        const char *remote = big.nr[i].lpRemoteName;
        size_t n = remote ? strlen(remote) : 0, m = strlen(suffix);
        if (n >= m && strcmp(remote + n - m, suffix) == 0) {
            snprintf(key, sizeof key, "%s.local", label);
            s(key, big.nr[i].lpLocalName);
            snprintf(key, sizeof key, "%s.type", label);
            r(key, big.nr[i].dwType);
        }
    }
    WNetCloseEnum(h);
}

int main(int argc, char **argv)
{
    char lpt1[] = "LPT1:", lpt2[] = "LPT2:", z[] = "Z:";
    char buf[512], path[4096], server[512];
    DWORD len;
    NETRESOURCEA nr, srv;
    FILE *job;
    const char *root = getenv("WNET_DRIVE_ROOT");
    char *cut;

    if (argc != 5 || root == NULL) {
        fprintf(stderr, "usage: printer PRINTER_UNC DISK_UNC USER PASSWORD (with WNET_DRIVE_ROOT set)\n");
        return 2;
    }
    memset(&nr, 0, sizeof nr);
    nr.dwType = RESOURCETYPE_PRINT;
    nr.lpLocalName = lpt2;
    nr.lpRemoteName = argv[2];
    r("add.disk_on_lpt2", WNetAddConnection2A(&nr, argv[4], argv[3], 0));
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpLocalName = z;
    nr.lpRemoteName = argv[1];
    r("add.printer_on_z", WNetAddConnection2A(&nr, argv[4], argv[3], 0));
    nr.dwType = RESOURCETYPE_PRINT;
    nr.lpLocalName = lpt1;
    r("add", WNetAddConnection2A(&nr, argv[4], argv[3], CONNECT_UPDATE_PROFILE));

    len = sizeof buf;
    r("getconnection", WNetGetConnectionA("lpt1:", buf, &len));
    s("getconnection.remote", buf);
    len = sizeof big;
    r("universal", WNetGetUniversalNameA("LPT1:", UNIVERSAL_NAME_INFO_LEVEL, big.bytes, &len));
    len = sizeof buf;
    r("providername", WNetGetProviderNameA(WNNC_NET_LANMAN, buf, &len));
    {
        NETINFOSTRUCT ni;
        memset(&ni, 0, sizeof ni);
        ni.cbStructure = sizeof ni;
        r("networkinformation", WNetGetNetworkInformationA(buf, &ni));
        r("networkinformation.printers", ni.dwPrinters);
        r("networkinformation.printerred", (ni.dwCharacteristics & NETINFO_PRINTERRED) != 0);
    }

    find("connected", RESOURCE_CONNECTED, RESOURCETYPE_PRINT, NULL, "\\printer");
    find("connected.disk", RESOURCE_CONNECTED, RESOURCETYPE_DISK, NULL, "\\printer");
    find("remembered", RESOURCE_REMEMBERED, RESOURCETYPE_PRINT, NULL, "\\printer");
    /* The server's shares: \\server@port is the UNC up to its last backslash. */
    snprintf(server, sizeof server, "%s", argv[1]);
    cut = strrchr(server, '\\');
    if (cut) *cut = 0;
    memset(&srv, 0, sizeof srv);
    srv.dwScope = RESOURCE_GLOBALNET;
    srv.dwUsage = RESOURCEUSAGE_CONTAINER;
    srv.lpRemoteName = server;
    find("globalnet", RESOURCE_GLOBALNET, RESOURCETYPE_PRINT, &srv, "\\printer");
    find("globalnet.disk", RESOURCE_GLOBALNET, RESOURCETYPE_DISK, &srv, "\\printer");

    /* A job held open refuses the cancel (2401); closed, it is printed and the cancel goes. */
    snprintf(path, sizeof path, "%s/LPT1", root);
    job = fopen(path, "w");
    r("fopen", job != NULL);
    if (job == NULL) return 1;
    fputs("printed through the C API\n", job);
    fflush(job);
    r("cancel.open", WNetCancelConnection2A("LPT1:", CONNECT_UPDATE_PROFILE, FALSE));
    {
        DWORD error = 0;
        char text[1024], provider[256];
        WNetGetLastErrorA(&error, text, sizeof text, provider, sizeof provider);
        r("cancel.open.lasterror", error);
        s("cancel.open.lasterror.text", text);
    }
    len = sizeof buf;
    r("cancel.open.still_connected", WNetGetConnectionA("LPT1:", buf, &len));
    fclose(job);
    r("cancel.closed", WNetCancelConnection2A("LPT1:", CONNECT_UPDATE_PROFILE, FALSE));
    len = sizeof buf;
    r("after.getconnection", WNetGetConnectionA("LPT1:", buf, &len));
    printf("done\n");
    return 0;
}
