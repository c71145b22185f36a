"""Writing a config file section (``~/.oqtopus``): in place, atomically, readable by you only.

Only the keys being set change: the file's other sections, its comments and the section's other keys
(``protocol``, timeouts) stay as they are. The new text is written to a temporary file in the same
directory, created with mode 600, and renamed over the old one, so a reader never sees half a file
and the token is never readable by others, not even for a moment (issue 17, item 14).
"""

from __future__ import annotations

import configparser
import os
import re
import tempfile
from pathlib import Path

from oqtopus_bridge.config import DEFAULT_CONFIG_PATH
from oqtopus_bridge.errors import ConfigError

__all__ = ["save_section"]

_HEADER = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^\s*([^=:#;\s][^=:]*?)\s*[=:]")


def save_section(
    values: dict[str, str | None],
    section: str = "default",
    path: str = DEFAULT_CONFIG_PATH,
) -> tuple[Path, bool]:
    """Set ``values`` in ``[section]`` of the config file, creating the file or section if needed.

    Args:
        values: Keys to set, e.g. ``{"url": ..., "api_token": ..., "proxy": None}``; a None value
            removes the key.
        section: The section to write.
        path: The file (``~`` and ``$VARS`` are expanded); a symlink is followed.

    Returns:
        The file written, and whether the section existed before.

    Raises:
        ValueError: If the section name or a value is not valid in an INI file, or the existing
            file is not valid INI (a ``ConfigError``).
        OSError: If the file cannot be written.
    """
    _check(section, values)
    file = Path(os.path.expandvars(path)).expanduser().resolve()
    old = file.read_text(encoding="utf-8") if file.is_file() else ""
    new, existed = _updated(old, section, values)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(new)
    except configparser.Error as exc:
        raise ConfigError(f"{file} is not valid INI, so it was left unchanged: {exc}") from exc
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(new)
        os.chmod(temporary, 0o600)  # mkstemp already creates 600; say it where it matters
        os.replace(temporary, file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return file, existed


def _check(section: str, values: dict[str, str | None]) -> None:
    if not section or section != section.strip() or any(c in section for c in "[]\n\r"):
        raise ConfigError(f"invalid section name {section!r}: use letters, digits, - or _")
    for key, value in values.items():
        if value is not None and ("\n" in value or "\r" in value or value != value.strip()):
            raise ConfigError(f"{key} must be one line without surrounding spaces")


def _updated(text: str, section: str, values: dict[str, str | None]) -> tuple[str, bool]:
    """Return ``text`` with the keys set in ``[section]``, and whether the section was there."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _is_header(line, section)), None)
    setting = [f"{key}={value}" for key, value in values.items() if value is not None]
    if start is None:
        block = [*([""] if lines and lines[-1].strip() else []), f"[{section}]", *setting]
        return "\n".join([*lines, *block]) + "\n", False
    end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])), len(lines))
    kept = [line for line in lines[start + 1 : end] if _key(line) not in values]
    rebuilt = [*lines[: start + 1], *setting, *kept, *lines[end:]]
    return "\n".join(rebuilt) + "\n", True


def _is_header(line: str, section: str) -> bool:
    match = _HEADER.match(line)
    return match is not None and match.group(1).strip() == section


def _key(line: str) -> str | None:
    match = _KEY.match(line)
    return match.group(1).strip().lower() if match else None
