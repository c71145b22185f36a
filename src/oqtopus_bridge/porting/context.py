"""Which names a source binds to quri-parts-oqtopus modules, gathered before any rewriting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst

from oqtopus_bridge.porting import rules

# Mentions that make a source worth inspecting for constructs that need a human. A file that never
# names either package is someone else's code: its private attributes are none of our business.
RELEVANT_MARKERS = (rules.OLD_PACKAGE, rules.NEW_PACKAGE, "oqtopus_client")


@dataclass(frozen=True)
class Binding:
    """A name bound by an import to a quri-parts-oqtopus module.

    Attributes:
        old_module: The quri-parts-oqtopus module the name refers to, e.g.
            ``"quri_parts_oqtopus"`` for ``import quri_parts_oqtopus.backend`` or
            ``"quri_parts_oqtopus.backend"`` for ``import quri_parts_oqtopus.backend as qpb``.
        new_module: The module of this package the name refers to after porting.
    """

    old_module: str
    new_module: str


@dataclass
class Context:
    """What the rewriter needs to know about the whole source (or the whole notebook).

    Attributes:
        bindings: Module names bound by quri-parts-oqtopus imports, by local name.
        rebound: Names also bound by something else (an assignment, a parameter, another import):
            the rewriter leaves their attribute uses alone, since it cannot tell which is meant.
        relevant: Whether the source mentions quri-parts-oqtopus, this package or oqtopus_client.
    """

    bindings: dict[str, Binding] = field(default_factory=dict)
    rebound: set[str] = field(default_factory=set)
    relevant: bool = False

    def module_binding(self, name: str) -> Binding | None:
        """Return the binding of ``name`` if it surely refers to a quri-parts-oqtopus module."""
        if name in self.rebound:
            return None
        return self.bindings.get(name)


def dotted_name(node: cst.BaseExpression) -> str | None:
    """Return ``"a.b.c"`` for a pure ``Name``/``Attribute`` chain, else ``None``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


class _Collector(cst.CSTVisitor):
    """Collects module bindings of quri-parts-oqtopus imports and every other binding of a name."""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            module = dotted_name(alias.name) or ""
            local = _asname(alias)
            target = rules.resolve_module(module)
            if rules.is_old_module(module) and local is None:
                # `import quri_parts_oqtopus.backend` binds the root package name.
                self._bind(rules.OLD_PACKAGE, Binding(rules.OLD_PACKAGE, rules.NEW_PACKAGE))
            elif rules.is_old_module(module) and local is not None and target is not None:
                self._bind(local, Binding(module, target))
            else:
                self._rebind(local or module.split(".")[0])
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = dotted_name(node.module) if node.module is not None else None
        if isinstance(node.names, cst.ImportStar):
            return False
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            local = _asname(alias) or name
            full = f"{module}.{name}" if module and not node.relative else ""
            target = rules.resolve_module(full)
            if target is not None:
                self._bind(local, Binding(full, target))
            else:
                self._rebind(local)
        return False

    def _bind(self, name: str, binding: Binding) -> None:
        known = self.context.bindings.get(name)
        if known is not None and known != binding:
            self.context.rebound.add(name)
        self.context.bindings[name] = binding

    def _rebind(self, name: str) -> None:
        self.context.rebound.add(name)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._store(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._store(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._store(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._store(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._store(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        # Imports return False above, so this only sees `with ... as x` and `except ... as x`.
        self._store(node.name)

    def visit_Param(self, node: cst.Param) -> None:
        self._rebind(node.name.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._rebind(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._rebind(node.name.value)

    def _store(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._rebind(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._store(element.value)
        elif isinstance(target, cst.StarredElement):
            self._store(target.value)


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is None:
        return None
    name = alias.asname.name
    return name.value if isinstance(name, cst.Name) else None


def collect_context(modules: Iterable[cst.Module], texts: Iterable[str] = ()) -> Context:
    """Gather bindings from every module sharing one namespace (a script, or a notebook's cells).

    Args:
        modules: Parsed sources; a notebook's cells share one namespace, so pass them all.
        texts: Raw texts that could not be parsed, still checked for relevance.

    Returns:
        The combined context.
    """
    context = Context()
    for module in modules:
        module.visit(_Collector(context))
        context.relevant = context.relevant or _mentions(module.code)
    for text in texts:
        context.relevant = context.relevant or _mentions(text)
    return context


def _mentions(text: str) -> bool:
    return any(marker in text for marker in RELEVANT_MARKERS)
