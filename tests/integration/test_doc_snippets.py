"""Every Python snippet of the README and the docs runs as written, in a fresh namespace (17.9).

Each ```` ```python ```` block runs alone against the session's LocalServer, with
``OQTOPUS_URL`` and ``OQTOPUS_API_TOKEN`` set (as a reader who followed the configuration guide
would have them) and in an empty working directory. A block that cannot run says so on the line
above its fence:

* ``<!-- no-run: reason -->``: not run (a signature, code for another package, a program that only
  runs inside an SSE job). The list of these is pinned below, so adding one is a visible decision.
* ``<!-- continues: what -->``: runs in the namespace of the page's previous block, like the next
  cell of a notebook.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# A block may be indented (inside a list item); its marker then carries the same indent.
BLOCK = re.compile(r"(?:<!-- (no-run|continues): ([^>]*?) -->\n[ \t]*)?```python\n(.*?)```", re.S)

#: (page, reason) of every block that is deliberately not run.
EXPECTED_NO_RUN = {
    ("configuration.md", "needs an [oqtopus-dev] section in ~/.oqtopus"),
    ("configuration.md", "needs an [oqtopus-dev] section in the official SDK's config.ini"),
    ("local-server.md", "needs an account on OQTOPUS Cloud to copy the device from"),
    # run by tests/compat/test_pennylane_qiskit.py in its own environment (tox -e pennylane-qiskit)
    ("pennylane.md", "needs pennylane-qiskit, which pins an older Qiskit (its own environment)"),
    ("porting.md", "code before porting; it needs quri-parts-oqtopus"),
    ("qiskit.md", "a signature, not a program"),
    ("quri-parts.md", "needs user_program.py (see the SSE guide) and a service that runs SSE jobs"),
    ("sse.md", "runs inside an SSE job on the service, where quri_parts_oqtopus is installed"),
    ("sse.md", "needs user_program.py (the program above) and a service that runs SSE jobs"),
    ("sse.md", "needs an SSE job that has run (the program above)"),
}


def _snippets() -> list[tuple[str, int, str | None, str | None, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            kind, reason, source = match.groups()
            source = textwrap.dedent(source)
            line = text[: match.start()].count("\n") + 1
            found.append((page.relative_to(ROOT).as_posix(), line, kind, reason, source))
    return found


SNIPPETS = _snippets()
RUNNABLE = [s for s in SNIPPETS if s[2] != "no-run"]


def test_blocks_not_run_are_marked_and_counted() -> None:
    no_run = {(Path(p).name, reason) for p, _, kind, reason, _ in SNIPPETS if kind == "no-run"}
    assert no_run == EXPECTED_NO_RUN
    assert len(RUNNABLE) >= 25  # README and every guide: most blocks do run
    # Any other fence spelling would escape this test.
    for page in PAGES:
        assert not re.search(r"```(py|python3|pycon)\n", page.read_text(encoding="utf-8")), page


@pytest.mark.parametrize(
    ("page", "line", "kind", "reason", "source"),
    RUNNABLE,
    ids=[f"{page}:{line}" for page, line, *_ in RUNNABLE],
)
def test_snippet_runs_as_written(
    page: str,
    line: int,
    kind: str | None,
    reason: str | None,
    source: str,
    local_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv("OQTOPUS_URL", local_server.url)
    monkeypatch.setenv("OQTOPUS_API_TOKEN", local_server.token)
    monkeypatch.chdir(tmp_path)
    blocks = [s for s in SNIPPETS if s[0] == page and s[1] <= line and s[2] != "no-run"]
    chain = [blocks[-1]]
    while chain[0][2] == "continues":  # run the blocks it continues first, in one namespace
        chain.insert(0, blocks[blocks.index(chain[0]) - 1])
    namespace: dict[str, Any] = {"__name__": "__main__"}
    try:
        for _, start, _, _, code in chain:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"{ROOT / page}:{start}", "exec"), namespace)  # noqa: S102
    finally:
        plt.close("all")
    assert os.environ["OQTOPUS_URL"] == local_server.url
