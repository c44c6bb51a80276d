"""Gates: cheap proofs that a check would miss purely, read off the constraint tree.

Some parts of a tree can be tested alone, before (or instead of) the whole check. A part
is *fixed* when its miss never asks for anything and its condition can only narrow as
the association grows: an attribute leaf with a plain regex (or none), no ``onlyif``,
nothing evaluated; or an ``all`` / ``any`` node of fixed parts with no re-processing on
a miss. A *gate* combines the fixed parts the way the tree does:

- an ``all`` node (no re-processing on a miss) misses purely as soon as one part does,
  whatever came before it, so its gate is *any* of its parts' gates;
- an ``any`` node misses purely when every part does, so its gate needs a gate for
  *every* part.

A gate that says "miss" is a proof: the whole check, on the same bindings and row, misses
and asks for nothing. A gate that says nothing proves nothing. (A check that would raise
an error before the miss is skipped all the same: gates only read cells.)

>>> from asnfp.constraints import NO_BINDINGS, all_of, any_of, attr
>>> from asnfp.row import make_row
>>> tree = all_of(attr("program", "program"),
...               any_of(attr("a", "exp_type", "nrc_image"), attr("b", "pntgtype", "target_acq")))
>>> gate = compile_gate(tree)
>>> gate(NO_BINDINGS, make_row(0, {"program": "1", "exp_type": "mir_image", "pntgtype": "science"}))
True
>>> gate(NO_BINDINGS, make_row(0, {"program": "1", "exp_type": "nrc_image", "pntgtype": "science"}))
False
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from asnfp.caches import forgettable
from asnfp.constraints import (
    AttrLeaf,
    Bindings,
    Constraint,
    LeafState,
    Node,
    ValueLeaf,
    _equal,
    first_valid,
    meets_conditions,
)
from asnfp.row import Row

__all__ = ("Gate", "compile_gate", "fixed", "gate_columns", "leaf_gate", "repeated_parts")

Gate = Callable[[Bindings, Row], bool]


@lru_cache(maxsize=65536)
def fixed(constraint: Constraint) -> bool:
    """Tell whether a miss of ``constraint`` is always pure and its condition never
    loosens (see the module's docstring).

    >>> from asnfp.constraints import attr, any_of, lift
    >>> fixed(attr("f", "filter", "f150w")), fixed(any_of(attr("f", "filter"), lift(bool, "x")))
    (True, False)
    """
    if isinstance(constraint, Node):
        return (constraint.kind in ("all", "any") and not constraint.on_fail
                and bool(constraint.parts) and all(fixed(part) for part in constraint.parts))
    if isinstance(constraint, ValueLeaf):  # equal to a value computed from declared cells
        return (constraint.columns is not None and constraint.test is _equal
                and constraint.note is None and not constraint.on_fail)
    return (
        isinstance(constraint, AttrLeaf)
        and constraint.onlyif is None
        and not constraint.force_undefined
        and not constraint.evaluate
        and (constraint.initial.value is None or isinstance(constraint.initial.value, (str, tuple)))
    )


def _leaf_gate(leaf: Constraint) -> Gate:
    if isinstance(leaf, ValueLeaf):
        return _computed_gate(leaf)
    if isinstance(leaf, AttrLeaf):
        return _attr_gate(leaf)

    def misses(bindings: Bindings, row: Row) -> bool:
        return not leaf(bindings, row).matched
    return misses


def _attr_gate(leaf: AttrLeaf) -> Gate:
    """The gate of a fixed attribute leaf: whether its check misses, found as the check
    finds it (the first valid cell of the sources its state names, against its state's
    condition) but without making the outcome. (A fixed leaf has no ``onlyif``, is not
    evaluated, never forced undefined, and its condition is a regex or a list of them.)"""
    initial, invalid, required = leaf.initial, leaf.invalid, leaf.required

    def misses(bindings: Bindings, row: Row) -> bool:
        state: LeafState = bindings._map.get(leaf) or initial  # type: ignore[assignment]  # (a leaf's key holds its LeafState)
        found = first_valid(row, state.sources, invalid)
        if found is None:
            return required
        return state.value is not None and not meets_conditions(found[1], state.value)  # type: ignore[arg-type]  # (a fixed leaf's condition: a regex, or a tuple of them)
    return misses


def _computed_gate(leaf: ValueLeaf) -> Gate:
    """The gate of a value leaf: its source is the catalogue's code, which may fail on a
    row the check itself would never reach; a failure proves nothing."""
    def misses(bindings: Bindings, row: Row) -> bool:
        try:
            return not leaf(bindings, row).matched
        except Exception:  # (whatever the catalogue's code raises: no proof)
            return False
    return misses


def leaf_gate(leaf: Constraint) -> Gate | None:
    """The gate of one leaf, when it is fixed and has a condition; else ``None``.

    >>> from asnfp.constraints import NO_BINDINGS, attr
    >>> from asnfp.row import make_row
    >>> leaf_gate(attr("e", "exp_type", "nrc_image"))(NO_BINDINGS, make_row(0, {"exp_type": "mir_image"}))
    True
    """
    if fixed(leaf) and leaf.initial.value is not None:  # type: ignore[attr-defined]
        return _leaf_gate(leaf)
    return None


def _any_part(gates: tuple[Gate, ...]) -> Gate:
    if len(gates) == 1:
        return gates[0]

    def misses(bindings: Bindings, row: Row) -> bool:
        return any(gate(bindings, row) for gate in gates)
    return misses


def _every_part(gates: tuple[Gate, ...]) -> Gate:
    def misses(bindings: Bindings, row: Row) -> bool:
        return all(gate(bindings, row) for gate in gates)
    return misses


def repeated_parts(constraint: Constraint) -> frozenset[Constraint]:
    """The constraints that appear more than once in the tree (a leaf seen twice may have
    been narrowed by its first check when its second one runs).

    >>> from asnfp.constraints import all_of, attr
    >>> twice = attr("f", "filter")
    >>> [leaf.name for leaf in repeated_parts(all_of(twice, attr("g", "g"), twice))]
    ['f']
    """
    seen: set[Constraint] = set()
    twice: set[Constraint] = set()
    stack = [constraint]
    while stack:
        node = stack.pop()
        (twice if node in seen else seen).add(node)
        stack.extend(node.children())
    return frozenset(twice)


Compiled = tuple[Gate, frozenset[str]]  # a gate and the columns its leaves read


@lru_cache(maxsize=65536)
def _compiled(constraint: Constraint, repeated: frozenset[Constraint]) -> Compiled | None:
    if constraint in repeated:
        return None
    if isinstance(constraint, Node):
        if constraint.on_fail:
            return None
        parts = [_compiled(part, repeated) for part in constraint.parts]
        if constraint.kind == "any":
            if not parts or any(part is None for part in parts):
                return None
            return _every_part(tuple(g for g, _ in parts)), _union(parts)  # type: ignore[misc,arg-type]
        if constraint.kind == "all":
            found = [part for part in parts if part is not None]
            return (_any_part(tuple(g for g, _ in found)), _union(found)) if found else None
        return None
    gate = leaf_gate(constraint)  # (a leaf with no condition misses only when its column is missing: rare)
    if gate is None:
        return None
    if isinstance(constraint, ValueLeaf):
        return gate, frozenset(constraint.columns or ())
    return gate, frozenset(constraint.initial.sources)  # type: ignore[attr-defined]


def _union(parts: list[Compiled]) -> frozenset[str]:
    return frozenset().union(*(columns for _, columns in parts))


@lru_cache(maxsize=4096)
def compile_gate(constraint: Constraint) -> Gate | None:
    """Return the gate of the tree ``constraint``: ``gate(bindings, row)`` is ``True`` only
    when checking ``constraint`` on them would miss purely; ``None`` when no part can
    tell. Parts that appear twice in the tree are left out.

    >>> from asnfp.constraints import attr, all_of, lift
    >>> (compile_gate(lift(bool, "opaque")) is None,
    ...  compile_gate(all_of(attr("f", "filter", "x"), lift(bool, "y"))) is None)
    (True, False)
    >>> twice = attr("f", "filter", "x")
    >>> compile_gate(all_of(twice, twice)) is None
    True
    """
    compiled = _compiled(constraint, repeated_parts(constraint))
    return None if compiled is None else compiled[0]


@lru_cache(maxsize=4096)
def gate_columns(constraint: Constraint) -> frozenset[str]:
    """The columns the gate of ``constraint`` reads (on no bindings, a gate's answer
    depends on these cells alone): those of the leaves the gate tests.

    >>> from asnfp.constraints import attr, all_of, any_of, lift
    >>> sorted(gate_columns(all_of(attr("p", "program"),
    ...                            any_of(attr("e", "exp_type", "x"), attr("f", ("filter", "band"), "y")))))
    ['band', 'exp_type', 'filter']
    >>> sorted(gate_columns(all_of(attr("p", "pupil", "x"), any_of(attr("e", "exp_type", "x"), lift(bool, "y")))))
    ['pupil']
    """
    compiled = _compiled(constraint, repeated_parts(constraint))
    return frozenset() if compiled is None else compiled[1]


forgettable(fixed, _compiled, compile_gate, gate_columns)  # (see asnfp.caches)
