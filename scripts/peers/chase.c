/* An independent pointer chase to cross-check hwbench's memory.latency:
 * its own allocation (mmap + MADV_HUGEPAGE or MADV_NOHUGEPAGE), its own
 * shuffle (Fisher-Yates order over lines, chained in that order: a single
 * cycle), its own timing (clock_gettime around 2^k dependent loads).
 * Usage: chase BYTES thp|4k [SAMPLES]; prints the median ns per load. */
#include "chase.h"

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: chase BYTES thp|4k [SAMPLES]\n"); return 2; }
    size_t bytes = strtoull(argv[1], NULL, 10);
    int samples = argc > 3 ? atoi(argv[3]) : 11;
    char *buf = map(bytes, strcmp(argv[2], "thp") == 0);
    if (buf == NULL) return 1;
    void **p = chain(buf, bytes, 88172645463325252ULL);
    uint64_t loads = calibrate(&p);
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
