"""The engine's preset pass-manager cache (issue 10) also hits in a worker process (issue 16).

A worker receives an unpickled copy of the device with every job; a cache keyed by the object's
identity missed on every job there, and each Bell job paid for building a pass manager again.
"""

from __future__ import annotations

import dataclasses
import json
import pickle

from oqtopus_bridge.local.devices import Device, _parse_catalog, default_catalog
from oqtopus_bridge.local.engine.circuits import _cached_pass_manager

OPTIONS = {"optimization_level": 1}


def _anemone() -> Device:
    return _parse_catalog(json.dumps(default_catalog()))["anemone"]


def test_a_copy_of_the_same_device_reuses_the_pass_manager() -> None:
    device = _anemone()
    first = _cached_pass_manager(device, OPTIONS)
    copy = pickle.loads(pickle.dumps(device))  # what a worker receives with each job
    assert copy is not device
    assert first is not None and _cached_pass_manager(copy, OPTIONS) is first


def test_an_edited_device_gets_a_new_pass_manager() -> None:
    device = _anemone()
    first = _cached_pass_manager(device, OPTIONS)
    edited = dataclasses.replace(device, basis_gates=[*device.basis_gates, "cz"])
    assert _cached_pass_manager(edited, OPTIONS) is not first
