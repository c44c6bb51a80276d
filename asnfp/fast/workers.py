"""Independent folds on several processor cores.

The default driver runs one fold per candidate and one for discovery, and no fold reads
another's result. With more than one worker, the folds are handed out among forked
copies of the process (``os.fork``: each starts with every object the parent had). The
fold numbers wait in a pipe, heaviest first (the work of a fold is estimated by its
caller); each process, the parent included, takes the next number whenever it is free,
so that the processes finish together however wrong the estimates are. Each child sends
each fold's associations back through a pipe as soon as the fold is done, and exits
when the queue is empty. A thread of the parent reads them while the parent works; it
unpickles them as they come while the stream is short (:data:`EAGER_BYTES`), and keeps
the rest of a long one as bytes until the parent's own folds are done, so that the
parent never holds a big fold's state and most of a child's results at once.

The result is the list of every fold's result, in the order of the folds: the same as
running them one after the other, since each fold is a pure function of its inputs
(each process has a cache of its own, see :mod:`asnfp.fast.memo`), whichever process ran it.

What a child sends back is pickled. The objects that existed before the fork (rules,
constraint trees, the functions they hold, pool rows) are sent as references to the
parent's own objects (:class:`Shared`, whose table each process builds after the
fork: the objects have the same addresses in both), so that an association comes back
holding the very leaves and rows the parent has; everything a fold made is sent by
value. The folds
of a child that cannot send its result are computed again in the parent. When a fold
fails (in any process), the folds run again one after the other, so that the failure is
the one a single process meets first. Without ``os.fork`` (Windows), with one worker, or
with more folds than a pipe holds, the folds are shared out before the fork
(:func:`share_out`) or run one after the other.

Whoever runs the folds may be told of them as they end (``finished``, in the parent: its
own folds as each is done, a child's as the thread that reads them unpickles them; once
per fold, never from two threads at once), and when they begin (``begun``: after the
forks, so that a thread it starts is never copied into a child half-way through a write).

>>> run_folds([3, 1, 2], lambda n, cache: n * 10, weights=[3, 1, 2], workers=2, shared=Shared)
[30, 10, 20]
"""

from __future__ import annotations

import contextlib
import copyreg
import ctypes
import io
import os
import pickle
import signal
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import IO, Any, Final, Generic, Protocol, TypeVar

from asnfp.constraints import Constraint, LeafState, Node
from asnfp.fast.memo import Memo

try:
    import fcntl
except ImportError:  # not Unix
    fcntl = None  # type: ignore[assignment]

__all__ = ("ChildFailed", "Shared", "available_workers", "run_folds", "run_parts", "share_out")

U = TypeVar("U")
R = TypeVar("R")

_NOT_SHARED: Final = object()


class _Readable(Protocol):
    """What an unpickler reads from (as ``pickle`` asks)."""

    def read(self, n: int, /) -> bytes: ...

    def readline(self) -> bytes: ...


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
    """The objects that exist before the fork, by identity: pickled by reference.
    ``derivation(obj)``, when given, tells how to make again an object made after the
    fork from shared ones, as ``(function, arguments)`` (else ``None``): such an object
    is pickled as that call, the arguments by reference where they are shared."""

    __slots__ = ("_derivation", "_objects")

    def __init__(self,
                 derivation: Callable[[object], tuple[Callable[..., object], tuple[object, ...]] | None] | None = None,
                 ) -> None:
        self._objects: dict[int, object] = {}
        self._derivation = derivation

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
        objects = self._objects
        if constraint is None or id(constraint) in objects:
            return
        stack = [constraint]
        while stack:
            node = stack.pop()
            if id(node) in objects:
                continue
            objects[id(node)] = node
            if isinstance(node, Node):  # a node holds no functions of a rule's own
                stack.extend([part for part in node.parts if id(part) not in objects])
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

    def pickler(self, file: IO[bytes]) -> pickle.Pickler:
        """A pickler writing to ``file``, with shared objects as references. The types
        of the shared objects get reducers of their own (a table the pickler reads in
        C), so that the objects of other types cost nothing extra; so do leaf states,
        whose condition may be a shared function. Objects it pickled once are sent as
        references to the first copy in later dumps."""
        objects = self._objects
        derivation = self._derivation

        def by_reference(obj: object) -> Any:
            if objects.get(id(obj), _NOT_SHARED) is obj:
                return (_shared, (id(obj),))
            how = None if derivation is None else derivation(obj)
            return obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL) if how is None else how

        def leaf_state(state: LeafState) -> Any:
            condition = state.value
            if callable(condition) and objects.get(id(condition), _NOT_SHARED) is condition:
                return (_shared_state, (id(condition), *state[1:]))
            return (LeafState, tuple(state))

        reducers = {type(obj): by_reference for obj in objects.values() if not callable(obj) or
                    isinstance(obj, Constraint)}
        pickler = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = {**copyreg.dispatch_table, **reducers, LeafState: leaf_state}
        return pickler

    def unpickler(self, file: _Readable) -> pickle.Unpickler:
        """An unpickler of what :meth:`pickler` wrote (in the process that shared the
        objects, or a fork of it), one ``load()`` per ``dump()``."""
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

        return _Unpickler(file)

    def dumps(self, value: object) -> bytes:
        """Pickle ``value``, with shared objects as references (see :meth:`pickler`)."""
        buffer = io.BytesIO()
        self.pickler(buffer).dump(value)
        return buffer.getvalue()

    def loads(self, data: bytes) -> object:
        """Unpickle what :meth:`dumps` made.

        >>> from asnfp.constraints import attr
        >>> leaf, shared = attr("f", "filter"), Shared()
        >>> shared.add_tree(leaf)
        >>> back = shared.loads(shared.dumps([leaf, "made"]))
        >>> back[0] is leaf, back[1]
        (True, 'made')
        """
        return self.unpickler(io.BytesIO(data)).load()


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


def _run_share(units: Sequence[U], share: Iterable[int], run: Callable[[U, Memo], R],
               told: Callable[[int, R], None] | None = None) -> dict[int, R]:
    memo = Memo()
    if told is None:
        return {i: run(units[i], memo) for i in share}
    results: dict[int, R] = {}
    for i in share:
        results[i] = result = run(units[i], memo)
        told(i, result)
    return results


class _Once(Generic[R]):
    """``finished(i, result)`` told once per fold (a fold computed again after a failure
    is not told twice), and never from two threads at once.

    >>> seen = []
    >>> told = _Once(lambda i, result: seen.append((i, result)))
    >>> told(0, "a"), told(1, "b"), told(0, "a")
    (None, None, None)
    >>> seen
    [(0, 'a'), (1, 'b')]
    """

    __slots__ = ("_finished", "_lock", "_told")

    def __init__(self, finished: Callable[[int, R], None]) -> None:
        self._finished = finished
        self._told: set[int] = set()
        self._lock = threading.Lock()

    def __call__(self, i: int, result: R) -> None:
        with self._lock:
            if i not in self._told:
                self._told.add(i)
                self._finished(i, result)


_NUMBER: Final = struct.Struct("<I")


def _queued(order: Sequence[int]) -> int | None:
    """A pipe holding the fold numbers in ``order``, closed for writing (its read end),
    or ``None`` when they do not fit in a pipe."""
    data = b"".join(_NUMBER.pack(i) for i in order)
    read_end, write_end = os.pipe()
    try:
        if len(data) > _PIPE_BUFFER and fcntl is not None:
            fcntl.fcntl(write_end, _F_SETPIPE_SZ, len(data))
        os.set_blocking(write_end, False)
        written = os.write(write_end, data) if data else 0
    except OSError:
        written = -1
    os.close(write_end)
    if written != len(data):
        os.close(read_end)
        return None
    return read_end


def _taken(queue: int) -> Iterator[int]:
    """The fold numbers this process takes from ``queue``, one whenever it is free,
    until it is empty. (A read of one number is atomic: every number has the same size
    and was written before any process reads.)"""
    while data := os.read(queue, _NUMBER.size):
        yield _NUMBER.unpack(data)[0]


def _child(write_end: int, units: Sequence[U], numbers: Iterator[int], run: Callable[[U, Memo], R],
           shared: Callable[[], Shared]) -> None:
    """Run the folds ``numbers`` gives in the forked child, sending each result as soon
    as it is ready (so that pickling overlaps the work left); never returns."""
    status = 0
    try:
        with os.fdopen(write_end, "wb") as pipe:
            pickler = shared().pickler(pipe)
            try:
                memo = Memo()
                for i in numbers:
                    pickler.dump(("fold", i, run(units[i], memo)))
            except BaseException as err:  # (the parent hears of it)
                pickler.dump(("failed", f"{type(err).__name__}: {err}"))
            else:
                pickler.dump(("end",))
    except BaseException:  # (nothing more can be sent: the parent computes the rest)
        status = 1
    finally:
        os._exit(status)


#: A child's results are unpickled as they come while its stream is this short; beyond,
#: the rest is kept as bytes and unpickled once the parent's own folds are done (else the
#: parent holds a big fold's working state and most of the child's results at once:
#: 2.14 GB for both processes at 100k rows, against 1.8 GB).
EAGER_BYTES: Final = 8 << 20


class _Stream(io.RawIOBase):
    """The bytes of a child's pipe, counted as they are read; :meth:`keep_rest` reads
    all that is left into memory and goes on from there."""

    def __init__(self, pipe: Any) -> None:
        super().__init__()
        self._source = pipe
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._source.readinto(buffer)
        self.count += n or 0
        return n  # type: ignore[no-any-return]

    def read(self, size: int = -1, /) -> bytes:
        return super().read(size) or b""  # (None only from a non-blocking source: a pipe here blocks)

    def keep_rest(self) -> None:
        """Read the pipe to its end (the child's last fold) into memory."""
        self._source = io.BytesIO(self._source.read())


class _Received:
    """What one child sent, read by a thread of the parent while the parent works: the
    results of its folds (each told to ``told`` as it is unpickled), and its failure
    message if a fold failed there."""

    def __init__(self, read_end: int, table: Shared, told: Callable[[int, Any], None] | None = None) -> None:
        self.results: dict[int, Any] = {}
        self._told = told
        self.failure: str | None = None
        self._later: pickle.Unpickler | None = None
        self._thread = threading.Thread(target=self._read, args=(read_end, table), daemon=True)
        self._thread.start()

    def _read(self, read_end: int, table: Shared) -> None:
        try:
            with os.fdopen(read_end, "rb") as pipe:
                stream = _Stream(pipe)
                unpickler = table.unpickler(stream)
                while stream.count < EAGER_BYTES:
                    if not self._took(unpickler.load()):
                        return
                stream.keep_rest()
                self._later = unpickler
        except Exception:  # (cut short: the parent computes what is missing)
            pass

    def _took(self, message: tuple[Any, ...]) -> bool:
        """Keep one message; tell whether more follow."""
        if message[0] == "fold":
            self.results[message[1]] = message[2]
            if self._told is not None:
                self._told(message[1], message[2])
            return True
        if message[0] == "failed":
            self.failure = message[1]
        return False

    def wait(self) -> None:
        """Wait until everything the child sent is read (and unpickle what was kept)."""
        self._thread.join()
        unpickler, self._later = self._later, None
        try:
            while unpickler is not None and self._took(unpickler.load()):
                pass
        except Exception:  # (cut short: the parent computes what is missing)
            pass


def run_folds(units: Sequence[U], run: Callable[[U, Memo], R], *, weights: Sequence[float],
              workers: int, shared: Callable[[], Shared], finished: Callable[[int, R], None] | None = None,
              begun: Callable[[], None] | None = None) -> list[R]:
    """``[run(unit, cache) for unit in units]``, on up to ``workers`` processes (see the
    module's docstring); ``cache`` is a :class:`asnfp.fast.memo.Memo` of the process;
    ``shared()`` makes the table of the objects the results may hold that exist now.
    ``begun()`` is called in this process once the folds run (every child forked), and
    ``finished(i, result)`` once per fold as its result reaches this process, whichever
    process ran it (from the thread that reads a child's results, never from two threads
    at once): say, a progress line. Neither is called in a child.

    >>> run_folds(["a", "b"], lambda u, cache: u.upper(), weights=[1, 1], workers=1, shared=Shared)
    ['A', 'B']
    >>> told = []
    >>> _ = run_folds(["a", "b"], lambda u, cache: u.upper(), weights=[1, 1], workers=2, shared=Shared,
    ...               finished=lambda i, result: told.append((i, result)))
    >>> sorted(told)
    [(0, 'A'), (1, 'B')]
    """
    workers = max(1, min(workers, len(units)))
    told = None if finished is None else _Once(finished)
    if workers > 1 and hasattr(os, "fork"):
        try:
            return _forked(units, run, weights, workers, shared, told, begun)
        except Exception:  # (a fold failed: fail as one process does)
            return _one_by_one(units, run, told)
    if begun is not None:
        begun()
    return _one_by_one(units, run, told)


def _one_by_one(units: Sequence[U], run: Callable[[U, Memo], R],
                told: Callable[[int, R], None] | None = None) -> list[R]:
    if told is None:
        memo = Memo()
        return [run(unit, memo) for unit in units]
    return list(_run_share(units, range(len(units)), run, told).values())


def _forked(units: Sequence[U], run: Callable[[U, Memo], R], weights: Sequence[float], workers: int,
            shared: Callable[[], Shared], told: Callable[[int, R], None] | None = None,
            begun: Callable[[], None] | None = None) -> list[R]:
    queue = _queued(sorted(range(len(units)), key=lambda i: -weights[i]))
    if queue is None:  # too many folds for a pipe: share them out before the fork
        mine, *theirs = share_out(weights, workers)
        numbers: list[Callable[[], Iterator[int]]] = [partial(iter, share) for share in [mine, *theirs]]
    else:
        numbers = [partial(_taken, queue)] * workers
    forked: list[tuple[int, int]] = []  # (pid, read end)
    received: list[_Received] = []
    try:
        for take in numbers[1:]:
            forked.append(_fork(partial(_child, units=units, numbers=take(), run=run, shared=shared)))
        if begun is not None:  # (every child is forked: a thread started now is in none of them)
            begun()
        table = shared()
        received = [_Received(read_end, table, told) for _, read_end in forked]
        results = _run_share(units, numbers[0](), run, told)
        for child in received:
            child.wait()
            if child.failure is not None:
                raise ChildFailed(child.failure)
            results.update(child.results)
    finally:
        for pid, _ in forked:  # the children have sent everything, or are stopped now
            _stop(pid)
        for child in received:
            child.wait()
        for _, read_end in forked[len(received):]:  # never read
            os.close(read_end)
        if queue is not None:
            os.close(queue)
    missing = [i for i in range(len(units)) if i not in results]  # a child could not send them
    results.update(_run_share(units, missing, run, told))
    return [results[i] for i in range(len(units))]


def run_parts(parts: Sequence[Callable[[], str | None]]) -> list[str | None]:
    """Run procedures at once: the first in this process, each other in a forked child
    (one after the other without ``os.fork``); return what each returned, a one-line
    message or ``None``, in their order; :class:`ChildFailed` when a child could not
    tell. The children die with this process, and are stopped if it fails.

    >>> run_parts([lambda: None, lambda: "two"])
    [None, 'two']
    """
    if len(parts) < 2 or not hasattr(os, "fork"):
        return [part() for part in parts]
    forked: list[tuple[int, int]] = []  # (pid, read end)
    try:
        for part in parts[1:]:
            forked.append(_fork(partial(_child_part, part=part)))
        results = [parts[0]()]
        while forked:
            pid, read_end = forked.pop(0)
            try:
                with os.fdopen(read_end, "rb") as pipe:
                    said = pipe.read()
            finally:
                _stop(pid)
            if said[:1] not in (b"!", b"."):
                raise ChildFailed("a child process stopped before it could tell")
            results.append(said[1:].decode("utf-8") if said[:1] == b"!" else None)
        return results
    finally:
        for pid, read_end in forked:
            _stop(pid)
            os.close(read_end)


def _fork(child: Callable[[int], None]) -> tuple[int, int]:
    """Fork a child that dies with this process and runs ``child(write end of a pipe)``
    (which never returns); return its pid and the pipe's read end."""
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _die_with(parent)
        child(write_end)
    os.close(write_end)
    return pid, read_end


def _child_part(write_end: int, part: Callable[[], str | None]) -> None:
    """Run ``part`` in a forked child and tell the parent what it returned; never returns."""
    status = 0
    try:
        message = part()
        os.write(write_end, b"." if message is None else b"!" + message.encode("utf-8"))
    except BaseException:  # (the parent hears nothing: ChildFailed)
        status = 1
    finally:
        os._exit(status)


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
_F_SETPIPE_SZ: Final = 1031  # Linux: grow a pipe's buffer
_PIPE_BUFFER: Final = 65536  # what a pipe holds at least (Linux)


def _stop(pid: int) -> None:
    """Stop a child (if it is still there) and wait for it."""
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)
