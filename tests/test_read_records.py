"""Reading records (JSONL plain, .gz, .zst, stdin; Parquet): every failure is one InputError naming the input."""
from __future__ import annotations

import gzip
import io
import json
import os
import signal
import sys
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

import dedup.read.records as records_module
import dedup.read.streams as streams_module
from dedup.errors import InputError
from dedup.read.document import Document
from dedup.read.records import DEFAULT_MAX_RECORD_BYTES, MAX_JSON_DEPTH, read_jsonl, read_parquet
from dedup.read.sources import open_sources


@pytest.fixture
def no_hang():
    """Fail a test in 10 s instead of hanging forever on a FIFO."""

    def give_up(signum, frame):
        raise TimeoutError("blocked: a FIFO was opened for reading")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def jsonl(*records: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def story(n: int) -> dict[str, object]:
    return {"id": n, "text": f"Story number {n} about the council, the harvest and the railway. " * 5}


def split(items) -> tuple[list[Document], list[InputError]]:
    items = list(items)
    assert all(isinstance(i, (Document, InputError)) for i in items)
    for item in items:
        if isinstance(item, InputError):
            assert "\n" not in str(item), str(item)
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, InputError)]


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


# --- JSONL lines ---------------------------------------------------------------------------------


def test_line_nested_ten_thousand_levels_is_an_error_and_the_run_goes_on(tmp_path) -> None:
    path = write(tmp_path / "deep.jsonl", jsonl(story(1)) + b"[" * 10_000 + b"]" * 10_000 + b"\n" + jsonl(story(3)))
    docs, (error,) = split(read_jsonl(path))
    assert [d.record["id"] for d in docs] == [1, 3]
    assert str(error) == f"{path}:2: JSON nested deeper than {MAX_JSON_DEPTH} levels; skipped"


def test_line_nested_within_what_json_parses_but_too_deep_to_write_is_an_error(tmp_path) -> None:
    deep = {"text": "Deep.", "meta": json.loads("[" * 500 + "]" * 500)}
    fine = {"text": "Nested a little.", "meta": json.loads("[" * 150 + "]" * 150)}
    path = write(tmp_path / "deep.jsonl", jsonl(deep, fine))
    (doc,), (error,) = split(read_jsonl(path))
    assert error.path == f"{path}:1" and "nested deeper" in error.reason
    assert json.loads(doc.encode()) == fine


def test_lone_surrogates_are_read_and_written_back_as_valid_utf8(tmp_path) -> None:
    lines = b'{"text": "Broken pair \\ud800 here", "note": "\\udc80", "\\udfff": 1}\n{"text": "\\ud800"}\n'
    path = write(tmp_path / "surrogates.jsonl", lines)
    docs, errors = split(read_jsonl(path))
    assert errors == []
    assert docs[0].text == "Broken pair \ud800 here"
    assert docs[0].record == {"text": "Broken pair \ud800 here", "note": "\udc80", "\udfff": 1}
    for doc in docs:
        data = doc.encode()
        data.decode("utf-8")  # strict: valid UTF-8
        assert json.loads(data) == doc.record
    cleaned = docs[0].encode("Broken \ud800")
    assert json.loads(cleaned.decode("utf-8"))["text"] == "Broken \ud800"
    assert b"\\ud800" in cleaned


def test_text_documents_still_write_back_their_exact_bytes() -> None:
    from dedup.read.files import decode_bytes

    doc = decode_bytes("a.txt", b"Caf\xe9 \xff.\n", "a.txt")
    assert doc.encode() == b"Caf\xe9 \xff.\n"


def test_integer_too_long_to_convert_is_an_error_for_that_line(tmp_path) -> None:
    path = write(tmp_path / "big.jsonl", b'{"text": "Big.", "n": ' + b"9" * 5000 + b"}\n" + jsonl(story(2)))
    (doc,), (error,) = split(read_jsonl(path))
    assert error.path == f"{path}:1"
    assert error.reason == "invalid JSON (exceeds the limit (4300 digits) for integer string conversion); skipped"
    assert doc.record["id"] == 2


def test_line_over_the_record_limit_is_an_error_and_the_next_line_is_read(tmp_path) -> None:
    long = {"id": 2, "text": "x" * 1000}
    path = write(tmp_path / "long.jsonl", jsonl(story(1), long, story(3)))
    docs, (error,) = split(read_jsonl(path, max_record_bytes=500))
    assert [d.record["id"] for d in docs] == [1, 3]
    assert [d.source for d in docs] == [f"{path}:1", f"{path}:3"]
    assert str(error) == f"{path}:2: line longer than the limit of 500 bytes; skipped"


def test_line_exactly_at_the_record_limit_is_read(tmp_path) -> None:
    line = json.dumps({"text": "y" * 100}).encode()
    path = write(tmp_path / "edge.jsonl", line + b"\n" + line)  # the last line has no newline
    docs, errors = split(read_jsonl(path, max_record_bytes=len(line)))
    assert len(docs) == 2 and errors == []
    docs, errors = split(read_jsonl(path, max_record_bytes=len(line) - 1))
    assert docs == [] and [e.path for e in errors] == [f"{path}:1", f"{path}:2"]


def test_over_long_line_is_skipped_without_being_held(tmp_path) -> None:
    path = write(tmp_path / "huge.jsonl", b'{"text": "' + b"z" * 16_000_000 + b'"}\n' + jsonl(story(2)))
    tracemalloc.start()
    try:
        docs, errors = split(read_jsonl(path, max_record_bytes=1000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [d.record["id"] for d in docs] == [2] and len(errors) == 1
    assert peak < 4_000_000


def test_default_record_limit() -> None:
    assert DEFAULT_MAX_RECORD_BYTES == 64 * 1024 * 1024


def test_any_unexpected_failure_for_a_line_is_an_error_for_that_line(tmp_path, monkeypatch) -> None:
    real = records_module.record_document

    def surprise(record, where, *args):
        if record.get("id") == 2:
            raise LookupError("nobody expected this\nsecond line")
        return real(record, where, *args)

    monkeypatch.setattr(records_module, "record_document", surprise)
    path = write(tmp_path / "a.jsonl", jsonl(story(1), story(2), story(3)))
    docs, (error,) = split(read_jsonl(path))
    assert [d.record["id"] for d in docs] == [1, 3]
    assert str(error) == f"{path}:2: cannot read this record (LookupError: nobody expected this); skipped"


def test_any_unexpected_failure_of_the_stream_ends_it_with_an_error(tmp_path, monkeypatch) -> None:
    class Flaky(io.BytesIO):
        def readline(self, *args):
            if self.tell() > 0:
                raise RuntimeError("the disk said something odd")
            return super().readline(*args)

    monkeypatch.setattr(records_module, "open_bytes", lambda path: Flaky(jsonl(story(1), story(2))))
    docs, (error,) = split(read_jsonl(str(tmp_path / "a.jsonl")))
    assert len(docs) == 1
    assert error.reason == "cannot read further after 1 records (RuntimeError: the disk said something odd); stopped there"


def test_an_interrupt_is_not_turned_into_an_error(tmp_path, monkeypatch) -> None:
    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(records_module, "record_document", interrupt)
    path = write(tmp_path / "a.jsonl", jsonl(story(1)))
    with pytest.raises(KeyboardInterrupt):
        list(read_jsonl(path))


# --- compressed JSONL -----------------------------------------------------------------------------


def many_stories(n: int) -> bytes:
    return b"".join(jsonl({"id": i, "text": os.urandom(300).hex()}) for i in range(n))  # incompressible: many blocks


def test_zst_that_is_not_zstd_is_an_error(tmp_path) -> None:
    path = write(tmp_path / "fake.jsonl.zst", jsonl(story(1)))
    docs, (error,) = split(read_jsonl(path))
    assert docs == []
    assert str(error) == f"{path}: truncated or corrupt zstd data after 0 records; stopped there"


def test_truncated_zst_is_an_error_after_the_records_before_it(tmp_path) -> None:
    data = zstandard.ZstdCompressor().compress(many_stories(2000))
    path = write(tmp_path / "cut.jsonl.zst", data[: len(data) // 2])
    docs, (error,) = split(read_jsonl(path))
    assert 0 < len(docs) < 2000
    assert [d.record["id"] for d in docs] == list(range(len(docs)))
    assert str(error) == f"{path}: truncated or corrupt zstd data after {len(docs)} records; stopped there"


def test_zst_of_several_frames_is_read_to_the_end(tmp_path) -> None:
    compress = zstandard.ZstdCompressor().compress
    path = write(tmp_path / "frames.jsonl.zst", compress(jsonl(story(1))) + compress(b"") + compress(jsonl(story(2))))
    docs, errors = split(read_jsonl(path))
    assert [d.record["id"] for d in docs] == [1, 2] and errors == []


def test_empty_zst_file_has_no_records(tmp_path) -> None:
    assert list(read_jsonl(write(tmp_path / "empty.jsonl.zst", b""))) == []


def test_truncated_gzip_is_an_error_after_the_records_before_it(tmp_path) -> None:
    data = gzip.compress(many_stories(2000))
    path = write(tmp_path / "cut.jsonl.gz", data[: len(data) // 2])
    docs, (error,) = split(read_jsonl(path))
    assert 0 < len(docs) < 2000
    assert str(error) == f"{path}: truncated or corrupt gzip data after {len(docs)} records; stopped there"


def test_gz_that_is_not_gzip_is_an_error(tmp_path) -> None:
    path = write(tmp_path / "fake.jsonl.gz", jsonl(story(1)))
    docs, (error,) = split(read_jsonl(path))
    assert docs == []
    assert str(error) == f"{path}: truncated or corrupt gzip data after 0 records; stopped there"


def test_gzip_with_a_bad_checksum_is_an_error(tmp_path) -> None:
    data = bytearray(gzip.compress(jsonl(story(1))))
    data[-8] ^= 0xFF  # the CRC
    path = write(tmp_path / "crc.jsonl.gz", bytes(data))
    _, errors = split(read_jsonl(path))
    assert [e.reason for e in errors][-1].startswith("truncated or corrupt gzip data")


def test_compressed_streams_close_the_file_under_them(tmp_path) -> None:
    from dedup.read.streams import open_bytes

    path = write(tmp_path / "a.jsonl.gz", gzip.compress(jsonl(story(1))))
    stream = open_bytes(path)
    fd = stream.raw._raw.fileno()
    stream.close()
    with pytest.raises(OSError):
        os.fstat(fd)


# --- Parquet ------------------------------------------------------------------------------------


def write_parquet(path: Path, rows: list[dict[str, object]], **options: object) -> str:
    pq.write_table(pa.Table.from_pylist(rows), path, **options)
    return str(path)


def test_parquet_with_corrupt_data_pages_is_an_error_after_the_rows_before(tmp_path) -> None:
    path = write_parquet(tmp_path / "a.parquet", [story(i) for i in range(3000)], row_group_size=1000, use_dictionary=False)
    column = pq.ParquetFile(path).metadata.row_group(1).column(1)  # the text column of the second group
    data = bytearray(Path(path).read_bytes())
    start = column.data_page_offset
    data[start + 40 : start + column.total_compressed_size - 10] = b"\x55" * (column.total_compressed_size - 50)
    Path(path).write_bytes(bytes(data))
    docs, (error,) = split(read_parquet(path, batch_rows=500))  # a batch must not span the bad group
    assert len(docs) == 1000
    assert error.path == path
    assert error.reason.startswith("corrupt Parquet data after 1000 rows (OSError: ")
    assert error.reason.endswith("); stopped there")


def test_parquet_file_that_is_not_parquet_is_an_error(tmp_path) -> None:
    path = write(tmp_path / "fake.parquet", jsonl(story(1)))
    docs, (error,) = split(read_parquet(path))
    assert docs == [] and error.path == path
    assert error.reason.startswith("not a readable Parquet file (")


def test_parquet_cut_short_is_an_error(tmp_path) -> None:
    path = write_parquet(tmp_path / "a.parquet", [story(i) for i in range(100)])
    Path(path).write_bytes(Path(path).read_bytes()[:-100])
    docs, (error,) = split(read_parquet(path))
    assert docs == [] and "not a readable Parquet file" in error.reason


def test_parquet_text_over_the_record_limit_is_an_error_for_that_row(tmp_path) -> None:
    path = write_parquet(tmp_path / "a.parquet", [story(1), {"id": 2, "text": "é" * 300}, story(3)])
    docs, (error,) = split(read_parquet(path, max_record_bytes=500))  # 300 characters, 600 bytes
    assert [d.record["id"] for d in docs] == [1, 3]
    assert str(error) == f"{path}:row 2: text longer than the limit of 500 bytes; skipped"


def test_parquet_rows_keep_their_errors(tmp_path) -> None:
    path = write_parquet(tmp_path / "a.parquet", [story(1), {"id": 2, "text": None}])
    docs, (error,) = split(read_parquet(path))
    assert len(docs) == 1 and error.path == f"{path}:row 2"


# --- standard input ---------------------------------------------------------------------------------


def test_stdin_that_is_none_is_an_error(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    (error,) = list(read_jsonl("-"))
    assert str(error) == "<stdin>: cannot read (standard input is closed)"


def test_stdin_whose_file_is_closed_is_an_error(monkeypatch) -> None:
    stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(jsonl(story(1)))))
    stdin.close()
    monkeypatch.setattr(sys, "stdin", stdin)
    (error,) = list(read_jsonl("-"))
    assert str(error) == "<stdin>: cannot read (standard input is closed)"


def test_stdin_on_a_closed_descriptor_is_an_error(monkeypatch, tmp_path) -> None:
    fd = os.open(tmp_path / "gone", os.O_CREAT | os.O_RDONLY)
    stdin = open(fd, "r", closefd=False)  # noqa: SIM115
    os.close(fd)
    monkeypatch.setattr(sys, "stdin", stdin)
    (error,) = list(read_jsonl("-"))
    assert str(error) == "<stdin>: cannot read (standard input is closed)"


def test_stdin_is_read(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(jsonl(story(1), story(2))))))
    docs, errors = split(read_jsonl("-"))
    assert [d.source for d in docs] == ["<stdin>:1", "<stdin>:2"] and errors == []


# --- only regular files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pipe.jsonl", "pipe.jsonl.gz", "pipe.jsonl.zst"])
def test_jsonl_fifo_read_directly_is_refused_without_blocking(tmp_path, no_hang, name) -> None:
    os.mkfifo(tmp_path / name)
    (error,) = list(read_jsonl(str(tmp_path / name)))
    assert str(error) == f"{tmp_path / name}: not a regular file (FIFO), skipped"


def test_parquet_fifo_read_directly_is_refused_without_blocking(tmp_path, no_hang) -> None:
    os.mkfifo(tmp_path / "pipe.parquet")
    (error,) = list(read_parquet(str(tmp_path / "pipe.parquet")))
    assert error.reason == "not a regular file (FIFO), skipped"


def test_record_device_is_refused(no_hang) -> None:
    (error,) = list(read_jsonl("/dev/zero"))
    assert error.reason == "not a regular file (character device), skipped"


def test_sources_skip_a_fifo_in_a_folder_with_an_error(tmp_path, no_hang) -> None:
    (tmp_path / "in").mkdir()
    write(tmp_path / "in" / "a.jsonl", jsonl(story(1)))
    os.mkfifo(tmp_path / "in" / "pipe.jsonl")
    sources = open_sources([tmp_path / "in"], "jsonl")
    (error,) = sources.discovery.errors
    assert str(error) == f"{tmp_path / 'in' / 'pipe.jsonl'}: not a regular file (FIFO), skipped"
    docs, errors = split(sources.documents())
    assert len(docs) == 1 and errors == []


# --- Sources.documents --------------------------------------------------------------------------------


def test_sources_documents_pass_the_record_limit_on(tmp_path) -> None:
    jsonl_path = write(tmp_path / "a.jsonl", jsonl(story(1), {"id": 2, "text": "x" * 1000}))
    parquet_path = write_parquet(tmp_path / "b.parquet", [story(3), {"id": 4, "text": "x" * 1000}])
    sources = open_sources([jsonl_path, parquet_path])
    docs, errors = split(sources.documents("text", None, max_record_bytes=900))
    assert [d.record["id"] for d in docs] == [1, 3]
    assert [e.path for e in errors] == [f"{jsonl_path}:2", f"{parquet_path}:row 2"]
    docs, errors = split(sources.documents("text", "id"))  # the old positional call still works
    assert [d.id for d in docs] == ["1", "2", "3", "4"] and errors == []


def test_sources_text_documents_never_raise(tmp_path, no_hang) -> None:
    (tmp_path / "in").mkdir()
    write(tmp_path / "in" / "good.txt", b"Good.\n")
    write(tmp_path / "in" / "wide.txt", "Wide text.\n".encode("utf-16"))
    write(tmp_path / "in" / "binary.txt", b"\x00\x01\x02")
    (tmp_path / "in" / "loop.txt").symlink_to(tmp_path / "in" / "loop.txt")
    sources = open_sources([tmp_path / "in"])
    assert [str(e) for e in sources.discovery.errors] == [f"{tmp_path / 'in' / 'loop.txt'}: cannot read (symlink loop)"]
    docs, errors = split(sources.documents())
    assert [d.id for d in docs] == ["good.txt"]
    assert sorted(e.reason for e in errors) == [
        "UTF-16 text is not supported (convert to UTF-8), skipped",
        "binary file (contains NUL bytes), skipped",
    ]


def test_streams_module_names_kinds() -> None:
    import stat

    assert streams_module.kind_of(stat.S_IFREG) is None
    assert streams_module.kind_of(stat.S_IFIFO) == "FIFO"
    assert streams_module.kind_of(stat.S_IFCHR) == "character device"
    assert streams_module.kind_of(stat.S_IFSOCK) == "socket"
    assert streams_module.kind_of(stat.S_IFDIR) == "folder"


def test_error_naming_json_keys_with_newlines_is_one_line(tmp_path) -> None:
    path = write(tmp_path / "a.jsonl", jsonl({"body\nsecond": "Text.", "\x1b[31m": 1}))
    (error,) = list(read_jsonl(path))
    assert error.reason == "no 'text' field (fields: \\x1b[31m, body\\nsecond); use --text-key; skipped"


@pytest.mark.parametrize("depth,ok", [(MAX_JSON_DEPTH, True), (MAX_JSON_DEPTH + 1, False)])
def test_nesting_limit_counts_the_record_itself(tmp_path, depth, ok) -> None:
    line = b'{"text": "Deep.", "m": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}\n"
    path = write(tmp_path / "edge.jsonl", line)
    docs, errors = split(read_jsonl(path))
    assert (len(docs), len(errors)) == ((1, 0) if ok else (0, 1))
