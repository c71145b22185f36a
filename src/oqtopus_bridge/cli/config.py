"""The ``config`` command, and how every command resolves its connection (options, env, file)."""

from __future__ import annotations

import argparse
import dataclasses
import os

from oqtopus_bridge.cli.exit_codes import ExitCode
from oqtopus_bridge.cli.output import mask_token, print_json
from oqtopus_bridge.config import DEFAULT_CONFIG_PATH, OqtopusConfig
from oqtopus_bridge.errors import ConfigError

__all__ = ["Connection", "add_parser", "resolve_connection"]

_NOTHING_CONFIGURED = (
    "no OQTOPUS configuration found: pass --url and --token, set OQTOPUS_URL and "
    "OQTOPUS_API_TOKEN, or write a [default] section with url= and api_token= to ~/.oqtopus"
)


@dataclasses.dataclass(frozen=True)
class Connection:
    """A resolved configuration and a description of where it came from.

    Attributes:
        config: The configuration every command passes to the backends.
        source: Human-readable origin, e.g. ``"environment (OQTOPUS_URL, OQTOPUS_API_TOKEN)"``.
    """

    config: OqtopusConfig
    source: str


def resolve_connection(args: argparse.Namespace) -> Connection:
    """Resolve the configuration the way backends do, with command-line options on top.

    Order: ``--url``/``--token`` (each overrides its field), then ``--section``/``--config-file``
    (read that file section), else ``OQTOPUS_URL`` + ``OQTOPUS_API_TOKEN``, else ``[default]`` of
    ``~/.oqtopus``. ``OQTOPUS_PROXY`` fills in a missing proxy, as the backends do.

    Args:
        args: Parsed arguments carrying ``url``, ``token``, ``section`` and ``config_file``.

    Returns:
        The configuration and its source.

    Raises:
        ConfigError: If nothing (or only part of a configuration) is found.
    """
    url, token = getattr(args, "url", None), getattr(args, "token", None)
    section, path = getattr(args, "section", None), getattr(args, "config_file", None)
    env_url, env_token = os.environ.get("OQTOPUS_URL"), os.environ.get("OQTOPUS_API_TOKEN")
    if url and token:
        base = Connection(OqtopusConfig(url, token), "command line (--url, --token)")
    elif section or path or not (env_url and env_token):
        base = _from_file(section or "default", path or DEFAULT_CONFIG_PATH, url or token)
    else:
        base = Connection(
            OqtopusConfig(env_url, env_token), "environment (OQTOPUS_URL, OQTOPUS_API_TOKEN)"
        )
    return _with_overrides(base, url, token)


def _from_file(section: str, path: str, partial_flags: str | None) -> Connection:
    """Read a file section; a missing default file means nothing is configured at all."""
    try:
        config = OqtopusConfig.from_file(section, path)
    except ConfigError as exc:
        if path == DEFAULT_CONFIG_PATH and section == "default" and "does not exist" in str(exc):
            if partial_flags:
                raise ConfigError(
                    f"only one of --url/--token was given; {_NOTHING_CONFIGURED}"
                ) from exc
            raise ConfigError(_NOTHING_CONFIGURED) from exc
        raise
    return Connection(config, f"file {path} [{section}]")


def _with_overrides(base: Connection, url: str | None, token: str | None) -> Connection:
    config, source = base.config, base.source
    proxy = config.proxy or os.environ.get("OQTOPUS_PROXY") or None
    overridden = [flag for flag, value in (("--url", url), ("--token", token)) if value]
    if overridden and not source.startswith("command line"):
        source = f"{source}, with {' and '.join(overridden)} from the command line"
    resolved = OqtopusConfig(
        url or config.url,
        token or config.api_token,
        proxy,
        protocol=config.protocol,
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
    )
    return Connection(resolved, source)


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``config`` command.

    Args:
        subparsers: The top-level subparsers.
        parents: Parsers holding the global options.
    """
    parser = subparsers.add_parser(
        "config",
        parents=parents,
        help="show the resolved configuration (token masked) and where it came from",
        description="Show the configuration the other commands would use, with the token masked.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--check", action="store_true", help="also contact the server and list its device count"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the resolved configuration.

    Args:
        args: Parsed arguments.

    Returns:
        The exit code.
    """
    connection = resolve_connection(args)
    config = connection.config
    view: dict[str, object] = {
        "url": config.url,
        "api_token": mask_token(config.api_token),
        "proxy": config.proxy,
        "protocol": config.protocol,
        "source": connection.source,
    }
    failure: Exception | None = None
    if args.check:
        failure = _check(config, view)
    if args.json:
        print_json(view)
    else:
        for key, value in view.items():
            print(f"{key + ':':<11}{'-' if value is None else value}")
    if failure is not None:
        raise failure  # the verdict is on stdout; stderr gets the one-line error and the exit code
    return ExitCode.OK


def _check(config: OqtopusConfig, view: dict[str, object]) -> Exception | None:
    """Contact the server; record the verdict in ``view`` and return the error, if any."""
    from oqtopus_bridge import OqtopusDeviceBackend
    from oqtopus_bridge.cli.exit_codes import describe_error

    try:
        view["devices"] = len(OqtopusDeviceBackend(config).get_devices())
    except Exception as exc:
        view["check"] = f"FAILED: {describe_error(exc, (config.api_token,))[1]}"
        return exc
    view["check"] = "ok: the server answered"
    return None
