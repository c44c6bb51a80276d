"""One transaction for every file asnfp writes: stage everything, then commit it all or
nothing.

A :class:`Transaction` is opened on the outputs of a run, each a plain file name in a
folder (every name passes :func:`asnfp.naming.plain_name`), and on its inputs. Before
anything is staged it refuses an output that would replace an input, two outputs that
are one file, and an output that is a folder, a device or a FIFO. The files are then
written into a staging
folder (:meth:`Transaction.write`, or by any writer given :meth:`Transaction.path`), and
:meth:`Transaction.commit` moves them in:

- into a folder that does not exist yet, the staging folder becomes it (one rename);
- into an existing folder, each file replaces its old version atomically (``os.replace``),
  the old version kept (a hard link, or the file moved aside) until every file is in. A
  failure part-way puts every old file back and removes the new ones, so the folder holds
  either the old files or the new ones, never a mix. ``SIGINT``, ``SIGTERM`` and ``SIGHUP``
  wait while the files move (a signal then stops the run after the commit or the undo).

The staging folder (``.asnfp-<pid>-<hex>``, in the target folder or, for a new one, in its
nearest existing ancestor) is removed on every way out. A run that was killed (``kill
-9``) cannot remove it: it holds a lock file that its process (and its forked writers)
held, and the next run into that folder (or into a folder beside it) finds it unlocked,
undoes a commit it had begun, and removes it. The commit's journal lists the names to
move, each new or replacing, before the first file moves; removing it, once the last
file is in, is the commit point. Undoing from it touches only plain names in the folder
that holds the staging folder, and may be run again.

>>> import tempfile
>>> out = Path(tempfile.mkdtemp()) / "out"
>>> with Transaction([Output(out, "a.json"), Output(out, "b.json")]) as t:
...     t.write(Output(out, "a.json"), b"{}")
...     _ = t.path(Output(out, "b.json")).write_bytes(b"[]")
>>> sorted(os.listdir(out)), os.listdir(out.parent)
(['a.json', 'b.json'], ['out'])
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import stat
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Final, NamedTuple

from asnfp.errors import OutputError, UnsafeName, shown_path
from asnfp.naming import plain_name

__all__ = (
    "Output",
    "Transaction",
    "write_file",
    "sweep",
    "STAGING_PREFIX",
    "DEFERRED_SIGNALS",
)

#: Staging folders are named ``.asnfp-<pid>-<hex>``.
STAGING_PREFIX: Final = ".asnfp-"
#: The signals that wait while files move.
DEFERRED_SIGNALS: Final = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
#: A staging folder without its lock file is taken for stale after this many seconds
#: (a run makes the lock file right after the folder; older asnfp made none).
UNLOCKED_GRACE_SECONDS: Final = 60.0

_LOCK: Final = "lock"
_NEW: Final = "new"
_OLD: Final = "old"
_JOURNAL: Final = "journal"
_REPLACES: Final = "="
_NEW_FILE: Final = "+"


class Output(NamedTuple):
    """An output: a plain file ``name`` in ``folder``."""

    folder: Path
    name: str

    @property
    def path(self) -> Path:
        """Where the file ends up.

        >>> Output(Path("out"), "a.json").path
        PosixPath('out/a.json')
        """
        return self.folder / self.name


class _Stage:
    """The staging folder of one target folder: ``lock``, ``new/`` (the staged files),
    ``old/`` (the replaced files, kept until the commit is done) and ``journal`` (the
    names, each new or replacing, written before the first file moves and removed when
    the last is in: the commit point)."""

    def __init__(self, target: Path, names: Sequence[str]) -> None:
        self.target, self.names = target, names
        self.fresh = not target.exists()
        base = _existing_ancestor(target) if self.fresh else target
        for folder in (base, *Path(os.path.abspath(base)).parents):  # (a killed run's, for a new
            sweep(folder)                                             # folder, stays where it began)
        self.root = _new_folder(base, target)
        self.new = self.root / _NEW
        self.new_path = str(self.new)
        self.moved_whole = False
        self.current = target
        self.lock = self.folder_lock = -1
        try:
            self.lock = _hold_lock(self.root, target)
            _make_folder(self.new, target)
        except BaseException:  # (a signal too: the folder is not known to anyone else yet)
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def commit(self) -> None:
        if self.fresh:
            if os.path.lexists(self.target):  # (its staging folder is not in it: no file by file)
                raise OutputError(f"{_at(self.target)}: was made by another program while this run "
                                  "wrote (nothing written)")
            _move_in_whole(self.new, self.target)
            self.moved_whole = True
            return
        existing = set(os.listdir(self.target))
        journal = [f"{_REPLACES if name in existing else _NEW_FILE}{name}" for name in self.names]
        (self.root / _JOURNAL).write_text("\n".join(journal) + "\n", encoding="utf-8", errors="surrogateescape")
        os.mkdir(self.root / _OLD)
        target, old, new = str(self.target), str(self.root / _OLD), str(self.new)
        join = os.path.join  # (strings: a Path per file costs more than the move)
        for name in self.names:
            destination = join(target, name)
            try:
                if name in existing:
                    _keep_old(destination, join(old, name))
                os.replace(join(new, name), destination)
            except OSError:
                self.current = Path(destination)  # (named in the message)
                raise

    def take_folder(self) -> None:
        """Hold the target folder (an existing one) for this commit alone: another run
        into it commits before or after this one, never file by file in between."""
        if not self.fresh:
            self.folder_lock = _lock_folder(self.target)

    def missing(self) -> list[str]:
        """The names not staged."""
        staged = set(os.listdir(self.new))
        return [name for name in self.names if name not in staged]

    def mark_done(self) -> None:
        """The commit point: without its journal, nothing will undo this commit. A journal
        that cannot go is emptied (an empty journal undoes nothing)."""
        journal = self.root / _JOURNAL
        try:
            os.unlink(journal)
        except FileNotFoundError:
            pass
        except OSError:
            try:
                os.truncate(journal, 0)
            except OSError as err:
                raise OutputError(f"{_at(self.target)}: the files are in, but the staging folder "
                                  f"cannot be closed ({err.strerror}); the next run will undo them") from None

    def undo(self) -> None:
        if self.moved_whole:
            with contextlib.suppress(OSError):
                os.rename(self.target, self.new)
            return
        _undo(self.root)

    def remove(self) -> None:
        self.mark_done()  # (first: a half-removed folder must never be undone)
        shutil.rmtree(self.root, ignore_errors=True)
        for name in ("lock", "folder_lock"):  # (each once: the number may be another file's afterwards)
            fd = getattr(self, name)
            setattr(self, name, -1)
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)


class Transaction:
    """Stage files for ``outputs`` and commit them all at once (see the module's
    docstring). Used as a context manager, it commits when the block ends without an
    exception and leaves everything as it was otherwise. Raises
    :class:`~asnfp.errors.OutputError` (one line) for an output it must refuse or cannot
    write.

    ``inputs`` are the files the run reads: no output may be one of them.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "pool.csv").write_text("x\\n")
    >>> Transaction([Output(d, "pool.csv")], inputs=[d / "pool.csv"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    asnfp.errors.OutputError: .../pool.csv: would replace an input of this run (nothing written)
    """

    def __init__(self, outputs: Iterable[Output], *, inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
        self.outputs = list(outputs)
        by_folder = _checked(self.outputs, [Path(p) for p in inputs])
        self._stages: dict[Path, _Stage] = {}
        self._by_folder: dict[Path, _Stage] = {}  # (by the folder as given: no abspath per file)
        try:
            for folder, names in by_folder.items():
                self._stages[_key(folder)] = self._by_folder[folder] = _Stage(folder, names)
        except BaseException:
            self._remove()
            raise
        self._open = True

    def path(self, output: Output) -> Path:
        """Where to stage ``output`` (for a writer that makes the file itself)."""
        return Path(self._staged(output))

    def write(self, output: Output, data: bytes) -> None:
        """Stage ``output`` with the content ``data``."""
        _write_bytes(self._staged(output), data, output)

    def _staged(self, output: Output) -> str:
        stage = self._by_folder.get(output.folder) or self._stages[_key(output.folder)]
        return os.path.join(stage.new_path, output.name)

    def commit(self) -> None:
        """Move every staged file into place: all of them, or (on failure, which raises
        :class:`~asnfp.errors.OutputError`) none. The staging folders go either way."""
        try:
            for stage in self._stages.values():
                missing = stage.missing()
                if missing:
                    raise OutputError(f"{_at(stage.target / missing[0])}: was not made (nothing written)")
            for stage in self._stages.values():
                stage.take_folder()
            with _signals_deferred():
                self._move_in()
        finally:
            self._remove()

    def _move_in(self) -> None:
        stages = sorted(self._stages.values(), key=lambda s: s.fresh)  # new folders last
        current: _Stage | None = None
        try:
            for stage in stages:
                current = stage
                stage.commit()
        except OSError as err:
            for stage in stages:
                stage.undo()
            where = current.current if current is not None else err.filename
            raise OutputError(f"{_at(where)}: cannot write ({err.strerror})") from None
        for stage in stages:
            stage.mark_done()
        self._remove()

    def abort(self) -> None:
        """Drop what was staged: the folders stay as they were."""
        self._remove()

    def _remove(self) -> None:
        self._open = False
        for stage in self._stages.values():
            stage.remove()

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None and self._open:
            self.commit()
        else:
            self.abort()


def write_file(path: str | os.PathLike[str], data: bytes, *, inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Write one file through a :class:`Transaction`: ``path`` holds ``data`` or, on
    any failure, what it held before. Its folder must exist.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.json"
    >>> write_file(p, b"{}"); write_file(p, b"[]"); p.read_bytes(), os.listdir(p.parent)
    (b'[]', ['x.json'])
    """
    output = _output_of(Path(path))
    if not output.folder.is_dir():
        raise OutputError(f"{_at(path)}: cannot write there (no such folder)")
    with Transaction([output], inputs=inputs) as t:
        t.write(output, data)


def _at(path: str | os.PathLike[str] | None) -> str:
    """A path as a one-line message shows it."""
    return shown_path(os.fspath(path)) if path is not None else "?"


def _output_of(path: Path) -> Output:
    folder = path.parent
    return Output(folder, plain_name(path.name))


def _key(folder: Path) -> Path:
    return Path(os.path.abspath(folder))


def _checked(outputs: Sequence[Output], inputs: Sequence[Path]) -> dict[Path, list[str]]:
    """The outputs' names by folder (as given first), once it is known that none is an
    input, none is given twice, and none is a folder."""
    by_folder: dict[Path, list[str]] = {}
    shown: dict[Path, Path] = {}
    seen: set[tuple[Path, str]] = set()
    keys: dict[Path, Path] = {}
    for output in outputs:
        plain_name(output.name)
        if output.name.startswith(STAGING_PREFIX):
            raise OutputError(f"{_at(output.path)}: names starting with {STAGING_PREFIX!r} are asnfp's "
                              "staging folders'")
        key = keys.get(output.folder) or keys.setdefault(output.folder, _key(output.folder))
        if (key, output.name) in seen:
            raise OutputError(f"{_at(output.path)}: two outputs of this run have this name (nothing written)")
        seen.add((key, output.name))
        by_folder.setdefault(shown.setdefault(key, output.folder), []).append(output.name)
    sources = _identities(inputs)
    for folder, names in by_folder.items():
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"{_at(folder)}: exists and is not a folder")
        if not folder.exists():
            continue
        present = set(os.listdir(folder))
        for name in names:
            if name in present:
                _check_replaceable(folder / name, sources)
    return by_folder


def _identities(paths: Sequence[Path]) -> set[tuple[int, int]]:
    """The ``(device, inode)`` of each of ``paths`` that exists."""
    found = set()
    for path in paths:
        with contextlib.suppress(OSError, ValueError):
            st = os.stat(path)
            found.add((st.st_dev, st.st_ino))
    return found


def _check_replaceable(path: Path, sources: set[tuple[int, int]]) -> None:
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            st = os.stat(path)  # (a link to an input would be replaced, not the input: refused all the same)
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode) and not os.path.islink(path):
        raise OutputError(f"{_at(path)}: exists and is a folder, not a file")
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):  # (a device, a FIFO: never replaced)
        raise OutputError(f"{_at(path)}: exists and is not a regular file (asnfp replaces only files)")
    if (st.st_dev, st.st_ino) in sources:
        raise OutputError(f"{_at(path)}: would replace an input of this run (nothing written)")


def _write_bytes(path: str, data: bytes, output: Output) -> None:
    """Write ``data`` as the new file ``path``; an error names where ``output`` goes."""
    try:
        _write_new(path, data)
    except OSError as err:
        raise OutputError(f"{_at(output.path)}: cannot write ({err.strerror})") from None


def _write_new(path: str, data: bytes) -> None:
    """Write ``data`` as the new file ``path`` (with the descriptor itself: a file object
    costs more than the write of a small file)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _existing_ancestor(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists():
        path = path.parent
    return path


def _new_folder(base: Path, target: Path) -> Path:
    """A new staging folder in ``base``."""
    for _ in range(100):
        root = base / f"{STAGING_PREFIX}{os.getpid()}-{os.urandom(6).hex()}"
        try:
            os.mkdir(root)
            return root
        except FileExistsError:
            continue
        except OSError as err:
            raise OutputError(f"{_at(target)}: cannot write there ({err.strerror})") from None
    raise OutputError(f"{_at(target)}: cannot write there (no free temporary name)")


def _make_folder(path: Path, target: Path) -> None:
    try:
        os.mkdir(path)
    except OSError as err:
        raise OutputError(f"{_at(target)}: cannot write there ({err.strerror})") from None


def _hold_lock(root: Path, target: Path) -> int:
    """Make and lock ``root/lock``: held while this process (or a child) lives."""
    try:
        fd = os.open(root / _LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as err:
        shutil.rmtree(root, ignore_errors=True)
        raise OutputError(f"{_at(target)}: cannot write there ({err.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:  # a file system without locks: the folder is only never taken for stale
        if err.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
            os.close(fd)
            shutil.rmtree(root, ignore_errors=True)
            raise OutputError(f"{_at(target)}: cannot write there ({err.strerror})") from None
    return fd


#: How long a commit waits for another run's commit into the same folder to end.
FOLDER_WAIT_SECONDS: Final = 60.0


def _lock_folder(target: Path) -> int:
    """Lock the folder ``target`` (``flock`` on the folder itself: nothing is made in it),
    waiting up to :data:`FOLDER_WAIT_SECONDS` for another run that holds it."""
    try:
        fd = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise OutputError(f"{_at(target)}: cannot write there ({err.strerror})") from None
    deadline = time.monotonic() + FOLDER_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise OutputError(f"{_at(target)}: another run has been writing into it for "
                                  f"{FOLDER_WAIT_SECONDS:.0f} s (nothing written)") from None
            time.sleep(0.05)
        except OSError:  # a file system without locks: commit unguarded, as before
            return fd


def _move_in_whole(new: Path, target: Path) -> None:
    """Make ``new`` the folder ``target`` (which does not exist)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(new, target)


def _keep_old(destination: str, kept: str) -> None:
    """Keep the file at ``destination`` as ``kept`` until the commit is done: a hard
    link (the file stays in place), or, where links are not possible, the file moved."""
    try:
        os.link(destination, kept, follow_symlinks=False)
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP,
                             errno.EACCES):
            raise
        os.rename(destination, kept)


def _undo(root: Path) -> None:
    """Put back what a commit that did not finish had replaced in the folder that holds
    ``root``, and remove the files it had moved in, as its journal says: a line per file,
    ``+name`` for a new file and ``=name`` for one that replaced another (a line that is
    not a plain name is passed over). Running it again (a run killed while it undid)
    changes nothing more."""
    journal = root / _JOURNAL
    try:
        lines = journal.read_text(encoding="utf-8", errors="surrogateescape").split("\n")
    except OSError:  # none: nothing moved yet, or the commit was done
        return
    target = root.parent
    for line in lines:
        kind, name = line[:1], line[1:]
        if _impure(name):
            continue
        destination = target / name
        kept = root / _OLD / name
        with contextlib.suppress(OSError):
            if kind == _REPLACES:
                if os.path.lexists(kept):  # (moved in or not: the old file goes back)
                    os.replace(kept, destination)
            elif kind == _NEW_FILE and not os.path.lexists(root / _NEW / name):  # moved in: it goes
                os.unlink(destination)
    with contextlib.suppress(OSError):
        os.unlink(journal)


def _impure(name: str) -> bool:
    try:
        plain_name(name)
    except UnsafeName:
        return True
    return name.startswith(STAGING_PREFIX)


def sweep(folder: Path) -> list[Path]:
    """Remove the staging folders that runs killed in ``folder`` left (those whose lock
    no process holds), undoing any commit they had begun; return them.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); stale = d / ".asnfp-0123456789ab"
    >>> (stale / "new").mkdir(parents=True); _ = (stale / "lock").write_text("")
    >>> [p.name for p in sweep(d)], os.listdir(d)
    (['.asnfp-0123456789ab'], [])
    """
    removed = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(STAGING_PREFIX)]
    except OSError:
        return []
    for entry in entries:
        root = Path(entry.path)
        if entry.is_dir(follow_symlinks=False) and _stale(root):
            _undo(root)
            shutil.rmtree(root, ignore_errors=True)
            removed.append(root)
    return removed


def _stale(root: Path) -> bool:
    """Whether no live run owns ``root``: its lock is free; without a lock file (a run
    killed before it made one), the process its name holds is gone, or for a name
    without a process, the folder is old."""
    try:
        fd = os.open(root / _LOCK, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        owner = _owner(root.name)
        if owner is not None:
            return not _alive(owner)
        with contextlib.suppress(OSError):
            return time.time() - root.stat().st_mtime > UNLOCKED_GRACE_SECONDS
        return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # (the lock, if taken, goes with it)
    return True


def _owner(name: str) -> int | None:
    """The process a staging folder's name holds (``.asnfp-<pid>-<hex>``), if any.

    >>> _owner(".asnfp-4242-0123456789ab"), _owner(".asnfp-0123456789ab")
    (4242, None)
    """
    pid, dash, _ = name.removeprefix(STAGING_PREFIX).partition("-")
    return int(pid) if dash and pid.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (another user's: alive)
        return True
    return True


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold ``DEFERRED_SIGNALS`` back while the block runs (main thread only; elsewhere
    the block just runs): they are delivered when it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, DEFERRED_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
