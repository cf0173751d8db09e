"""Exceptions shown to the user: each carries one clear sentence."""


class DipsampleError(Exception):
    """Base class: the CLI prints `Error: <message>` and exits 1."""


class ExtractionError(DipsampleError):
    """A document could not be read (missing, corrupt, encrypted, empty, unsupported)."""


class ChecklistError(DipsampleError):
    """A checklist file is invalid; the message names the file, item and field."""


class LabelError(DipsampleError):
    """A gold-label file is invalid."""
