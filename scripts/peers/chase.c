/* An independent pointer chase to cross-check hwbench's memory.latency:
 * its own allocation (mmap + MADV_HUGEPAGE or MADV_NOHUGEPAGE), its own
 * shuffle (Fisher-Yates order over lines, chained in that order: a single
 * cycle), its own timing (clock_gettime around 2^k dependent loads).
 * Usage: chase BYTES thp|4k [SAMPLES]; prints the median ns per load. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static uint64_t state = 88172645463325252ULL;
static uint64_t xorshift64(void) {
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    return state;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: chase BYTES thp|4k [SAMPLES]\n"); return 2; }
    size_t bytes = strtoull(argv[1], NULL, 10), line = 64, n = bytes / line;
    int samples = argc > 3 ? atoi(argv[3]) : 11;
    size_t map = bytes + (2u << 20);
    char *raw = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) { perror("mmap"); return 1; }
    char *buf = (char *)(((uintptr_t)raw + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
    madvise(buf, bytes, strcmp(argv[2], "thp") == 0 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    memset(buf, 1, bytes);
    size_t *order = malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = xorshift64() % (i + 1), t = order[i];
        order[i] = order[j]; order[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        *(void **)(buf + order[i] * line) = buf + order[(i + 1) % n] * line;
    free(order);
    void **p = (void **)buf;
    /* Calibrate: loads for about 50 ms. */
    uint64_t loads = 1024;
    for (;;) {
        double t0 = now();
        for (uint64_t i = 0; i < loads; i++) p = (void **)*p;
        if (now() - t0 > 0.05) break;
        loads *= 2;
    }
    double *ns = malloc(samples * sizeof *ns);
    for (int s = 0; s < samples; s++) {
        double t0 = now();
        for (uint64_t i = 0; i < loads; i++) p = (void **)*p;
        ns[s] = (now() - t0) * 1e9 / loads;
    }
    qsort(ns + 1, samples - 1, sizeof *ns, cmp); /* first sample dropped */
    printf("%.2f\n", ns[1 + (samples - 1) / 2]);
    return p == NULL; /* keep the final pointer observable */
}
