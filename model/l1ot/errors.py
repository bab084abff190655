"""Typed errors. Every user-facing failure derives from :class:`L1otError`."""
from __future__ import annotations


class L1otError(Exception):
    """Base class: the CLI prints the message on one line and exits with code 2."""


class DataError(L1otError):
    """Bad input data. Carries where it happened: file, dataset, event index, slot."""

    def __init__(self, message: str, *, file=None, dataset=None, event=None, slot=None, field=None,
                 events=None):
        """``event``: one event index; ``events``: a range ``(first, stop)`` (stop exclusive) when the
        problem is with a block of events as a whole (an unreadable chunk), named ``events A..B``."""
        self.file, self.dataset, self.event, self.slot, self.field = file, dataset, event, slot, field
        self.events = None if events is None else (int(events[0]), int(events[1]))
        self.message = message
        where = []
        if file is not None:
            where.append(f"file {file}")
        if dataset is not None:
            where.append(f"dataset '{dataset}'")
        if self.events is not None:
            a, b = self.events
            where.append(f"event {a}" if b - a == 1 else f"events {a}..{b - 1}")
        if event is not None:
            where.append(f"event {event}")
        if slot is not None:
            where.append(f"slot {slot}")
        if field is not None:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class MissingDatasetError(DataError):
    pass


class ShapeError(DataError):
    pass


class DTypeError(ShapeError):
    """An events dataset that is not floating point (see ``l1ot.io.data.check_dtype``)."""


class NonFiniteError(DataError):
    pass


class NegativePtError(DataError):
    pass


class RangeError(DataError):
    pass


class ClassIdError(DataError):
    pass


class EmptySlotError(DataError):
    pass


class CorruptFileError(DataError):
    pass


class ModelError(L1otError):
    """A model file is missing, malformed or inconsistent with the config."""


class ConfigError(L1otError):
    """A precision/kernel config is invalid."""


class OutputError(L1otError):
    """An output cannot be written: it is an input, its folder is missing or read-only, ..."""


class UsageError(L1otError):
    """An argument value that only a combination of arguments shows to be wrong
    (``--k`` above ``--n``, ...). The CLI prints it argparse-style, with the usage line."""
