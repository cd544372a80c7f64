/* Any Unicode name survives the A (UTF-8) and W (UTF-16) forms unchanged: enumerates the
 * remembered R: -> \\sérveur\ドライブ😀 both ways. */
#include <stdio.h>
#include <string.h>
#include <winnetwk.h>

static union { NETRESOURCEA a; NETRESOURCEW w; char bytes[4096]; } big;

int main(void)
{
    static const WCHAR want_w[] = u"\\\\sérveur\\ドライブ😀";
    static const char want_a[] = u8"\\\\sérveur\\ドライブ😀";
    DWORD count = 0xFFFFFFFF, len = sizeof big, i;
    HANDLE h;
    int same = 1;

    printf("openA=%lu\n", (unsigned long)WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_DISK, 0, NULL, &h));
    printf("enumA=%lu\n", (unsigned long)WNetEnumResourceA(h, &count, big.bytes, &len));
    printf("remoteA=%s\n", big.a.lpRemoteName);
    printf("sameA=%d\n", strcmp(big.a.lpRemoteName, want_a) == 0);
    WNetCloseEnum(h);

    count = 0xFFFFFFFF;
    len = sizeof big;
    printf("openW=%lu\n", (unsigned long)WNetOpenEnumW(RESOURCE_REMEMBERED, RESOURCETYPE_DISK, 0, NULL, &h));
    printf("enumW=%lu\n", (unsigned long)WNetEnumResourceW(h, &count, big.bytes, &len));
    for (i = 0; i < sizeof want_w / sizeof want_w[0]; i++)
        if (big.w.lpRemoteName[i] != want_w[i]) same = 0;
    printf("sameW=%d\n", same);
    /* The surrogate pair of the emoji is two units. */
    printf("unitsW=%u\n", (unsigned)(sizeof want_w / sizeof want_w[0] - 1));
    WNetCloseEnum(h);

    /* W names in, the same device out. */
    {
        WCHAR dev[] = u"r:";
        char buf[256];
        DWORD n = sizeof buf;
        printf("getconnectionW=%lu\n", (unsigned long)WNetGetConnectionW(dev, (WCHAR *)buf, &n));
    }
    return 0;
}
