/* Preloaded into the benchmarks' PostgreSQL server by scripts/slow-flush/run: every fsync and
 * fdatasync sleeps SLOW_FLUSH_US microseconds first, as on a disk whose flushes are that slow.
 * The flush itself still happens: durability is unchanged, only its latency grows. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

static useconds_t delay_us(void) {
    const char *text = getenv("SLOW_FLUSH_US");
    return text ? (useconds_t)strtoul(text, NULL, 10) : 0;
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    usleep(delay_us());
    return real(fd);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    usleep(delay_us());
    return real(fd);
}
