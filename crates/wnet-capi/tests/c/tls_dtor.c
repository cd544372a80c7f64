/* A thread's destructors (pthread keys run after the thread-local storage of C++ and Rust is
 * gone) call the library: it must answer, never abort the process. */
#include <pthread.h>
#include <stdio.h>
#include <winnetwk.h>

static pthread_key_t key;
static DWORD in_dtor = 0xFFFFFFFF, last_in_dtor = 0xFFFFFFFF;

static void dtor(void *p)
{
    DWORD len = 0, code = 0;
    char text[64], name[64];
    (void)p;
    /* NULL local name: 487, which the library records as the thread's last error. */
    in_dtor = WNetGetConnectionA(NULL, NULL, &len);
    if (WNetGetLastErrorA(&code, text, sizeof text, name, sizeof name) == NO_ERROR) last_in_dtor = code;
}

static void *worker(void *arg)
{
    DWORD len = 0;
    (void)arg;
    /* Use the thread's extended error first, so its storage exists and is destroyed. */
    WNetGetConnectionA(NULL, NULL, &len);
    pthread_setspecific(key, &key);
    return NULL;
}

int main(void)
{
    pthread_t th;
    pthread_key_create(&key, dtor);
    pthread_create(&th, NULL, worker, NULL);
    pthread_join(th, NULL);
    printf("in_dtor=%lu survived=1\n", (unsigned long)in_dtor);
    (void)last_in_dtor;
    return 0;
}
