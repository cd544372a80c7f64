/* WNetEnumResource with small buffers and counts: every remembered entry exactly once, 234 only
 * when not even one entry fits, *lpcCount honoured. */
#include <stdio.h>
#include <string.h>
#include <winnetwk.h>

static union { NETRESOURCEA nr[64]; char bytes[8192]; } big;

int main(void)
{
    DWORD count, len, rc, i, calls = 0, total = 0, needed = 0;
    HANDLE h;

    rc = WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h);
    printf("open=%lu\n", (unsigned long)rc);
    for (;;) {
        count = 2;
        len = 150; /* one entry (about 90 bytes) fits, two do not */
        rc = WNetEnumResourceA(h, &count, big.bytes, &len);
        calls++;
        if (rc == ERROR_MORE_DATA) {
            needed = len;
            printf("more_data needed=%lu\n", (unsigned long)len);
            len = sizeof big;
            count = 0xFFFFFFFF;
            rc = WNetEnumResourceA(h, &count, big.bytes, &len);
        }
        if (rc == ERROR_NO_MORE_ITEMS) break;
        if (rc != NO_ERROR) { printf("error=%lu\n", (unsigned long)rc); return 1; }
        for (i = 0; i < count; i++) {
            printf("item=%s %s\n", big.nr[i].lpLocalName, big.nr[i].lpRemoteName);
            total++;
        }
        printf("batch=%lu\n", (unsigned long)count);
    }
    printf("total=%lu\n", (unsigned long)total);
    printf("needed_seen=%d\n", needed != 0);
    WNetCloseEnum(h);

    /* With room for everything and count 3: exactly 3, then the rest. */
    WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h);
    count = 3;
    len = sizeof big;
    rc = WNetEnumResourceA(h, &count, big.bytes, &len);
    printf("three=%lu count=%lu\n", (unsigned long)rc, (unsigned long)count);
    count = 0xFFFFFFFF;
    len = sizeof big;
    rc = WNetEnumResourceA(h, &count, big.bytes, &len);
    printf("rest=%lu count=%lu\n", (unsigned long)rc, (unsigned long)count);
    WNetCloseEnum(h);
    return 0;
}
