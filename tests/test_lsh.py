"""dedup.match.lsh: our band/row choice equals datasketch's, and band keys never change."""
from __future__ import annotations

import doctest

import numpy as np
import pytest
from datasketch.lsh import _optimal_param  # private: the reference, in this test only

from dedup.index.bands import IndexParams
from dedup.match import lsh
from dedup.match.documents import CorpusOptions
from dedup.match.lsh import Banding, band_keys, banding_errors, choose_banding

THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]
# (threshold, num_perm, weights) → (ours, datasketch's) where a near-tie breaks the other way.
# None on this grid, nor on thresholds 0.01 … 0.99 for num_perm 16, 32, 64, 100, 128, 200, 256 and
# weights (0.5, 0.5), (0.1, 0.9), (0.3, 0.7), (0.9, 0.1): 2,772 cases (checked once, too slow to keep).
EXCEPTIONS: dict[tuple[float, int, tuple[float, float]], tuple[tuple[int, int], tuple[int, int]]] = {}


@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.1, 0.9)])
@pytest.mark.parametrize("num_perm", [16, 32, 64, 128, 256])
def test_banding_equals_datasketch_optimiser(num_perm: int, weights: tuple[float, float]) -> None:
    differ = {}
    for threshold in THRESHOLDS:
        ours = choose_banding(threshold, num_perm, weights)
        theirs = _optimal_param(threshold, num_perm, *weights)
        if (ours.bands, ours.rows) != theirs:
            differ[threshold, num_perm, weights] = ((ours.bands, ours.rows), theirs)
    expected = {k: v for k, v in EXCEPTIONS.items() if k[1] == num_perm and k[2] == weights}
    assert differ == expected


def test_default_options_band_as_documented() -> None:
    assert CorpusOptions().banding == Banding(14, 9)
    params = IndexParams.from_options(CorpusOptions(lsh_threshold=0.6, lsh_weights=(0.5, 0.5)))
    assert (params.bands, params.rows) == _optimal_param(0.6, 128, 0.5, 0.5)


def test_error_areas_of_one_row_are_triangles() -> None:
    """One band of one row: P(s) = s, so FP = t²/2 and FN = (1 − t)²/2."""
    bands, rows, false_pos, false_neg = banding_errors(0.7, 8)
    first = int(np.flatnonzero((bands == 1) & (rows == 1))[0])
    assert false_pos[first] == pytest.approx(0.7**2 / 2, abs=1e-15)
    assert false_neg[first] == pytest.approx(0.3**2 / 2, abs=1e-15)
    assert len(bands) == sum(8 // b for b in range(1, 9)) and (bands * rows <= 8).all()


def test_more_weight_on_misses_gives_a_lower_curve() -> None:
    """Favouring recall means more, shorter bands: the S-curve rises earlier."""
    balanced, recall = choose_banding(0.8, 128, (0.5, 0.5)), choose_banding(0.8, 128, (0.1, 0.9))
    s = 0.7
    assert 1 - (1 - s**recall.rows) ** recall.bands > 1 - (1 - s**balanced.rows) ** balanced.bands


def test_weights_may_be_a_list_but_not_negative() -> None:
    assert choose_banding(0.8, 128, [0.1, 0.9]) == Banding(14, 9)
    with pytest.raises(ValueError):
        choose_banding(0.8, 128, (-0.1, 1.1))
    with pytest.raises(ValueError):
        choose_banding(1.5, 128)


def test_band_keys_are_the_keys_stored_indexes_hold() -> None:
    """Bit for bit the keys of earlier releases: an index built by them keeps working."""
    signature = (np.arange(128, dtype=np.uint64) * 2654435761 % 2**32).astype(np.uint32)
    keys = band_keys(np.vstack([signature, signature[::-1]]), Banding(14, 9))
    assert keys.dtype == np.int64 and keys.shape == (2, 14)
    assert keys[:, :3].tolist() == [
        [-2356371482586241448, -5945506930828884549, -5769957689923745386],
        [-1972433077993509305, -2220312253454778736, 770979392084039081],
    ]
    assert keys[:, -1].tolist() == [1892406267740477055, 5328793188436912429]


def test_band_keys_agree_for_equal_bands_only() -> None:
    params = IndexParams.from_options(CorpusOptions())
    sigs = np.zeros((3, 128), dtype=np.uint32)
    sigs[1, :] = 1
    sigs[2, params.bands * params.rows - 1] = 5  # only the last band differs
    keys = band_keys(sigs, params)
    assert (keys == band_keys(sigs, CorpusOptions().banding)).all()
    assert keys.shape == (3, params.bands)
    assert (keys[0] == keys[2]).sum() == params.bands - 1
    assert not (keys[0] == keys[1]).any()
    assert len(set(keys[0].tolist())) == params.bands


def test_module_example_runs() -> None:
    assert doctest.testmod(lsh).failed == 0
