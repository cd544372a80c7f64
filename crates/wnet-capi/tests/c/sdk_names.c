/* Uses the generic (TCHAR) names as Windows SDK code does; built as C and C++, with and without
 * UNICODE, from <stdio.h> and <winnetwk.h> only. */
#include <stdio.h>
#include <string.h>
#include <winnetwk.h>

int main(void)
{
    NETRESOURCE nr;
    CONNECTDLGSTRUCT cd;
    DISCDLGSTRUCT dd;
    TCHAR remote[] = TEXT("\\\\server\\share");
    TCHAR local[] = TEXT("Z:");
    TCHAR buf[256];
    TCHAR name[64];
    union { UNIVERSAL_NAME_INFO uni; REMOTE_NAME_INFO rni; char bytes[1024]; } info;
    DWORD len = sizeof buf / sizeof buf[0];
    DWORD size = sizeof info;
    DWORD code = 0;
    DWORD rc;
    HANDLE h = NULL;
    LPTSTR p = buf;
    LPCTSTR q = TEXT("q:");

    memset(&nr, 0, sizeof nr);
    memset(&cd, 0, sizeof cd);
    memset(&dd, 0, sizeof dd);
    nr.dwScope = RESOURCE_GLOBALNET;
    nr.dwType = RESOURCETYPE_DISK;
    nr.dwDisplayType = RESOURCEDISPLAYTYPE_SHARE;
    nr.dwUsage = RESOURCEUSAGE_CONNECTABLE;
    nr.lpLocalName = local;
    nr.lpRemoteName = remote;
    cd.cbStructure = sizeof cd;
    cd.lpConnRes = &nr;
    cd.dwFlags = CONNDLG_PERSIST;
    dd.cbStructure = sizeof dd;
    dd.lpLocalName = local;
    dd.dwFlags = DISC_UPDATE_PROFILE | DISC_NO_FORCE;

    rc = WNetGetConnection(q, p, &len);
    printf("getconnection=%lu %s\n", (unsigned long)rc, rc == ERROR_CONNECTION_UNAVAIL ? "ERROR_CONNECTION_UNAVAIL" : "?");
    rc = WNetGetUniversalName(TEXT("Q:\\dir"), UNIVERSAL_NAME_INFO_LEVEL, &info, &size);
    printf("universal=%lu\n", (unsigned long)rc);
    rc = WNetAddConnection2(&nr, NULL, NULL, CONNECT_TEMPORARY);
    printf("add=%lu %s\n", (unsigned long)rc, rc == WN_NO_NETWORK ? "WN_NO_NETWORK" : "?");
    rc = WNetCancelConnection2(TEXT("z:"), CONNECT_UPDATE_PROFILE, FALSE);
    printf("cancel=%lu %s\n", (unsigned long)rc, rc == WN_NOT_CONNECTED ? "WN_NOT_CONNECTED" : "?");
    rc = WNetGetLastError(&code, buf, sizeof buf / sizeof buf[0], name, sizeof name / sizeof name[0]);
    printf("lasterror=%lu code=%lu\n", (unsigned long)rc, (unsigned long)code);
    rc = WNetOpenEnum(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h);
    printf("openenum=%lu\n", (unsigned long)rc);
    printf("closeenum=%lu\n", (unsigned long)WNetCloseEnum(h));
    printf("dialog=%lu\n", (unsigned long)WNetConnectionDialog1(&cd));
    printf("disconnect=%lu\n", (unsigned long)WNetDisconnectDialog1(&dd));
    printf("sizes=%u %u %u\n", (unsigned)sizeof(NETRESOURCE), (unsigned)sizeof(CONNECTDLGSTRUCT), (unsigned)sizeof(DISCDLGSTRUCT));
    printf("tchar=%u\n", (unsigned)sizeof(TCHAR));
    return 0;
}
