"""Exceptions and warnings raised by kl_drift.

Every error that concerns one column carries that column's name and the reason,
both as attributes and in the message, so a scheduled job's log names the culprit.
"""

from __future__ import annotations

__all__ = [
    "KlDriftError",
    "ColumnError",
    "EmptyDataError",
    "ProfileFormatError",
    "IncompatibleProfilesError",
    "KlDriftWarning",
    "DegenerateDataWarning",
    "ConstantInputWarning",
    "AllMissingWarning",
    "SmallSampleWarning",
    "SkippedColumnWarning",
]


class KlDriftError(Exception):
    """Base class of every error kl_drift raises on purpose."""


class ColumnError(KlDriftError, ValueError):
    """A problem with one column of the input.

    Attributes
    ----------
    column : str
        The column's name.
    reason : str
        What is wrong with it.
    """

    def __init__(self, column: object, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"column {column!r}: {reason}")


class EmptyDataError(KlDriftError, ValueError):
    """The reference or current data has no rows (or no columns to compare)."""


class ProfileFormatError(KlDriftError, ValueError):
    """A saved profile could not be read: corrupted, truncated, edited or from another version.

    Attributes
    ----------
    source : str
        The file (or ``"<dict>"``) the profile came from.
    reason : str
        What is wrong with it.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"invalid kl_drift profile {source}: {reason}")


class IncompatibleProfilesError(KlDriftError, ValueError):
    """Two profiles cannot be merged because their columns or bins differ."""


class KlDriftWarning(UserWarning):
    """Base class of every warning kl_drift emits."""


class DegenerateDataWarning(KlDriftWarning):
    """Valid but degenerate data: the score is computed, but means less than usual."""


class ConstantInputWarning(DegenerateDataWarning):
    """A reference column holds a single distinct value."""


class AllMissingWarning(DegenerateDataWarning):
    """A column holds only missing values."""


class SmallSampleWarning(DegenerateDataWarning):
    """A column has fewer non-missing rows than requested bins."""


class SkippedColumnWarning(KlDriftWarning):
    """A column could not be profiled or compared and was skipped; the reason is in the message."""
