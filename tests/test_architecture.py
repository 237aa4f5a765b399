"""The rule that keeps the code easy to change: only rtcc_desktop.ui imports Qt."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "rtcc_desktop"
GUI_MODULES = ("PySide6", "pyqtgraph", "folium", "shiboken6")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_ui_imports_gui_toolkits():
    offenders = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "ui":
            continue
        bad = _imports(path) & set(GUI_MODULES)
        if bad:
            offenders.append(f"{rel}: {sorted(bad)}")
    assert not offenders, "Qt/GUI imports outside rtcc_desktop/ui:\n" + "\n".join(offenders)


def test_no_print_in_library_code():
    offenders = []
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.relative_to(PKG)}:{node.lineno}")
    assert not offenders, "print() in library code (use logging or cli._out):\n" + "\n".join(offenders)


def test_no_cdn_urls_anywhere_in_app_or_resources():
    root = PKG.parent
    needles = ("cdn.", "cdnjs", "unpkg.com", "jsdelivr", "code.jquery", "maxcdn", "stackpath")
    hits = []
    for base in (PKG, root / "resources"):
        for path in base.rglob("*"):
            if path.is_file() and path.suffix in {".py", ".html", ".js", ".css", ".qss", ".toml", ".json"}:
                text = path.read_text(encoding="utf-8", errors="replace")
                hits += [f"{path.relative_to(root)}: {n}" for n in needles if n in text]
    assert not hits, "CDN references (the map must work offline):\n" + "\n".join(hits)
