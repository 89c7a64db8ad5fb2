"""Every Python block of README.md runs as it is (in a fresh namespace, in a temporary folder)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_readme_python_block_runs(number: int, tmp_path: Path, capsys, monkeypatch) -> None:
    block = BLOCKS[number]
    for module in re.findall(r"^from (\w+)", block, flags=re.M):
        pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, f"README.md python block {number + 1}", "exec"), {"__name__": "__readme__"})
    assert capsys.readouterr().out or "print(" not in block
