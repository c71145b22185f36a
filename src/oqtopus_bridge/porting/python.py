"""Rewrites quri-parts-oqtopus imports in Python source with libcst and flags what needs a human."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from oqtopus_bridge.porting import findings as fnd
from oqtopus_bridge.porting import rules
from oqtopus_bridge.porting.context import Binding, Context, collect_context, dotted_name
from oqtopus_bridge.porting.findings import Finding

# Keys of 1.0.x's job_info.transpile_result that held JSON strings (reference section 2.3).
_LEGACY_JSON_KEYS = frozenset({"stats", "virtual_physical_mapping"})


@dataclass(frozen=True)
class PortedSource:
    """The outcome of porting one Python source.

    Attributes:
        code: The rewritten source (identical to the input when nothing needed rewriting).
        findings: Constructs that need a human, sorted by line.
    """

    code: str
    findings: tuple[Finding, ...]


def port_source(source: str, context: Context | None = None) -> PortedSource:
    r"""Port one Python source: rewrite quri-parts-oqtopus imports and report what needs a human.

    Everything but the rewritten module paths (and attribute chains through them) stays as it is.

    Args:
        source: The Python source text.
        context: Bindings shared with other sources (a notebook's other cells); computed from
            ``source`` alone when omitted.

    Returns:
        The ported source and its findings.

    Raises:
        libcst.ParserSyntaxError: If ``source`` is not valid Python.

    Example:
        >>> port_source("from quri_parts_oqtopus.backend import OqtopusConfig\\n").code
        'from oqtopus_bridge import OqtopusConfig\\n'
    """
    module = cst.parse_module(source)
    new_module, found = port_module(module, context or collect_context([module]))
    return PortedSource(code=new_module.code, findings=tuple(found))


def port_module(module: cst.Module, context: Context) -> tuple[cst.Module, list[Finding]]:
    """Port a parsed module; see :func:`port_source`.

    Args:
        module: The parsed source.
        context: Bindings of the namespace the module lives in.

    Returns:
        The rewritten module and its findings, sorted by line.
    """
    porter = _Porter(context)
    new_module = MetadataWrapper(module).visit(porter)
    return new_module, sorted(porter.findings, key=lambda f: (f.line, f.code))


def _dotted_expr(path: str) -> cst.Attribute | cst.Name:
    expr = cst.parse_expression(path)
    assert isinstance(expr, (cst.Attribute, cst.Name))
    return expr


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _is_private(name: str) -> bool:
    return (
        name.startswith("_")
        and not _is_dunder(name)
        and name not in rules.PUBLIC_UNDERSCORE_ATTRIBUTES
    )


def _names_a_device(keywords: set[str], positional: Sequence[cst.Arg]) -> bool:
    """Tell whether a sampler-factory call gives a device: ``device_id=`` or a string first.

    The peer's factory took ``(executor, concurrency)`` positionally, so any other positional first
    argument is old code.
    """
    if "device_id" in keywords:
        return True
    return bool(positional) and isinstance(
        positional[0].value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)
    )


def _replace_base(
    node: cst.BaseExpression, depth: int, base: cst.BaseExpression
) -> cst.BaseExpression:
    """Replace the innermost part of an attribute chain, keeping the outer ``depth`` attributes."""
    if depth == 0:
        return base
    assert isinstance(node, cst.Attribute)
    return node.with_changes(value=_replace_base(node.value, depth - 1, base))


class _Porter(cst.CSTTransformer):
    """Rewrites imports and module attribute chains; records findings with their lines."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context
        self.findings: list[Finding] = []
        self._replacements: dict[cst.CSTNode, cst.BaseExpression] = {}
        self._not_references: set[cst.CSTNode] = set()

    def _report(self, node: cst.CSTNode, code: str, name: str = "") -> None:
        line = self.get_metadata(PositionProvider, node).start.line
        self.findings.append(fnd.make_finding(line, code, name))

    # -- imports ----------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        names: list[cst.ImportAlias] = []
        for original, alias in zip(original_node.names, updated_node.names, strict=True):
            module = dotted_name(alias.name) or ""
            names.append(alias)
            if module.split(".")[0] == "oqtopus_client":
                self._report(original, fnd.OQTOPUS_CLIENT)
            if not rules.is_old_module(module):
                continue
            target = rules.resolve_module(module)
            if target is None:
                self._report(original, fnd.UNKNOWN_MODULE, module)
                continue
            if target == rules.SAMPLER_TARGET:
                self._report(original, fnd.BROKEN_SAMPLER)
            names[-1] = alias.with_changes(name=_dotted_expr(target))
        return updated_node.with_changes(names=names)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.BaseSmallStatement:
        if original_node.relative or original_node.module is None:
            return updated_node
        module = dotted_name(original_node.module) or ""
        if module.split(".")[0] == "oqtopus_client":
            self._report(original_node, fnd.OQTOPUS_CLIENT)
        if module in rules.PUBLIC_NAMES:
            # Already ported (or written for this package): keep the report stable across runs.
            self._check_names(original_node, module)
        if not rules.is_old_module(module):
            return updated_node
        return self._port_import_from(original_node, updated_node, module)

    def _port_import_from(
        self, original: cst.ImportFrom, updated: cst.ImportFrom, module: str
    ) -> cst.BaseSmallStatement:
        target = rules.resolve_module(module)
        if isinstance(updated.names, cst.ImportStar):
            if target is None:
                self._report(original, fnd.UNKNOWN_MODULE, module)
                return updated
            return updated.with_changes(module=_dotted_expr(target))
        subs = [rules.resolve_module(f"{module}.{dotted_name(a.name)}") for a in updated.names]
        if all(sub is not None for sub in subs):
            return self._submodules_to_import(original, updated.names, subs)
        if any(sub is not None for sub in subs):
            self._report(original, fnd.MIXED_IMPORT)
            return updated
        if target is None:
            self._report(original, fnd.UNKNOWN_MODULE, module)
            return updated
        if target == rules.SAMPLER_TARGET:
            self._report(original, fnd.BROKEN_SAMPLER)
        self._check_names(original, target)
        return updated.with_changes(module=_dotted_expr(target))

    def _submodules_to_import(
        self,
        original: cst.ImportFrom,
        aliases: Sequence[cst.ImportAlias],
        targets: Sequence[str | None],
    ) -> cst.Import:
        """``from quri_parts_oqtopus import backend as b`` -> ``import oqtopus_bridge as b``."""
        names = []
        for alias, target in zip(aliases, targets, strict=True):
            assert target is not None
            if target == rules.SAMPLER_TARGET:
                self._report(original, fnd.BROKEN_SAMPLER)
            local = alias.asname.name if alias.asname is not None else alias.name
            assert isinstance(local, cst.Name)
            names.append(cst.ImportAlias(name=_dotted_expr(target), asname=cst.AsName(name=local)))
        return cst.Import(names=names, semicolon=original.semicolon)

    def _check_names(self, node: cst.ImportFrom, target: str) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        known = rules.PUBLIC_NAMES.get(target, frozenset())
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            if name not in known:
                self._report(alias, fnd.UNKNOWN_NAME, name)

    # -- attribute chains and names ----------------------------------------------------------

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self._not_references.add(node.attr)
        chain = dotted_name(node)
        root = chain.split(".")[0] if chain else ""
        binding = self.context.module_binding(root)
        if chain is None or binding is None:
            self._check_private(node)
            return True
        self._port_chain(node, chain, binding)
        return False

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        return self._replacements.get(original_node, updated_node)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._not_references.add(node.keyword)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if original_node in self._not_references or original_node.value != rules.OLD_PACKAGE:
            return updated_node
        if self.context.module_binding(rules.OLD_PACKAGE) is None:
            return updated_node
        return updated_node.with_changes(value=rules.NEW_PACKAGE)

    def _port_chain(self, node: cst.Attribute, chain: str, binding: Binding) -> None:
        root, _, tail = chain.partition(".")
        resolved = rules.resolve_dotted(f"{binding.old_module}.{tail}")
        if resolved is None:
            return
        _, new_module, rest = resolved
        rest_parts = rest.split(".") if rest else []
        self._check_module_attribute(node, new_module, rest_parts)
        if not (new_module + ".").startswith(binding.new_module + "."):
            return
        new_root = rules.NEW_PACKAGE if root == rules.OLD_PACKAGE else root
        new_base = new_root + new_module[len(binding.new_module) :]
        old_base = chain.rsplit(".", len(rest_parts))[0] if rest_parts else chain
        if new_base != old_base:
            self._replacements[node] = _replace_base(node, len(rest_parts), _dotted_expr(new_base))

    def _check_module_attribute(
        self, node: cst.Attribute, module: str, rest_parts: list[str]
    ) -> None:
        if not rest_parts or _is_dunder(rest_parts[0]):
            return
        if _is_private(rest_parts[0]):
            self._report(node, fnd.PRIVATE_ATTRIBUTE, rest_parts[0])
        elif rest_parts[0] not in rules.PUBLIC_NAMES.get(module, frozenset()):
            self._report(node, fnd.UNKNOWN_NAME, rest_parts[0])

    def _check_private(self, node: cst.Attribute) -> None:
        if not self.context.relevant or not _is_private(node.attr.value):
            return
        receiver = node.value
        if isinstance(receiver, cst.Name) and receiver.value in rules.OWN_RECEIVERS:
            return
        if isinstance(receiver, cst.Call) and dotted_name(receiver.func) == "super":
            return
        self._report(node.attr, fnd.PRIVATE_ATTRIBUTE, node.attr.value)

    # -- 1.0.x-only and broken patterns -------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.relevant:
            return
        func = dotted_name(node.func) or ""
        keywords = {arg.keyword.value for arg in node.args if arg.keyword is not None}
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        last = func.rsplit(".", 1)[-1]
        # backend.download_log(job_id=..., save_dir=...) is documented and works as in 1.0.x: no
        # finding (issue 15).
        if last == rules.SAMPLER_FACTORY and not _names_a_device(keywords, positional):
            self._report(node, fnd.SAMPLER_DEVICE_ID)
        if func == "json.loads" and positional:
            self._check_json_loads(node, positional[0].value)

    def _check_json_loads(self, node: cst.Call, arg: cst.BaseExpression) -> None:
        if isinstance(arg, cst.Attribute) and arg.attr.value == "device_info":
            self._report(node, fnd.LEGACY_JSON_STRING, "device_info")
        elif isinstance(arg, cst.Subscript) and len(arg.slice) == 1:
            index = arg.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
                key = index.value.evaluated_value
                if key in _LEGACY_JSON_KEYS:
                    self._report(node, fnd.LEGACY_JSON_STRING, str(key))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if not self.context.relevant:
            return
        value = node.value
        if isinstance(value, cst.Attribute) and value.attr.value == "estimation":
            self._report(node, fnd.LEGACY_ESTIMATION_RESULT)
