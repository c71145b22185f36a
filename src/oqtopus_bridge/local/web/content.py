"""What the web view's pages show, read from the repository and object store (no HTTP here)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from oqtopus_bridge.svg import histogram_bars, histogram_svg, topology_svg

from .. import safejson
from ..archive import MIB, ArchiveError
from ..context import ServerContext
from ..devices import CATALOG_NAME, Device
from ..repository import JobQuery, JobRecord
from ..service import CANCELLABLE, TERMINAL

PAGE_SIZE = 50
#: Highest page of the jobs list: beyond it the page's offset would not fit SQLite's integers.
MAX_PAGE = 10**9
#: Largest object content the job page inflates in the API process (issue 21); a bigger one is
#: named in a notice instead (the API still serves it whole).
SHOW_BYTES = 8 * MIB
STATUSES = ("registered", "submitted", "ready", "running", "succeeded", "failed", "cancelled")
WINDOWS = {"today": None, "7d": 7, "30d": 30}
BIT_ORDER = "Keys are bitstrings over all classical bits, classical bit 0 rightmost."


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_local_time(text: str | None) -> str | None:
    """Turn a ``datetime-local`` form value (read as UTC) into a repository stamp, or ``None``."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return _stamp(value)


def job_query(
    q: str, status: str, window: str, since: str, until: str, page: int, now: dt.datetime
) -> JobQuery:
    """Build the repository query of the jobs page; a preset ``window`` overrides ``since``."""
    start = parse_local_time(since)
    if window in WINDOWS:
        days = WINDOWS[window]
        utc = now.astimezone(dt.timezone.utc)
        midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
        start = _stamp(midnight if days is None else now - dt.timedelta(days=days))
    return JobQuery(
        status=status if status in STATUSES else None,
        start_time=start,
        end_time=parse_local_time(until),
        q=q.strip() or None,
        page=min(max(page, 1), MAX_PAGE),
        size=PAGE_SIZE,
        descending=True,
    )


def job_actions(record: JobRecord) -> dict[str, bool]:
    """Which of cancel and delete the service would accept for ``record``."""
    return {"cancel": record.status in CANCELLABLE, "delete": record.status in TERMINAL}


def _entry(context: ServerContext, job_id: str, item: str, problems: list[str]) -> bytes | None:
    """The content of ``{item}.zip``, or ``None`` (missing, or broken: ``problems`` says why)."""
    cap = min(SHOW_BYTES, context.store.max_entry_bytes)
    try:
        return context.store.read_entry(job_id, item, cap)
    except ArchiveError as exc:
        problems.append(f"{item}.zip is not shown: {exc}.")
        return None


def _text(context: ServerContext, job_id: str, item: str, problems: list[str]) -> str | None:
    data = _entry(context, job_id, item, problems)
    return None if data is None else data.decode("utf-8", errors="replace")


def _json(context: ServerContext, job_id: str, item: str, problems: list[str]) -> Any:
    """The JSON of ``{item}.zip``; its text when it is not JSON; ``None`` when unreadable."""
    data = _entry(context, job_id, item, problems)
    if data is None:
        return None
    try:
        return safejson.loads(data, f"{item}.json")
    except safejson.JsonRefused as exc:
        if safejson.needs_check(data):  # too deep or NaN: its text would not help either
            problems.append(f"{item}.zip is not shown: {exc}.")
            return None
        return data.decode("utf-8", errors="replace")


def pretty(value: Any) -> str:
    """Return ``value`` as indented JSON (strings as they are)."""
    return value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True)


def _histograms(result: Mapping[str, Any], programs: list[str]) -> list[dict[str, Any]]:
    sampling = result.get("sampling") if isinstance(result.get("sampling"), Mapping) else None
    if sampling is None and isinstance(result.get("counts"), Mapping):
        sampling = result
    if not sampling or not isinstance(sampling.get("counts"), Mapping):
        return []
    panels = []
    divided = sampling.get("divided_counts")
    if isinstance(divided, Mapping) and divided:
        for key in sorted(divided, key=lambda k: int(k) if str(k).isdigit() else 0):
            index = int(key) if str(key).isdigit() else -1
            program = programs[index] if 0 <= index < len(programs) else None
            panels.append(_panel(f"Program index {key}", divided[key], program))
        panels.append(_panel("Combined program", sampling["counts"], None))
    else:
        panels.append(_panel("Counts", sampling["counts"], None))
    return panels


def _panel(title: str, counts: Any, program: str | None) -> dict[str, Any]:
    counts = counts if isinstance(counts, Mapping) else {}
    return {
        "title": title,
        "svg": histogram_svg(counts, label=title),
        "rows": histogram_bars(counts),
        "program": program,
    }


def _estimation(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    estimation = result.get("estimation")
    if not isinstance(estimation, Mapping):
        return []
    values, stds = estimation.get("exp_value"), estimation.get("stds")
    if not isinstance(values, list):
        values, stds = [values], [stds]
    if not isinstance(stds, list):
        stds = [stds] * len(values)
    pairs = enumerate(zip(values, stds, strict=False))
    return [{"index": i, "value": v, "std": s} for i, (v, s) in pairs]


def job_detail(context: ServerContext, record: JobRecord) -> dict[str, Any]:
    """Everything the job page shows for ``record``.

    An object that cannot be read (not a zip, a zip bomb, broken JSON) is left out and named in
    ``problems``, so the page still shows the rest (issue 21).
    """
    job_id = record.job_id
    problems: list[str] = []
    given = _json(context, job_id, "input", problems)
    given = given if isinstance(given, Mapping) else {}
    program_list = given.get("program")
    programs = [str(p) for p in program_list] if isinstance(program_list, list) else []
    result = _json(context, job_id, "result", problems)
    result = result if isinstance(result, Mapping) else {}
    transpiled = _json(context, job_id, "transpile_result", problems)
    transpiled = transpiled if isinstance(transpiled, Mapping) else None
    return {
        "problems": problems,
        "record": record,
        "actions": job_actions(record),
        "mitigated": bool(record.mitigation_info),
        "bit_order": BIT_ORDER,
        "histograms": _histograms(result, programs),
        "estimation": _estimation(result),
        "programs": programs,
        "operator": given.get("operator"),
        "sse_program": given.get("sse_program"),
        "combined_program": _text(context, job_id, "combined_program", problems),
        "transpiled_program": transpiled.get("transpiled_program") if transpiled else None,
        "transpile_stats": pretty(transpiled.get("stats")) if transpiled else None,
        "transpile_layout": pretty(transpiled.get("virtual_physical_mapping"))
        if transpiled
        else None,
        "result_json": pretty(result) if result else None,
        "sse_log": _text(context, job_id, "sse_log", problems),
        "info": {
            "transpiler_info": record.transpiler_info,
            "simulator_info": record.simulator_info,
            "mitigation_info": record.mitigation_info,
        },
    }


def device_row(context: ServerContext, device: Device) -> dict[str, Any]:
    """One row of the devices table (the official frontend's columns)."""
    return {
        "device": device,
        "n_pending": context.repo.count_pending(device.device_id),
    }


def device_detail(context: ServerContext, device: Device, metric: str) -> dict[str, Any]:
    """Everything the device page shows; the topology is drawn for QPUs.

    A ``device_info`` the drawing cannot read (a qubit id that is not an integer, say: the catalog
    is a file anyone may edit) leaves the topology out and says why in ``notice`` (issue 21).
    """
    metric = metric if metric in ("readout", "1q") else "readout"
    topology, notice = None, ""
    if device.device_type.upper() == "QPU":
        try:
            topology = topology_svg(device.device_info, metric)
        except (
            TypeError,
            ValueError,
            KeyError,
            IndexError,
            AttributeError,
            ArithmeticError,
        ) as exc:
            notice = (
                f"The topology of {device.device_id} cannot be drawn ({type(exc).__name__}: "
                f"{exc}): fix its device_info in {CATALOG_NAME} (qubit ids are integers)."
            )
    return {
        **device_row(context, device),
        "metric": metric,
        "topology": topology,
        "notice": notice,
        "device_info": pretty(device.device_info),
    }
