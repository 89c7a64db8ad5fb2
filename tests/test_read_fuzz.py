"""Whatever bytes an input holds, reading it yields Documents and InputErrors, never an exception.

Random bytes rarely get past a format's magic number, so the compressed and Parquet
cases also start from a valid file and cut or overwrite parts of it.
"""
from __future__ import annotations

import gzip
import io
import itertools
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.errors import InputError
from dedup.read.document import Document
from dedup.read.sources import open_sources

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_names = itertools.count()

text_chars = st.characters() | st.characters(categories=["Cs"])  # lone surrogates too
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(text_chars),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(text_chars, max_size=5), inner, max_size=4),
    max_leaves=20,
)
records = st.fixed_dictionaries({"text": st.text(text_chars)}, optional={"id": json_values, "meta": json_values})


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def write(folder: Path, suffix: str, data: bytes) -> Path:
    path = folder / f"input-{next(_names)}{suffix}"
    path.write_bytes(data)
    return path


def read_all(path: Path) -> list[Document | InputError]:
    items = list(open_sources([path]).documents(max_bytes=1 << 20, max_record_bytes=1 << 16))
    for item in items:
        assert isinstance(item, (Document, InputError)), item
        if isinstance(item, InputError):
            assert "\n" not in str(item) and item.path.startswith(str(path)), str(item)
        else:
            written = item.encode()
            if item.record is not None:
                assert json.loads(written.decode("utf-8")) == item.record  # valid UTF-8, same record
            else:
                assert written == path.read_bytes()
    return items


@st.composite
def damaged(draw, data: bytes) -> bytes:
    """``data`` cut short, overwritten in places, or both."""
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        data[at : at + 4] = draw(st.binary(min_size=1, max_size=4))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def jsonl_of(rows: list[dict]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def parquet_of(rows: list[dict]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([{"text": r["text"].encode("utf-8", "replace").decode(), "n": i} for i, r in enumerate(rows)]), sink)
    return sink.getvalue()


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_as_a_text_file(folder, data) -> None:
    (item,) = read_all(write(folder, ".txt", data))


@FUZZ
@given(lines=st.lists(st.binary(max_size=200), max_size=8))
def test_random_bytes_as_jsonl_lines(folder, lines) -> None:
    read_all(write(folder, ".jsonl", b"\n".join(lines)))


@FUZZ
@given(values=st.lists(json_values | records, max_size=8))
def test_random_json_values_as_jsonl_lines(folder, values) -> None:
    items = read_all(write(folder, ".jsonl", jsonl_of(values)))
    assert len(items) == len(values)


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".jsonl.gz", ".jsonl.zst", ".parquet"]))
def test_random_bytes_as_compressed_or_parquet(folder, data, suffix) -> None:
    read_all(write(folder, suffix, data))


@FUZZ
@given(data=st.data(), rows=st.lists(records, min_size=1, max_size=20))
def test_damaged_gzip(folder, data, rows) -> None:
    read_all(write(folder, ".jsonl.gz", data.draw(damaged(gzip.compress(jsonl_of(rows))))))


@FUZZ
@given(data=st.data(), rows=st.lists(records, min_size=1, max_size=20))
def test_damaged_zstd(folder, data, rows) -> None:
    read_all(write(folder, ".jsonl.zst", data.draw(damaged(zstandard.ZstdCompressor().compress(jsonl_of(rows))))))


@FUZZ
@given(data=st.data(), rows=st.lists(records, min_size=1, max_size=20))
def test_damaged_parquet(folder, data, rows) -> None:
    read_all(write(folder, ".parquet", data.draw(damaged(parquet_of(rows)))))
