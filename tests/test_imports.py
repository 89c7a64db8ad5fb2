"""The import graph of the dedup package: no cycle, stages import downstream only, no private datasketch.

Modules are read with ``ast`` (nothing is imported, so an optional dependency that is
missing cannot hide an edge), and every import counts: at the top, inside a function, under
``TYPE_CHECKING``. ``from dedup.x import y`` is an edge to ``dedup.x.y`` when ``y`` is a
submodule, else to ``dedup.x``. Importing ``dedup.a.b`` also runs ``dedup.a``'s
``__init__``, so that is an edge too.

The package ``dedup/__init__.py`` is the one special case: its lazy ``__getattr__``
imports ``dedup.engine.local`` and friends by name, through ``importlib``, only when an
attribute such as ``dedup.clean_paths`` is first asked for — those are strings, not
import statements, and never an edge. Its real imports (``dedup.model``, ``dedup.within``)
are edges like any other. Edges *into* ``dedup`` itself, which every submodule has only
because Python runs the package ``__init__`` first, are left out: with them every module
would sit on a cycle through ``dedup/__init__.py``.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dedup"


def module_files() -> dict[str, Path]:
    """Every module of the package by dotted name (``dedup.match.lsh`` …; ``dedup.index`` for its ``__init__``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("dedup",) + path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = module_files()


def imported_names(name: str, path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(module, names taken from it, line) for every import statement anywhere in the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            yield base, [a.name for a in node.names], node.lineno


def dedup_targets(module: str, names: list[str]) -> tuple[set[str], set[str]]:
    """The dedup modules an import names, and the packages whose ``__init__`` it runs on the way.

    Named: ``module`` itself, and ``module.y`` for each ``y`` of ``from module import y`` that is a
    submodule (when every name is a submodule, ``module`` is only on the way).
    """
    submodules = {f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES}
    named = submodules | ({module} if len(submodules) < len(names) or not names else set())
    named &= MODULES.keys()
    on_the_way = {".".join(t.split(".")[:i]) for t in named | {module} for i in range(1, t.count(".") + 1)}
    return named, (on_the_way | ({module} if module in MODULES else set())) - named


def import_graph() -> dict[str, dict[str, int]]:
    """module → {dedup module it imports: first line that does}.

    A package's ``__init__`` that an import runs on the way is an edge, except for the
    importing module's own packages (``dedup``, ``dedup.index`` for ``dedup.index.sqlite``):
    Python ran those before it, so they are no dependency of its own.
    """
    graph: dict[str, dict[str, int]] = {name: {} for name in MODULES}
    for name, path in MODULES.items():
        own_packages = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        for module, names, line in imported_names(name, path):
            if module != "dedup" and not module.startswith("dedup."):
                continue
            named, on_the_way = dedup_targets(module, names)
            for target in named | (on_the_way - own_packages):
                if target != name:
                    graph[name].setdefault(target, line)
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(graph):
        if root in state:
            continue
        path, stack = [root], [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(step) == 1:
                return path[path.index(step) :] + [step]
            elif step not in state:
                state[step] = 1
                path.append(step)
                stack.append(iter(sorted(graph[step])))
    return None


def describe(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    return "\n".join(f"  {a} (line {graph[a][b]}) → {b}" for a, b in pairwise(cycle))


def test_the_graph_sees_function_level_and_submodule_imports(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text(
        "def later():\n    from dedup.index import matching\n    from dedup.match.documents import relate\n"
        "class Late:\n    def method(self):\n        import dedup.signatures.minhash\n"
        "from . import lsh\n",
        encoding="utf-8",
    )
    found = {module: names for module, names, _ in imported_names("dedup.match.probe", source)}
    assert found == {"dedup.index": ["matching"], "dedup.match.documents": ["relate"], "dedup.signatures.minhash": [], "dedup.match": ["lsh"]}
    assert dedup_targets("dedup.index", ["matching"]) == ({"dedup.index.matching"}, {"dedup", "dedup.index"})
    assert dedup_targets("dedup.match.documents", ["relate"]) == ({"dedup.match.documents"}, {"dedup", "dedup.match"})
    graph = import_graph()
    assert "dedup.match.lsh" in graph["dedup.match.documents"]
    assert "dedup.model" in graph["dedup"] and "dedup.engine.local" not in graph["dedup"]  # lazy: a string
    assert find_cycle({"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {}, "c": {"a": 1, "b": 2}}) is None


def test_no_import_cycle_in_dedup() -> None:
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle:\n" + describe(cycle, graph)


def test_match_never_imports_index() -> None:
    graph = import_graph()
    wrong = sorted(
        f"{m} → {t} (line {line})"
        for m, targets in graph.items() if m == "dedup.match" or m.startswith("dedup.match.")
        for t, line in targets.items() if t == "dedup.index" or t.startswith("dedup.index.")
    )
    assert not wrong, "match/ imports index/: " + "; ".join(wrong)


def test_no_private_datasketch_name_is_imported() -> None:
    """Private names change without notice between releases; the band/row choice is ours (dedup.match.lsh)."""
    def private(dotted: str) -> bool:
        return any(p.startswith("_") and not p.endswith("__") for p in dotted.split("."))

    wrong = sorted(
        f"{name} line {line}: {dotted}"
        for name, path in MODULES.items()
        for module, names, line in imported_names(name, path)
        if module.split(".")[0] == "datasketch"
        for dotted in ([f"{module}.{n}" for n in names] or [module]) if private(dotted)
    )
    assert not wrong, "private datasketch names: " + "; ".join(wrong)


def test_the_help_imports_neither_numpy_nor_the_library() -> None:
    """``dedup --help`` is quick: click and the CLI module, none of numpy, numba, datasketch, scipy."""
    code = ("import sys\nfrom dedup.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'numba', 'datasketch', 'scipy') "
            "or m.startswith('dedup.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "['dedup.cli', 'dedup.errors', 'dedup.extras']"
