"""One output discipline for every ``l1ot`` command.

Every command that writes files follows the same four rules, implemented here
and nowhere else:

1. **Outputs are checked before any work** (:func:`check`): an output that is
   the same file as an input (same resolved path, or same inode) is refused,
   as are two outputs naming the same file; a file output must not be a
   folder or an existing read-only file, and its folder must be writable or,
   when missing, creatable (its nearest existing ancestor a writable folder;
   folders created for a run that fails are removed again); the same holds
   for a folder output. A
   file or folder with no write permission bit counts as read-only even for
   root, so a user's ``chmod a-w`` protects a file whoever runs the command.
2. **Nothing is written in place**: each output is written to a hidden
   temporary file in its target folder and renamed over the target only when
   the whole command succeeded (:class:`Transaction`); a failure, an error or
   Ctrl-C removes the temporary files, so a failed run leaves no output and
   an existing output is untouched.
3. **Streamed HDF5 outputs say whether they are complete**: attribute
   ``complete`` (False while writing, True at the end) and ``n_events``
   (:func:`mark_incomplete`, :func:`mark_complete`).
4. **Messages name the file as the user typed it.**

Reports that a command extends (read, merge, write back: ``evaluate`` and
``methods`` reports and curve stores, ``calibrate``'s model file, the firmware
report) are updated under an exclusive lock (:meth:`Transaction.update`,
:func:`locked`): two commands extending the same report at the same time both
land, one after the other, instead of the last one dropping the other's rows.
The lock is ``flock`` on the report's folder (no lock file is left behind);
it is held from the read of the old report to the rename of the new one.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: reports are not locked
    fcntl = None

from .errors import OutputError
from .paths import shown


def _writable(path: str) -> bool:
    """``path`` may be written by us and carries at least one write permission bit."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return os.access(path, os.W_OK) and bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def same_file(a, b) -> bool:
    """Whether ``a`` and ``b`` name the same file (resolved path, or inode when both exist)."""
    a, b = os.fspath(a), os.fspath(b)
    try:
        if os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b):
            return True
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _folder_of(path: str) -> str:
    return os.path.dirname(path) or "."


def check_file(path, what: str = "output") -> None:
    """Refuse a file output that cannot be written (see the module docstring)."""
    p = os.fspath(path)
    if not p:
        raise OutputError(f"{what}: empty file name")
    if os.path.isdir(p):
        raise OutputError(f"{what} {p} is an existing folder, not a file")
    folder = _folder_of(p)
    if not os.path.exists(folder):
        _check_creatable(folder, f"{what} {p}: folder {folder}")
    elif not os.path.isdir(folder):
        raise OutputError(f"{what} {p}: {folder} is a file, not a folder")
    elif not _writable(folder):
        raise OutputError(f"{what} {p}: folder {folder} is not writable")
    if os.path.lexists(p) and not os.path.isfile(p):
        raise OutputError(f"{what} {p} exists and is not a regular file")
    if os.path.exists(p) and not _writable(p):
        raise OutputError(f"{what} {p} exists and is read-only")


def check_folder(path, what: str = "output folder") -> None:
    """Refuse a folder output that is a file, read-only, or not creatable."""
    p = os.fspath(path)
    if not p:
        raise OutputError(f"{what}: empty folder name")
    if os.path.exists(p):
        if not os.path.isdir(p):
            raise OutputError(f"{what} {p} is a file, not a folder")
        if not _writable(p):
            raise OutputError(f"{what} {p} is not writable")
        return
    _check_creatable(p, f"{what} {p}")


def _check_creatable(folder: str, what: str) -> None:
    """A missing folder can be made: its nearest existing ancestor is a writable folder."""
    parent = os.path.dirname(os.path.abspath(folder))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise OutputError(f"{what} cannot be created: {shown(parent)} is a file, not a folder")
    if not _writable(parent):
        raise OutputError(f"{what} cannot be created: folder {shown(parent)} is not writable")


def check(outputs=(), inputs=(), folders=(), in_place=()) -> None:
    """Check every output of a command before it starts any work.

    Parameters
    ----------
    outputs : file outputs, as the user typed them (``None`` entries are ignored)
    inputs : input files and folders; no output may be one of them
    folders : folder outputs (created when missing)
    in_place : files the command updates in place (they are inputs by design)
    """
    outs = [os.fspath(o) for o in outputs if o]
    ins = [os.fspath(i) for i in inputs if i]
    for o in outs + [os.fspath(d) for d in folders if d]:
        for i in ins:
            if same_file(o, i) or (os.path.isdir(i) and os.path.realpath(o) == os.path.realpath(i)):
                raise OutputError(f"output {o} is the input {i}: refusing to overwrite an input; "
                                  "choose another output name")
    for n, o in enumerate(outs):
        for o2 in outs[:n]:
            if same_file(o, o2):
                raise OutputError(f"outputs {o2} and {o} are the same file")
        check_file(o)
    for d in folders:
        if d:
            check_folder(d)
    for p in in_place:
        p = os.fspath(p)
        if not os.path.isfile(p):
            continue  # the reader names a missing file
        if not _writable(p):
            raise OutputError(f"file {p} is read-only: it cannot be updated in place")
        if not _writable(_folder_of(p)):
            raise OutputError(f"file {p}: folder {_folder_of(p)} is not writable "
                              "(the update is written beside it and renamed)")


def _lock_folder(folder: str) -> int | None:
    """Take the exclusive lock of ``folder`` (blocks until free); returns the fd holding it."""
    if fcntl is None:  # pragma: no cover
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:  # pragma: no cover - a file system without flock: proceed unlocked
        os.close(fd)
        return None
    return fd


def _unlock(fd) -> None:
    if fd is not None:
        os.close(fd)  # closing the last descriptor releases the flock


@contextlib.contextmanager
def locked(path):
    """Hold the exclusive report lock for ``path`` (a file; its folder is locked, created
    if missing) while reading, merging and rewriting it outside a :class:`Transaction`."""
    folder = _folder_of(os.fspath(path))
    os.makedirs(folder, exist_ok=True)
    fd = _lock_folder(folder)
    try:
        yield
    finally:
        _unlock(fd)


def _umask_mode() -> int:
    old = os.umask(0)
    os.umask(old)
    return 0o666 & ~old


class Transaction:
    """Outputs written to temporary files beside their targets and renamed together.

    >>> with Transaction() as tx:                 # doctest: +SKIP
    ...     write_something(tx.file("out.h5"))    # a temporary name in out.h5's folder
    ... # here out.h5 exists; after an exception, nothing does

    ``file(path)`` gives a fresh temporary file name; ``copy(path)`` a temporary
    copy of an existing file (for in-place updates); ``folder(path)`` a
    temporary folder inside the folder output ``path`` (created if missing)
    whose files are moved into ``path`` on success.
    """

    def __init__(self):
        self._files: list[tuple[str, str]] = []     # (temporary, target)
        self._dirs: list[tuple[str, str]] = []      # (temporary folder, target folder)
        self._created: list[str] = []               # folders made here, removed on failure if empty
        self._locks: dict[str, int | None] = {}     # locked folder (real path): descriptor holding it

    def file(self, path) -> str:
        target = os.fspath(path)
        folder = self.make_folder(_folder_of(target))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
        os.close(fd)
        mode = os.stat(target).st_mode & 0o777 if os.path.isfile(target) else _umask_mode()
        os.chmod(tmp, mode)
        self._files.append((tmp, target))
        return tmp

    def copy(self, path) -> str:
        tmp = self.file(path)
        shutil.copyfile(os.fspath(path), tmp)
        return tmp

    def update(self, path) -> str:
        """A temporary file to write the new version of ``path``, a report this command extends.

        Takes the exclusive lock of ``path``'s folder first (held until commit or discard),
        then returns a copy of the current ``path`` -- or, when it does not exist, a fresh
        name with no file behind it. Read the old content from the returned file, not
        from ``path``: only that read is inside the lock.
        """
        target = os.fspath(path)
        folder = os.path.realpath(self.make_folder(_folder_of(target)))
        if folder not in self._locks:
            self._locks[folder] = _lock_folder(folder)
        if os.path.isfile(target):
            return self.copy(target)
        tmp = self.file(target)
        os.unlink(tmp)
        return tmp

    def _release(self) -> None:
        for fd in self._locks.values():
            _unlock(fd)
        self._locks = {}

    def make_folder(self, path) -> str:
        """Create the folder output ``path`` if missing; removed again (if empty) on failure."""
        target = os.fspath(path)
        if not os.path.isdir(target):
            missing = []
            p = os.path.abspath(target)
            while not os.path.exists(p):
                missing.append(p)
                p = os.path.dirname(p)
            os.makedirs(target)
            self._created.extend(missing)  # deepest first
        return target

    def folder(self, path) -> str:
        target = self.make_folder(path)
        tmp = tempfile.mkdtemp(dir=target, prefix=".l1ot-", suffix=".tmp")
        self._dirs.append((tmp, target))
        return tmp

    def commit(self) -> None:
        for tmp, target in self._files:
            os.replace(tmp, target)
        mode = _umask_mode()
        for tmp, target in self._dirs:
            for name in sorted(os.listdir(tmp)):
                src = os.path.join(tmp, name)
                os.chmod(src, mode)
                os.replace(src, os.path.join(target, name))
            os.rmdir(tmp)
        self._files, self._dirs, self._created = [], [], []
        self._release()

    def discard(self) -> None:
        for tmp, _ in self._files:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        for tmp, _ in self._dirs:
            shutil.rmtree(tmp, ignore_errors=True)
        for d in self._created:
            try:
                os.rmdir(d)
            except OSError:
                break
        self._files, self._dirs, self._created = [], [], []
        self._release()

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
        else:
            self.discard()


def mark_incomplete(h5file) -> None:
    """Flag a streamed HDF5 output as being written (``complete`` = False, ``n_events`` = 0)."""
    h5file.attrs["complete"] = False
    h5file.attrs["n_events"] = 0


def mark_complete(h5file, n_events: int) -> None:
    """Flag a streamed HDF5 output as complete, holding ``n_events`` rows."""
    h5file.attrs["n_events"] = int(n_events)
    h5file.attrs["complete"] = True


def check_json(path, what: str = "report") -> None:
    """An existing JSON output that a command extends must parse (checked before any work)."""
    import json

    from .errors import DataError

    p = os.fspath(path)
    if not p or not os.path.isfile(p):
        return
    try:
        with open(p) as f:
            obj = json.load(f)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"the {what} to extend is not valid JSON ({exc}); move it away or choose "
                        "another name", file=p) from None
    if not isinstance(obj, dict):
        raise DataError(f"the {what} to extend is not a JSON object", file=p)
