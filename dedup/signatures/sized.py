"""The signature kernels as callers use them: plain for small work, compiled for large (:mod:`dedup.compiled`).

Thresholds are the work the plain version does in the time numba takes to compile the kernel
(``cold``) or to import itself and load the kernel from its cache (``warm``), measured on
2026-12-02 (AMD EPYC, 2 cores; benchmarks/README.md, "First run"): ngram hashing runs at
about 4 MB/s plain against a 5.3 s compile (measured again on 2026-12-02 at 2.4-3.3 MB/s plain on
the real pages, 0.2 s numba import and 0.35 s to load both of its signatures from the cache);
the MinHash reduction at 220 M (legacy: 90 M) shingle·permutations a second plain against
about 1 s to compile. Shingle-set sizes: numpy sorts 61 M hashes a second (batches of 64 corpus
documents), the kernel counts 204 M against 0.75 s to compile and 0.006 s to load (2026-12-03).
Shingle sets in order of first occurrence: the numpy twin (a stable sort) keeps 23 M hashes a
second on the real pages' blocks and sentences, the kernel 210 M, against 0.62 s to compile and
0.004 s to load once numba is set up (2026-12-03). ``loaded`` thresholds are the plain work of
about 10 ms (``dedup.compiled``): n-gram hashing 30,000 bytes.
"""
from __future__ import annotations

from dedup.compiled import sized_kernel
from dedup.signatures import plain

_KERNELS = "dedup.signatures.kernels"

ngram_hashes = sized_kernel(_KERNELS, "ngram_hashes", plain.ngram_hashes,
                            work=lambda data, *_: int(data.shape[0]), cold=20_000_000, warm=1_500_000, loaded=30_000)
minhash_affine32 = sized_kernel(_KERNELS, "minhash_affine32", plain.minhash_affine32,
                                work=lambda hashes, offsets, a, b: len(hashes) * len(a), cold=300_000_000, warm=60_000_000)
minhash_legacy = sized_kernel(_KERNELS, "minhash_legacy", plain.minhash_legacy,
                              work=lambda hashes, offsets, a, b: len(hashes) * len(a), cold=120_000_000, warm=25_000_000)
distinct_counts = sized_kernel("dedup.signatures.count_kernels", "distinct_counts", plain.distinct_counts,
                               work=lambda hashes, offsets: len(hashes), cold=45_000_000, warm=400_000)
distinct_runs = sized_kernel("dedup.signatures.count_kernels", "distinct_runs", plain.distinct_runs,
                             work=lambda hashes, offsets: len(hashes), cold=14_000_000, warm=10_000_000, loaded=100_000)
