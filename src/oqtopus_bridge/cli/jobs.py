"""The ``jobs`` command group: list, show, status, result, cancel, delete and wait."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
from typing import Any

from oqtopus_bridge import OqtopusJobBackendBase
from oqtopus_bridge.backends.listing import JOB_STATUSES
from oqtopus_bridge.cli.config import resolve_connection
from oqtopus_bridge.cli.exit_codes import ExitCode, WaitInterrupted
from oqtopus_bridge.cli.output import print_json, print_result, print_table, result_to_dict
from oqtopus_bridge.cli.timespec import parse_time
from oqtopus_bridge.config import OqtopusConfig
from oqtopus_bridge.display import format_duration

__all__ = ["add_parser", "wait_and_report"]

_LIST_COLUMNS = (
    ("job_id", "JOB ID"),
    ("job_type", "TYPE"),
    ("status", "STATUS"),
    ("device_id", "DEVICE"),
    ("shots", "SHOTS"),
    ("submitted_at", "SUBMITTED"),
    ("name", "NAME"),
)
_SHOW_FIELDS = (
    "job_id",
    "name",
    "description",
    "job_type",
    "status",
    "device_id",
    "shots",
    "transpiler_info",
    "simulator_info",
    "mitigation_info",
    "execution_time",
    "submitted_at",
    "ready_at",
    "running_at",
    "ended_at",
)


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``jobs`` command group.

    Args:
        subparsers: The top-level subparsers.
        parents: Parsers holding the global options.
    """
    group = subparsers.add_parser(
        "jobs",
        parents=parents,
        help="list, inspect, wait for, cancel or delete jobs",
        description="Work with your jobs on the server.",
    )
    actions = group.add_subparsers(title="actions", dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        parents=parents,
        help="list your jobs, newest first",
        description="List your jobs, newest first. Times are ISO 8601 (no offset: local time) "
        "or a time ago such as 30m, 1h, 2d, 1w; they filter on when a job was submitted.",
    )
    listing.add_argument("--status", choices=JOB_STATUSES, help="only jobs in this status")
    listing.add_argument("--device", help="only jobs for this device id")
    listing.add_argument("--query", help="only jobs whose id, name or description contains this")
    listing.add_argument(
        "--since", type=parse_time, metavar="TIME", help="only jobs submitted at or after TIME"
    )
    listing.add_argument(
        "--until", type=parse_time, metavar="TIME", help="only jobs submitted at or before TIME"
    )
    listing.add_argument("--limit", type=int, default=20, help="at most this many jobs [20]")
    listing.add_argument("--page", type=int, default=1, help="page of --limit jobs to show [1]")
    listing.add_argument(
        "--all", action="store_true", help="every matching job, all pages (ignores --limit)"
    )
    listing.add_argument("--oldest-first", action="store_true", help="oldest jobs first")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_list)
    for name, func, text in (
        ("show", _show, "show a job's details"),
        ("status", _status, "print a job's status"),
        ("cancel", _cancel, "cancel a job that has not finished"),
        ("delete", _delete, "delete a finished job and its stored files"),
    ):
        action = actions.add_parser(name, parents=parents, help=text, description=text)
        action.add_argument("job_id")
        action.add_argument("--json", action="store_true", help="print JSON")
        action.set_defaults(func=func)
    for name, func, text in (
        ("result", _result, "wait for a job and print its result"),
        ("wait", _wait, "wait until a job ends; exit 0 if it succeeded, 1 if not"),
    ):
        action = actions.add_parser(name, parents=parents, help=text, description=text)
        action.add_argument("job_id")
        add_wait_options(action)
        action.add_argument("--json", action="store_true", help="print JSON")
        action.set_defaults(func=func)


def add_wait_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--timeout``, ``--interval`` and ``--progress/--no-progress`` to a parser.

    Args:
        parser: The parser of a command that waits for a job.
    """
    parser.add_argument("--timeout", type=float, help="give up after this many seconds (exit 4)")
    parser.add_argument(
        "--interval", type=float, default=5.0, help="longest pause between status checks [5 s]"
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the job's status while waiting [on a terminal only]",
    )


def _retrieve(args: argparse.Namespace) -> Any:
    return OqtopusJobBackendBase(resolve_connection(args).config).retrieve_job(args.job_id)


def _list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ValueError("--limit must be at least 1")
    if args.page < 1:
        raise ValueError("--page must be at least 1")
    if args.all and args.page != 1:
        raise ValueError("--all lists every page; leave out --page")
    jobs = list_jobs(
        resolve_connection(args).config,
        status=args.status,
        limit=None if args.all else args.limit,
        page=args.page,
        device_id=args.device,
        query=args.query,
        start_time=args.since,
        end_time=args.until,
        newest_first=not args.oldest_first,
    )
    if args.json:
        print_json(jobs)
    else:
        print_table(
            [{**job, "submitted_at": _when(job.get("submitted_at"))} for job in jobs], _LIST_COLUMNS
        )
    return ExitCode.OK


def _when(value: Any) -> Any:
    """Show a server timestamp to the second (``2026-01-02 03:04:05``), else as given."""
    if not isinstance(value, str):
        return value
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return value


def list_jobs(
    config: OqtopusConfig, *, limit: int | None, page: int = 1, **filters: Any
) -> list[dict[str, Any]]:
    """Return the caller's jobs as the server describes them (no result downloads).

    Args:
        config: The connection.
        limit: Jobs per page; None for every matching job (all pages).
        page: Which page of ``limit`` jobs.
        **filters: ``status``, ``device_id``, ``query``, ``start_time``, ``end_time`` and
            ``newest_first``, as ``OqtopusJobBackendBase.list_jobs`` takes them.

    Returns:
        Job summaries, newest first unless ``newest_first=False``.
    """
    backend = OqtopusJobBackendBase(config)
    try:
        fields = [key for key, _ in _LIST_COLUMNS]
        if limit is None:
            return list(backend.iter_jobs(fields=fields, **filters))
        return backend.list_jobs(size=limit, page=page, fields=fields, **filters)
    finally:
        backend.close()


def _show(args: argparse.Namespace) -> int:
    job = _retrieve(args)
    view = json.loads(job.to_json())
    if args.json:
        print_json(view)
        return ExitCode.OK
    for key in _SHOW_FIELDS:
        value = view.get(key)
        text = json.dumps(value) if isinstance(value, (dict, list)) else value
        if key == "execution_time" and value is not None:
            text = format_duration(value)
        print(f"{key + ':':<17}{'-' if text in (None, '') else text}")
    info = view.get("job_info")
    message = info.get("message") if isinstance(info, dict) else None
    print(f"{'message:':<17}{message or '-'}")
    return ExitCode.OK


def _status(args: argparse.Namespace) -> int:
    job = _retrieve(args)
    if args.json:
        print_json({"job_id": job.job_id, "status": job.status})
    else:
        print(job.status)
    return ExitCode.OK


def _cancel(args: argparse.Namespace) -> int:
    job = _retrieve(args)
    job.cancel()
    if args.json:
        print_json({"job_id": job.job_id, "status": job.status})
    else:
        print(f"cancel requested for job {job.job_id}: now {job.status}")
    return ExitCode.OK


def _delete(args: argparse.Namespace) -> int:
    backend = OqtopusJobBackendBase(resolve_connection(args).config)
    try:
        backend.delete_job(args.job_id)
    finally:
        backend.close()
    if args.json:
        print_json({"job_id": args.job_id, "deleted": True})
    else:
        print(f"deleted job {args.job_id}")
    return ExitCode.OK


def _result(args: argparse.Namespace) -> int:
    job = _retrieve(args)
    return wait_and_report(job, args, show_result=True)


def _wait(args: argparse.Namespace) -> int:
    job = _retrieve(args)
    return wait_and_report(job, args, show_result=False)


def wait_and_report(job: Any, args: argparse.Namespace, *, show_result: bool) -> int:
    """Wait for a job, then print its final status or its result.

    A failed or cancelled job raises (exit 1) when the result is asked for; ``wait`` prints the
    final status and returns 1 itself. A timeout raises ``JobTimeoutError`` (exit 4).

    Args:
        job: A job object of the documented API.
        args: Parsed arguments with ``timeout``, ``interval``, ``progress`` and ``json``.
        show_result: Print the result (``jobs result``, ``submit --wait``) rather than the status.

    Returns:
        The exit code.
    """
    try:
        return _wait_and_report(job, args, show_result=show_result)
    except KeyboardInterrupt:
        raise WaitInterrupted(job.job_id, connection_flags(args)) from None


def connection_flags(args: argparse.Namespace) -> str:
    """The connection options given on the command line (never the token), for a hint to rerun."""
    flags = []
    for option in ("url", "section", "config_file"):
        value = getattr(args, option, None)
        if value:
            flags.append(f"--{option.replace('_', '-')} {shlex.quote(str(value))}")
    return " ".join(flags)


def _wait_and_report(job: Any, args: argparse.Namespace, *, show_result: bool) -> int:
    progress = args.progress  # None: the core shows progress only on a terminal, never in CI
    if show_result:
        result = job.result(timeout=args.timeout, wait=args.interval, progress=progress)
        if args.json:
            print_json({"job_id": job.job_id, "status": "succeeded", **result_to_dict(result)})
        else:
            print(f"job {job.job_id} succeeded on {job.device_id}")
            print_result(result)
        return ExitCode.OK
    _wait_for(job, args.timeout, args.interval, progress)
    status = job.status
    if args.json:
        print_json({"job_id": job.job_id, "status": status})
    else:
        print(status)
    return ExitCode.OK if status == "succeeded" else ExitCode.JOB_FAILED


def _wait_for(job: Any, timeout: float | None, interval: float, progress: bool) -> None:
    from oqtopus_bridge.errors import JobTimeoutError

    finished = job.wait_for_completion(timeout=timeout, wait=interval, progress=progress)
    if finished is None:
        raise JobTimeoutError(
            f"job {job.job_id} did not finish within {timeout} s (last status: {job.status})",
            job.job_id,
        )
