"""What the porting tool knows about quri-parts-oqtopus: its module paths and their new homes."""

from __future__ import annotations

OLD_PACKAGE = "quri_parts_oqtopus"
NEW_PACKAGE = "oqtopus_bridge"
SAMPLER_TARGET = "oqtopus_bridge.quri_parts"

# Every module path of the 1.0.x flat layout and of the 1.1.x layout (reference sections 1.1, 2.0).
# The public classes were re-exported from `quri_parts_oqtopus.backend`; this package exports the
# same names from its top level, so every backend/models module maps onto `oqtopus_bridge`.
_BACKEND_MODULES_1_0 = ("sampling", "estimation", "sse", "device", "config", "utils")
_BACKEND_MODULES_1_1 = (
    "base",
    "jobs",
    "jobs.base",
    "jobs.sampling",
    "jobs.estimation",
    "jobs.sse",
    "devices",
    "devices.device",
)
_MODEL_MODULES_1_1 = (
    "base",
    "utils",
    "devices",
    "devices.device",
    "jobs",
    "jobs.base",
    "jobs.sampling",
    "jobs.estimation",
    "jobs.sse",
    "jobs.results",
    "jobs.results.sampling",
    "jobs.results.estimation",
)


def _build_module_map() -> dict[str, str]:
    mapping = {OLD_PACKAGE: NEW_PACKAGE, f"{OLD_PACKAGE}.backend": NEW_PACKAGE}
    for sub in (*_BACKEND_MODULES_1_0, *_BACKEND_MODULES_1_1):
        mapping[f"{OLD_PACKAGE}.backend.{sub}"] = NEW_PACKAGE
    mapping[f"{OLD_PACKAGE}.models"] = NEW_PACKAGE
    for sub in _MODEL_MODULES_1_1:
        mapping[f"{OLD_PACKAGE}.models.{sub}"] = NEW_PACKAGE
    mapping[f"{OLD_PACKAGE}.sampler"] = SAMPLER_TARGET
    return mapping


MODULE_MAP: dict[str, str] = _build_module_map()

# The documented names (reference/quri-parts-oqtopus-backend-api.txt plus the 1.1.x additions), all
# exported from `oqtopus_bridge`'s top level.
PUBLIC_NAMES: dict[str, frozenset[str]] = {
    NEW_PACKAGE: frozenset(
        {
            "BackendError",
            "OqtopusConfig",
            "OqtopusDevice",
            "OqtopusDeviceBackend",
            "OqtopusEstimationBackend",
            "OqtopusEstimationJob",
            "OqtopusEstimationResult",
            "OqtopusJobBackendBase",
            "OqtopusSamplingBackend",
            "OqtopusSamplingJob",
            "OqtopusSamplingResult",
            "OqtopusSseBackend",
            "OqtopusSseJob",
        }
    ),
    SAMPLER_TARGET: frozenset({"create_oqtopus_concurrent_sampler"}),
}

# namedtuple's public API starts with an underscore; reading it is not reaching into private state.
PUBLIC_UNDERSCORE_ATTRIBUTES = frozenset(
    {"_asdict", "_replace", "_fields", "_make", "_field_defaults"}
)

# Receivers whose private attributes belong to the user's own class, not to a backend or job.
OWN_RECEIVERS = frozenset({"self", "cls"})

SAMPLER_FACTORY = "create_oqtopus_concurrent_sampler"


def resolve_module(path: str) -> str | None:
    """Return the module of this package that replaces a quri-parts-oqtopus module path.

    Args:
        path: A dotted module path such as ``"quri_parts_oqtopus.backend.jobs.sampling"``.

    Returns:
        The replacement module path, or ``None`` if ``path`` is no known quri-parts-oqtopus module.
    """
    return MODULE_MAP.get(path)


def is_old_module(path: str) -> bool:
    """Tell whether a dotted module path belongs to quri-parts-oqtopus (known or not)."""
    return path == OLD_PACKAGE or path.startswith(OLD_PACKAGE + ".")


def resolve_dotted(path: str) -> tuple[str, str, str] | None:
    """Split a dotted quri-parts-oqtopus path into its module and the rest, and map the module.

    Args:
        path: A dotted path such as ``"quri_parts_oqtopus.backend.OqtopusConfig"``.

    Returns:
        ``(old_module, new_module, rest)`` for the longest known module prefix, where ``rest`` is
        the remaining dotted tail (possibly empty), or ``None`` when no prefix is a known module.
    """
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        target = MODULE_MAP.get(candidate)
        if target is not None:
            return candidate, target, ".".join(parts[end:])
    return None
