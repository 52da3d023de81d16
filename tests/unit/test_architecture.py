"""The direction of imports: the core library never imports seqdesign.cli or seqdesign.oracles.

The cli/ and oracles/ folders are installed as seqdesign.cli and seqdesign.oracles (setuptools
package-dir); every module under the seqdesign/ folder is the core. Also: the core never prints
and never exits (ARCHITECTURE.md).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "seqdesign"
FORBIDDEN = ("seqdesign.cli", "seqdesign.oracles")
CORE_FILES = sorted(CORE.rglob("*.py"))


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            out += [(node.lineno, f"{mod}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append((node.lineno, arg.value))
    return out


def _is_dynamic_import(node: ast.Call) -> bool:
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name in ("import_module", "__import__")


def test_the_core_folder_is_found():
    names = {p.name for p in CORE_FILES}
    assert {"loop.py", "select.py", "dataset.py"} <= names
    assert not (CORE / "cli").exists() and not (CORE / "oracles").exists()


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_cli_or_oracles(path):
    bad = [
        (line, mod)
        for line, mod in imported_modules(path)
        if any(mod == f or mod.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_checker_sees_relative_and_dynamic_imports(tmp_path):
    pkg = tmp_path / "seqdesign" / "sub"
    pkg.mkdir(parents=True)
    f = pkg / "m.py"
    f.write_text(
        "from ..oracles import x\nfrom . import y\nimport importlib\n"
        "importlib.import_module('seqdesign.cli.main')\nimport seqdesign.cli as c\n"
    )
    mods = {m for _, m in imported_modules(f, tmp_path)}
    assert {
        "seqdesign.oracles",
        "seqdesign.oracles.x",
        "seqdesign.sub.y",
        "seqdesign.cli.main",
        "seqdesign.cli",
    } <= mods


def test_core_never_prints_or_exits():
    offenders = []
    for path in CORE_FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in ("print", "exit", "quit"):
                    offenders.append((path.name, node.lineno, f.id))
                if (
                    isinstance(f, ast.Attribute)
                    and f.attr == "exit"
                    and isinstance(f.value, ast.Name)
                    and f.value.id in ("sys", "os")
                ):
                    offenders.append((path.name, node.lineno, "sys.exit"))
    assert not offenders


def test_importing_the_core_loads_neither_cli_nor_oracles():
    code = (
        "import sys\n"
        "import seqdesign, seqdesign.loop, seqdesign.io, seqdesign.config, seqdesign.generators\n"
        "from seqdesign.generators import make_generator\n"
        "bad = [m for m in sys.modules if m.startswith(('seqdesign.cli', 'seqdesign.oracles'))]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
