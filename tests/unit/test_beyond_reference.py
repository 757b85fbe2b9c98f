"""What lies beyond a reference sample: new values, identifier-like columns, values out of
its range, numbers floats cannot hold, references without finite values, 0.1.0 profiles."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift._core.bins import just_below
from kl_drift._core.novelty import BloomFilter, PooledValues, describe_pooled, novelty_pvalue

V1_PROFILE = Path(__file__).parent / "data" / "profile_0_1_0.json"


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        return func(*args, **kwargs)


# --- new values against what sampling leaves unseen --------------------------------------


def test_new_values_are_judged_against_the_missing_mass_and_explained():
    rng = np.random.default_rng(0)
    values = np.array([f"code-{v}" for v in rng.zipf(1.4, 20_000)], dtype=object)
    reference, current = pd.DataFrame({"c": values[:10_000]}), pd.DataFrame({"c": values[10_000:]})
    result = quiet(kd.compare, reference, current)["c"]
    # Random halves: the current has about as many values the reference lacks as its
    # values seen once predict, and that is not drift.
    assert result.status == "ok"
    assert result.novel_fraction == pytest.approx(result.expected_novel_fraction, abs=0.01)
    assert result.expected_novel_fraction > 0.02
    text = result.explanations[0] if result.explanations[0].endswith(")") else " ".join(result.explanations)
    assert "of rows are values the reference lacks; about" in text and "is expected from sampling alone" in text
    # Three times the new values the reference predicts is drift.
    new = pd.DataFrame({"c": [*values[10_000:17_000], *(f"new-{i}" for i in range(3_000))]})
    assert quiet(kd.compare, reference, new)["c"].status == "drift"


def test_novelty_pvalue_without_singletons_is_the_exchangeable_chance():
    # No value seen once in 1,000 rows: one new row in a batch of 50 is about as likely as a
    # value seen once among all 1,050 rows falling in the batch (50 / 1,050), not a certainty.
    p, expected = novelty_pvalue(1, 50, {5: 200}, 1000)
    assert expected == 0.0 and 0.03 < p < 0.2
    assert novelty_pvalue(10, 50, {5: 200}, 1000)[0] < 1e-6


def test_pooled_values_merge_and_round_trip():
    rv = describe_pooled(["b", "c", "d", "e"], [3, 1, 1, 2], 2, "string")
    merged = rv.merge(PooledValues((1, 1)))
    assert merged.other_counts == (4, 2) and merged.unlisted == rv.unlisted
    assert PooledValues.from_dict(json.loads(json.dumps(rv.to_dict()))) == rv
    bloom = BloomFilter.of([f"v{i}" for i in range(10_000)], "string")
    misses = sum(bloom.contains([f"w{i}" for i in range(10_000)], "string"))
    assert misses < 200, "about 1% false positives"
    assert bloom.size / 8 / 10_000 < 1.25, "about 1.2 bytes per value"


def test_profiles_of_chunks_merge_their_pooled_counts():
    values = [f"v{i % 120}" for i in range(2_400)]
    prof = kd.profile(pd.DataFrame({"c": values[:1_200]}))
    whole = prof.count(pd.DataFrame({"c": values[:1_200]})).merge(prof.count(pd.DataFrame({"c": values[1_200:]})))
    assert whole["c"].pooled.other_counts == tuple(2 * c for c in prof["c"].pooled.other_counts)
    assert kd.ReferenceProfile.from_dict(whole.to_dict()) == whole


def test_unseen_values_listed_beyond_a_sketch_are_estimated_not_dropped():
    """More than 10,000 distinct unseen values cannot all be listed: the split of the rest
    into the reference's rare values and new ones is estimated, and new ones still count."""
    rng = np.random.default_rng(5)
    draw = lambda n: np.array([f"v{i}" for i in rng.zipf(1.2, n) % 100_000], dtype=object)  # noqa: E731
    prof = quiet(kd.profile, pd.DataFrame({"x": draw(400_000)}))
    half = np.concatenate([draw(30_000), np.array([f"new{i}" for i in range(30_000)], dtype=object)])
    counted = kd.count(prof, pd.DataFrame({"x": half}))
    assert not counted["x"].unseen_complete
    result = kd.compare(prof, counted)["x"]
    assert result.status == "drift" and result.novel_fraction == pytest.approx(0.5, abs=0.05)


# --- identifier-like columns --------------------------------------------------------------


def test_identifier_like_columns_get_their_own_status_unless_scored():
    rng = np.random.default_rng(1)
    reference = pd.DataFrame(
        {
            "order_id": [f"ORD-{i:06d}" for i in range(1000)],
            "row": np.arange(1000),
            "hash": rng.integers(2**62, 2**63 - 1, 1000, dtype=np.int64).astype(np.uint64) * np.uint64(2),
            "plan": rng.choice(["a", "b", "c"], 1000),
            "amount": rng.normal(size=1000),
        }
    )
    prof = quiet(kd.profile, reference)
    assert [c.name for c in prof if c.identifier] == ["order_id", "row", "hash"]
    current = pd.DataFrame(
        {
            "order_id": [f"ORD-{i:06d}" for i in range(1000, 2000)],
            "row": np.arange(1000, 2000),
            "hash": rng.integers(2**62, 2**63 - 1, 1000, dtype=np.int64).astype(np.uint64) * np.uint64(2),
            "plan": rng.choice(["a", "b", "c"], 1000),
            "amount": rng.normal(size=1000),
        }
    )
    report = quiet(kd.compare, prof, current)
    for name in ("order_id", "row", "hash"):
        assert report[name].status == "identifier" and not report[name].drifted
        assert "identifier-like" in report[name].reason and "score_identifiers=True" in report[name].reason
    assert not report.drifted
    assert "identifier" in report.to_frame().loc["row", "status"]
    scored = quiet(kd.compare, prof, current, score_identifiers=True)
    # New row ids are all out of the reference range: scored, that is drift.
    assert scored["row"].status == "drift" and scored["row"].out_of_range_fraction == 1.0
    with pytest.raises(ValueError, match="`score_identifiers` must be True or False"):
        kd.compare(prof, current, score_identifiers="yes")


def test_a_few_distinct_values_are_not_identifiers():
    prof = quiet(kd.profile, pd.DataFrame({"c": [f"v{i}" for i in range(60)], "n": np.arange(60)}))
    assert prof["c"].identifier is None and prof["n"].identifier is None


# --- values beyond the reference range ------------------------------------------------------


def test_out_of_range_fraction_in_every_output():
    rng = np.random.default_rng(2)
    reference = pd.DataFrame({"temp": rng.normal(30, 8, 2000), "when": pd.date_range("2024-01-01", periods=2000, freq="h")})
    current = pd.DataFrame({"temp": rng.normal(75, 8, 2000), "when": pd.date_range("2024-07-01", periods=2000, freq="h")})
    prof = kd.profile(reference)
    report = kd.compare(prof, current)
    temp = report["temp"]
    above = float(np.mean(current["temp"] > reference["temp"].max()))
    assert temp.out_of_range_fraction == pytest.approx(above)
    assert temp.explanations[0] == f"{above:.1%} of values lie above the reference maximum {prof['temp'].bins.range_labels[1]}"
    assert report["when"].out_of_range_fraction == 1.0
    assert report["when"].explanations[0].startswith("100.0% of dates lie above the reference maximum 2024-03-24T07:00")
    # Not capped near ln(10) by an open tail bin any more.
    assert temp.statistic > 3
    assert report.to_frame().loc["temp", "out_of_range_fraction"] == pytest.approx(above)
    assert json.loads(report.to_json())["columns"][0]["out_of_range_fraction"] == pytest.approx(above)
    from kl_drift.reporting.markdown import render_markdown

    assert f"{100 * above:.1f}% out of range" in render_markdown(report, reference="jan", current=["jul"])
    inside = kd.compare(prof, reference.sample(500, random_state=0))["temp"]
    assert inside.out_of_range_fraction == 0.0


def test_values_just_beyond_the_range_land_in_their_own_bins():
    prof = kd.profile(pd.DataFrame({"x": [1.5, 2.0, 2.5] * 40}), discrete_threshold=0, bins=2)
    col = prof["x"]
    assert col.bins.edges[0] == just_below(1.5) and col.bins.edges[-1] == 2.5
    counted = col.count(pd.Series([1.4999999, 1.5, 2.5, 2.5000001]))
    assert counted.counts[0] == 1 and counted.counts[-2] == 1


# --- numbers floats cannot hold -------------------------------------------------------------


def test_uint64_and_nullable_int64_beyond_two_to_the_53_are_counted_exactly():
    base = np.uint64(2**64 - 10_000)
    reference = pd.DataFrame({"u": base + np.arange(0, 4000, 2, dtype=np.uint64) % np.uint64(1000),
                              "i": pd.array([2**60 + (k % 500) for k in range(1999)] + [None], dtype="Int64")})
    prof = quiet(kd.profile, reference)
    assert prof["u"].bins.high == int(base) + 998 and prof["i"].bins.low == 2**60
    # One apart, beyond 2**53: as floats these would be the same number.
    current = pd.DataFrame({"u": np.array([int(base) + 999] * 10, dtype=np.uint64),
                            "i": pd.array([2**60 + 500] * 9 + [None], dtype="Int64")})
    report = quiet(kd.compare, prof, current, score_identifiers=True)
    assert report["u"].out_of_range_fraction == 1.0
    assert report["i"].out_of_range_fraction == pytest.approx(0.9) and report["i"].missing_current == pytest.approx(0.1)
    same = quiet(kd.compare, prof, reference, score_identifiers=True)
    assert same["u"].statistic == 0.0 and same["i"].statistic == 0.0


def test_a_reference_without_finite_values_has_a_clear_reason():
    reference = pd.DataFrame({"x": [np.inf] * 300, "y": [np.nan] * 300})
    current = pd.DataFrame({"x": np.linspace(0, 1, 300), "y": [np.nan] * 300})
    report = quiet(kd.compare, reference, current)
    assert report["x"].status == "drift"
    assert report["x"].reason.startswith("the reference has no finite values (300 ±inf, 0 missing)")
    assert report["x"].bin_labels == ("±inf", "finite values", "(missing)")
    assert report["y"].status == "ok" and "no finite values" in report["y"].reason


# --- profiles written by 0.1.0 ------------------------------------------------------------------


def test_a_0_1_0_profile_still_loads_and_compares():
    prof = kd.ReferenceProfile.load(V1_PROFILE)
    assert prof.kl_drift_version == "0.1.0"
    assert prof["sku"].pooled is None and prof["amount"].bins.low is None
    rng = np.random.default_rng(4)
    current = pd.DataFrame(
        {
            "amount": np.round(rng.lognormal(3, 1, 300), 2),
            "plan": rng.choice(["basic", "pro", "team", "new"], 300, p=[0.5, 0.3, 0.1, 0.1]),
            "sku": [f"sku-{v:03d}" for v in rng.zipf(1.3, 300) % 90],
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 30 * 86400, 300), unit="s"),
        }
    )
    report = quiet(kd.compare, prof, current)
    assert report["plan"].status == "drift" and report["plan"].novel_fraction > 0.05
    assert report["amount"].out_of_range_fraction is None and report["sku"].expected_novel_fraction is None
    assert {c.status for c in report} <= {"ok", "warn", "drift"}


# --- timestamps held as text ----------------------------------------------------------------


def test_iso_8601_text_is_binned_as_datetimes_unless_asked_not_to():
    hours = pd.date_range("2013-01-01", periods=600, freq="h", tz="UTC")
    reference = pd.DataFrame({"time_hour": hours.strftime("%Y-%m-%dT%H:%M:%SZ"), "day": hours.strftime("%Y-%m-%d")})
    prof = kd.profile(reference)
    for name in ("time_hour", "day"):
        assert prof[name].kind == "datetime" and prof[name].bins.text and prof[name].dtype in ("str", "object")
    assert prof["time_hour"].bins.tz == "UTC" and prof["day"].bins.tz is None
    later = pd.DataFrame({"time_hour": (hours + pd.Timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ"), "day": reference["day"]})
    report = kd.compare(prof, later)
    assert report["time_hour"].status == "drift" and report["time_hour"].out_of_range_fraction == 1.0
    # The current may also hold real datetimes, or text that is not a timestamp.
    assert kd.compare(prof, pd.DataFrame({"time_hour": hours, "day": reference["day"]}))["time_hour"].statistic == 0.0
    bad = kd.compare(prof, pd.DataFrame({"time_hour": ["soon"] * 10, "day": ["2013-01-01"] * 10}))["time_hour"]
    assert bad.status == "type_mismatch" and "ISO 8601" in bad.reason and "'soon'" in bad.reason
    as_text = kd.profile(reference, parse_dates=False)
    assert as_text["time_hour"].kind == "categorical" and as_text.settings["parse_dates"] is False
    assert kd.ReferenceProfile.from_dict(prof.to_dict()) == prof
    with pytest.raises(ValueError, match="`parse_dates` must be True or False"):
        kd.profile(reference, parse_dates="no")


def test_text_with_mixed_offsets_or_other_words_stays_text():
    mixed = pd.DataFrame({"t": ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00"] * 30, "w": ["2024-01-01", "soon"] * 30})
    prof = kd.profile(mixed)
    assert prof["t"].kind == "categorical" and prof["w"].kind == "categorical"


@pytest.mark.parametrize("dtype", [object, "string[pyarrow]"])
def test_iso_text_is_judged_on_every_value_not_only_the_first_ones(dtype):
    """The first values are tested before the column is hashed; every value still decides."""
    days = pd.date_range("2024-01-01", periods=200, freq="D").strftime("%Y-%m-%d").tolist()
    late_word = pd.Series(days + ["soon"], dtype=dtype)  # ISO for the first 200 rows only
    late_dates = pd.Series([None] * 150 + days, dtype=dtype)  # no value among the first rows
    prof = kd.profile(pd.DataFrame({"late_word": late_word, "late_dates": late_dates.reindex(late_word.index)}))
    assert prof["late_word"].kind == "categorical"
    assert prof["late_dates"].kind == "datetime" and prof["late_dates"].bins.tz is None
