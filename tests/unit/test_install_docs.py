"""No page tells people to ``pip install oqtopus-bridge`` from PyPI, where it is not (17.3)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FROM_PYPI = re.compile(r"""pip install\s+(?:-\S+\s+)*\\?["']?oqtopus[-_]bridge\b""")


def _texts() -> list[Path]:
    paths = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "examples").rglob("*")]
    paths += [*(ROOT / "src").rglob("*.py")]
    return [p for p in paths if p.is_file() and p.suffix in (".md", ".py", ".ipynb")]


def test_no_page_installs_oqtopus_bridge_from_pypi() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in _texts()
        for match in FROM_PYPI.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "install from a clone (pip install '.[extra]') or a wheel instead"


def test_install_section_covers_a_clone_and_a_wheel() -> None:
    text = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    section = text.split("## Install", 1)[1].split("\n## ", 1)[0]
    assert "not on PyPI" in section
    assert 'python -m pip install ".[all]"' in section
    assert "python -m build" in section and ".whl[all]" in section
