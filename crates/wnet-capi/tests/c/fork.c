/* fork() while other threads are inside the library: every child must be able to use it (a
 * lock held by a thread the child does not have would make it wait forever; alarm() turns
 * that into a death by SIGALRM, which the parent counts). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <winnetwk.h>

#define CHILDREN 40
#define THREADS 4

static volatile int stop;

static void *busy(void *arg)
{
    char buf[256];
    union { NETRESOURCEA nr; char bytes[4096]; } out;
    DWORD len, count;
    HANDLE h;
    (void)arg;
    while (!stop) {
        if (WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h) == NO_ERROR) {
            count = 0xFFFFFFFF;
            len = sizeof out;
            while (WNetEnumResourceA(h, &count, out.bytes, &len) == NO_ERROR) {
                count = 0xFFFFFFFF;
                len = sizeof out;
            }
            WNetCloseEnum(h);
        }
        len = sizeof buf;
        WNetGetConnectionA("Q:", buf, &len);
    }
    return NULL;
}

static int child_work(void)
{
    char buf[256];
    union { NETRESOURCEA nr; char bytes[4096]; } out;
    DWORD len = sizeof buf, count = 0xFFFFFFFF;
    HANDLE h;
    alarm(30);
    if (WNetGetConnectionA("Q:", buf, &len) != ERROR_CONNECTION_UNAVAIL) return 1;
    if (WNetOpenEnumA(RESOURCE_REMEMBERED, RESOURCETYPE_ANY, 0, NULL, &h) != NO_ERROR) return 2;
    len = sizeof out;
    if (WNetEnumResourceA(h, &count, out.bytes, &len) != NO_ERROR || count != 1) return 3;
    if (WNetCloseEnum(h) != NO_ERROR) return 4;
    return 0;
}

int main(void)
{
    pthread_t th[THREADS];
    int i, ok = 0, deadlocked = 0, failed = 0, status;
    char buf[256];
    DWORD len = sizeof buf;
    /* The library is in use before the threads start. */
    if (WNetGetConnectionA("Q:", buf, &len) != ERROR_CONNECTION_UNAVAIL) return 10;
    for (i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, busy, NULL);
    for (i = 0; i < CHILDREN; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(child_work());
        if (pid < 0 || waitpid(pid, &status, 0) != pid) return 11;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ok++;
        else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) deadlocked++;
        else failed++;
    }
    stop = 1;
    for (i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    printf("ok=%d deadlocked=%d failed=%d\n", ok, deadlocked, failed);
    return 0;
}
