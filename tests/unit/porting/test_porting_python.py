"""Python source porting: import forms, attribute chains, byte preservation, and the findings."""

from __future__ import annotations

import libcst as cst
import pytest

from oqtopus_bridge.porting import port_source, rules
from oqtopus_bridge.porting.files import _port_python_bytes


def codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in port_source(source).findings]


OLD_MODULES = sorted(m for m, t in rules.MODULE_MAP.items() if t == rules.NEW_PACKAGE)


@pytest.mark.parametrize("module", OLD_MODULES)
def test_every_layout_module_maps_to_the_top_level(module: str) -> None:
    ported = port_source(f"from {module} import OqtopusConfig, OqtopusSamplingJob\n")
    assert ported.code == "from oqtopus_bridge import OqtopusConfig, OqtopusSamplingJob\n"
    assert ported.findings == ()


def test_layouts_of_both_versions_are_known() -> None:
    for path in (
        "quri_parts_oqtopus.backend.sampling",  # 1.0.x flat
        "quri_parts_oqtopus.backend.device",
        "quri_parts_oqtopus.backend.jobs.sse",  # 1.1.x
        "quri_parts_oqtopus.backend.devices.device",
        "quri_parts_oqtopus.models.jobs.results.estimation",
    ):
        assert rules.resolve_module(path) == "oqtopus_bridge"
    assert rules.resolve_module("quri_parts_oqtopus.sampler") == "oqtopus_bridge.quri_parts"
    assert rules.resolve_module("quri_parts_oqtopus.rest") is None


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "import quri_parts_oqtopus.backend as qpb\ncfg = qpb.OqtopusConfig.from_file()\n",
            "import oqtopus_bridge as qpb\ncfg = qpb.OqtopusConfig.from_file()\n",
        ),
        (
            "from quri_parts_oqtopus.backend import (\n    OqtopusConfig,  # keep me\n"
            "    OqtopusSamplingBackend as Backend,\n)\n",
            "from oqtopus_bridge import (\n    OqtopusConfig,  # keep me\n"
            "    OqtopusSamplingBackend as Backend,\n)\n",
        ),
        (
            "import quri_parts_oqtopus.backend\n"
            "b = quri_parts_oqtopus.backend.OqtopusSamplingBackend(quri_parts_oqtopus.backend.jobs"
            ".sampling.OqtopusConfig.from_file('x'))\n",
            "import oqtopus_bridge\n"
            "b = oqtopus_bridge.OqtopusSamplingBackend("
            "oqtopus_bridge.OqtopusConfig.from_file('x'))\n",
        ),
        (
            "from quri_parts_oqtopus import backend\nbackend.OqtopusSseJob\n",
            "import oqtopus_bridge as backend\nbackend.OqtopusSseJob\n",
        ),
        (
            "from quri_parts_oqtopus.backend import jobs as j, devices\n",
            "import oqtopus_bridge as j, oqtopus_bridge as devices\n",
        ),
        (
            "import quri_parts_oqtopus.sampler\n"
            "s = quri_parts_oqtopus.sampler.create_oqtopus_concurrent_sampler(device_id='q')\n",
            "import oqtopus_bridge.quri_parts\n"
            "s = oqtopus_bridge.quri_parts.create_oqtopus_concurrent_sampler(device_id='q')\n",
        ),
        (
            "from quri_parts_oqtopus.backend import *\n",
            "from oqtopus_bridge import *\n",
        ),
        (
            "import os, quri_parts_oqtopus.models.jobs.sse as sse_models; x = 1\n",
            "import os, oqtopus_bridge as sse_models; x = 1\n",
        ),
    ],
)
def test_import_forms(before: str, after: str) -> None:
    assert port_source(before).code == after


@pytest.mark.parametrize(
    "source",
    [
        "from .backend import OqtopusConfig\n",  # relative: the user's own package
        "import quri_parts.circuit\nfrom quri_parts.core.operator import Operator\n",
        'print("quri_parts_oqtopus.backend is gone")\n',
        "# from quri_parts_oqtopus.backend import OqtopusConfig\n",
        "from oqtopus_bridge import OqtopusConfig\n",
    ],
)
def test_other_code_is_left_alone(source: str) -> None:
    assert port_source(source).code == source
    assert port_source(source).findings == ()


def test_a_rebound_name_is_not_treated_as_the_module() -> None:
    source = (
        "from quri_parts_oqtopus import backend\n"
        "from quri_parts_oqtopus.backend import OqtopusSamplingBackend\n"
        "backend = OqtopusSamplingBackend()\n"
        "backend.sample_qasm('', device_id='qulacs', shots=1)\n"
    )
    ported = port_source(source)
    assert ported.code.splitlines()[3] == "backend.sample_qasm('', device_id='qulacs', shots=1)"
    assert ported.findings == ()


def test_bytes_crlf_and_encoding_declaration_survive() -> None:
    source = (
        "# -*- coding: latin-1 -*-\r\n"
        "from quri_parts_oqtopus.backend import OqtopusConfig\r\n"
        "name = 'caf\xe9'\r\n"
    ).encode("latin-1")
    ported, found = _port_python_bytes(source)
    assert ported == source.replace(b"quri_parts_oqtopus.backend", b"oqtopus_bridge")
    assert found == ()


def test_syntax_errors_propagate() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        port_source("from quri_parts_oqtopus.backend import (\n")


def test_findings_with_lines() -> None:
    source = """import json
from quri_parts_oqtopus.backend import OqtopusSamplingBackend, OqtopusConfig
from quri_parts_oqtopus.sampler import create_oqtopus_concurrent_sampler
backend = OqtopusSamplingBackend()
job = backend.retrieve_job("x")
print(job._job.to_dict()["status"], backend._client)
backend.download_log(job_id=job.job_id, save_dir=".")
backend.download_log("id", ".")
job.download_log(save_dir=".")
print(result.estimation["exp_value"])
info = json.loads(device.device_info)
stats = json.loads(job.job_info["transpile_result"]["stats"])
sampler = create_oqtopus_concurrent_sampler(max_workers=2)
sampler = create_oqtopus_concurrent_sampler(device_id="qulacs")
sampler = create_oqtopus_concurrent_sampler("qulacs", config)
sampler = create_oqtopus_concurrent_sampler(executor, 4)
"""
    assert codes(source) == [
        (3, "broken-sampler"),
        (6, "private-attribute"),
        (6, "private-attribute"),
        (10, "legacy-estimation-result"),
        (11, "legacy-json-string"),
        (12, "legacy-json-string"),
        (13, "sampler-device-id"),
        (16, "sampler-device-id"),
    ]


def test_private_attribute_rules() -> None:
    source = """from quri_parts_oqtopus.backend import OqtopusSamplingBackend
import quri_parts_oqtopus.backend.jobs.sampling as sampling
class Mine:
    def go(self):
        return self._x, super()._y, type(self)._z
point._asdict()
job.__class__
sampling._convert_to_qasm_str_with_measure(circuit)
job._job
"""
    assert codes(source) == [
        (5, "private-attribute"),
        (8, "private-attribute"),
        (9, "private-attribute"),
    ]


def test_private_attributes_elsewhere_are_not_our_business() -> None:
    assert codes("import numpy\nnumpy._private\n") == []


def test_unknown_names_modules_and_mixed_imports() -> None:
    source = """from quri_parts_oqtopus.models.jobs.base import OqtopusJobBase
from quri_parts_oqtopus.rest import JobApi
from quri_parts_oqtopus.backend import jobs, OqtopusConfig
import quri_parts_oqtopus.rest.models as models
import oqtopus_client
from oqtopus_client import OqtopusClient
from oqtopus_bridge import NotAThing
import quri_parts_oqtopus.backend
quri_parts_oqtopus.backend.OqtopusBackendBase
"""
    ported = port_source(source)
    assert [(f.line, f.code) for f in ported.findings] == [
        (1, "unknown-name"),
        (2, "unknown-module"),
        (3, "mixed-import"),
        (4, "unknown-module"),
        (5, "oqtopus-client"),
        (6, "oqtopus-client"),
        (7, "unknown-name"),
        (9, "unknown-name"),
    ]
    lines = ported.code.splitlines()
    assert lines[0] == "from oqtopus_bridge import OqtopusJobBase"
    assert lines[1:4] == source.splitlines()[1:4]  # left for the person to port


def test_findings_name_the_construct_and_the_fix() -> None:
    (finding,) = port_source("import quri_parts_oqtopus\njob._job\n").findings
    assert "'_job'" in finding.message and "job.status" in finding.message
    assert str(finding) == f"<string>:2: private-attribute: {finding.message}"


def test_porting_twice_changes_nothing_and_reports_the_same() -> None:
    source = """import quri_parts_oqtopus.backend as qpb
from quri_parts_oqtopus import sampler
job = qpb.OqtopusSamplingBackend().retrieve_job("x")
job._job
s = sampler.create_oqtopus_concurrent_sampler()
"""
    once = port_source(source)
    twice = port_source(once.code)
    assert twice.code == once.code
    assert [(f.line, f.code) for f in twice.findings] == [
        (4, "private-attribute"),
        (5, "sampler-device-id"),
    ]


def test_the_names_the_tool_maps_to_exist_in_this_package() -> None:
    import importlib

    for module, names in rules.PUBLIC_NAMES.items():
        imported = importlib.import_module(module)
        assert [name for name in sorted(names) if not hasattr(imported, name)] == [], module
