"""The layering holds: each layer imports only the layers below it (DESIGN.md, Architecture).

Read from the source with `ast`, so a lazy import inside a function counts as much as one
at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What each part of the project may import of the project itself.
ALLOWED = {
    "model": set(),  # the package itself imports nothing
    "model.core": {"model.core"},
    "model.analysis": {"model.core", "model.analysis", "model.format"},  # verdicts in words
    "model.ingest": {"model.core", "model.ingest"},
    "model.store": {"model.core", "model.store"},
    "model.export": {"model.core", "model.ingest", "model.export"},
    "model.format": {"model.core"},
    "model.charts": {"model.core", "model.format"},
    "model.services": {"model"},
    "model.api": {"model"},
    "model.cli": {"model"},
    "model.cli_team": {"model"},
    "ui": {
        "model.core",
        "model.analysis",
        "model.ingest",
        "model.store",
        "model.services",
        "model.charts",
        "model.format",
        "ui",
    },
    "pages": {
        "model.core",
        "model.analysis",
        "model.ingest",
        "model.export",
        "model.store",
        "model.services",
        "model.charts",
        "model.format",
        "ui",
    },
    "app": {"ui"},
}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _layer(module: str) -> str:
    """The longest ALLOWED key that `module` is, or lies under."""
    found = [k for k in ALLOWED if module == k or module.startswith(k + ".")]
    assert found, f"{module} belongs to no layer: add it to ALLOWED (and to DESIGN.md)"
    return max(found, key=len)


def _project_imports(path: Path) -> set[str]:
    """Every module of the project that `path` imports, at the top or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
    return {m for m in out if m.split(".")[0] in {"model", "ui", "pages", "app"}}


def _sources() -> list[Path]:
    files = [*(ROOT / "model").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]
    files += [*(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
    return sorted(p for p in files if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layers(path: Path) -> None:
    layer = _layer(_module_name(path))
    allowed = ALLOWED[layer]
    wrong = sorted(
        m
        for m in _project_imports(path)
        if m not in ("model", "ui", "pages")
        and not any(m == a or m.startswith(a + ".") for a in allowed)
    )
    assert not wrong, f"{path.relative_to(ROOT)} ({layer}) imports {wrong}"


@pytest.mark.parametrize(
    "path",
    [p for p in _sources() if _module_name(p).startswith("model")],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_nothing_under_model_imports_streamlit(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {n for n in names if n.split(".")[0] == "streamlit"}


def test_the_checker_sees_a_wrong_import(tmp_path: Path) -> None:
    """The rule is not vacuous: an analysis module importing the store is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from model.store import revisions\n")
    imported = _project_imports(bad)
    assert "model.store.revisions" in imported
    assert not any(m.startswith("model.store") for m in ALLOWED["model.analysis"])


def _bare_expressions(path: Path) -> list[str]:
    """Statements Streamlit's "magic" would write to the page: a bare value that is not a
    call, and a string that is not its block's docstring."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        body = getattr(node, "body", None)
        for i, statement in enumerate(body if isinstance(body, list) else []):
            value = getattr(statement, "value", None) if isinstance(statement, ast.Expr) else None
            if value is None or isinstance(value, ast.Call | ast.Yield | ast.YieldFrom | ast.Await):
                continue
            if i == 0 and isinstance(value, ast.Constant) and isinstance(value.value, str):
                continue  # a docstring
            found.append(f"{path.name}:{statement.lineno}")
    return found


def test_no_page_relies_on_magic_which_the_config_turns_off(tmp_path: Path) -> None:
    """`.streamlit/config.toml` turns magic off (a page's first run then skips rewriting
    its syntax tree), so a bare expression on a page would silently show nothing."""
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "magicEnabled = false" in config
    scripts = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    assert [hit for path in scripts for hit in _bare_expressions(path)] == []
    page = tmp_path / "page.py"
    page.write_text(
        '"""A page."""\nimport streamlit as st\nst.title("x")\nframe = 1\nframe\n'
        'def f():\n    """Docstring."""\n    st.write(1)\n    "shown by magic"\n'
    )
    assert _bare_expressions(page) == ["page.py:5", "page.py:9"]
