/* The pointer chase the peer programs share (chase.c, loaded.c): their own
 * allocation (mmap aligned to 2 MiB, MADV_HUGEPAGE or MADV_NOHUGEPAGE,
 * every byte written), their own shuffle (Fisher-Yates order over 64-byte
 * lines with xorshift64, chained in that order: a single cycle) and their
 * own timing (CLOCK_MONOTONIC). Nothing here is hwbench's code. */
#ifndef PEER_CHASE_H
#define PEER_CHASE_H
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define LINE 64

static uint64_t xorshift64(uint64_t *state) {
    *state ^= *state << 13; *state ^= *state >> 7; *state ^= *state << 17;
    return *state;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* qsort order of doubles. */
static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* `bytes` of memory at a 2 MiB boundary, huge pages asked for or refused,
 * written once; NULL (after perror) when mmap fails. */
static char *map(size_t bytes, int thp) {
    size_t huge = 2u << 20;
    char *raw = mmap(NULL, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) { perror("mmap"); return NULL; }
    char *buf = (char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
    madvise(buf, bytes, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    memset(buf, 1, bytes);
    return buf;
}

/* Chains the lines of `buf` into one random cycle; returns its start. */
static void **chain(char *buf, size_t bytes, uint64_t seed) {
    size_t n = bytes / LINE;
    size_t *order = malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = xorshift64(&seed) % (i + 1), t = order[i];
        order[i] = order[j]; order[j] = t;
    }
    for (size_t i = 0; i < n; i++) *(void **)(buf + order[i] * LINE) = buf + order[(i + 1) % n] * LINE;
    free(order);
    return (void **)buf;
}

/* Loads (a power of two from 1024) that take about 50 ms from *p; *p moves
 * along the chase. */
static uint64_t calibrate(void ***p) {
    uint64_t loads = 1024;
    for (;;) {
        double t0 = now();
        for (uint64_t i = 0; i < loads; i++) *p = (void **)**p;
        if (now() - t0 > 0.05) return loads;
        loads *= 2;
    }
}
#endif
