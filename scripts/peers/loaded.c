/* An independent loaded-latency measurement to cross-check hwbench's
 * memory.loaded_latency at its two ends: zero load, and saturation (traffic
 * threads reading with no delay). Its own allocation (mmap + madvise), its
 * own chase (Fisher-Yates order over 64-byte lines, chained in order), its
 * own traffic (each thread sums the first word of every line of its chunk,
 * in order, publishing a line count every 64 lines), its own pinning
 * (sched_setaffinity) and timing (CLOCK_MONOTONIC around 2^k dependent
 * loads; traffic bandwidth over the same intervals).
 * Usage: loaded BYTES TRAFFIC_BYTES THREADS thp|4k [SAMPLES]
 * Prints: zero_load_ns saturated_ns saturated_gbs (medians). The chaser runs
 * on the first allowed CPU, traffic threads on the next THREADS. */
#include "chase.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

struct worker {
    _Alignas(128) atomic_ulong lines;
    char *chunk;
    size_t chunk_lines;
    int cpu;
};

static atomic_int stop;
static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) { perror("sched_setaffinity"); exit(3); }
}

static void *traffic(void *arg) {
    struct worker *w = arg;
    pin(w->cpu);
    unsigned long done = 0, sum = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (size_t i = 0; i < w->chunk_lines; i++) {
            sum += *(volatile unsigned long *)(w->chunk + i * 64);
            if ((++done & 63) == 0) atomic_store_explicit(&w->lines, done, memory_order_relaxed);
        }
    }
    return (void *)sum;
}

static unsigned long total(struct worker *w, int n) {
    unsigned long t = 0;
    for (int i = 0; i < n; i++) t += atomic_load_explicit(&w[i].lines, memory_order_relaxed);
    return t;
}

/* Median ns per load over `samples` walks of `loads`, and the traffic's
 * median GB/s over the same walks. */
static void **sample(void **p, uint64_t loads, int samples, struct worker *w, int n, double *ns, double *gbs) {
    double *lat = malloc(samples * sizeof *lat), *bw = malloc(samples * sizeof *bw);
    for (int s = 0; s < samples; s++) {
        unsigned long before = total(w, n);
        double t0 = now();
        for (uint64_t i = 0; i < loads; i++) p = (void **)*p;
        double dt = now() - t0;
        lat[s] = dt * 1e9 / loads;
        bw[s] = (total(w, n) - before) * 64.0 / dt / 1e9;
    }
    qsort(lat, samples, sizeof *lat, cmp);
    qsort(bw, samples, sizeof *bw, cmp);
    *ns = lat[samples / 2];
    *gbs = bw[samples / 2];
    free(lat); free(bw);
    return p;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: loaded BYTES TRAFFIC_BYTES THREADS thp|4k [SAMPLES]\n"); return 2; }
    size_t bytes = strtoull(argv[1], NULL, 10), tbytes = strtoull(argv[2], NULL, 10);
    int threads = atoi(argv[3]), thp = strcmp(argv[4], "thp") == 0, samples = argc > 5 ? atoi(argv[5]) : 11;
    cpu_set_t allowed;
    sched_getaffinity(0, sizeof allowed, &allowed);
    int cpus[CPU_SETSIZE], ncpu = 0;
    for (int c = 0; c < CPU_SETSIZE; c++) if (CPU_ISSET(c, &allowed)) cpus[ncpu++] = c;
    if (threads < 1 || threads + 1 > ncpu) { fprintf(stderr, "need %d CPUs, have %d\n", threads + 1, ncpu); return 2; }
    pin(cpus[0]);

    char *buf = map(bytes, thp), *tbuf = buf ? map(tbytes, thp) : NULL;
    if (tbuf == NULL) return 3;
    void **p = chain(buf, bytes, 0x9E3779B97F4A7C15ULL);
    uint64_t loads = calibrate(&p); /* about 50 ms per sample at zero load */
    double idle_ns, idle_gbs, sat_ns, sat_gbs;
    p = sample(p, loads, samples, NULL, 0, &idle_ns, &idle_gbs);

    struct worker *w = aligned_alloc(128, threads * sizeof *w);
    pthread_t *tid = malloc(threads * sizeof *tid);
    size_t per = tbytes / 64 / threads;
    for (int i = 0; i < threads; i++) {
        atomic_init(&w[i].lines, 0);
        w[i].chunk = tbuf + i * per * 64;
        w[i].chunk_lines = per;
        w[i].cpu = cpus[1 + i];
        pthread_create(&tid[i], NULL, traffic, &w[i]);
    }
    struct timespec settle = {0, 100 * 1000 * 1000};
    nanosleep(&settle, NULL);
    p = sample(p, loads / 2, samples, w, threads, &sat_ns, &sat_gbs);
    atomic_store(&stop, 1);
    for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
    printf("%.2f %.2f %.3f\n", idle_ns, sat_ns, sat_gbs);
    return p == NULL;
}
