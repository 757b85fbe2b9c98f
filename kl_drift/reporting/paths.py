"""The files of a command-line run: no output overwrites an input or another output.

A scheduled job that writes its report over the reference profile (maybe its only copy) or
over the data it read destroys what the next run needs; the CLI checks every output against
every input and every other output before it reads a row.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .._engines.files import data_columns, file_schema
from .._io import atomic_write_text
from ..errors import KlDriftError
from .sources import expand_paths

__all__ = [
    "STDOUT",
    "OutputClashError",
    "OutputError",
    "same_file",
    "check_outputs",
    "write_output",
    "input_files",
    "input_columns",
]

# An output path meaning "write to standard output".
STDOUT = "-"


class OutputClashError(KlDriftError, ValueError):
    """An output would overwrite an input or another output; the message names both paths."""


class OutputError(KlDriftError, OSError):
    """An output could not be written (a full disk, no permission); the message names the file."""


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file: the same inode when both exist (symbolic and hard
    links included), else the same path once symbolic links are resolved.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = open(os.path.join(folder, "p.json"), "w").write("{}")
    >>> os.symlink(os.path.join(folder, "p.json"), os.path.join(folder, "link.json"))
    >>> same_file(os.path.join(folder, "link.json"), os.path.join(folder, "p.json"))
    True
    >>> same_file(os.path.join(folder, "new.html"), os.path.join(folder, ".", "new.html"))
    True
    """
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_outputs(outputs: Sequence[tuple[str, str]], inputs: Sequence[tuple[str, str]]) -> None:
    """Raise `OutputClashError` when an output is an input or another output.

    Parameters
    ----------
    outputs, inputs : sequence of (label, path)
        The label says where the path came from (``"--json"``, ``"the reference profile"``);
        ``-`` (standard output) is never a file. Two outputs to standard output clash.

    Examples
    --------
    >>> check_outputs([("--json", "p.json")], [("--reference", "p.json")])
    Traceback (most recent call last):
    ...
    kl_drift.reporting.paths.OutputClashError: --json p.json would overwrite --reference p.json; ...
    """
    written: list[tuple[str, str]] = []
    for label, path in outputs:
        if path == STDOUT:
            earlier = [other for other, p in written if p == STDOUT]
            if earlier:
                raise OutputClashError(f"{label} - and {earlier[0]} - both write to standard output; give one a file")
        else:
            for other_label, other in [*inputs, *((lab, p) for lab, p in written if p != STDOUT)]:
                if same_file(path, other):
                    what = "an input must never be overwritten" if (other_label, other) in inputs else "give each a file of its own"
                    raise OutputClashError(f"{label} {path} would overwrite {other_label} {other}; {what}")
        written.append((label, path))


def write_output(label: str, path: str, text: str) -> None:
    """Write one output atomically; a failure is an `OutputError` naming the option and file."""
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise OutputError(f"{label} {path}: cannot write the file ({exc.strerror or exc}); the previous file is kept") from None


def input_files(label: str, paths: Sequence[str]) -> list[tuple[str, str]]:
    """(label, file) for every file behind the given files, directories and glob patterns."""
    return [(label, source.path) for source in expand_paths(paths)]


def input_columns(paths: Sequence[str]) -> list[str]:
    """Every data column of the inputs (pandas index columns left out), in order of appearance."""
    names: dict[str, None] = {}
    for source in expand_paths(paths):
        names.update(dict.fromkeys(data_columns(file_schema(source))))
    return list(names)
