"""The ``config`` command, and how every command resolves its connection (options, env, file)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from oqtopus_bridge.cli.exit_codes import ExitCode
from oqtopus_bridge.cli.output import mask_token, print_json
from oqtopus_bridge.config import (
    DEFAULT_CONFIG_PATH,
    NOTHING_CONFIGURED,
    OqtopusConfig,
    locate_config,
)
from oqtopus_bridge.config_file import save_section
from oqtopus_bridge.errors import ConfigError

__all__ = ["Connection", "add_parser", "resolve_connection"]


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

    Order: ``--url``/``--token`` (each overrides its field; one of them is completed from
    ``OQTOPUS_URL``/``OQTOPUS_BASE_URL`` or ``OQTOPUS_API_TOKEN``), then ``--section``/
    ``--config-file`` (read that file section), else what backends find with no configuration
    (``locate_config``: the environment, ``~/.oqtopus``, then the official SDK's sources).
    ``OQTOPUS_PROXY`` fills in a missing proxy, as the backends do.

    Args:
        args: Parsed arguments carrying ``url``, ``token``, ``section`` and ``config_file``.

    Returns:
        The configuration and its source.

    Raises:
        ConfigError: If nothing (or only part of a configuration) is found.
    """
    url, token = getattr(args, "url", None), getattr(args, "token", None)
    section, path = getattr(args, "section", None), getattr(args, "config_file", None)
    if url and token:
        base = Connection(OqtopusConfig(url, token), "command line (--url, --token)")
    elif section or path:
        config = OqtopusConfig.from_file(section or "default", path or DEFAULT_CONFIG_PATH)
        base = Connection(config, f"file {path or DEFAULT_CONFIG_PATH} [{section or 'default'}]")
    elif url or token:
        base = _half_from_flags(url, token)
    else:
        base = _located()
    return _with_overrides(base, url, token)


def _located() -> Connection:
    """What backends find with no configuration; the CLI's own way (--url, --token) comes first."""
    try:
        located = locate_config()
    except ConfigError as exc:
        text = str(exc)
        if text.startswith(NOTHING_CONFIGURED):
            text = (
                f"{NOTHING_CONFIGURED}pass --url and --token, or {text[len(NOTHING_CONFIGURED) :]}"
            )
            raise ConfigError(text) from exc
        raise
    return Connection(located.config, located.source)


def _half_from_flags(url: str | None, token: str | None) -> Connection:
    """One of --url/--token: the other comes from its variable, else from the located config."""
    env_url = os.environ.get("OQTOPUS_URL") or os.environ.get("OQTOPUS_BASE_URL")
    env_token = os.environ.get("OQTOPUS_API_TOKEN")
    if url and env_token:
        return Connection(OqtopusConfig(url, env_token), "environment (OQTOPUS_API_TOKEN)")
    if token and env_url:
        name = "OQTOPUS_URL" if os.environ.get("OQTOPUS_URL") else "OQTOPUS_BASE_URL"
        return Connection(OqtopusConfig(env_url, token), f"environment ({name})")
    try:
        located = locate_config()
    except ConfigError as exc:
        missing = "--token" if url else "--url"
        raise ConfigError(
            f"only one of --url/--token was given: pass {missing} too; {exc}"
        ) from exc
    return Connection(located.config, located.source)


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
        deadline=config.deadline,
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
        description="Show the configuration the other commands would use, with the token masked, "
        "and which source it came from. With --save, first write --url and --token (or "
        "OQTOPUS_URL/OQTOPUS_BASE_URL, OQTOPUS_API_TOKEN and OQTOPUS_PROXY from the environment) "
        "to a section (--section, [default]) of ~/.oqtopus (or --config-file), readable by you "
        "only; the file's other sections are kept.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--save",
        action="store_true",
        help="write the URL and token to the config file (mode 600), then show it",
    )
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
    if args.save:
        _save(args)
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


def _save(args: argparse.Namespace) -> None:
    """Write the section, then point ``args`` at it so that ``run`` shows what was saved."""
    env = os.environ.get
    url = args.url or env("OQTOPUS_URL") or env("OQTOPUS_BASE_URL")
    token = args.token or env("OQTOPUS_API_TOKEN")
    if not url or not token:
        missing = [
            text
            for text, value in (
                ("a URL (--url, or OQTOPUS_URL)", url),
                ("a token (OQTOPUS_API_TOKEN, or --token)", token),
            )
            if not value
        ]
        raise ConfigError(f"config --save needs {' and '.join(missing)}; nothing was written")
    OqtopusConfig(url, token)  # the same checks as every other command
    values: dict[str, str | None] = {"url": url, "base_url": None, "api_token": token}
    if env("OQTOPUS_PROXY"):
        values["proxy"] = env("OQTOPUS_PROXY")
    section = args.section or "default"
    path = args.config_file or DEFAULT_CONFIG_PATH
    _, existed = save_section(values, section, path)
    verb = "updated" if existed else "added"
    print(f"{verb} [{section}] in {path} (readable by you only)", file=sys.stderr)
    args.url = args.token = None
    args.section, args.config_file = section, path


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
