/* Windows-style wide strings: built with -fshort-wchar, WCHAR is wchar_t and L"..." literals
 * go straight to the W functions, as in code written for Windows. */
#include <stdio.h>
#include <string.h>
#include <winnetwk.h>

static int same(const WCHAR *a, const WCHAR *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

int main(void)
{
    WCHAR remote[256];
    DWORD len = sizeof remote / sizeof remote[0], count = 0xFFFFFFFF, size;
    NETRESOURCEW nr;
    HANDLE h;
    union { NETRESOURCEW nr; char bytes[4096]; } out;
    const WCHAR *device = L"Q:";
    WCHAR z[] = L"Z:", share[] = L"\\\\server\\share";
    printf("sizes=%u %u\n", (unsigned)sizeof(WCHAR), (unsigned)sizeof(L"Z:"));
    printf("getconnection=%lu\n", (unsigned long)WNetGetConnectionW(device, remote, &len));
    memset(&nr, 0, sizeof nr);
    nr.dwType = RESOURCETYPE_DISK;
    nr.lpLocalName = z;
    nr.lpRemoteName = share;
    printf("add=%lu\n", (unsigned long)WNetAddConnection2W(&nr, NULL, NULL, 0));
    if (WNetOpenEnumW(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h) != NO_ERROR) return 1;
    size = sizeof out;
    printf("enum=%lu\n", (unsigned long)WNetEnumResourceW(h, &count, out.bytes, &size));
    printf("remote=%d local=%d\n", same(out.nr.lpRemoteName, L"\\\\files\\team"),
           same(out.nr.lpLocalName, device));
    WNetCloseEnum(h);
    printf("text=%u\n", (unsigned)sizeof(TEXT("ab")[0]));
    return 0;
}
