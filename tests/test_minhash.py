"""dedup.signatures.minhash: signatures are bit-identical to datasketch's MinHash."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xxhash
from datasketch import MinHash

from dedup.signatures.minhash import MinHashParams, document_shingles, shingle_text, signatures, sketch, to_datasketch

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "samples").glob("*.txt"))
ENGLISH = "The city council approved the new transit budget on Tuesday, after a long debate about bus routes."
TEXTS = [p.read_text(encoding="utf-8") for p in SAMPLES] + [ENGLISH, "Hi", "", "Café naïve résumé", "日本語 and English 混在"]


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 42)])
def test_signatures_equal_datasketch_minhash(scheme: str, num_perm: int, seed: int) -> None:
    params = MinHashParams(num_perm=num_perm, seed=seed, scheme=scheme)
    ours = signatures(TEXTS, params)
    for text, signature in zip(TEXTS, ours):
        reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=xxhash.xxh32_intdigest, scheme=scheme)
        shingles = document_shingles(text, params)
        if shingles:
            reference.update_batch(shingles)
        assert np.array_equal(reference.hashvalues, signature)


def test_script_decides_the_shingles() -> None:
    assert shingle_text(TEXTS[0]) [1] is True
    form, cjk = shingle_text(ENGLISH)
    assert not cjk and form.startswith("the city council approved")
    assert document_shingles(ENGLISH)[0] == b"the city council"
    assert document_shingles("日本のニュース")[0] == "日本のニュ".encode()


def test_sketch_sizes_and_exact_keys() -> None:
    sketches = sketch([ENGLISH, ENGLISH.upper() + "!!", "Another text entirely, with other words."])
    assert sketches.exact_keys[0] == sketches.exact_keys[1] != sketches.exact_keys[2]
    assert sketches.sizes[0] == len(set(document_shingles(ENGLISH)))


def test_datasketch_objects_compare_like_ours() -> None:
    params = MinHashParams()
    a, b = signatures([TEXTS[1], TEXTS[1] + "\n追加の一文がここに入ります。"], params)
    estimate = to_datasketch(a, params).jaccard(to_datasketch(b, params))
    assert estimate == np.count_nonzero(a == b) / len(a) > 0.9
