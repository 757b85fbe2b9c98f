"""The ``kl-drift`` command line: profile a reference, compare current data, keep a history.

Exit codes: 0 no drift, 1 drift (as ``--fail-on`` decides), 2 usage error or bad input,
with a one-line message on stderr that names the file or column. The commands only parse
options and call the library; the work lives in :mod:`kl_drift` and
:mod:`kl_drift.reporting`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from . import compare, profile
from ._io import atomic_write_text
from .dataset import compare_dataset, profile_dataset
from ._version import __version__
from .errors import ColumnError, KlDriftError
from .profile import ReferenceProfile
from .report import DriftReport, json_safe
from .reporting import (
    DriftHistory,
    SourceError,
    parquet_stream,
    progress_bar,
    read_table,
    render_history_html,
    render_history_text,
    render_html,
    render_markdown,
    render_text,
)

__all__ = ["main", "EXIT_OK", "EXIT_DRIFT", "EXIT_ERROR"]

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2
# Streamed inputs of at least this many rows (or several files) draw a progress bar on a terminal.
_BAR_MIN_ROWS = 1_000_000

EXIT_CODES = """\
exit codes:
  0  no drift (always 0 with --fail-on never)
  1  drift: a column drifted, or with --fail-on warn a column drifted or warned
  2  usage error or bad input (unreadable file, corrupted profile, unknown column);
     a one-line message on stderr names the file or column
"""

PROFILE_SUFFIXES = (".json",)


class UsageError(Exception):
    """Bad command-line usage; reported on one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        # argparse would print the whole usage and call sys.exit; main() returns codes instead.
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _names(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise UsageError(f"{option} must be a comma-separated list of column names, got {text!r}")
    return names


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _threshold(text: str) -> float | str:
    return "auto" if text == "auto" else _level(text)


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite non-negative number, got {text!r}")
    return value


def _add_binning(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    group = parser.add_argument_group("binning (when profiling data)")
    group.add_argument("--bins", type=_positive_int, default=10 if defaults else None, metavar="N",
                       help="bins per numeric column (default 10)")
    group.add_argument("--strategy", choices=("quantile", "uniform"), default="quantile" if defaults else None,
                       help="numeric bin edges from reference quantiles or of equal width (default quantile)")
    group.add_argument("--max-categories", type=_positive_int, default=50 if defaults else None, metavar="K",
                       help="most frequent categories kept per column, the rest pooled (default 50)")  # fmt: skip


def _add_columns(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--columns", metavar="A,B", help="only these columns (comma-separated)")
    parser.add_argument("--exclude", metavar="A,B", help="leave out these columns (comma-separated)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``kl-drift`` and its subcommands."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="kl-drift",
        description="Distribution-drift checks with smoothed KL divergence D(current ‖ reference).",
        epilog=EXIT_CODES,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"kl-drift {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)

    prof = commands.add_parser(
        "profile", help="fit bins on reference data and save its profile (JSON)", epilog=EXIT_CODES,
        formatter_class=formatter,
        description="Fit bins on reference data and save the counts as a profile JSON file,\n"
        "the frozen reference of later `kl-drift compare` runs.",
    )  # fmt: skip
    prof.add_argument("reference", nargs="+", metavar="REFERENCE",
                      help="CSV or Parquet files, Parquet directories or glob patterns")  # fmt: skip
    prof.add_argument("-o", "--output", required=True, metavar="PROFILE.json", help="where to write the profile")
    _add_columns(prof)
    _add_binning(prof, defaults=True)
    prof.set_defaults(run=_run_profile)

    comp = commands.add_parser(
        "compare", help="score current data against a reference and write reports", epilog=EXIT_CODES,
        formatter_class=formatter,
        description="Score the drift of current data from a reference, column by column: print a\n"
        "summary, write reports, append to the history, and exit 1 on drift.",
    )  # fmt: skip
    comp.add_argument("--reference", required=True, metavar="PROFILE.json|FILE",
                      help="a profile written by `kl-drift profile`, or reference data to profile now")  # fmt: skip
    comp.add_argument("current", nargs="+", metavar="CURRENT",
                      help="CSV or Parquet files, Parquet directories or glob patterns")  # fmt: skip
    comp.add_argument("--threshold", type=_threshold, metavar="X|auto",
                      help="drift level for every column (default 0.1 nats); 'auto': drift when the change is "
                      "both significant and at least a minimum effect")  # fmt: skip
    comp.add_argument("--warn-threshold", type=_level, metavar="X",
                      help="warn level (default half the drift level)")  # fmt: skip
    stats = comp.add_argument_group("statistics (see docs/thresholds.md)")
    stats.add_argument("--direction", choices=("current||reference", "reference||current", "symmetric", "js"),
                       default="current||reference",
                       help="divergence: D(current ‖ reference) (default), the reverse, symmetric (PSI) or js")  # fmt: skip
    stats.add_argument("--alpha", type=float, default=0.05, metavar="A",
                       help="significance level for --threshold auto (default 0.05)")  # fmt: skip
    stats.add_argument("--min-effect", type=_level, metavar="X",
                       help="smallest score that matters for --threshold auto (default 0.01 nats)")  # fmt: skip
    stats.add_argument("--correction", choices=("holm", "bonferroni", "bh", "none"), default="holm",
                       help="multiple-testing adjustment across columns (default holm)")  # fmt: skip
    comp.add_argument("--fail-on", choices=("drift", "warn", "never"), default="drift",
                      help="exit 1 on drift (default), on drift or warning, or never")  # fmt: skip
    comp.add_argument("--format", choices=("table", "json"), default="table",
                      help="what to print on stdout: a summary table (default) or the JSON report")  # fmt: skip
    outputs = comp.add_argument_group("reports (each written atomically)")
    outputs.add_argument("--json", metavar="OUT.json", help="the full report as JSON")
    outputs.add_argument("--markdown", metavar="OUT.md", help="a compact table for a pull request or chat")
    outputs.add_argument("--html", metavar="OUT.html", help="a self-contained page with charts")
    outputs.add_argument("--history", metavar="DRIFT.sqlite", help="append this run to a SQLite drift history")
    _add_columns(comp)
    _add_binning(comp, defaults=False)
    comp.set_defaults(run=_run_compare)

    hist = commands.add_parser(
        "history", help="show recorded runs and plot each column's score over time", epilog=EXIT_CODES,
        formatter_class=formatter,
        description="Show the runs recorded with `kl-drift compare --history`; --html draws each\n"
        "column's score against its thresholds over time.",
    )  # fmt: skip
    hist.add_argument("database", metavar="DRIFT.sqlite", help="the history database")
    hist.add_argument("--column", action="append", metavar="C", help="only this column (repeatable)")
    hist.add_argument("--since", metavar="DATE", help="only runs from this date or time (UTC), or e.g. 30d")
    hist.add_argument("--html", metavar="TREND.html", help="write a self-contained trend page")
    hist.add_argument("--format", choices=("table", "json"), default="table", help="what to print on stdout")
    hist.set_defaults(run=_run_history)
    return parser


def _is_profile(path: str) -> bool:
    return path.lower().endswith(PROFILE_SUFFIXES)


def _run_profile(args: argparse.Namespace) -> int:
    columns = _names(args.columns, "--columns")
    exclude = _names(args.exclude, "--exclude") or []
    options = {"bins": args.bins, "strategy": args.strategy, "max_categories": args.max_categories}
    result = _profile_files(args.reference, columns, exclude, options)
    result.save(args.output)
    checksum = result.to_dict()["checksum"]
    print(f"profiled {len(result)} columns of {result.n_rows:,} rows -> {args.output} ({checksum})")
    return EXIT_OK


def _profile_files(
    paths: Sequence[str], columns: list[str] | None, exclude: list[str], options: dict[str, Any]
) -> ReferenceProfile:
    """Profile input files: plain Parquet is streamed in bounded memory, CSV read whole."""
    stream = parquet_stream(paths, columns, exclude=exclude)
    if stream is not None:
        files, selected, n_rows = stream
        # Up to two passes over the rows: the bar counts rows read, without a total.
        bar = progress_bar(None, unit=" rows", desc="profiling", large=len(files) > 1 or n_rows >= _BAR_MIN_ROWS)
        try:
            return profile_dataset(files, columns=selected, progress=bar.update, **options)
        finally:
            bar.close()
    data = read_table(paths, columns, exclude=exclude)
    if data.empty:
        raise SourceError(", ".join(paths), "holds no rows")
    return profile(data, **options)


def _reference_profile(args: argparse.Namespace, columns: list[str] | None, exclude: list[str]) -> ReferenceProfile:
    if _is_profile(args.reference):
        given = [f"--{name.replace('_', '-')}" for name in ("bins", "strategy", "max_categories") if getattr(args, name)]
        if given:
            raise UsageError(f"{', '.join(given)} apply only when --reference is a data file; the profile's bins are fixed")
        return ReferenceProfile.load(args.reference)
    options = {"bins": args.bins or 10, "strategy": args.strategy or "quantile", "max_categories": args.max_categories or 50}
    return _profile_files([args.reference], columns, exclude, options)


def _selected(prof: ReferenceProfile, columns: list[str] | None, exclude: list[str]) -> list[str]:
    for name in [*(columns or []), *exclude]:
        if name not in prof:
            raise ColumnError(name, f"is not in the reference profile; its columns are {list(prof.names)}")
    return [c for c in (columns or prof.names) if c not in exclude]


def _fail_code(report: DriftReport, fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_OK
    if report.drifted:
        return EXIT_DRIFT
    if fail_on == "warn" and any(c.status == "warn" or c.drifted for c in report.columns):
        return EXIT_DRIFT
    return EXIT_OK


def _run_compare(args: argparse.Namespace) -> int:
    columns = _names(args.columns, "--columns")
    exclude = _names(args.exclude, "--exclude") or []
    reference = _reference_profile(args, columns, exclude)
    # Reference data was read without the excluded columns already.
    selected = _selected(reference, columns, exclude if _is_profile(args.reference) else [])
    options = {
        "columns": selected,
        "threshold": args.threshold,
        "warn_threshold": args.warn_threshold,
        "direction": args.direction,
        "alpha": args.alpha,
        "min_effect": args.min_effect,
        "correction": args.correction,
    }
    stream = parquet_stream(args.current, selected, missing="ignore")
    if stream is not None:
        files, _, n_rows = stream
        bar = progress_bar(n_rows, unit=" rows", desc="comparing", large=len(files) > 1 or n_rows >= _BAR_MIN_ROWS)
        try:
            report = compare_dataset(reference, files, progress=bar.update, **options)
        finally:
            bar.close()
    else:
        current = read_table(args.current, selected, missing="ignore")
        if current.empty:
            raise SourceError(", ".join(args.current), "holds no rows")
        report = compare(reference, current, **options)
    fingerprint = reference.to_dict()["checksum"]
    context = {"reference": args.reference, "current": args.current}
    # Render everything before writing anything, so a rendering error writes no file.
    texts = {}
    if args.json:
        texts[args.json] = report.to_json() + "\n"
    if args.markdown:
        texts[args.markdown] = render_markdown(report, **context)
    if args.html:
        texts[args.html] = render_html(report, fingerprint=fingerprint, **context)
    for path, text in texts.items():
        atomic_write_text(path, text)
    if args.history:
        DriftHistory(args.history).record(
            report, reference_fingerprint=fingerprint, reference_source=args.reference,
            current_source=", ".join(args.current),
        )  # fmt: skip
    print(report.to_json() if args.format == "json" else render_text(report, **context))
    return _fail_code(report, args.fail_on)


def _run_history(args: argparse.Namespace) -> int:
    history = DriftHistory(args.database)
    if args.column:
        known = history.column_names()
        for name in args.column:
            if name not in known:
                raise ColumnError(name, f"has no runs in {args.database}; recorded columns are {known}")
    rows = history.rows(columns=args.column, since=args.since)
    if args.html:
        atomic_write_text(args.html, render_history_html(rows, source=args.database))
    if args.format == "json":
        records = json_safe([dataclasses.asdict(row) for row in rows])
        print(json.dumps(records, indent=1, allow_nan=False, ensure_ascii=False))
    else:
        print(render_history_text(rows))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kl-drift`` with `argv` (default: the process arguments); returns the exit code.

    Examples
    --------
    >>> main(["--version"])
    kl-drift ...
    0
    >>> main(["compare"])
    2
    """
    parser = build_parser()
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            args = parser.parse_args(argv)
            code: int = args.run(args)
        except SystemExit as exc:  # --help and --version
            code = exc.code if isinstance(exc.code, int) else EXIT_OK
        except UsageError as exc:
            code, error = EXIT_ERROR, f"error: {exc}"
        except (KlDriftError, ValueError, OSError, pa.ArrowException) as exc:
            # Bad input, not a bug: the message names the file or column; no traceback.
            code, error = EXIT_ERROR, f"error: {exc}"
        except KeyboardInterrupt:
            code, error = 130, "interrupted"
    for warning in caught:
        print(f"kl-drift: warning: {_one_line(warning.message)}", file=sys.stderr)
    if error:
        print(f"kl-drift: {_one_line(error)}", file=sys.stderr)
    return code


def _one_line(message: object) -> str:
    return " ".join(str(message).split())
