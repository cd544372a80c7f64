/* A daemon that went away between two calls is started again; the caller never sees it
 * (and is not killed by SIGPIPE on the dead connection). */
#include <stdio.h>
#include <winnetwk.h>

int main(void)
{
    char buf[256], line[16];
    DWORD len = sizeof buf;
    printf("first=%lu\n", (unsigned long)WNetGetConnectionA("Q:", buf, &len));
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL) return 3;
    len = sizeof buf;
    printf("second=%lu\n", (unsigned long)WNetGetConnectionA("Q:", buf, &len));
    len = sizeof buf;
    printf("third=%lu\n", (unsigned long)WNetGetConnectionA("Q:", buf, &len));
    return 0;
}
