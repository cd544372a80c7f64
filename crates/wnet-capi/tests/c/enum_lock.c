/* One thread's WNetEnumResource waiting for a (stopped) daemon must not hold up the other
 * threads: the test stops the daemon after "ready", then this program makes thread A wait in
 * WNetEnumResource and, once A sleeps in that call, calls the library from the main thread
 * with other handles. alarm() kills the program if the main thread is held up. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <winnetwk.h>

static HANDLE h;
static volatile pid_t a_tid;
static DWORD a_result = 0xFFFFFFFF;

static void *waiter(void *arg)
{
    union { NETRESOURCEA nr; char bytes[4096]; } out;
    DWORD count = 0xFFFFFFFF, len = sizeof out;
    (void)arg;
    a_tid = (pid_t)syscall(SYS_gettid);
    a_result = WNetEnumResourceA(h, &count, out.bytes, &len);
    return NULL;
}

/* The scheduler state of thread `tid` of this process ('R', 'S', ...). */
static char state_of(pid_t tid)
{
    char path[64], buf[512], *p;
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    f = fopen(path, "r");
    if (!f) return '?';
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

int main(void)
{
    pthread_t th;
    char line[16];
    union { NETRESOURCEA nr; char bytes[4096]; } out;
    DWORD count = 0xFFFFFFFF, len = sizeof out, other, closed;
    int sleeping = 0, i;
    if (WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h) != NO_ERROR) return 10;
    printf("ready\n");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) return 11;
    alarm(30);
    pthread_create(&th, NULL, waiter, NULL);
    /* Wait until A sleeps: with the daemon stopped, only its round trip can put it to sleep
     * (2000 looks of 10 ms at most). */
    for (i = 0; i < 2000 && !sleeping; i++) {
        if (a_tid && state_of(a_tid) == 'S') sleeping = 1;
        else usleep(10000);
    }
    other = WNetEnumResourceA((HANDLE)(size_t)0x1234, &count, out.bytes, &len);
    closed = WNetCloseEnum((HANDLE)(size_t)0x1235);
    printf("sleeping=%d other=%lu closed=%lu\n", sleeping, (unsigned long)other, (unsigned long)closed);
    fflush(stdout);
    pthread_join(th, NULL);
    printf("a=%lu\n", (unsigned long)a_result);
    WNetCloseEnum(h);
    return 0;
}
