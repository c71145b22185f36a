"""Gate folding that OQTOPUS's default transpilation would undo, and the settings that keep it.

Zero-noise extrapolation scales noise by folding gates (``G -> G G^dagger G``, or the whole
circuit ``U -> U U^dagger U``). OQTOPUS transpiles every program by default (Qiskit,
``optimization_level`` 1), and that cancels adjacent inverse pairs: 30 folded CNOTs run as 10, and
the extrapolation extrapolates nothing (issue 22, item 6). Before a job is sent, `inverse_pairs`
counts the gate pairs such an optimization removes (cascading, as ``U U^dagger`` vanishes whole)
and `warn_if_folded` warns when the job's ``transpiler_info`` would optimize them away.

Two ``transpiler_info`` values keep every gate:

* `RUN_AS_WRITTEN` (``{"transpiler_lib": None}``): no transpilation at all; the program must
  already use the device's native gates and physical qubits.
* `KEEP_GATES`: translated to native gates and routed, but never optimized (Qiskit level 0).
"""

from __future__ import annotations

import ast
import math
import operator
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = [
    "KEEP_GATES",
    "RUN_AS_WRITTEN",
    "FoldingWarning",
    "inverse_pairs",
    "optimizes",
    "warn_if_folded",
]

# Plain dicts (picklable, copyable, JSON-ready) like every transpiler_info; nothing here mutates
# them. To change one, copy it: {**KEEP_GATES, "transpiler_options": {...}}.
#: ``transpiler_info`` for "run the program as written": no transpilation (native programs only).
RUN_AS_WRITTEN: dict[str, Any] = {"transpiler_lib": None}
#: ``transpiler_info`` that translates to native gates and routes, but cancels no gate.
KEEP_GATES: dict[str, Any] = {
    "transpiler_lib": "qiskit",
    "transpiler_options": {"optimization_level": 0},
}
#: Fewer cancelling pairs than this are taken for chance, not folding.
MIN_PAIRS = 2


class FoldingWarning(UserWarning):
    """A folded program would be unfolded by the transpiler before it runs."""


_SELF_INVERSE = frozenset(
    {"x", "y", "z", "h", "id", "cx", "cy", "cz", "ch", "swap", "ccx", "cswap", "ecr", "CX"}
)
_PAIRS = {"s": "sdg", "sdg": "s", "t": "tdg", "tdg": "t", "sx": "sxdg", "sxdg": "sx"}
_ROTATIONS = frozenset(
    {"rx", "ry", "rz", "p", "phase", "u1", "crx", "cry", "crz", "cp", "cphase", "cu1"}
    | {"rxx", "ryy", "rzz", "rzx"}
)
_U = frozenset({"u", "u3", "U"})
_KNOWN = _SELF_INVERSE | frozenset(_PAIRS) | _ROTATIONS | _U
_STATEMENT = re.compile(
    r"^\s*([A-Za-z_]\w*)\s*(?:\(((?:[^()]|\([^()]*\))*)\))?\s*((?:\$\d|[A-Za-z_])[^;{}=()]*?)\s*$"
)
_OPERAND = re.compile(r"\$\d+|[A-Za-z_]\w*(?:\[\s*\d+\s*\])?")
_BLOCKING = frozenset({"barrier", "reset", "measure", "delay"})
_Gate = tuple[str, tuple[float, ...] | None, tuple[str, ...]]


def inverse_pairs(program: str) -> int:
    """Count the gate pairs of ``program`` that cancel as inverses, cascading (``U U^dagger``).

    Only gates the parser reads exactly count (standard names, numeric parameters); anything else
    (measurements, barriers, control flow, gate definitions) separates the gates around it.

    Examples:
        ```python
        inverse_pairs("qubit[2] q; cx q[0], q[1]; cx q[0], q[1]; h q[0]; x q[1];")  # 1
        ```
    """
    pairs = 0
    gates: dict[int, _Gate | None] = {}
    last: dict[str, list[int]] = {}  # operand -> stack of gate ids
    depth = 0  # inside a gate definition or a control-flow body: nothing counts
    for number, statement in enumerate(_statements(program)):
        if "{" in statement or "}" in statement or depth:
            depth += statement.count("{") - statement.count("}")
            last.clear()
            continue
        gate = _parse(statement)
        if gate is None:
            _wall(last, _OPERAND.findall(statement), -1 - number)
            continue
        tops = {last[o][-1] if last.get(o) else None for o in gate[2]}
        top = tops.pop() if len(tops) == 1 else None
        previous = gates.get(top) if top is not None and top >= 0 else None
        if previous is not None and previous[2] == gate[2] and _inverse(previous, gate):
            pairs += 1
            for operand in gate[2]:
                last[operand].pop()
            continue
        gates[number] = gate
        for operand in gate[2]:
            last.setdefault(operand, []).append(number)
    return pairs


def _wall(last: dict[str, list[int]], operands: list[str], wall: int) -> None:
    """Separate the gates before and after a statement on ``operands`` (a register: all of it)."""
    for operand in operands:
        whole = [key for key in last if key.startswith(f"{operand}[")] if "[" not in operand else []
        for key in [operand, *whole]:
            last.setdefault(key, []).append(wall)


def _statements(program: str) -> Iterable[str]:
    text = re.sub(r"//[^\n]*|/\*.*?\*/", "", program, flags=re.DOTALL)
    for chunk in re.split(r";|(?<=[{}])", text):
        if chunk.strip():
            yield chunk.strip()


def _parse(statement: str) -> _Gate | None:
    match = _STATEMENT.match(statement)
    if match is None:
        return None
    name, params, operands = match.groups()
    if name in _BLOCKING or name in {"OPENQASM", "include", "qubit", "bit", "gate", "def"}:
        return None
    if name not in _KNOWN:
        return None
    values: tuple[float, ...] | None = None
    if params is not None:
        try:
            values = tuple(_number(p) for p in params.split(","))
        except ValueError:
            return None
    targets = tuple(o.replace(" ", "") for o in _OPERAND.findall(operands))
    if len(set(targets)) != len(targets) or not targets:
        return None
    return name, values, targets


def _inverse(first: _Gate, second: _Gate) -> bool:
    (name, params, _), (other, others, _) = first, second
    if name in _SELF_INVERSE:
        return other == name and not params and not others
    if name in _PAIRS:
        return other == _PAIRS[name]
    if params is None or others is None or len(params) != len(others):
        return False
    if name in _ROTATIONS:
        # Near-zero angles are near-identity gates, not folds: ry(1e-9) ry(-1e-40) is no pair.
        folded = any(abs(a) > _NEGLIGIBLE_ANGLE for a in params)
        return folded and other == name and _close(params, tuple(-b for b in others))
    if name in _U and other == name and len(params) == 3:
        theta, phi, lam = params
        return _close((-theta, -lam, -phi), others)
    return False


_NEGLIGIBLE_ANGLE = 1e-6


def _close(first: tuple[float, ...], second: tuple[float, ...]) -> bool:
    return all(math.isclose(a, b, abs_tol=1e-12) for a, b in zip(first, second, strict=True))


_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_NAMES = {"pi": math.pi, "π": math.pi, "tau": math.tau, "euler": math.e}


def _number(text: str) -> float:
    """A parameter expression of numbers, ``pi`` and + - * / (anything else: ValueError).

    A float literal (what exporters write for most angles) is read by ``float``, 10x cheaper than
    parsing (issue 23): for an ASCII text with a decimal point or an exponent and a finite value,
    ``float`` and Python's parser agree (an integer such as ``01`` they do not: it is parsed).
    ``tests/properties/test_folding_numbers.py`` checks it on generated texts.
    """
    if text.isascii() and ("." in text or "e" in text or "E" in text):
        try:
            value = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(value):
                return value
    return _expression(text)


def _expression(text: str) -> float:
    """`_number` by Python's parser: numbers, names of constants, unary and binary + - * /."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(text) from exc
    return _evaluate(tree)


def _evaluate(node: ast.expr) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        try:
            return _BINARY[type(node.op)](_evaluate(node.left), _evaluate(node.right))
        except ZeroDivisionError as exc:
            raise ValueError("division by zero") from exc
    raise ValueError(ast.dump(node))


def optimizes(transpiler_info: Mapping[str, Any] | None) -> bool:
    """Whether OQTOPUS would optimize (and so unfold) a program sent with ``transpiler_info``."""
    info = dict(transpiler_info or {})
    if "transpiler_lib" in info and info["transpiler_lib"] is None:
        return False
    options = info.get("transpiler_options") or {}
    level = options.get("optimization_level", 1) if isinstance(options, Mapping) else 1
    return not (info.get("transpiler_lib", "qiskit") == "qiskit" and level == 0)


def warn_if_folded(
    programs: Iterable[str], transpiler_info: Mapping[str, Any] | None, stacklevel: int = 3
) -> None:
    """Warn (`FoldingWarning`) if a program looks folded and would be optimized before it runs."""
    if not optimizes(transpiler_info):
        return
    for index, program in enumerate(programs):
        pairs = inverse_pairs(program) if isinstance(program, str) else 0
        if pairs >= MIN_PAIRS:
            warnings.warn(
                f"program {index} holds {pairs} adjacent inverse gate pairs (as folding for "
                "zero-noise extrapolation makes), and OQTOPUS transpiles it with optimization, "
                "which cancels them: the program runs unfolded. To run it as written pass "
                "transpiler_info=KEEP_GATES (translate to native gates, optimize nothing) or "
                "RUN_AS_WRITTEN (no transpilation; native programs only), both from "
                "oqtopus_bridge.folding",
                FoldingWarning,
                stacklevel=stacklevel,
            )
            return
