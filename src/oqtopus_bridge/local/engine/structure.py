"""Programs that differ only in their angles share one parse and one transpile (issue 23).

A parameter sweep or a batch of random circuits sends the same program text with other numbers
in its gate calls, and parsing and transpiling each was most of a worker's CPU per circuit.
Here the angles are lifted out of the text (`lift`: a regular expression, no parse): every
float literal that is a whole argument of a gate call at the start of a line. What is left,
the *skeleton*, keys a cache of templates (`Template`): the skeleton parsed once, with distinct
probe values in the lifted places, each of which must come back as exactly one parameter of
one standard gate (`_parametrize`); those parameters made circuit parameters; and transpiled
once with the parameters free. A job binds its own angles into the transpiled template and
runs the device's optimization stage on the bound circuit (the stage that merges rotations and
removes identities, which a circuit with free parameters skips): the circuit a transpile of
the bound program gives.

The template depends on the skeleton only, never on which program of it came first, and every
job of a liftable skeleton takes this path, the first one too: so a seeded job gives the same
counts whether the cache was warm or cold. A skeleton that cannot be lifted (control flow, a
custom gate with a lifted argument, a literal that does not come back as one parameter,
transpiler options other than a cached level 0 or 1 preset) takes the exact path of
`.pipeline` instead, for every program of it.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

from qiskit import QuantumCircuit
from qiskit.circuit import CONTROL_FLOW_OP_NAMES, Parameter
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.passmanager import BasePassManager

from ..devices import Device
from ..errors import JobFailure
from .bounded import DeviceCache
from .circuits import _cached_pass_manager, parse_program, stats
from .prepared import BYTES_PER_INSTRUCTION

#: Skeletons kept per worker (the least recently used is dropped first).
MAX_TEMPLATES = 64
#: The estimated memory of the kept templates, at most (as `.prepared.MAX_PREPARED_BYTES`).
MAX_TEMPLATE_BYTES = 64 * 2**20
#: A gate call at the start of a line: name, ``(``, arguments without parentheses, ``)``, the
#: rest of the statement. Keywords that take a parenthesised expression are not gate calls.
_CALL = re.compile(r"^([ \t]*)([A-Za-z_][A-Za-z0-9_]*)([ \t]*\()([^()\n;]*)(\)[^;\n{}]*;)", re.M)
_KEYWORDS = frozenset(
    {"if", "while", "for", "switch", "return", "gphase", "measure", "def"}
    | {"ctrl", "negctrl", "inv", "pow"}  # gate modifiers: their argument is not an angle
)
#: A float literal (with a point or an exponent; an integer is not lifted: the native importer
#: refuses integer angles, and the fallback importer reads them the same as floats). Only forms
#: both importers accept: a leading ``+`` is a syntax error, so it stays in the skeleton.
_FLOAT = re.compile(
    r"[ \t]*-?(?:\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)[ \t]*"
)
_COMMENT_LINE = re.compile(r"^[ \t]*//[^\n]*", re.M)
_HOLE = "\x00"  # cannot occur in a program the importer accepts
_NAME = "_oqtopus_angle_"


class Lifted(NamedTuple):
    """A program split into its skeleton and its angles.

    Attributes:
        skeleton: The text with full-line comments removed and each lifted angle a hole.
        values: The lifted angles, in text order.
    """

    skeleton: str
    values: tuple[float, ...]


def lift(text: str) -> Lifted | None:
    """Lift the gate-call angles out of ``text``; None when there is none, or one is not finite."""
    values: list[float] = []

    def arguments(match: re.Match[str]) -> str:
        if match.group(2) in _KEYWORDS:
            return match.group(0)
        parts = match.group(4).split(",")
        for index, part in enumerate(parts):
            if _FLOAT.fullmatch(part):
                values.append(float(part))
                parts[index] = _HOLE
        return match.group(1) + match.group(2) + match.group(3) + ",".join(parts) + match.group(5)

    if _HOLE in text:
        return None
    skeleton = _CALL.sub(arguments, _COMMENT_LINE.sub("", text))
    if not values or not all(math.isfinite(value) for value in values):
        return None
    return Lifted(skeleton, tuple(values))


def probe(count: int) -> list[float]:
    """Distinct angles to parse a skeleton with: each must come back as one gate parameter."""
    return [0.6180339887 + index * 2.0**-20 for index in range(count)]


class Template(NamedTuple):
    """A skeleton parsed and transpiled once, with its angles as parameters.

    Attributes:
        circuit: The program with parameters for its angles (what the stats of ``before``
            count: they do not depend on the angles).
        transpiled: ``circuit`` transpiled for the device with the parameters free.
        parameters: The parameter of each lifted angle, in text order.
        optimize: The device's optimization stage, run on each bound circuit (None: level 0).
        before: ``stats(circuit)``: the ``before`` of every bound program's transpile result.
    """

    circuit: QuantumCircuit
    transpiled: QuantumCircuit
    parameters: tuple[Parameter, ...]
    optimize: BasePassManager | None
    before: dict[str, int]

    def bind(self, values: tuple[float, ...]) -> QuantumCircuit:
        """The transpiled circuit of the program with these angles."""
        bound = self.transpiled.assign_parameters(dict(zip(self.parameters, values, strict=True)))
        if self.optimize is None:
            return bound
        optimized = self.optimize.run(bound)
        optimized._layout = bound.layout  # the optimization stage does not move qubits
        return optimized


#: This worker's templates, and the skeletons that have none (None).
cache: DeviceCache[Template | None] = DeviceCache(MAX_TEMPLATES, MAX_TEMPLATE_BYTES)


def template(
    job_type: str, lifted: Lifted, device: Device, transpiler_info: dict[str, Any]
) -> Template | None:
    """The cached template of ``lifted``'s skeleton on ``device``, built on first use.

    None (also cached) when the skeleton or the settings do not allow one: the job then takes
    the exact path, as every program of this skeleton will.
    """
    options = transpiler_info.get("transpiler_options") or {}
    if transpiler_info.get("transpiler_lib", "qiskit") != "qiskit" or not isinstance(options, dict):
        return None
    level = options.get("optimization_level")
    if isinstance(level, bool) or level not in (0, 1):
        return None  # levels 2 and 3 synthesise blocks from the angles themselves
    try:
        manager = _cached_pass_manager(device, options)
    except Exception:  # noqa: BLE001  (bad options: the exact path says what is wrong)
        return None
    if manager is None:
        return None
    key = (job_type, lifted.skeleton, device.device_id, tuple(sorted(options.items())))
    found, kept = cache.lookup(key, device)
    if found:
        return kept
    made = _build(job_type, lifted, manager, level)
    size = len(lifted.skeleton)
    if made is not None:
        size += BYTES_PER_INSTRUCTION * (len(made.circuit.data) + len(made.transpiled.data))
    cache.store(key, device, made, size)
    return made


def _build(job_type: str, lifted: Lifted, manager: BasePassManager, level: int) -> Template | None:
    """Parse the skeleton with probe angles, make them parameters, transpile it."""
    probes = probe(len(lifted.values))
    pieces = lifted.skeleton.split(_HOLE)
    text = pieces[0] + "".join(repr(v) + piece for v, piece in zip(probes, pieces[1:], strict=True))
    try:
        parsed = parse_program(text)
    except JobFailure:
        return None  # the program's own parse will say why
    made = _parametrize(parsed, probes)
    if made is None:
        return None
    circuit, parameters = made
    if job_type == "estimation":
        circuit = circuit.remove_final_measurements(inplace=False) or circuit
    try:
        transpiled = manager.run(circuit)
    except Exception:  # noqa: BLE001  (the exact path reports the transpiler's failure)
        return None
    optimize = getattr(manager, "optimization", None) if level == 1 else None
    return Template(circuit, transpiled, parameters, optimize, stats(circuit))


#: Gates whose angles a template may make parameters: one angle each, which the device's basis
#: translation carries through as a linear expression. Others take the exact path: Qiskit's
#: basis translation of a parametric ``cu`` (four angles) ran for minutes where the bound one
#: takes milliseconds (found by PennyLane's device suite).
ROTATIONS = frozenset(
    {"rx", "ry", "rz", "p", "u1", "crx", "cry", "crz", "cp", "cu1", "rxx", "ryy", "rzz", "rzx"}
)


def _parametrize(
    circuit: QuantumCircuit, probes: list[float]
) -> tuple[QuantumCircuit, tuple[Parameter, ...]] | None:
    """``circuit`` with each probe angle a parameter, or None unless each is one standard gate's.

    Every probe must come back exactly once, as a parameter of a standard gate (whose
    definition follows its parameters); a probe that is missing (a global phase, a literal in a
    comment or a gate body), repeated (a call broadcast over a register) or on another kind of
    instruction means the literal is not simply that gate's angle, and the skeleton is not lifted.
    """
    if circuit.parameters or not CONTROL_FLOW_OP_NAMES.isdisjoint(circuit.count_ops()):
        return None
    slots = {value: index for index, value in enumerate(probes)}
    parameters = tuple(Parameter(f"{_NAME}{index}") for index in range(len(probes)))
    seen = [False] * len(probes)
    standard = get_standard_gate_name_mapping()
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        operation = inst.operation
        hits = [slots.get(p) if isinstance(p, float) else None for p in operation.params]
        if all(hit is None for hit in hits):
            out._append(inst)
            continue
        known = standard.get(inst.name)
        if known is None or type(operation) is not type(known) or inst.name not in ROTATIONS:
            return None
        operation = operation.to_mutable()
        params = list(operation.params)
        for position, hit in enumerate(hits):
            if hit is not None:
                if seen[hit]:
                    return None
                seen[hit], params[position] = True, parameters[hit]
        operation.params = params
        out._append(inst.replace(operation=operation))
    return (out, parameters) if all(seen) else None
