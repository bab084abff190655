"""Typed errors. Every user-facing failure derives from :class:`L1otError`."""
from __future__ import annotations


class L1otError(Exception):
    """Base class: the CLI prints the message on one line and exits with code 2."""


class DataError(L1otError):
    """Bad input data. Carries where it happened: file, dataset, event index, slot."""

    def __init__(self, message: str, *, file=None, dataset=None, event=None, slot=None, field=None):
        self.file, self.dataset, self.event, self.slot, self.field = file, dataset, event, slot, field
        where = []
        if file is not None:
            where.append(f"file {file}")
        if dataset is not None:
            where.append(f"dataset '{dataset}'")
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
