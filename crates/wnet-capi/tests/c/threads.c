/* 16 threads call mixed functions at once; each must get the answers one thread gets, and its
 * own WNetGetLastError. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <winnetwk.h>

#define THREADS 16
#define ROUNDS 40

static int mismatches[THREADS];

static void *worker(void *arg)
{
    int t = (int)(size_t)arg, i;
    char buf[512], name[64], text[64], want[64];
    union { NETRESOURCEA nr; char bytes[4096]; } out;
    DWORD len, count, code;
    HANDLE h;
    for (i = 0; i < ROUNDS; i++) {
        len = sizeof buf;
        if (WNetGetConnectionA("Q:", buf, &len) != ERROR_CONNECTION_UNAVAIL) mismatches[t]++;
        len = sizeof buf;
        if (WNetGetConnectionA("R:", buf, &len) != ERROR_NOT_CONNECTED) mismatches[t]++;
        len = sizeof buf;
        if (WNetGetUserA(NULL, buf, &len) != NO_ERROR) mismatches[t]++;
        if (WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h) != NO_ERROR) {
            mismatches[t]++;
        } else {
            count = 0xFFFFFFFF;
            len = sizeof out;
            if (WNetEnumResourceA(h, &count, out.bytes, &len) != NO_ERROR || count != 1
                || strcmp(out.nr.lpLocalName, "Q:") != 0) mismatches[t]++;
            if (WNetEnumResourceA(h, &count, out.bytes, &len) != ERROR_NO_MORE_ITEMS) mismatches[t]++;
            if (WNetCloseEnum(h) != NO_ERROR) mismatches[t]++;
        }
        snprintf(text, sizeof text, "thread %d round %d", t, i);
        WNetSetLastErrorA(1000 + t, text, "threads");
        if (WNetCancelConnection2A(t % 2 ? "y:" : "\\\\nobody\\x", 0, FALSE) != ERROR_NOT_CONNECTED) mismatches[t]++;
        if (WNetGetLastErrorA(&code, buf, sizeof buf, name, sizeof name) != NO_ERROR || code != ERROR_NOT_CONNECTED)
            mismatches[t]++;
        WNetSetLastErrorA(1000 + t, text, "threads");
        len = sizeof buf;
        WNetGetConnectionA("Q:", buf, &len); /* fails too: records 1201 */
        WNetSetLastErrorA(1000 + t, text, "threads");
        if (WNetGetLastErrorA(&code, buf, sizeof buf, name, sizeof name) != NO_ERROR || code != (DWORD)(1000 + t))
            mismatches[t]++;
        snprintf(want, sizeof want, "thread %d round %d", t, i);
        if (strcmp(buf, want) != 0) mismatches[t]++;
    }
    return NULL;
}

int main(void)
{
    pthread_t th[THREADS];
    int t, total = 0;
    for (t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, worker, (void *)(size_t)t);
    for (t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    for (t = 0; t < THREADS; t++) total += mismatches[t];
    printf("mismatches=%d\n", total);
    return total != 0;
}
