"""The DOCSIS library must not depend on Home Assistant.

It is meant to be publishable on its own (and usable by a core integration),
so nothing under ``custom_components/docsight/docsis`` may import
``homeassistant``.  Two checks: a static scan of every import statement, and
a fresh interpreter in which importing Home Assistant fails, that imports the
library as the top-level package ``docsis`` with every submodule and runs it.
"""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys
import textwrap

LIBRARY = Path(__file__).resolve().parents[2] / "custom_components" / "docsight" / "docsis"


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def test_no_module_imports_homeassistant() -> None:
    sources = sorted(LIBRARY.rglob("*.py"))
    assert len(sources) >= 10, sources  # the scan really looks at the library
    offenders = [
        f"{path.relative_to(LIBRARY)}:{line}: {module}"
        for path in sources
        for line, module in _imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        if module == "homeassistant" or module.startswith("homeassistant.")
    ]
    assert offenders == []


def test_the_scan_would_catch_an_import() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """
            import homeassistant.core
            from homeassistant.const import Platform
            if TYPE_CHECKING:
                from homeassistant.core import HomeAssistant
            importlib.import_module("homeassistant.helpers")
            from . import model
            """
        )
    )
    assert [module for _, module in _imported_modules(tree)] == [
        "homeassistant.core",
        "homeassistant.const",
        "homeassistant.core",
        "homeassistant.helpers",
    ]


_WITHOUT_HOME_ASSISTANT = """
import importlib
import importlib.abc
import pkgutil
import sys

sys.path.insert(0, {package_parent!r})


class NoHomeAssistant(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "homeassistant" or name.startswith("homeassistant."):
            raise ImportError(f"Home Assistant is not available here: {{name}}")
        return None


sys.meta_path.insert(0, NoHomeAssistant())
try:
    import homeassistant  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit("the import blocker does not work")

import docsis

names = ["docsis"]
for info in pkgutil.walk_packages(docsis.__path__, "docsis."):
    if info.name == "docsis.__main__":  # runs the command line on import
        continue
    importlib.import_module(info.name)
    names.append(info.name)

# And it works, not only imports: a demo reading, analysed and compared.
from datetime import UTC, datetime, timedelta

from docsis import analyze, detect
from docsis.drivers import DriverConfig, create_driver

modem = create_driver("demo", DriverConfig(seed=1))
first = analyze(modem.read(datetime(2026, 1, 10, 1, 0, tzinfo=UTC)))
second = analyze(modem.read(datetime(2026, 1, 10, 4, 0, tzinfo=UTC)), baseline=first.baseline)
_, state = detect(None, first)
events, _ = detect(state, second)
assert events, "a bad night raises events"
assert not [m for m in sys.modules if m.split(".")[0] == "homeassistant"]
assert not [m for m in sys.modules if m.startswith("custom_components")]
print("\\n".join(names))
"""


def test_library_imports_and_runs_without_home_assistant() -> None:
    script = _WITHOUT_HOME_ASSISTANT.format(package_parent=str(LIBRARY.parent))
    result = subprocess.run(  # noqa: S603 - runs our own script with this interpreter
        [sys.executable, "-c", script],
        cwd=LIBRARY.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    imported = set(result.stdout.split())
    expected = {
        "docsis",
        "docsis.analyzer",
        "docsis.cli",
        "docsis.events",
        "docsis.model",
        "docsis.serialize",
        "docsis.thresholds",
        "docsis.drivers",
        "docsis.drivers.base",
        "docsis.drivers.demo",
    }
    assert expected <= imported
    # Every module file was imported, whatever gets added later.
    on_disk = {
        "docsis." + ".".join(path.relative_to(LIBRARY).with_suffix("").parts)
        for path in LIBRARY.rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    }
    assert on_disk <= imported
