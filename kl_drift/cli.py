"""The ``kl-drift`` command line: profile a reference, compare current data, keep a history.

Exit codes are a contract for schedulers: 0 no drift, 1 drift (as ``--fail-on`` decides),
2 usage error or bad input, with one line on stderr that names the file or column, and 3
for an internal error (a bug), with its traceback. No error ever exits 1. The commands only
parse options and call the library; the work lives in `kl_drift` and `kl_drift.reporting`
(the configuration file in `kl_drift.reporting.config`, the output checks in
`kl_drift.reporting.paths`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from . import compare, profile
from ._options import CompareOptions, check_level
from .dataset import compare_dataset, profile_dataset
from .errors import ColumnError, KlDriftError
from .profile import MAX_BINS, ReferenceProfile, _check_bins
from .report import DriftReport, json_safe
from .reporting.config import FAIL_ON, FORMATS, STRATEGIES, DriftConfig, load_config
from .reporting.paths import STDOUT, check_outputs, input_columns, input_files, write_output
from .reporting.sources import SourceError, parquet_stream, progress_bar, read_table

# Only what every command needs is imported above; renderers, the history database and
# timelines are imported by the commands that use them, so `import kl_drift.cli` costs about
# what `import kl_drift` does (benchmarks/bench_cli_startup.py).

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_DRIFT", "EXIT_ERROR", "EXIT_INTERNAL"]

EXIT_OK, EXIT_DRIFT, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
# Streamed inputs of at least this many rows (or several files) draw a progress bar on a terminal.
_BAR_MIN_ROWS = 1_000_000

EXIT_CODES = """\
exit codes:
  0  no drift (always 0 with --fail-on never)
  1  drift: a column drifted, or with --fail-on warn a column drifted or warned
  2  usage error or bad input (unreadable file, corrupted profile, unknown column, an
     output that would overwrite an input); one line on stderr names the file or column
  3  internal error: a bug in kl-drift; its traceback is printed on stderr
"""

PROFILE_SUFFIXES = (".json",)
# Options whose default is applied after the configuration file, so that a file's value is
# used unless the command line gives one.
DEFAULTS: dict[str, dict[str, Any]] = {
    "profile": {"bins": 10, "strategy": "quantile", "max_categories": 50, "quiet": False},
    "compare": {"direction": "current||reference", "alpha": 0.05, "correction": "holm", "fail_on": "drift", "quiet": False},
    "history": {"quiet": False},
    "timeline": {"direction": "current||reference", "alpha": 0.05, "correction": "holm", "fail_on": "drift", "quiet": False},
}
_BINNING = ("bins", "strategy", "max_categories", "pairs", "max_pairs")


class UsageError(Exception):
    """Bad command-line usage; reported on one line with exit code 2."""


class _Console:
    """Standard output and error of one run: ``--quiet``, and a reader that went away.

    When the reader of stdout closes it (``kl-drift ... | head -1``), the run goes on
    quietly and keeps its exit code; stdout is pointed at /dev/null so that the final
    flush at interpreter exit does not fail either.
    """

    def __init__(self) -> None:
        self.quiet = False

    def out(self, text: str, *, always: bool = False) -> None:
        """Print on stdout, unless quiet; `always` for a report the user sent to ``-``."""
        if always or not self.quiet:
            write(sys.stdout, text)

    def note(self, text: str) -> None:
        """A status line or warning on stderr, unless quiet."""
        if not self.quiet:
            write(sys.stderr, text)

    def error(self, text: str) -> None:
        write(sys.stderr, text)


def write(stream: IO[str] | None, text: str) -> None:
    """Write a line and flush; a closed pipe silences the stream instead of failing."""
    if stream is None:  # started with the stream closed (`>&-`)
        return
    try:
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # not a real file (a test's StringIO)
            pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        # argparse would print the whole usage and call sys.exit; main() returns codes instead.
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        # --help and --version into a closed pipe end quietly like everything else.
        if message:
            write(file or sys.stdout, message.rstrip("\n"))


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"must be a comma-separated list of column names, got {text!r}")
    return names


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _bins(text: str) -> int:
    try:
        return _check_bins("--bins", _positive_int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_BINS:,}, got {text!r}") from None


def _level(text: str) -> float:
    try:
        return check_level("value", float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a finite non-negative number, got {text!r}") from None


def _threshold(text: str) -> float | str:
    return "auto" if text == "auto" else _level(text)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="DRIFT.toml",
                        help="read options from a TOML file (see docs/scheduled_reports.md); flags given here win")  # fmt: skip
    parser.add_argument("-q", "--quiet", action="store_true", default=None,
                        help="print nothing but errors (reports sent to '-' are still written)")  # fmt: skip


def _add_binning(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("binning (when profiling data)")
    group.add_argument("--bins", type=_bins, metavar="N", help=f"bins per numeric column, 1 to {MAX_BINS:,} (default 10)")
    group.add_argument("--strategy", choices=STRATEGIES,
                       help="numeric bin edges from reference quantiles or of equal width (default quantile)")  # fmt: skip
    group.add_argument("--max-categories", type=_positive_int, metavar="K",
                       help="most frequent categories kept per column, the rest pooled (default 50)")  # fmt: skip


def _pair_list(text: str) -> str | list[tuple[str, str]]:
    if text == "auto":
        return "auto"
    pairs = []
    for item in text.split(","):
        a, sep, b = item.partition(":")
        if not sep or not a or not b or ":" in b:
            raise argparse.ArgumentTypeError(f"must be 'auto' or column pairs written A:B,C:D, got {text!r}")
        pairs.append((a, b))
    return pairs


def _add_pairs(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("column pairs (joint drift, see docs/pairs.md; when profiling data)")
    group.add_argument("--pairs", type=_pair_list, metavar="auto|A:B,C:D",
                       help="keep pair counts: 'auto' (the most dependent pairs) or the pairs named")  # fmt: skip
    group.add_argument("--max-pairs", type=_positive_int, metavar="N",
                       help="most pairs --pairs auto keeps (default 10)")  # fmt: skip


def _add_columns(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--columns", type=_names, metavar="A,B", help="only these columns (comma-separated)")
    parser.add_argument("--exclude", type=_names, metavar="A,B",
                        help="leave out these columns (comma-separated); the same list works for profile and compare")  # fmt: skip


def _add_decision(parser: argparse.ArgumentParser) -> None:
    """How a column's drift is decided: the options `_compare_options` reads (compare, timeline)."""
    parser.add_argument("--threshold", type=_threshold, metavar="X|auto",
                        help="'auto' (default): drift when the change is both significant and at least --min-effect; "
                        "a number X: drift when a score reaches X nats (columns without their own level)")  # fmt: skip
    parser.add_argument("--warn-threshold", type=_level, metavar="X",
                        help="warn level (default half the drift level)")  # fmt: skip
    stats = parser.add_argument_group("statistics (see docs/thresholds.md)")
    stats.add_argument("--direction", choices=("current||reference", "reference||current", "symmetric", "js"),
                       help="divergence: D(current ‖ reference) (default), the reverse, symmetric (PSI) or js")  # fmt: skip
    stats.add_argument("--alpha", type=float, metavar="A",
                       help="significance level for --threshold auto (default 0.05)")  # fmt: skip
    stats.add_argument("--min-effect", type=_level, metavar="X",
                       help="smallest score that matters for --threshold auto (default 0.01 nats)")  # fmt: skip
    stats.add_argument("--correction", choices=("holm", "bonferroni", "bh", "none"),
                       help="multiple-testing adjustment across columns (default holm)")  # fmt: skip
    parser.add_argument("--fail-on", choices=FAIL_ON, help="exit 1 on drift (default), on drift or warning, or never")


class _Version(argparse.Action):
    """``--version``: the version is read from the package metadata only when asked
    (importlib.metadata takes 10-20 ms to import, a command's start-up does not need it)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show program's version number and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: str | None = None) -> None:
        from ._version import __version__

        parser._print_message(f"kl-drift {__version__}\n", sys.stdout)
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``kl-drift`` and its subcommands."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="kl-drift",
        description="Distribution-drift checks with smoothed KL divergence D(current ‖ reference).",
        epilog=EXIT_CODES,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)

    prof = commands.add_parser(
        "profile", help="fit bins on reference data and save its profile (JSON)", epilog=EXIT_CODES,
        formatter_class=formatter,
        description="Fit bins on reference data and save the counts as a profile JSON file,\n"
        "the frozen reference of later `kl-drift compare` runs.",
    )  # fmt: skip
    prof.add_argument("reference", nargs="+", metavar="REFERENCE",
                      help="CSV or Parquet files, Parquet directories or glob patterns")  # fmt: skip
    prof.add_argument("-o", "--output", metavar="PROFILE.json", help="where to write the profile ('-': stdout)")
    _add_columns(prof)
    _add_binning(prof)
    _add_pairs(prof)
    _add_common(prof)
    prof.set_defaults(run=_run_profile)

    comp = commands.add_parser(
        "compare", help="score current data against a reference and write reports", epilog=EXIT_CODES,
        formatter_class=formatter,
        description="Score the drift of current data from a reference, column by column: print a\n"
        "summary, write reports, append to the history, and exit 1 on drift.",
    )  # fmt: skip
    comp.add_argument("--reference", metavar="PROFILE.json|FILE",
                      help="a profile written by `kl-drift profile`, or reference data to profile now")  # fmt: skip
    comp.add_argument("current", nargs="+", metavar="CURRENT",
                      help="CSV or Parquet files, Parquet directories or glob patterns")  # fmt: skip
    _add_decision(comp)
    comp.add_argument("--format", choices=FORMATS,
                      help="what to print on stdout: a summary table (default) or the JSON report")  # fmt: skip
    comp.add_argument("--as-of", metavar="DATE",
                      help="the data's logical date (e.g. Airflow's {{ ds }}) recorded in --history (default: now); "
                      "a re-run of a date replaces it")  # fmt: skip
    outputs = comp.add_argument_group("reports (each written atomically; '-' writes it on stdout)")
    outputs.add_argument("--json", metavar="OUT.json", help="the full report as JSON")
    outputs.add_argument("--markdown", metavar="OUT.md", help="a compact table for a pull request or chat")
    outputs.add_argument("--html", metavar="OUT.html", help="a self-contained page with charts")
    outputs.add_argument("--history", metavar="DRIFT.sqlite", help="append this run to a SQLite drift history")
    _add_columns(comp)
    _add_binning(comp)
    _add_pairs(comp)
    _add_common(comp)
    comp.set_defaults(run=_run_compare)

    line = commands.add_parser(
        "timeline", help="compare each period of a table with a reference: drift over time", epilog=EXIT_CODES,
        formatter_class=formatter,
        description="Cut a table into periods by a time column (or chunks of rows) and compare each period\n"
        "with a reference, as `kl-drift compare` would: exit 1 when a period drifted.",
    )  # fmt: skip
    line.add_argument("data", nargs="+", metavar="DATA", help="CSV or Parquet files, Parquet directories or glob patterns")
    periods = line.add_argument_group("periods")
    periods.add_argument("--time-column", metavar="C", help="the column of datetimes or ISO 8601 text to cut periods from")
    periods.add_argument("--freq", metavar="F", help="a pandas frequency alias: h, D, W, MS, QS, YS, 15min, ...")
    periods.add_argument("--rows", type=_positive_int, metavar="N", help="instead of a time column: periods of N rows")
    periods.add_argument("--min-rows", type=_positive_int, metavar="N",
                         help="periods with fewer rows are shown as small samples, not scored (default 30)")  # fmt: skip
    refs = line.add_argument_group("reference (default: the first period)")
    refs.add_argument("--reference", metavar="PROFILE.json|FILE", help="a profile, or reference data to profile now")
    refs.add_argument("--reference-periods", type=_positive_int, metavar="N", help="the first N periods")
    refs.add_argument("--rolling", type=_positive_int, metavar="W", help="a rolling window of the W previous periods")
    _add_decision(line)
    line.add_argument("--format", choices=FORMATS,
                      help="what to print on stdout: a table of periods (default) or the JSON timeline")  # fmt: skip
    line_out = line.add_argument_group("reports (each written atomically; '-' writes it on stdout)")
    line_out.add_argument("--json", metavar="OUT.json", help="the timeline with every period's report, as JSON")
    line_out.add_argument("--markdown", metavar="OUT.md", help="a table of periods × columns")
    line_out.add_argument("--html", metavar="OUT.html", help="a self-contained page: heatmap and one chart per column")
    _add_columns(line)
    _add_binning(line)
    _add_common(line)
    line.set_defaults(run=_run_timeline)

    hist = commands.add_parser(
        "history", help="show recorded runs and plot each column's score over time", epilog=EXIT_CODES,
        formatter_class=formatter,
        description="Show the runs recorded with `kl-drift compare --history`; --html draws each\n"
        "column's score against its thresholds over time.",
    )  # fmt: skip
    hist.add_argument("database", nargs="?", metavar="DRIFT.sqlite",
                      help="the history database (default: the [compare] history of --config)")  # fmt: skip
    hist.add_argument("--column", action="append", metavar="C", help="only this column (repeatable)")
    hist.add_argument("--since", metavar="DATE", help="only runs from this date or time (UTC), or e.g. 30d")
    hist.add_argument("--html", metavar="TREND.html", help="write a self-contained trend page ('-': stdout)")
    hist.add_argument("--format", choices=FORMATS,
                      help="print the runs as a table or JSON (default: a table, unless --html is given)")  # fmt: skip
    _add_common(hist)
    hist.set_defaults(run=_run_history)
    return parser


def _bar(quiet: bool) -> bool | None:
    """Progress bars: never with --quiet, else on a terminal for large inputs."""
    return False if quiet else None


def _is_profile(path: str) -> bool:
    return path.lower().endswith(PROFILE_SUFFIXES)


def _usage(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a validator of the library: its ValueError is a usage error, not a bug."""
    try:
        return function(*args, **kwargs)
    except KlDriftError:
        raise
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _apply_config(args: argparse.Namespace, config: DriftConfig) -> None:
    """Options the command line left out, from the configuration file, then the defaults."""
    given_exclude = getattr(args, "exclude", None) is not None
    given = {key for key, value in vars(args).items() if value is not None}
    for key, value in config.options(args.command, given=given).items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.command != "history" and not given_exclude:
        # --exclude on the command line replaces the file's exclusions; without it, the
        # section's list and the columns marked `exclude = true` are left out.
        args.exclude = list(dict.fromkeys([*(args.exclude or []), *config.excluded])) or None
    for key, value in DEFAULTS[args.command].items():
        if getattr(args, key) is None:
            setattr(args, key, value)


def _config_inputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    return [("--config", args.config)] if args.config else []


def _check_config_columns(config: DriftConfig, known: Sequence[str], where: str) -> None:
    """Every ``[columns.NAME]`` of the file must name a column: a typo is an error, not a no-op."""
    for name in config.columns:
        if name not in known:
            raise ColumnError(name, f"is named in {config.path} [columns.{name}] but is not a column of {where}")


def _per_column(config: DriftConfig, option: str, selected: Sequence[str]) -> dict[str, Any]:
    return {name: value for name, value in config.per_column(option).items() if name in selected}


def _binning(args: argparse.Namespace, config: DriftConfig, selected: Sequence[str]) -> dict[str, Any]:
    """Profile options: the run's, with the file's per-column bins, strategies, edges, categories."""
    options: dict[str, Any] = {
        "bins": args.bins or 10,
        "strategy": args.strategy or "quantile",
        "max_categories": args.max_categories or 50,
    }
    for option, default in (("bins", 10), ("strategy", "quantile")):
        per = _per_column(config, option, selected)
        if per:
            # kd.profile takes either one value or {column: value} (the others keep the default).
            if options[option] != default:
                raise UsageError(
                    f"--{option} {options[option]} and the per-column {option} of {config.path} cannot be combined: "
                    f"columns without their own {option} would get {default!r}; set {option} per column instead"
                )
            options[option] = per
    edges = _per_column(config, "edges", selected)
    if edges:
        options["edges"] = edges
    categorical = [name for name in config.categorical if name in selected]
    if categorical:
        options["categorical"] = categorical
    if getattr(args, "pairs", None) is not None:
        options["pairs"] = args.pairs
        if args.max_pairs is not None:
            options["max_pairs"] = args.max_pairs
    elif getattr(args, "max_pairs", None) is not None:
        raise UsageError("--max-pairs applies to --pairs auto")
    return options


def _run_profile(args: argparse.Namespace, config: DriftConfig, console: _Console) -> int:
    if not args.output:
        raise UsageError("the following arguments are required: -o/--output (or [profile] output in --config)")
    check_outputs([("-o", args.output)], [*input_files("the input", args.reference), *_config_inputs(args)])
    if config.columns:
        _check_config_columns(config, input_columns(args.reference), ", ".join(args.reference))
    result = _profile_files(args.reference, args.columns, args.exclude or [], args, config)
    checksum = result.to_dict()["checksum"]
    done = f"profiled {len(result)} columns of {result.n_rows:,} rows -> {args.output} ({checksum})"
    if args.output == STDOUT:
        console.out(result.to_json(), always=True)
        console.note(done)
    else:
        write_output("-o", args.output, result.to_json() + "\n")
        console.out(done)
    return EXIT_OK


def _profile_files(
    paths: Sequence[str], columns: list[str] | None, exclude: list[str], args: argparse.Namespace, config: DriftConfig
) -> ReferenceProfile:
    """Profile input files: plain Parquet is streamed in bounded memory, CSV read whole."""
    stream = parquet_stream(paths, columns, exclude=exclude)
    if stream is not None:
        files, selected, n_rows = stream
        options = _binning(args, config, selected)
        # Up to two passes over the rows: the bar counts rows read, without a total.
        bar = progress_bar(None, unit=" rows", desc="profiling", enabled=_bar(args.quiet),
                           large=len(files) > 1 or n_rows >= _BAR_MIN_ROWS)  # fmt: skip
        try:
            return profile_dataset(files, columns=selected, progress=bar.update, **options)
        finally:
            bar.close()
    data = read_table(paths, columns, exclude=exclude, progress=_bar(args.quiet))
    if data.empty:
        raise SourceError(", ".join(paths), "holds no rows")
    return profile(data, **_binning(args, config, list(data.columns)))


def _selected(prof: ReferenceProfile, columns: list[str] | None, exclude: list[str], current: Sequence[str]) -> list[str]:
    """The columns to compare. An excluded column need not be in the profile (it was left out
    when profiling, with the same --exclude), but must be somewhere: a typo is an error."""
    for name in columns or []:
        if name not in prof:
            raise ColumnError(name, f"is not in the reference profile; its columns are {list(prof.names)}")
    absent = [name for name in exclude if name not in prof]
    if absent:
        found = input_columns(current)
        for name in absent:
            if name not in found:
                raise ColumnError(name, "is excluded but is in neither the reference profile nor the current data")
    return [c for c in (columns or prof.names) if c not in exclude]


def _fail_code(report: DriftReport, fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_OK
    if report.drifted:
        return EXIT_DRIFT
    if fail_on == "warn" and any(c.status == "warn" or c.drifted for c in report.columns):
        return EXIT_DRIFT
    return EXIT_OK


def _compare_options(args: argparse.Namespace, config: DriftConfig, selected: Sequence[str]) -> dict[str, Any]:
    options = {
        "columns": list(selected),
        # The library's default decision (issue 14): significant and at least `min_effect`.
        "threshold": "auto" if args.threshold is None else args.threshold,
        "warn_threshold": args.warn_threshold,
        "thresholds": _per_column(config, "threshold", selected),
        "warn_thresholds": _per_column(config, "warn_threshold", selected),
        "direction": args.direction,
        "alpha": args.alpha,
        "min_effect": args.min_effect,
        "correction": args.correction,
    }
    # Validate as kd.compare will, so that a bad level is a usage error before any row is read.
    resolved = _usage(CompareOptions.resolve, **{k: v for k, v in options.items() if k != "columns"})
    _usage(resolved.levels, list(selected))
    return options


def _reports(args: argparse.Namespace) -> list[tuple[str, str]]:
    given = (("--json", args.json), ("--markdown", args.markdown), ("--html", args.html), ("--history", args.history))
    return [(label, path) for label, path in given if path]


def _run_compare(args: argparse.Namespace, config: DriftConfig, console: _Console) -> int:
    if not args.reference:
        raise UsageError("the following arguments are required: --reference (or [compare] reference in --config)")
    if args.history == STDOUT:
        raise UsageError("--history needs a database file; '-' (stdout) cannot hold one")
    as_of = None
    if args.as_of is not None:
        if not args.history:
            raise UsageError("--as-of dates the run in the history: give --history too")
        from .reporting.history import as_of_text

        as_of = _usage(as_of_text, args.as_of)
    reports = _reports(args)
    to_stdout = [label for label, path in reports if path == STDOUT]
    if to_stdout and args.format is not None:
        raise UsageError(f"--format and {to_stdout[0]} - both print on stdout; drop one")
    by_profile = _is_profile(args.reference)
    if by_profile:
        given = [f"--{name.replace('_', '-')}" for name in _BINNING if getattr(args, name, None) is not None]
        if given:
            raise UsageError(
                f"{', '.join(given)} apply only when --reference is a data file; the profile's bins and pairs are fixed"
            )
    reference_inputs = [("--reference", args.reference)] if by_profile else input_files("--reference", [args.reference])
    check_outputs(reports, [*reference_inputs, *input_files("the input", args.current), *_config_inputs(args)])

    columns, exclude = args.columns, args.exclude or []
    if by_profile:
        reference = ReferenceProfile.load(args.reference)
    else:
        reference = _profile_files([args.reference], columns, exclude, args, config)
    if config.columns:
        known = [*reference.names, *exclude] if by_profile else input_columns([args.reference])
        _check_config_columns(config, known, f"the reference {args.reference}")
    selected = _selected(reference, columns, exclude, args.current)
    options = _compare_options(args, config, selected)
    report = _compare_files(reference, args.current, selected, options, quiet=args.quiet)

    fingerprint = reference.to_dict()["checksum"]
    context = {"reference": args.reference, "current": args.current}
    renderers = {
        "--json": lambda: report.to_json() + "\n",
        "--markdown": lambda: _reporting("markdown").render_markdown(report, **context),
        "--html": lambda: _reporting("html").render_html(report, fingerprint=fingerprint, **context),
    }
    # Render everything before writing anything, so a rendering error writes no file.
    texts = [(label, path, renderers[label]()) for label, path in reports if label in renderers]
    for label, path, text in texts:
        if path != STDOUT:
            write_output(label, path, text)
    if args.history:
        from .reporting.history import DriftHistory

        DriftHistory(args.history).record(
            report, reference_fingerprint=fingerprint, reference_source=args.reference,
            current_source=", ".join(args.current), as_of=as_of,
        )  # fmt: skip
    for _, path, text in texts:
        if path == STDOUT:
            console.out(text, always=True)
    if not to_stdout:
        console.out(report.to_json() if args.format == "json" else _reporting("text").render_text(report, **context))
    return _fail_code(report, args.fail_on)


def _compare_files(
    reference: ReferenceProfile, paths: Sequence[str], selected: list[str], options: Mapping[str, Any], *, quiet: bool
) -> DriftReport:
    stream = parquet_stream(paths, selected, missing="ignore")
    if stream is not None:
        files, _, n_rows = stream
        bar = progress_bar(n_rows, unit=" rows", desc="comparing", enabled=_bar(quiet),
                           large=len(files) > 1 or n_rows >= _BAR_MIN_ROWS)  # fmt: skip
        try:
            return compare_dataset(reference, files, progress=bar.update, **options)
        finally:
            bar.close()
    current = read_table(paths, selected, missing="ignore", progress=_bar(quiet))
    if current.empty:
        raise SourceError(", ".join(paths), "holds no rows")
    return compare(reference, current, **options)


def _run_timeline(args: argparse.Namespace, config: DriftConfig, console: _Console) -> int:
    if (args.time_column is None) == (args.rows is None):
        raise UsageError("give --time-column (with --freq) or --rows to cut the data into periods")
    if args.time_column is not None and args.freq is None:
        raise UsageError(f"--freq is required with --time-column {args.time_column}: a pandas frequency alias such as D or W")
    if args.rows is not None and args.freq is not None:
        raise UsageError("--freq applies to --time-column, not to --rows")
    given_refs = [label for label, value in (("--reference", args.reference), ("--reference-periods", args.reference_periods),
                                             ("--rolling", args.rolling)) if value is not None]  # fmt: skip
    if len(given_refs) > 1:
        raise UsageError(f"{given_refs[0]} and {given_refs[1]} are two references; give one")
    reports = [(label, path) for label, path in (("--json", args.json), ("--markdown", args.markdown), ("--html", args.html)) if path]
    to_stdout = [label for label, path in reports if path == STDOUT]
    if to_stdout and args.format is not None:
        raise UsageError(f"--format and {to_stdout[0]} - both print on stdout; drop one")
    by_profile = args.reference is not None and _is_profile(args.reference)
    if by_profile:
        given = [f"--{name.replace('_', '-')}" for name in _BINNING if getattr(args, name, None) is not None]
        if given:
            raise UsageError(f"{', '.join(given)} apply only when the reference is fitted here; the profile's bins are fixed")
    reference_inputs = ([("--reference", args.reference)] if by_profile
                        else input_files("--reference", [args.reference]) if args.reference else [])  # fmt: skip
    check_outputs(reports, [*reference_inputs, *input_files("the input", args.data), *_config_inputs(args)])

    time_column = args.time_column
    exclude = [c for c in (args.exclude or []) if c != time_column]
    if time_column is not None and time_column in (args.columns or []):
        raise ColumnError(time_column, "is the --time-column; it cannot also be compared")
    known = input_columns(args.data)
    if time_column is not None and time_column not in known:
        raise ColumnError(time_column, f"is the --time-column but not a column of {', '.join(args.data)}; columns: {known}")
    reference: ReferenceProfile | str = "first"
    if by_profile:
        reference = ReferenceProfile.load(args.reference)
        selected = [c for c in _selected(reference, args.columns, exclude, args.data) if c != time_column]
    else:
        for name in [*(args.columns or []), *exclude]:
            if name not in known:
                raise ColumnError(name, f"is not a column of {', '.join(args.data)}; columns: {known}")
        selected = [c for c in (args.columns or known) if c not in exclude and c != time_column]
    if config.columns:
        # The time column is a column of the data too (a [columns.NAME] may exclude it).
        _check_config_columns(config, [*selected, *exclude, *([time_column] if time_column else [])], ", ".join(args.data))
    options = _compare_options(args, config, selected)
    wanted = [*([time_column] if time_column is not None else []), *selected]
    if args.reference is not None and not by_profile:
        ref_data = read_table([args.reference], selected, progress=_bar(args.quiet))
        if ref_data.empty:
            raise SourceError(args.reference, "holds no rows")
        reference = profile(ref_data, **_binning(args, config, selected))
    binning = {} if isinstance(reference, ReferenceProfile) else _binning(args, config, selected)
    from .timeline import DEFAULT_MIN_ROWS

    periods = {"time_column": time_column, "freq": args.freq, "rows": args.rows, "min_rows": args.min_rows or DEFAULT_MIN_ROWS,
               "reference_periods": args.reference_periods or 1}  # fmt: skip
    if args.rolling:
        reference = "previous"
    stream = parquet_stream(args.data, wanted, missing="ignore")
    if stream is not None:
        # Parquet inputs are streamed batch by batch: memory holds a batch and a count table per
        # period (a rolling reference's bins are fitted on the whole stream first).
        timeline = _usage(_timeline_flags, stream[0], streamed=True, reference=reference, window=args.rolling,
                          profile_options=binning, **periods, **options)  # fmt: skip
    else:
        data = read_table(args.data, wanted, missing="ignore", progress=_bar(args.quiet))
        if data.empty:
            raise SourceError(", ".join(args.data), "holds no rows")
        timeline = _usage(_timeline_flags, data, reference=reference, window=args.rolling, **periods, **options,
                          **binning)  # fmt: skip
    renderers = {
        "--json": lambda: timeline.to_json() + "\n",
        "--markdown": timeline.to_markdown,
        "--html": timeline.to_html,
    }
    # Render everything before writing anything, so a rendering error writes no file.
    texts = [(label, path, renderers[label]()) for label, path in reports]
    for label, path, text in texts:
        if path != STDOUT:
            write_output(label, path, text)
        else:
            console.out(text, always=True)
    if not to_stdout:
        console.out(timeline.to_json() if args.format == "json" else _reporting("timeline").render_timeline_text(timeline))
    if args.fail_on == "never":
        return EXIT_OK
    reports_of = [p.report for p in timeline.periods if p.report is not None]
    return max((_fail_code(r, args.fail_on) for r in reports_of), default=EXIT_OK)


# The library's option names as the timeline command spells them, so an error names the flag.
_TIMELINE_FLAGS = {"`freq`": "--freq", "`window`": "--rolling", "`reference_periods`": "--reference-periods",
                   "`rows`": "--rows", "`min_rows`": "--min-rows", "`time_column`": "--time-column"}  # fmt: skip


def _timeline_flags(data: Any, *, streamed: bool = False, **options: Any) -> Any:
    from .timeline import compare_over_time, compare_over_time_dataset

    try:
        return compare_over_time_dataset(data, **options) if streamed else compare_over_time(data, **options)
    except KlDriftError:
        raise
    except ValueError as exc:
        message = str(exc)
        for name, flag in _TIMELINE_FLAGS.items():
            message = message.replace(name, flag)
        raise ValueError(message) from None


def _run_history(args: argparse.Namespace, config: DriftConfig, console: _Console) -> int:
    database = args.database or config.options("compare").get("history")
    if not database:
        raise UsageError("the following arguments are required: DRIFT.sqlite (or [compare] history in --config)")
    if args.html:
        check_outputs([("--html", args.html)], [("the history", database), *_config_inputs(args)])
        if args.html == STDOUT and args.format is not None:
            raise UsageError("--format and --html - both print on stdout; drop one")
    from .reporting.history import DriftHistory, parse_since

    if args.since is not None:
        _usage(parse_since, args.since)
    history = DriftHistory(database)
    if args.column:
        known = history.column_names()
        for name in args.column:
            if name not in known:
                raise ColumnError(name, f"has no runs in {database}; recorded columns are {known}")
    rows = history.rows(columns=args.column, since=args.since)
    if args.html:
        page = _reporting("html").render_history_html(rows, source=database)
        if args.html == STDOUT:
            console.out(page, always=True)
        else:
            write_output("--html", args.html, page)
    # With --html, the page is the output: the table is printed only when asked for.
    if args.format == "json":
        records = json_safe([dataclasses.asdict(row) for row in rows])
        console.out(json.dumps(records, indent=1, allow_nan=False, ensure_ascii=False))
    elif args.format == "table" or not args.html:
        console.out(_reporting("text").render_history_text(rows))
    return EXIT_OK


def _reporting(module: str) -> Any:
    """A renderer module of `kl_drift.reporting`, imported when a command first renders with it."""
    import importlib

    return importlib.import_module(f".reporting.{module}", __package__)


def _run(argv: Sequence[str] | None, console: _Console) -> int:
    args = build_parser().parse_args(argv)
    config = load_config(args.config) if args.config else DriftConfig()
    _apply_config(args, config)
    console.quiet = bool(args.quiet)
    code: int = args.run(args, config, console)
    return code


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
    console = _Console()
    error = trace = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = _run(argv, console)
        except SystemExit as exc:  # --help and --version
            code = exc.code if isinstance(exc.code, int) else EXIT_OK
        except (UsageError, KlDriftError, OSError) as exc:
            # Bad usage or input, or the machine (a full disk): the message names the file
            # or column; no traceback.
            code, error = EXIT_ERROR, f"error: {exc}"
        except KeyboardInterrupt:
            code, error = EXIT_INTERRUPTED, "interrupted"
        except Exception as exc:  # a bug: say so, with the traceback to report
            code, trace = EXIT_INTERNAL, traceback.format_exc()
            from ._version import __version__

            error = f"internal error ({type(exc).__name__}: {exc}); this is a bug in kl-drift {__version__}, please report it with the traceback above"
    for warning in caught:
        console.note(f"kl-drift: warning: {_one_line(warning.message)}")
    if trace:
        console.error(trace.rstrip("\n"))
    if error:
        console.error(f"kl-drift: {_one_line(error)}")
    return code


def _one_line(message: object) -> str:
    return " ".join(str(message).split())
