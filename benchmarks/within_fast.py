"""Benchmark of issue 16: within-document cleaning at corpus speed, per core, CPU time.

Each case runs in this process with whatever ``dedup`` is importable, so the same script
measures the code before the change too (``PYTHONPATH=<checkout at 15e7726>``). Cases:

- ``real``: the 338 real news pages of ``tests/data/real_pages/pages.jsonl.gz`` (page text
  and extracted article; source: scrapinghub/article-extraction-benchmark, MIT, see its
  SOURCE.md), every text through ``clean_text``, whole passes until 3 s of CPU;
- ``generated``: the 200 generated articles of ``benchmarks/within.py`` (heavy repeats:
  pasted twice, sentences added, ``---END---`` chunks, and clean articles);
- ``size MB``: one generated document of MB (``within.large_document``: ~30% repeated), best of 2;
- ``growth``: one such document of each of 0.5, 1, 2, 3, 4 and 5 MB, best of 5, user and system CPU
  apart, and the exponent of CPU time against size (least squares);
- ``signatures``: English documents of the corpus benchmark (``benchmarks/corpus.py``, first
  ~5 MB) as they are and with accented names and currency signs put in (ASCII vs non-ASCII
  Latin text), ``signatures()`` from raw text, best of 3.

Run ``python benchmarks/within_fast.py CASE [ARG]``; it prints one JSON line. MB = 10**6
bytes of UTF-8; MB/s = MB × passes / CPU seconds.
"""
from __future__ import annotations

import gzip
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _common import utf8_len

from dedup import clean_text

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "tests" / "data" / "real_pages" / "pages.jsonl.gz"
ACCENTED = (("Evergreen", "Åkerlund"), ("said", "told Señor Núñez and"), ("The company", "Société Générale"), (" percent", " €"), ("agency", "agência"), ("of a", "of à"))


def cpu_passes(texts: Sequence[str], work: Callable[[Sequence[str]], Any], min_cpu: float) -> dict[str, float]:
    """Whole passes of ``work`` over ``texts`` (after one untimed warm-up) until ``min_cpu`` CPU seconds."""
    work(texts)
    cpu0, wall0, passes = time.process_time(), time.perf_counter(), 0
    while passes == 0 or time.process_time() - cpu0 < min_cpu:
        work(texts)
        passes += 1
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    megabytes = sum(utf8_len(t) for t in texts) / 1e6
    return {"mb": megabytes, "passes": passes, "cpu": cpu, "wall": wall, "mbps": megabytes * passes / cpu}


def clean_all(texts: Sequence[str]) -> None:
    for text in texts:
        clean_text(text)


def real_case() -> dict[str, Any]:
    with gzip.open(PAGES, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    texts = [r["text"] for r in records]
    result: dict[str, Any] = {"all": cpu_passes(texts, clean_all, 3.0)}
    for kind in ("page", "article"):
        result[kind] = cpu_passes([r["text"] for r in records if r["id"].endswith(kind)], clean_all, 2.0)
    changed = [t for t in texts if clean_text(t).removals]
    result["changed_docs"] = len(changed)
    result["changed_mb"] = sum(utf8_len(t) for t in changed) / 1e6
    result["docs"] = len(texts)
    return result


def generated_case() -> dict[str, Any]:
    import within

    pool = within.build_pool(within.load_samples())
    texts = [text for _, text in within.article_corpus(pool, 200)]
    return cpu_passes(texts, clean_all, 3.0)


def size_case(megabytes: float) -> dict[str, Any]:
    import within

    text = within.large_document(within.build_pool(within.load_samples()), int(megabytes * 1e6))
    best = None
    for _ in range(2):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        clean_text(text)
        took = (time.process_time() - cpu0, time.perf_counter() - wall0)
        best = took if best is None or took[0] < best[0] else best
    assert best is not None
    return {"mb": utf8_len(text) / 1e6, "cpu": best[0], "wall": best[1], "mbps": utf8_len(text) / 1e6 / best[0]}


def growth_case() -> dict[str, Any]:
    """One generated document of each of 0.5-5 MB, best of 5 (alternating sizes), user and system CPU apart.

    The growth exponent is the least-squares slope of log CPU time on log size. System time
    is the kernel zeroing fresh pages for the larger arrays; it is reported apart because
    it depends on the allocator (glibc gives large blocks back to the system and takes them
    again: ``MALLOC_TRIM_THRESHOLD_`` set high makes it vanish).
    """
    import resource

    import within

    pool = within.build_pool(within.load_samples())
    sizes = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0)
    texts = {mb: within.large_document(pool, int(mb * 1e6)) for mb in sizes}
    for text in texts.values():
        clean_text(text)
    best: dict[float, tuple[float, float]] = {}
    for _ in range(5):
        for mb, text in texts.items():
            before = resource.getrusage(resource.RUSAGE_SELF)
            clean_text(text)
            after = resource.getrusage(resource.RUSAGE_SELF)
            took = (after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)
            if mb not in best or sum(took) < sum(best[mb]):
                best[mb] = took
    size = {mb: utf8_len(texts[mb]) / 1e6 for mb in sizes}

    def exponent(seconds: Callable[[float], float]) -> float:
        xs = [math.log(size[mb]) for mb in sizes]
        ys = [math.log(seconds(mb)) for mb in sizes]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)

    return {
        "sizes": {str(mb): {"mb": size[mb], "user": best[mb][0], "system": best[mb][1],
                            "mbps": size[mb] / sum(best[mb])} for mb in sizes},
        "exponent": exponent(lambda mb: sum(best[mb])),
        "exponent_user": exponent(lambda mb: best[mb][0]),
        "rate_5_to_1": (size[5.0] / sum(best[5.0])) / (size[1.0] / sum(best[1.0])),
    }


def signatures_case() -> dict[str, Any]:
    import corpus

    from dedup.signatures.minhash import signatures

    pool = corpus.load_pool()
    plan = corpus.plan_corpus(pool, 4000, corpus.SEED)
    english, size = [], 0
    for position in range(plan.n):
        text = corpus.document(pool, plan, position).text
        if text.isascii():
            english.append(text)
            size += len(text)
        if size >= 5_000_000:
            break
    rng = random.Random(16)
    latin = []
    for text in english:
        for plain, accented in ACCENTED:
            if rng.random() < 0.7:
                text = text.replace(plain, accented, 2)
        latin.append(text)

    def sign(texts: Sequence[str]) -> None:
        for at in range(0, len(texts), 64):
            signatures(texts[at : at + 64])

    return {
        "ascii": cpu_passes(english, sign, 2.0),
        "latin": cpu_passes(latin, sign, 2.0),
        "latin_share_non_ascii": sum(not t.isascii() for t in latin) / len(latin),
    }


def main(argv: Sequence[str]) -> None:
    case = argv[0]
    result: dict[str, Any]
    if case == "real":
        result = real_case()
    elif case == "generated":
        result = generated_case()
    elif case == "size":
        result = size_case(float(argv[1]))
    elif case == "growth":
        result = growth_case()
    elif case == "signatures":
        result = signatures_case()
    else:
        raise SystemExit(f"unknown case {case!r}")
    result["load"] = os.getloadavg()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
