"""Independent folds on several processor cores.

The default driver runs one fold per candidate and one for discovery, and no fold reads
another's result. With more than one worker, the folds are shared out among forked
copies of the process (``os.fork``: each starts with every object the parent had), each
fold going to the worker with the least work so far (the work of a fold is estimated
by its caller). The parent runs its own share; each child runs its share, sends its
associations back through a pipe, and exits. The result is the list of every fold's
result, in the order of the folds: the same as running them one after the other, since
each fold is a pure function of its inputs (each process has a cache of its own, see
:mod:`asnfp.memo`).

What a child sends back is pickled. The objects that existed before the fork (rules,
constraint trees, the functions they hold, pool rows) are sent as references to the
parent's own objects (:class:`Shared`), so that an association comes back holding the
very leaves and rows the parent has; everything a fold made is sent by value. A child
that cannot send its result has it computed again in the parent. When a fold fails (in
any process), the folds run again one after the other, so that the failure is the one a
single process meets first. Without ``os.fork`` (Windows), or with one worker,
the folds run one after the other.

>>> run_folds([3, 1, 2], lambda n, cache: n * 10, weights=[3, 1, 2], workers=2, shared=Shared)
[30, 10, 20]
"""

from __future__ import annotations

import copyreg
import ctypes
import io
import os
import pickle
import signal
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, TypeVar

from asnfp.constraints import Constraint, LeafState, Node
from asnfp.memo import Memo

__all__ = ("ChildFailed", "Shared", "available_workers", "run_folds", "share_out")

U = TypeVar("U")
R = TypeVar("R")

_NOT_SHARED: Final = object()


def available_workers() -> int:
    """The number of processor cores this process may run on.

    >>> available_workers() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Shared:
    """The objects that exist before the fork, by identity: pickled by reference."""

    __slots__ = ("_objects",)

    def __init__(self) -> None:
        self._objects: dict[int, object] = {}

    def add(self, *objects: object) -> None:
        """Share ``objects`` (kept alive as long as this table is)."""
        for obj in objects:
            self._objects[id(obj)] = obj

    def add_tree(self, constraint: Constraint | None) -> None:
        """Share a constraint tree: its nodes and leaves, and the functions they hold
        (conditions, sources, tests), down to the parts shared already.

        >>> from asnfp.constraints import all_of, attr
        >>> shared = Shared()
        >>> shared.add_tree(all_of(attr("a", "a"), attr("b", "b", lambda b: "x")))
        >>> len(shared)
        4
        """
        stack = [] if constraint is None else [constraint]
        while stack:
            node = stack.pop()
            if id(node) in self._objects:
                continue
            self._objects[id(node)] = node
            if isinstance(node, Node):  # a node holds no functions
                stack.extend(node.parts)
                continue
            for attribute in _slots(type(node)):
                value = getattr(node, attribute, None)
                if callable(value) and not isinstance(value, type):
                    self._objects[id(value)] = value
            initial = getattr(node, "initial", None)
            if initial is not None and callable(initial.value):
                self._objects[id(initial.value)] = initial.value

    def __len__(self) -> int:
        return len(self._objects)

    def dumps(self, value: object) -> bytes:
        """Pickle ``value``, with shared objects as references. The types of the shared
        objects get reducers of their own (a table the pickler reads in C), so that the
        objects of other types cost nothing extra; so do leaf states, whose condition
        may be a shared function."""
        objects = self._objects

        def by_reference(obj: object) -> Any:
            if objects.get(id(obj), _NOT_SHARED) is obj:
                return (_shared, (id(obj),))
            return obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)

        def leaf_state(state: LeafState) -> Any:
            condition = state.value
            if callable(condition) and objects.get(id(condition), _NOT_SHARED) is condition:
                return (_shared_state, (id(condition), *state[1:]))
            return (LeafState, tuple(state))

        reducers = {type(obj): by_reference for obj in objects.values() if not callable(obj) or
                    isinstance(obj, Constraint)}
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = {**copyreg.dispatch_table, **reducers, LeafState: leaf_state}
        pickler.dump(value)
        return buffer.getvalue()

    def loads(self, data: bytes) -> Any:
        """Unpickle what :meth:`dumps` made (in the process that shared the objects, or
        a fork of it)."""
        objects = self._objects

        def state(condition: int, *rest: Any) -> LeafState:
            return LeafState(objects[condition], *rest)

        class _Unpickler(pickle.Unpickler):
            def find_class(self, module: str, name: str) -> Any:
                if module == __name__ and name == "_shared":
                    return objects.__getitem__
                if module == __name__ and name == "_shared_state":
                    return state
                return super().find_class(module, name)

        return _Unpickler(io.BytesIO(data)).load()


def _shared(key: int) -> object:
    """Stands, in a pickle, for a shared object (:meth:`Shared.loads` resolves it)."""
    raise RuntimeError("a shared object is read back by Shared.loads only")


def _shared_state(condition: int, *rest: Any) -> LeafState:
    """Stands, in a pickle, for a leaf state whose condition is a shared function."""
    raise RuntimeError("a shared leaf state is read back by Shared.loads only")


def _slots(cls: type) -> Iterable[str]:
    for klass in cls.__mro__:
        yield from getattr(klass, "__slots__", ())


def share_out(weights: Sequence[float], workers: int) -> list[list[int]]:
    """Give each fold (by position) to the worker with the least work so far, the
    heaviest folds first; each worker's folds in their own order.

    >>> share_out([5, 1, 4, 2], 2)
    [[0, 1], [2, 3]]
    """
    loads = [0.0] * workers
    shares: list[list[int]] = [[] for _ in range(workers)]
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
        least = loads.index(min(loads))
        loads[least] += weights[i]
        shares[least].append(i)
    return [sorted(share) for share in shares]


def _run_share(units: Sequence[U], share: Sequence[int], run: Callable[[U, Memo], R]) -> dict[int, R]:
    memo = Memo()
    return {i: run(units[i], memo) for i in share}


def _child(write_end: int, units: Sequence[U], share: Sequence[int], run: Callable[[U, Memo], R],
           shared: Shared) -> None:
    """Run a share in the forked child and send it back; never returns."""
    status = 0
    try:
        try:
            payload = shared.dumps(("done", _run_share(units, share, run)))
        except BaseException as err:  # noqa: BLE001  (the parent hears of it)
            payload = shared.dumps(("failed", f"{type(err).__name__}: {err}"))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
    except BaseException:  # noqa: BLE001  (nothing can be sent: the parent computes the share)
        status = 1
    finally:
        os._exit(status)


def run_folds(units: Sequence[U], run: Callable[[U, Memo], R], *, weights: Sequence[float],
              workers: int, shared: Callable[[], Shared]) -> list[R]:
    """``[run(unit, cache) for unit in units]``, on up to ``workers`` processes (see the
    module's docstring); ``cache`` is a :class:`asnfp.memo.Memo` of the process;
    ``shared()`` makes the table of the objects the results may hold that exist now.

    >>> run_folds(["a", "b"], lambda u, cache: u.upper(), weights=[1, 1], workers=1, shared=Shared)
    ['A', 'B']
    """
    workers = max(1, min(workers, len(units)))
    if workers > 1 and hasattr(os, "fork"):
        try:
            return _forked(units, run, weights, workers, shared())
        except Exception:  # noqa: BLE001  (a fold failed: fail as one process does)
            return _one_by_one(units, run)
    return _one_by_one(units, run)


def _one_by_one(units: Sequence[U], run: Callable[[U, Memo], R]) -> list[R]:
    memo = Memo()
    return [run(unit, memo) for unit in units]


def _forked(units: Sequence[U], run: Callable[[U, Memo], R], weights: Sequence[float], workers: int,
            table: Shared) -> list[R]:
    mine, *theirs = share_out(weights, workers)
    children: list[tuple[int, int, list[int]]] = []
    try:
        for share in theirs:
            read_end, write_end = os.pipe()
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:
                os.close(read_end)
                _die_with(parent)
                _child(write_end, units, share, run, table)
            os.close(write_end)
            children.append((pid, read_end, share))
        results = _run_share(units, mine, run)
        while children:
            pid, read_end, share = children.pop(0)
            results.update(_collected(pid, read_end, units, share, run, table))
    finally:
        for pid, read_end, _ in children:  # interrupted: stop the children
            _stop(pid, read_end)
    return [results[i] for i in range(len(units))]


def _collected(pid: int, read_end: int, units: Sequence[U], share: Sequence[int],
               run: Callable[[U, Memo], R], shared: Shared) -> dict[int, R]:
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    try:
        kind, value = shared.loads(data)
    except Exception:  # noqa: BLE001  (the child could not send its share: compute it here)
        return _run_share(units, share, run)
    if kind == "failed":
        raise ChildFailed(value)
    return value  # type: ignore[no-any-return]


class ChildFailed(Exception):
    """A fold failed in a child process (the folds then run again in the parent)."""


def _die_with(parent: int) -> None:
    """In a child: be killed when the parent dies, however it dies (Linux; elsewhere a
    child left alone ends when it tries to send its share)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


_PR_SET_PDEATHSIG: Final = 1


def _stop(pid: int, read_end: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
    try:
        os.close(read_end)
    except OSError:
        pass
