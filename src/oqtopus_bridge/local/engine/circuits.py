"""OpenQASM 3 parsing and transpilation against a Target built from a device's calibration."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import threading
import warnings
from typing import Any

from qiskit import QuantumCircuit, qasm3, transpile
from qiskit.circuit import CONTROL_FLOW_OP_NAMES, Delay, Gate, Measure, Parameter, Reset
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.converters import circuit_to_dag
from qiskit.exceptions import ExperimentalWarning
from qiskit.passmanager import BasePassManager
from qiskit.transpiler import InstructionProperties, Target, generate_preset_pass_manager

from ..devices import Device
from ..errors import JobFailure

DEFAULT_TRANSPILER_INFO: dict[str, Any] = {
    "transpiler_lib": "qiskit",
    "transpiler_options": {"optimization_level": 1},
}
_NON_GATES = {"measure", "barrier", "delay", "reset"}
#: transpiler_options a cached preset pass manager covers; anything else goes through transpile().
_CACHEABLE_OPTIONS = frozenset(
    {
        "optimization_level",
        "seed_transpiler",
        "layout_method",
        "routing_method",
        "translation_method",
        "approximation_degree",
        "optimization_method",
        "init_method",
    }
)
_MAX_CACHED = 16
#: The transpiler's seed when transpiler_options names none. Qiskit's layout and routing passes
#: draw from the OS otherwise, so a program that needs routing landed on other physical qubits in
#: each worker process, and a seeded job's noisy counts changed from run to run.
DEFAULT_SEED_TRANSPILER = 7
#: The transpiler libraries of tranqu, the real engine's transpiler framework.
TRANSPILER_LIBS = ("qiskit", "ouqu-tp", "tket")
TRANQU_EXTRA = "oqtopus-bridge[server,tranqu]"
_pass_managers = threading.local()


def parse_program(text: str, index: int = 0) -> QuantumCircuit:
    """Parse one OpenQASM 3 program, or fail the job with the parser's explanation.

    Qiskit's native importer (``qasm3.loads_experimental``, 20-40x faster) is tried first, with
    ``qasm3.loads`` as the fallback for what it does not handle yet (``pi`` expressions, braceless
    ``if``); both give the same circuit (``tests/properties/test_qasm_import_properties.py``).
    A syntax error names its line and column; an OpenQASM 2 program is told how to convert.
    """
    if not isinstance(text, str) or not text.strip():
        raise JobFailure(f"program {index} is empty or not a string")
    if _OPENQASM2.match(text) or _QASM2_SIGNS.search(text):
        raise JobFailure(f"program {index} is OpenQASM 2: {_CONVERT_QASM2}")
    circuit, native_errors = _parse_native(text)
    if circuit is None:
        try:
            circuit = qasm3.loads(text)
        except Exception as exc:  # the importer raises many types; all mean "bad program"
            reason = _explain(str(exc).strip(), native_errors, type(exc).__name__)
            raise JobFailure(f"failed to parse OpenQASM 3 program {index}: {reason}") from exc
    if not isinstance(circuit, QuantumCircuit):
        raise JobFailure(f"program {index} did not produce a circuit")
    return circuit


_OPENQASM2 = re.compile(r"\A\s*(?://[^\n]*\n\s*)*OPENQASM\s+2(?:\.\d+)?\s*;")
_QASM2_SIGNS = re.compile(r'include\s+"qelib1\.inc"|^\s*[qc]reg\s', re.MULTILINE)
_CONVERT_QASM2 = (
    "this server (like OQTOPUS) runs OpenQASM 3 only. Convert it with Qiskit: "
    "qiskit.qasm3.dumps(qiskit.QuantumCircuit.from_qasm_str(program)); or by hand: start with "
    "'OPENQASM 3.0;' and 'include \"stdgates.inc\";', write 'qubit[n] q;' for 'qreg q[n];', "
    "'bit[n] c;' for 'creg c[n];' and 'c = measure q;' for 'measure q -> c;'"
)
#: ``OPENQASM 3;`` (an integer version) is refused by the native importer; blanked to spaces,
#: which keeps every line and column where the user wrote it.
_INTEGER_VERSION = re.compile(r"\A(\s*(?://[^\n]*\n\s*)*)(OPENQASM\s+3\s*;)")
_DIAGNOSTIC = re.compile(r"^Error: (.+?)\s*\n\s*\S*\[[^\]]*?:(\d+):(\d+)\]", re.MULTILINE)
_ANTLR_POSITION = re.compile(r"^['\"]?(\d+),(\d+): (.*?)['\"]?$", re.DOTALL)
_native_lock = threading.Lock()


def _parse_native(text: str) -> tuple[QuantumCircuit | None, list[str]]:
    """Try the native importer; return its circuit, or None and its positioned diagnostics.

    It prints its diagnostics (from Rust) to the process's stdout and panics to stderr, so both
    are pointed at a scratch file during the call: the server log stays clean and the
    diagnostics become the job's message. Serialised by a lock (an engine worker parses one
    program at a time anyway).
    """
    failure = ""
    source = _INTEGER_VERSION.sub(lambda m: m.group(1) + " " * len(m.group(2)), text, count=1)
    with _native_lock, tempfile.TemporaryFile() as scratch:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        os.dup2(scratch.fileno(), 1)
        os.dup2(scratch.fileno(), 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExperimentalWarning)
                circuit: QuantumCircuit | None = qasm3.loads_experimental(source)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001  (a Rust panic is a BaseException)
            circuit, failure = None, str(exc).strip("'\" ")
        finally:
            for fd, copy in ((1, saved[0]), (2, saved[1])):
                os.dup2(copy, fd)
                os.close(copy)
        if circuit is not None:
            return circuit, []
        scratch.seek(0)
        printed = scratch.read().decode("utf-8", errors="replace")
    found = [
        f"line {line}, column {col}: {what}" for what, line, col in _DIAGNOSTIC.findall(printed)
    ]
    if not found and failure and "see printed errors" not in failure and "\n" not in failure:
        found = [failure]
    return None, found[:1]  # the first error; later ones are usually its consequences


def _explain(reason: str, native_errors: list[str], kind: str) -> str:
    """The clearest reason available: a positioned one first (line and column, 1-based)."""
    positioned = _ANTLR_POSITION.match(reason)
    if positioned:
        line, col, what = positioned.groups()
        return f"line {line}, column {int(col) + 1}: {what}"
    if native_errors:
        return "; ".join(native_errors)
    return reason.strip("'\"") or f"{kind} (syntax error)"


def _qubit_props(qubit: dict[str, Any], gate: str) -> InstructionProperties:
    fidelity = qubit.get("fidelity")
    error = 0.0 if gate == "rz" or fidelity is None else max(0.0, 1.0 - float(fidelity))
    duration = (qubit.get("gate_duration") or {}).get(gate)
    return InstructionProperties(
        duration=None if duration is None else float(duration) * 1e-9, error=error
    )


def _coupling_props(coupling: dict[str, Any]) -> InstructionProperties:
    fidelity = coupling.get("fidelity")
    durations = coupling.get("gate_duration") or {}
    duration = durations.get("cx", durations.get("rzx90"))
    return InstructionProperties(
        duration=None if duration is None else float(duration) * 1e-9,
        error=None if fidelity is None else max(0.0, 1.0 - float(fidelity)),
    )


def build_target(device: Device) -> Target:
    """Return a Qiskit Target built from a device's calibration.

    Basis gates carry calibrated errors and durations on the qubits (1q) and the directed couplings
    (2q); measure carries the readout error; delay is allowed everywhere; reset where the device
    lists it in ``supported_instructions`` (the ideal simulator).
    """
    qubits = device.device_info.get("qubits", [])
    couplings = device.device_info.get("couplings", [])
    target = Target(num_qubits=len(qubits), description=device.device_id)
    mapping = get_standard_gate_name_mapping()
    for name in device.basis_gates:
        gate = mapping.get(name)
        if gate is None or not isinstance(gate, Gate):
            continue
        props: dict[tuple[int, ...], InstructionProperties | None]
        if gate.num_qubits == 1:
            props = {(i,): _qubit_props(q, name) for i, q in enumerate(qubits)}
        elif gate.num_qubits == 2:
            props = {(int(c["control"]), int(c["target"])): _coupling_props(c) for c in couplings}
        else:
            continue
        target.add_instruction(gate, props, name=name)
    readout = {
        (i,): InstructionProperties(
            error=float((q.get("meas_error") or {}).get("readout_assignment_error", 0.0))
        )
        for i, q in enumerate(qubits)
    }
    target.add_instruction(Measure(), readout)
    target.add_instruction(Delay(Parameter("t")), {(i,): None for i in range(len(qubits))})
    if "reset" in device.supported_instructions:
        target.add_instruction(Reset(), {(i,): None for i in range(len(qubits))})
    return target


def stats(circuit: QuantumCircuit) -> dict[str, int]:
    """The gate counts and depth of ``circuit`` (``transpile_result``'s ``stats``)."""
    # The instruction's name, not its operation: no Python gate object is built per gate.
    arities = [len(inst.qubits) for inst in circuit.data if inst.name not in _NON_GATES]
    return {
        "n_qubits": circuit.num_qubits,
        "n_gates": len(arities),
        "n_gates_1q": arities.count(1),
        "n_gates_2q": arities.count(2),
        "depth": _depth(circuit),
    }


def _depth(circuit: QuantumCircuit) -> int:
    """``circuit.depth()``, from the circuit's DAG unless barriers or control flow occur.

    The DAG's depth (Rust) is the same number 14x faster (0.08 vs 1.15 ms for a transpiled
    batch circuit); it differs only in counting barriers, and does not handle control flow.
    """
    names = circuit.count_ops()
    if "barrier" in names or not CONTROL_FLOW_OP_NAMES.isdisjoint(names):
        return int(circuit.depth())
    return int(circuit_to_dag(circuit, copy_operations=False).depth())


def initial_mapping(transpiled: QuantumCircuit, virtual_qubits: int) -> list[int]:
    """Return the physical qubit of each virtual qubit at the start of the transpiled circuit."""
    if transpiled.layout is None:
        return list(range(virtual_qubits))
    return list(transpiled.layout.initial_index_layout(filter_ancillas=True))


def final_mapping(transpiled: QuantumCircuit, virtual_qubits: int) -> list[int]:
    """Return the physical qubit of each virtual qubit at the end (after routing swaps)."""
    if transpiled.layout is None:
        return list(range(virtual_qubits))
    return list(transpiled.layout.final_index_layout(filter_ancillas=True))


def transpile_result(
    original: QuantumCircuit, transpiled: QuantumCircuit, before: dict[str, int] | None = None
) -> dict[str, Any]:
    """Return the ``transpile_result.json`` document (tranqu's shape).

    ``before`` is ``stats(original)`` when the caller keeps it (a template's: the counts do
    not depend on the angles).
    """
    mapping = initial_mapping(transpiled, original.num_qubits)
    return {
        "transpiled_program": dumps(transpiled),
        "stats": {"before": before or stats(original), "after": stats(transpiled)},
        "virtual_physical_mapping": {
            "qubit_mapping": {str(v): p for v, p in enumerate(mapping)},
            "bit_mapping": {str(c): c for c in range(original.num_clbits)},
        },
    }


def dumps(circuit: QuantumCircuit, native: bool = True) -> str:
    """Export a circuit as OpenQASM 3, each angle as its exact float literal.

    The export was a quarter of a worker's CPU per job. Qiskit's Python exporter rewrites angles
    near a multiple of pi as ``pi/2``-style expressions by a rational search per angle (70% of
    its time); with that off it writes each float exactly. Circuits of standard gates and
    measurements (what transpiling for a device gives) go through Qiskit's native exporter,
    which writes the same text for them (a transpiled 4-qubit batch circuit of 151 gates: 11.6
    ms by default, 3.3 ms without the search, 0.18 ms native); anything else, or a failure of
    the native exporter, through the Python one.

    Args:
        circuit: The circuit.
        native: Allow the native exporter. It recognises gates by name, so it is for circuits
            built by the transpiler, whose gates are the target's standard ones: a user's own
            gate definition named like a standard gate would be written as the standard gate.
    """
    if native and _native_exportable(circuit):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExperimentalWarning)
                return str(qasm3.dumps_experimental(circuit))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001, S110  (a Rust panic is a BaseException)
            pass
    return str(qasm3.dumps(circuit, disable_constants=True))


#: The gates of ``stdgates.inc``: the native exporter writes these right (others, such as ``r``,
#: ``cu3`` or ``rzz``, came back as other or undefined gates when parsed).
_STDGATES = frozenset(gate.name for gate in qasm3.STDGATES_INC_GATES)
_NATIVE_EXPORT = _STDGATES | {"measure", "barrier", "reset"}


def _native_exportable(circuit: QuantumCircuit) -> bool:
    """Whether only ``stdgates.inc`` gates with numeric angles, measure, barrier, reset occur.

    Read from the operation counts (kept by Qiskit's Rust circuit): walking ``circuit.data``
    builds a Python object per gate and cost 7x the native export itself.
    """
    return not circuit.parameters and _NATIVE_EXPORT.issuperset(circuit.count_ops())


def check_native(circuit: QuantumCircuit, device: Device) -> None:
    """Fail unless ``circuit`` already uses only the device's gates, qubits and couplings."""
    if circuit.num_qubits > device.n_qubits:
        raise JobFailure(
            f"program uses {circuit.num_qubits} qubits but device {device.device_id} has "
            f"{device.n_qubits}; reduce the circuit or enable transpilation"
        )
    allowed = set(device.basis_gates) | set(device.supported_instructions) | {"barrier"}
    edges = {(int(c["control"]), int(c["target"])) for c in device.device_info.get("couplings", [])}
    for inst in circuit.data:
        name = inst.operation.name
        if name not in allowed:
            raise JobFailure(
                f"gate '{name}' is not native to device {device.device_id} "
                f"(basis {device.basis_gates}) and transpiler_lib is null; transpile the program "
                "or remove transpiler_lib: null"
            )
        if len(inst.qubits) == 2 and name not in _NON_GATES:
            pair = tuple(circuit.find_bit(q).index for q in inst.qubits)
            if pair not in edges:
                raise JobFailure(
                    f"gate '{name}' on qubits {pair} is not a coupling of device "
                    f"{device.device_id}; transpile the program or use coupled qubits"
                )


def transpile_for_device(
    circuit: QuantumCircuit, device: Device, transpiler_info: dict[str, Any]
) -> tuple[QuantumCircuit, dict[str, Any] | None]:
    """Transpile per ``transpiler_info``; return the circuit to run and the transpile result.

    ``{"transpiler_lib": null}`` runs the program as is (it must be native, see
    `check_native`) and produces no transpile result.
    """
    lib = transpiler_info.get("transpiler_lib", "qiskit")
    if lib is None:
        check_native(circuit, device)
        return circuit, None
    if lib not in TRANSPILER_LIBS:
        raise JobFailure(
            f"unsupported transpiler_lib {lib!r}: use one of {', '.join(TRANSPILER_LIBS)} or null"
        )
    options = transpiler_info.get("transpiler_options") or {}
    if not isinstance(options, dict):
        raise JobFailure("transpiler_options must be an object")
    if circuit.num_qubits > device.n_qubits:
        raise JobFailure(
            f"program uses {circuit.num_qubits} qubits but device {device.device_id} has "
            f"{device.n_qubits}"
        )
    if lib != "qiskit":
        return transpile_with_tranqu(circuit, device, str(lib), options)
    try:
        manager = _cached_pass_manager(device, options)
        if manager is None:
            transpiled = transpile(circuit, target=build_target(device), **seeded(options))
        else:
            transpiled = manager.run(circuit)
    except Exception as exc:  # Qiskit raises several types for unsatisfiable requests
        raise JobFailure(f"transpile failed: {exc}") from exc
    return transpiled, transpile_result(circuit, transpiled)


def _cached_pass_manager(device: Device, options: dict[str, Any]) -> BasePassManager | None:
    """The preset pass manager ``transpile`` would build, cached per worker thread and device.

    Building it (target, plugin lookup) cost more CPU than running it on a small circuit: 15% of
    the server's CPU per job in the issue 10 benchmarks. Each worker thread keeps its own, so no
    pass manager runs on two threads at once. A worker process receives a fresh copy of the
    ``Device`` with every job, so entries are matched by the device's value (a frozen dataclass),
    not its identity: an edited device compares unequal and gets a new pass manager. Returns None
    for options other than plain `_CACHEABLE_OPTIONS`; ``transpile`` then handles them.
    """
    simple = all(isinstance(v, (int, float, str)) for v in options.values())
    if not simple or not set(options) <= _CACHEABLE_OPTIONS:
        return None
    cache: dict[Any, tuple[Device, BasePassManager]] | None = getattr(_pass_managers, "cache", None)
    if cache is None:
        cache = _pass_managers.cache = {}
    key = (device.device_id, tuple(sorted(options.items())))
    hit = cache.get(key)
    if hit is not None and (hit[0] is device or hit[0] == device):
        return hit[1]
    if len(cache) >= _MAX_CACHED:
        cache.clear()
    manager = generate_preset_pass_manager(target=build_target(device), **seeded(options))
    cache[key] = (device, manager)
    return manager


def seeded(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with `DEFAULT_SEED_TRANSPILER` when they name no ``seed_transpiler``."""
    if options.get("seed_transpiler") is not None:
        return options
    return {**options, "seed_transpiler": DEFAULT_SEED_TRANSPILER}


def transpile_with_tranqu(
    circuit: QuantumCircuit, device: Device, lib: str, options: dict[str, Any]
) -> tuple[QuantumCircuit, dict[str, Any]]:
    """Transpile with tranqu's ``lib`` transpiler (``ouqu-tp``, ``tket``) for the device.

    ``qiskit`` stays on `transpile_for_device`'s own path, which is what tranqu's qiskit
    transpiler runs (``qiskit.transpile`` against the device's Target). tranqu pins numpy and
    qiskit versions of its own, so it is an extra installed in a separate environment.
    """
    try:
        from tranqu import Tranqu
    except ImportError as exc:
        raise JobFailure(
            f"transpiler_lib {lib!r} needs tranqu, which this server does not have: install "
            f"pip install '{TRANQU_EXTRA}' in a separate environment (tranqu pins its own numpy "
            "and qiskit) and run the server from there, or use transpiler_lib 'qiskit'"
        ) from exc
    if lib == "ouqu-tp" and shutil.which("ouqu-tp") is None:
        # The ouqu-tp Python package only wraps a command-line tool it does not ship.
        raise JobFailure(
            "transpiler_lib 'ouqu-tp' needs the ouqu-tp command-line tool (built from "
            "github.com/oqtopus-team/ouqu-tp) on the server's PATH; it is not there. Use "
            "transpiler_lib 'qiskit' or 'tket'"
        )
    try:
        result = Tranqu().transpile(
            circuit,
            program_lib="qiskit",
            transpiler_lib=lib,
            transpiler_options=options,
            device=device.device_info,
            device_lib="oqtopus",
        )
    except Exception as exc:  # tranqu raises its own and each library's types
        raise JobFailure(f"transpile failed ({lib} via tranqu): {exc}") from exc
    transpiled = result.transpiled_program
    if not isinstance(transpiled, QuantumCircuit):
        raise JobFailure(f"transpile failed ({lib} via tranqu): no circuit came back")
    return transpiled, transpile_result(circuit, transpiled)
