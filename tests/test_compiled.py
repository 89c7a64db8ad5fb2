"""The plain kernels give the compiled ones' results bit for bit, and the switch between them goes by work done."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.compiled import sized_kernel
from dedup.signatures import count_kernels, kernels, plain
from dedup.signatures.minhash import MinHashParams, permutations

# units joined by newlines, with what the byte scans must get right: runs of spaces, a final
# space, empty units, multi-byte characters, and bytes that are not valid UTF-8
ALPHABET = st.sampled_from(["a", "b", " ", "\n", "é", "日", "本", "😀", "\x80", "\xbf", "\xc3", "\xe6"])


def as_bytes(text: str) -> np.ndarray:
    """UTF-8, except that the stray continuation and lead bytes of ALPHABET stand for themselves."""
    out = bytearray()
    for c in text:
        out += bytes([ord(c)]) if c in "\x80\xbf\xc3\xe6" else c.encode("utf-8")
    return np.frombuffer(bytes(out), dtype=np.uint8)


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=60), st.integers(1, 6), st.booleans(), st.integers(0, 2**32 - 1))
def test_plain_ngram_hashes_equal_the_compiled_ones(text: str, n: int, by_words: bool, seed: int) -> None:
    data = as_bytes(text)
    got, got_offsets = plain.ngram_hashes(data, n, by_words, seed)
    want, want_offsets = kernels.ngram_hashes(data, n, by_words, seed)
    assert got.dtype == want.dtype and got_offsets.dtype == want_offsets.dtype
    assert got.tolist() == want.tolist()
    assert got_offsets.tolist() == want_offsets.tolist()


def test_plain_ngram_hashes_on_the_samples(samples_dir) -> None:
    text = "\n".join(p.read_text(encoding="utf-8").replace("\n", " ") for p in sorted(samples_dir.glob("*.txt")))
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    for n, by_words in ((5, False), (3, True), (1, True)):
        got, want = plain.ngram_hashes(data, n, by_words, 7), kernels.ngram_hashes(data, n, by_words, 7)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_plain_minhash_and_set_sizes_equal_the_compiled_ones(scheme: str) -> None:
    rng = np.random.default_rng(5)
    hashes = rng.integers(0, 2**32, 30_000, dtype=np.uint64).astype(np.uint32)
    hashes[100:200] = hashes[:100]  # repeats, for the set sizes
    offsets = np.array([0, 0, 1, 250, 250, 20_000, 30_000], dtype=np.int64)
    a, b = permutations(MinHashParams(num_perm=64, scheme=scheme))
    name = f"minhash_{scheme}"
    assert np.array_equal(getattr(plain, name)(hashes, offsets, a, b), getattr(kernels, name)(hashes, offsets, a, b))
    sizes = plain.distinct_counts(hashes, offsets)
    assert sizes.tolist() == [len(set(hashes[s:e].tolist())) for s, e in zip(offsets[:-1], offsets[1:])]
    compiled_sizes = count_kernels.distinct_counts(hashes, offsets)
    assert compiled_sizes.dtype == sizes.dtype and compiled_sizes.tolist() == sizes.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0, 1, 2, 0x10000, 0xFFFFFFFF, 7 << 28]), max_size=40), max_size=6))
def test_compiled_set_sizes_equal_the_plain_ones(runs: list[list[int]]) -> None:
    """Runs of any length one after the other in one table: a later document never sees an earlier one's hashes."""
    hashes = np.array([h for run in runs for h in run], dtype=np.uint32)
    offsets = np.concatenate([[0], np.cumsum([len(run) for run in runs])]).astype(np.int64)
    assert count_kernels.distinct_counts(hashes, offsets).tolist() == plain.distinct_counts(hashes, offsets).tolist() == [len(set(r)) for r in runs]


def test_a_sized_kernel_runs_plain_until_the_work_repays_compiling(monkeypatch) -> None:
    calls: list[str] = []
    kernel = sized_kernel("dedup.signatures.kernels", "ngram_hashes", lambda *args: calls.append("plain") or "plain",
                          work=lambda size: size, cold=100, warm=10)
    monkeypatch.setattr(kernel, "cached", lambda: False)
    monkeypatch.setattr(kernel, "compiled", lambda: lambda *args: calls.append("compiled") or "compiled")
    assert [kernel(40), kernel(40), kernel(40), kernel(1)] == ["plain", "plain", "compiled", "compiled"]
    monkeypatch.setenv("DEDUP_KERNELS", "plain")
    assert kernel(1000) == "plain"
    warm = sized_kernel("dedup.signatures.kernels", "ngram_hashes", lambda *args: "plain", work=lambda size: size, cold=100, warm=10)
    monkeypatch.setattr(warm, "cached", lambda: True)
    monkeypatch.setattr(warm, "compiled", lambda: lambda *args: "compiled")
    monkeypatch.setenv("DEDUP_KERNELS", "auto")
    assert [warm(5), warm(5)] == ["plain", "compiled"]
    monkeypatch.setenv("DEDUP_KERNELS", "compiled")
    fresh = sized_kernel("dedup.signatures.kernels", "ngram_hashes", lambda *args: "plain", work=lambda size: size, cold=100, warm=10)
    monkeypatch.setattr(fresh, "compiled", lambda: lambda *args: "compiled")
    assert fresh(1) == "compiled"


def test_a_cached_kernel_switches_sooner_once_numba_is_set_up(monkeypatch) -> None:
    """Before numba's import the warm threshold pays for its set-up too; after it, only loading the kernel."""
    import sys

    monkeypatch.setenv("DEDUP_KERNELS", "auto")
    for numba_in, expected in ((False, ["plain", "plain", "plain", "compiled"]), (True, ["plain", "compiled", "compiled", "compiled"])):
        kernel = sized_kernel("dedup.signatures.kernels", "ngram_hashes", lambda *args: "plain", work=lambda size: size,
                              cold=1000, warm=100, loaded=10)
        monkeypatch.setattr(kernel, "cached", lambda: True)
        monkeypatch.setattr(kernel, "compiled", lambda: lambda *args: "compiled")
        with monkeypatch.context() as patch:
            if not numba_in:
                patch.delitem(sys.modules, "numba", raising=False)
            else:
                patch.setitem(sys.modules, "numba", sys.modules.get("numba", object()))
            assert [kernel(5), kernel(30), kernel(30), kernel(50)] == expected
    cold = sized_kernel("dedup.signatures.kernels", "ngram_hashes", lambda *args: "plain", work=lambda size: size,
                        cold=1000, warm=100, loaded=10)
    monkeypatch.setattr(cold, "cached", lambda: False)
    monkeypatch.setattr(cold, "compiled", lambda: lambda *args: "compiled")
    assert cold(500) == "plain"  # not in numba's cache: compiling is what must pay off, set up or not


def test_a_cache_index_older_than_the_kernels_source_is_of_another_version(tmp_path, monkeypatch) -> None:
    """After an upgrade or an edit numba compiles again, whatever index files of the old source are left."""
    kernel = sized_kernel("dedup.signatures.kernels", "not_in_any_cache", plain.minhash_legacy, work=len, cold=2, warm=1)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    index = tmp_path / "kernels.not_in_any_cache-99.py311.nbi"
    index.touch()
    assert kernel.cached()
    source = os.path.getmtime(kernels.__file__)
    os.utime(index, (source - 60, source - 60))
    assert not kernel.cached()
    assert kernel.threshold() == 2


def test_a_kernel_found_in_numbas_cache_counts_as_warm(tmp_path, monkeypatch) -> None:
    kernel = sized_kernel("dedup.signatures.kernels", "minhash_legacy", plain.minhash_legacy, work=len, cold=2, warm=1)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    found_in_tree = kernel.cached()
    (tmp_path / "signatures_0123").mkdir()
    (tmp_path / "signatures_0123" / "kernels.minhash_legacy-170.py311.nbi").touch()
    assert kernel.cached()
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "empty"))
    assert kernel.cached() == found_in_tree
