"""The ``--config drift.toml`` parser: every key validated, every mistake named with its file."""

from __future__ import annotations

import pickle
import re
from datetime import datetime
from pathlib import Path

import pytest

from kl_drift.profile import MAX_BINS
from kl_drift.reporting.config import COLUMN_KEYS, SECTIONS, ColumnOptions, ConfigError, load_config, parse_config

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scheduled_reports.md"

FULL = """
[profile]
output = "orders-profile.json"
columns = ["amount", "plan", "day"]
exclude = ["order_id"]
bins = 12
strategy = "uniform"
max_categories = 30
pairs = "auto"
max_pairs = 4
quiet = true

[compare]
reference = "orders-profile.json"
threshold = "auto"
warn_threshold = 0.004
direction = "symmetric"
alpha = 0.01
min_effect = 0.02
correction = "bh"
fail_on = "warn"
format = "json"
json = "out/report.json"
markdown = "-"
html = "/srv/www/report.html"
history = "drift.sqlite"
columns = ["amount"]
exclude = ["order_id"]
bins = 8
strategy = "quantile"
max_categories = 20
pairs = [["amount", "plan"]]
max_pairs = 2
quiet = false

[history]
column = ["amount"]
since = "30d"
html = "trend.html"
format = "table"
quiet = true

[columns.amount]
threshold = 0.2
warn_threshold = 0.1
bins = 20
strategy = "uniform"
edges = [10, 20.5, 100]

[columns.day]
edges = [2026-07-01, 2026-07-15T12:00:00]

[columns.plan]
categorical = true

[columns."order id"]
exclude = true
"""


def test_every_option_of_every_section_is_read() -> None:
    config = parse_config(FULL, "drift.toml")
    assert set(config.options("profile")) == set(SECTIONS["profile"])
    assert set(config.options("compare")) == set(SECTIONS["compare"])
    assert set(config.options("history")) == set(SECTIONS["history"])
    assert config.options("compare")["threshold"] == "auto"
    assert config.options("compare")["alpha"] == 0.01
    assert config.options("profile")["bins"] == 12
    assert config.options("history")["column"] == ["amount"]
    assert config.per_column("threshold") == {"amount": 0.2}
    assert config.per_column("warn_threshold") == {"amount": 0.1}
    assert config.per_column("bins") == {"amount": 20}
    assert config.per_column("strategy") == {"amount": "uniform"}
    assert config.per_column("edges")["amount"] == [10, 20.5, 100]
    # TOML dates become datetimes at midnight.
    assert config.per_column("edges")["day"] == [datetime(2026, 7, 1), datetime(2026, 7, 15, 12)]
    assert config.categorical == ["plan"]
    assert config.excluded == ["order id"]
    assert set(vars(ColumnOptions())) == set(COLUMN_KEYS)


def test_an_empty_file_sets_nothing() -> None:
    config = parse_config("", "drift.toml")
    assert config.options("compare") == {} and config.columns == {} and config.excluded == []


def test_paths_are_relative_to_the_files_folder(tmp_path: Path) -> None:
    (tmp_path / "jobs").mkdir()
    path = tmp_path / "jobs" / "drift.toml"
    path.write_text(FULL)
    config = load_config(path)
    compare = config.options("compare")
    assert compare["reference"] == str(tmp_path / "jobs" / "orders-profile.json")
    assert compare["json"] == str(tmp_path / "jobs" / "out" / "report.json")
    assert compare["markdown"] == "-"  # stdout stays stdout
    assert compare["html"] == "/srv/www/report.html"
    assert config.options("history")["html"] == str(tmp_path / "jobs" / "trend.html")
    assert config.options("profile")["output"] == str(tmp_path / "jobs" / "orders-profile.json")
    assert config.options("history")["since"] == "30d"  # not a path


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("treshold = 0.1", ["unknown key 'treshold' at the top level", "[compare]"]),
        ("[comparison]\nthreshold = 0.1", ["unknown key 'comparison' at the top level"]),
        ("[compare]\ntreshold = 0.1", ["unknown key 'treshold' in [compare]", "threshold"]),
        ("[profile]\nthreshold = 0.1", ["unknown key 'threshold' in [profile]"]),
        ("[history]\nas_of = 2026-07-01", ["unknown key 'as_of' in [history]"]),
        ("[compare]\nas_of = 2026-07-01", ["unknown key 'as_of' in [compare]"]),
        ("[columns.amount]\nthreshhold = 0.2", ["unknown key 'threshhold' in [columns.amount]", "warn_threshold"]),
        ("[columns]\namount = 0.2", ["[columns.amount] must be a table"]),
        ("compare = 3", ["[compare] must be a table"]),
    ],
)
def test_unknown_keys_are_errors_naming_the_key_and_the_file(text: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "jobs/drift.toml")
    message = str(info.value)
    assert message.startswith("jobs/drift.toml: ")
    for fragment in fragments:
        assert fragment in message, message


def assert_rejected(text: str, fragment: str) -> None:
    """The config `text` is refused with an error naming drift.toml and saying `fragment`."""
    with pytest.raises(ConfigError, match=re.escape(fragment)) as info:
        parse_config(text, "drift.toml")
    assert str(info.value).startswith("drift.toml: ")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[compare]\nthreshold = "high"', "[compare] `threshold`"),
        ("[compare]\nthreshold = -0.1", "[compare] `threshold`"),
        ("[compare]\nwarn_threshold = nan", "[compare] `warn_threshold`"),
        ("[compare]\nalpha = 1.5", "`alpha` must be in (0, 1)"),
        ('[compare]\ndirection = "kl"', "[compare] `direction`"),
        ('[compare]\ncorrection = "fdr"', "[compare] `correction`"),
        ('[compare]\nfail_on = "always"', "[compare] `fail_on`"),
        ('[compare]\nformat = "yaml"', "[compare] `format`"),
        ("[compare]\nreference = 3", "[compare] `reference`"),
        ('[compare]\nhtml = ""', "[compare] `html`"),
        ('[compare]\ncolumns = "amount"', "[compare] `columns`"),
        ("[compare]\nexclude = [1]", "[compare] `exclude`"),
        ('[compare]\nquiet = "yes"', "[compare] `quiet`"),
        ("[profile]\nbins = 0", "[profile] `bins`"),
        ("[profile]\nbins = 1_000_000_000", f"at most {MAX_BINS:,} bins"),
        ("[profile]\nbins = 2.5", "[profile] `bins`"),
        ("[profile]\nbins = true", "[profile] `bins`"),
        ('[profile]\nstrategy = "kmeans"', "[profile] `strategy`"),
        ("[profile]\nmax_categories = 0", "[profile] `max_categories`"),
        ('[history]\nsince = "last week"', "[history] `since`"),
        ("[columns.amount]\nthreshold = -1", "[columns.amount] `threshold`"),
        ("[columns.amount]\nbins = 100_000", f"at most {MAX_BINS:,} bins"),
        ("[columns.amount]\nedges = [3, 1]", "strictly increasing"),
        ("[columns.amount]\nedges = []", "non-empty list"),
        ('[columns.amount]\nedges = ["a"]', "numbers or dates"),
        ("[columns.amount]\nedges = [1, 2026-07-01]", "all numbers or all dates"),
        ("[columns.amount]\ncategorical = 1", "[columns.amount] `categorical`"),
        ("[columns.amount]\nexclude = 'yes'", "[columns.amount] `exclude`"),
    ],
)
def test_values_are_checked_as_the_library_checks_them(text: str, fragment: str) -> None:
    assert_rejected(text, fragment)


def test_max_categories_has_no_upper_bound() -> None:
    # Kept categories allocate nothing up front, unlike bins.
    assert parse_config("[profile]\nmax_categories = 1_000_000").options("profile")["max_categories"] == 1_000_000


def test_invalid_toml_names_the_file_and_the_line() -> None:
    with pytest.raises(ConfigError, match=r"drift\.toml: is not valid TOML: .*line 2"):
        parse_config("[compare]\nthreshold = = 0.1\n", "drift.toml")


def test_unreadable_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="absent.toml: cannot be read"):
        load_config(tmp_path / "absent.toml")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="binary.toml: is not UTF-8"):
        load_config(tmp_path / "binary.toml")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(tmp_path)  # a directory


def test_config_error_is_a_value_error_that_survives_pickling() -> None:
    error = ConfigError("drift.toml", "unknown key 'x' in [compare]")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.reason, str(copy)) == (error.path, error.reason, str(error))


def test_the_documented_example_is_valid() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    config = parse_config(blocks[0], "drift.toml")
    assert config.excluded == ["order_id", "order_time"]
    assert config.per_column("threshold") == {"basket_value": 0.2}
    # The page says every option can be set in the file: each command's section lists
    # every key but the stdout-only ones in this example or the prose.
    prose = DOCS.read_text(encoding="utf-8")
    for section, keys in SECTIONS.items():
        for key in keys:
            assert f"`{key}`" in prose or f"\n{key} = " in blocks[0] or f"--{key.replace('_', '-')}" in prose, (section, key)


def test_every_key_is_an_option_of_its_command_and_every_option_has_a_key() -> None:
    """The file mirrors the command line: a key per option (but --config and --as-of)."""
    import argparse

    from kl_drift.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name, keys in SECTIONS.items():
        dests = {a.dest for a in commands[name]._actions if a.option_strings and a.dest != "help"}
        assert set(keys) == dests - {"config", "as_of"}, name


TIMELINE = """
[timeline]
time_column = "event_time"
freq = "W-MON"
min_rows = 50
rolling = 4
threshold = 0.1
warn_threshold = 0.05
direction = "symmetric"
alpha = 0.01
min_effect = 0.02
correction = "bh"
fail_on = "warn"
format = "json"
json = "out/timeline.json"
markdown = "-"
html = "timeline.html"
columns = ["amount"]
exclude = ["order_id"]
bins = 8
strategy = "uniform"
max_categories = 20
quiet = true
"""


def test_the_timeline_section_reads_every_option(tmp_path: Path) -> None:
    path = tmp_path / "drift.toml"
    path.write_text(TIMELINE)
    options = load_config(path).options("timeline")
    others = {"rows", "reference", "reference_periods"}  # each excludes a key set above
    assert set(options) == set(SECTIONS["timeline"]) - others
    assert (options["time_column"], options["freq"], options["rolling"], options["min_rows"]) == ("event_time", "W-MON", 4, 50)
    assert options["json"] == str(tmp_path / "out" / "timeline.json") and options["markdown"] == "-"
    chunks = parse_config('[timeline]\nrows = 5000\nreference = "ref.json"', "drift.toml", base="jobs").options("timeline")
    assert chunks == {"rows": 5000, "reference": str(Path("jobs") / "ref.json")}
    assert parse_config("[timeline]\nreference_periods = 3").options("timeline") == {"reference_periods": 3}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[timeline]\nfreq = "fortnight"', "[timeline] `freq` 'fortnight' is not a pandas frequency alias"),
        ("[timeline]\nfreq = 7", "[timeline] `freq` must be a non-empty string"),
        ("[timeline]\nrolling = 0", "[timeline] `rolling` must be a positive integer"),
        ("[timeline]\nrows = 2.5", "[timeline] `rows` must be a positive integer"),
        ("[timeline]\nmin_rows = -1", "[timeline] `min_rows`"),
        ("[timeline]\nreference_periods = true", "[timeline] `reference_periods`"),
        ('[timeline]\ntime_column = ""', "[timeline] `time_column`"),
        ("[timeline]\npairs = 'auto'", "unknown key 'pairs' in [timeline]"),
        ('[timeline]\ntime_column = "t"\nrows = 10', "[timeline] sets both time_column and rows, which exclude each other"),
        ("[timeline]\nrolling = 2\nreference_periods = 3", "[timeline] sets both reference_periods and rolling"),
        ('[timeline]\nreference = "p.json"\nrolling = 2', "[timeline] sets both reference and rolling"),
    ],
)
def test_timeline_values_and_exclusive_options_are_checked(text: str, fragment: str) -> None:
    assert_rejected(text, fragment)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (set(), {"time_column", "freq", "rolling", "alpha"}),
        ({"reference_periods"}, {"time_column", "freq", "alpha"}),
        ({"reference"}, {"time_column", "freq", "alpha"}),
        ({"rolling"}, {"time_column", "freq", "rolling", "alpha"}),
        ({"rows"}, {"rolling", "alpha"}),
        ({"freq"}, {"time_column", "freq", "rolling", "alpha"}),
        ({"alpha", "columns"}, {"time_column", "freq", "rolling", "alpha"}),
    ],
)
def test_an_option_of_the_command_line_replaces_the_files_exclusive_ones(given: set[str], kept: set[str]) -> None:
    config = parse_config('[timeline]\ntime_column = "t"\nfreq = "D"\nrolling = 3\nalpha = 0.01', "drift.toml")
    assert set(config.options("timeline", given=given)) == kept
    # Sections without exclusive options keep every key.
    compare = parse_config("[compare]\nalpha = 0.01\nthreshold = 0.2", "drift.toml")
    assert set(compare.options("compare", given={"alpha", "rolling", "rows"})) == {"alpha", "threshold"}
