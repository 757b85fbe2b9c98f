"""Numeric bins: quantile and uniform edges, right-closed bins with open tails, ±inf, collapsing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift._core.bins import count_numeric, just_below, with_range


def cut_counts(values: np.ndarray, edges: tuple[float, ...]) -> list[int]:
    """Independent count: pandas.cut into (-inf, e1], ..., (ek, inf), then the missing count."""
    values = np.asarray(values, dtype=float)
    bounds = [-np.inf, *edges, np.inf]
    finite_or_inf = values[~np.isnan(values)]
    # labels=False: integer codes (pandas' interval labels fail on edges near 0 such as the
    # one just below a minimum of 0.0).
    codes = pd.cut(finite_or_inf, bounds, right=True, labels=False)
    # pandas.cut leaves -inf outside (-inf, e1], an interval open at -inf; it belongs there.
    codes = np.where(finite_or_inf == -np.inf, 0, codes).astype(int)
    per_bin = np.bincount(codes, minlength=len(bounds) - 1)
    return [*per_bin.tolist(), int(np.count_nonzero(np.isnan(values)))]


def fitted(spec: kd.NumericBins) -> tuple:
    """The fitted edges: the profile's edges without the two marking the reference range
    (for data whose maximum is not itself a fitted edge)."""
    assert spec.low is not None, "profiles keep the reference range"
    return tuple(e for e in spec.edges if e not in (just_below(spec.low), spec.high))


def numeric_profile(values, **options) -> kd.ColumnProfile:
    options.setdefault("discrete_threshold", 0)
    return kd.profile(pd.DataFrame({"x": values}), **options)["x"]


@pytest.mark.parametrize("bins", [2, 4, 10, 17])
def test_quantile_edges_are_inverted_cdf_order_statistics(rng, bins):
    x = rng.lognormal(size=1234)
    col = numeric_profile(x, bins=bins)
    want = np.unique(np.quantile(x, np.arange(1, bins) / bins, method="inverted_cdf"))
    assert isinstance(col.bins, kd.NumericBins)
    np.testing.assert_array_equal(np.asarray(fitted(col.bins)), want)
    # Order statistics are values that occur in the data.
    assert set(fitted(col.bins)) <= set(x.tolist())
    assert col.bins.edges == with_range(fitted(col.bins), float(x.min()), float(x.max()))


def test_quantile_edges_of_integers_are_integers(rng):
    x = rng.integers(-1000, 1000, 999)
    col = numeric_profile(x, bins=7)
    want = np.unique(np.quantile(x, np.arange(1, 7) / 7, method="inverted_cdf"))
    assert fitted(col.bins) == tuple(int(v) for v in want)
    assert all(isinstance(e, int) for e in col.bins.edges)
    assert (col.bins.low, col.bins.high) == (int(x.min()), int(x.max())) and col.bins.edges[0] == x.min() - 1


def test_quantile_edges_ignore_missing_values(rng):
    x = rng.normal(size=500)
    with_nan = np.concatenate([x, np.full(80, np.nan)])
    rng.shuffle(with_nan)
    col = numeric_profile(with_nan, bins=5)
    want = np.unique(np.quantile(x, np.arange(1, 5) / 5, method="inverted_cdf"))
    np.testing.assert_array_equal(np.asarray(fitted(col.bins)), want)
    assert col.counts[-1] == 80


def test_reference_counts_match_pandas_cut(rng):
    x = rng.normal(size=2000)
    x[rng.random(2000) < 0.1] = np.nan
    col = numeric_profile(x, bins=8)
    assert list(col.counts) == cut_counts(x, col.bins.edges)
    assert col.n_rows == 2000


def test_open_tails_catch_out_of_range_current_values(rng):
    ref = pd.DataFrame({"x": rng.uniform(0, 1, 1000)})
    cur = pd.DataFrame({"x": [-1e9, -5.0, 0.5, 2.0, 1e12, np.nan]})
    prof = kd.profile(ref, bins=4, discrete_threshold=0)
    col = kd.compare(prof, cur)["x"]
    assert sum(col.current_counts) == len(cur)
    assert col.current_counts[0] == 2  # the two values below the reference range
    assert col.current_counts[-2] == 2  # the two above it
    assert col.out_of_range_fraction == pytest.approx(4 / 6)
    assert col.current_counts[-1] == 1
    assert list(col.current_counts) == cut_counts(cur["x"].to_numpy(), prof["x"].bins.edges)


def test_bins_are_right_closed():
    prof = kd.profile(pd.DataFrame({"x": np.linspace(-5, 15, 200)}), edges={"x": [0, 10]})
    assert prof["x"].bins.edges == (just_below(-5.0), 0.0, 10.0, 15.0)
    assert prof["x"].labels == ("(-inf, -5)", "[-5, 0]", "(0, 10]", "(10, 15]", "(15, +inf)", "(missing)")
    counted = prof["x"].count(pd.Series([0.0, 1e-9, 10.0, 10.000001, -0.0, -5.0, -5.000001, 15.0, 15.000001]))
    # 0 and -0 lie in [-5, 0]; 10 in (0, 10]; just above an edge goes up a bin; the range
    # edges split off what lies beyond the reference's minimum and maximum.
    assert counted.counts == (1, 3, 2, 2, 1, 0)


def test_integer_values_on_edges_go_to_the_lower_bin():
    x = np.arange(100)
    col = numeric_profile(x, bins=4)
    assert col.bins.edges == (-1, 24, 49, 74, 99)
    assert col.count(pd.Series([-1, 0, 24, 25, 49, 50, 74, 75, 99, 100])).counts == (1, 2, 2, 2, 2, 1, 0)


def test_many_edges_use_the_same_right_closed_rule(rng):
    """Above ~24 edges counting switches algorithm; the bins must not change meaning."""
    x = rng.normal(size=5000)
    col = numeric_profile(x, bins=60)
    edges = col.bins.edges
    probe = np.concatenate([np.asarray(edges), np.asarray(edges) + 1e-12, [np.nan, np.inf, -np.inf]])
    counted, n_inf = count_numeric(probe, edges)
    assert counted.tolist() == cut_counts(probe, edges)
    assert n_inf == 2
    few = edges[:5]
    counted_few, _ = count_numeric(probe, few)
    assert counted_few.tolist() == cut_counts(probe, few)


def test_constant_column_collapses_to_one_edge():
    with pytest.warns(kd.ConstantInputWarning, match="'x'"):
        col = numeric_profile(np.full(100, 3.5), bins=10)
    assert col.bins.edges == (just_below(3.5), 3.5)
    assert col.labels == ("(-inf, 3.5)", "[3.5, 3.5]", "(3.5, +inf)", "(missing)")
    assert col.counts == (0, 100, 0, 0)
    cur = col.count(pd.Series([3.5, 3.4, 3.6, np.nan]))
    assert cur.counts == (1, 1, 1, 1)


def test_constant_column_with_default_discrete_threshold_is_one_category():
    with pytest.warns(kd.ConstantInputWarning, match="'x'"):
        col = kd.profile(pd.DataFrame({"x": np.full(100, 7)}))["x"]
    assert isinstance(col.bins, kd.CategoricalBins)
    assert col.bins.categories == (7,)
    assert col.count(pd.Series([7.0, 8, 7])).counts == (2, 1, 0)


def test_heavily_discrete_column_collapses_duplicate_edges(rng):
    x = np.where(rng.random(3000) < 0.85, 0.0, rng.exponential(size=3000))
    col = numeric_profile(x, bins=10)
    raw = np.quantile(x, np.arange(1, 10) / 10, method="inverted_cdf")
    assert len(fitted(col.bins)) < len(raw)
    # 0 is both the minimum and a quantile edge: only the edge just below it is added.
    assert col.bins.edges == with_range(tuple(np.unique(raw).tolist()), 0.0, float(x.max()))
    assert np.all(np.diff(col.bins.edges) > 0)
    assert list(col.counts) == cut_counts(x, col.bins.edges)
    assert col.counts[0] == 0 and col.counts[1] == np.count_nonzero(x == 0)


@pytest.mark.parametrize("bins", [3, 5, 12])
def test_uniform_strategy_has_equal_width_edges(rng, bins):
    x = rng.uniform(-3, 9, 700)
    col = numeric_profile(x, bins=bins, strategy="uniform")
    want = np.linspace(x.min(), x.max(), bins + 1)[1:-1]
    np.testing.assert_allclose(np.asarray(fitted(col.bins)), want, rtol=0, atol=1e-12)
    assert list(col.counts) == cut_counts(x, col.bins.edges)


def test_uniform_strategy_ignores_infinities_for_the_range(rng):
    x = np.concatenate([rng.uniform(0, 10, 300), [np.inf, -np.inf]])
    col = numeric_profile(x, bins=5, strategy="uniform")
    finite = x[np.isfinite(x)]
    np.testing.assert_allclose(fitted(col.bins), np.linspace(finite.min(), finite.max(), 6)[1:-1])
    assert (col.bins.low, col.bins.high) == (finite.min(), finite.max())
    assert col.n_inf == 2


def test_explicit_edges_are_used_as_given(rng):
    x = rng.normal(size=500)
    prof = kd.profile(pd.DataFrame({"x": x, "y": x}), edges={"x": [-1, 0, 1]}, discrete_threshold=0)
    assert fitted(prof["x"].bins) == (-1.0, 0.0, 1.0)
    assert list(prof["x"].counts) == cut_counts(x, prof["x"].bins.edges)
    assert len(fitted(prof["y"].bins)) == 9


def test_per_column_bins_override(rng):
    df = pd.DataFrame({"a": rng.normal(size=1000), "b": rng.normal(size=1000)})
    prof = kd.profile(df, bins={"a": 20})
    assert len(fitted(prof["a"].bins)) == 19
    assert len(fitted(prof["b"].bins)) == 9


def test_per_column_strategy_override(rng):
    df = pd.DataFrame({"a": rng.exponential(size=1000), "b": rng.exponential(size=1000)})
    prof = kd.profile(df, bins=4, strategy={"a": "uniform"})
    a, b = df["a"].to_numpy(), df["b"].to_numpy()
    np.testing.assert_allclose(fitted(prof["a"].bins), np.linspace(a.min(), a.max(), 5)[1:-1])
    np.testing.assert_array_equal(
        fitted(prof["b"].bins), np.quantile(b, [0.25, 0.5, 0.75], method="inverted_cdf")
    )


def test_infinities_go_to_the_tails_and_are_counted(rng):
    x = np.concatenate([rng.normal(size=400), [np.inf, np.inf, -np.inf, np.nan]])
    prof = kd.profile(pd.DataFrame({"x": x}), bins=4)
    col = prof["x"]
    assert col.kind == "numeric" and isinstance(col.bins, kd.NumericBins)
    assert col.n_inf == 3
    assert np.all(np.isfinite(col.bins.edges))
    assert list(col.counts) == cut_counts(x, col.bins.edges)
    cur = pd.DataFrame({"x": np.concatenate([rng.normal(size=300), [-np.inf] * 5, [np.inf]])})
    drift = kd.compare(prof, cur)["x"]
    assert drift.n_inf_reference == 3
    assert drift.n_inf_current == 6
    assert list(drift.current_counts) == cut_counts(cur["x"].to_numpy(), col.bins.edges)


def test_a_few_distinct_values_with_infinities_stay_numeric():
    """With ±inf present a low-cardinality column is not turned into categories."""
    x = np.array([1.0, 2.0, 3.0, np.inf] * 25)
    col = kd.profile(pd.DataFrame({"x": x}), bins=3)["x"]
    assert isinstance(col.bins, kd.NumericBins)
    assert col.n_inf == 25
    assert sum(col.counts) == 100


def test_numeric_bin_spec_rejects_unsorted_or_non_finite_edges():
    with pytest.raises(ValueError, match="strictly increasing"):
        kd.NumericBins((1.0, 1.0))
    with pytest.raises(ValueError, match="finite"):
        kd.NumericBins((0.0, np.inf))


def test_labels_are_readable_and_in_count_order():
    col = kd.profile(pd.DataFrame({"x": np.linspace(0, 1, 101)}), edges={"x": [0.25, 0.5]})["x"]
    assert col.labels == ("(-inf, 0)", "[0, 0.25]", "(0.25, 0.5]", "(0.5, 1]", "(1, +inf)", "(missing)")
    assert len(col.labels) == len(col.counts) == col.bins.n_bins


def test_close_edges_get_distinct_labels():
    col = kd.profile(pd.DataFrame({"x": np.linspace(0, 1, 101)}), edges={"x": [0.1234567, 0.1234568]})["x"]
    assert len(set(col.labels)) == len(col.labels)


def test_integer_current_values_against_fractional_edges():
    """Edges fitted on float data must not be truncated when the current column is integer."""
    prof = kd.profile(pd.DataFrame({"x": np.linspace(-5, 5, 101)}), edges={"x": [-2.5, 0.5, 2.5]})
    values = np.arange(-4, 5).repeat(3)
    as_int = prof["x"].count(pd.Series(values, dtype="int64")).counts
    as_float = prof["x"].count(pd.Series(values, dtype="float64")).counts
    assert list(as_float) == cut_counts(values, prof["x"].bins.edges)
    assert as_int == as_float


def test_integer_reference_with_fractional_explicit_edges():
    x = np.arange(-5, 6).repeat(3)
    col = kd.profile(pd.DataFrame({"x": x}), edges={"x": [-2.5, 0.5, 2.5]})["x"]
    assert col.bins.edges == (-6, -2.5, 0.5, 2.5, 5)
    assert list(col.counts) == cut_counts(x, col.bins.edges)


def test_integer_current_against_many_fractional_edges(rng):
    """The searchsorted path (many edges) must agree with the comparison path."""
    ref = rng.normal(0, 20, 3000)
    col = numeric_profile(ref, bins=50)
    cur = rng.integers(-60, 60, 2000)
    assert list(col.count(pd.Series(cur)).counts) == cut_counts(cur, col.bins.edges)


@pytest.mark.parametrize(
    "floor",
    [-np.finfo(np.float64).max, np.iinfo(np.int64).min],
    ids=["lowest-float64", "lowest-int64"],
)
def test_minimum_at_the_floor_of_its_type_is_profiled_without_a_range(rng, floor, tmp_path):
    # No value lies below the lowest float64 / int64, so there is no "below the minimum" bin
    # to count into; the column must still profile, save, stream and compare, with every
    # row counted once.
    body = rng.integers(0, 1_000, size=2_000)
    values = np.r_[body.astype(np.float64) if isinstance(floor, float) else body, floor]
    ref = pd.DataFrame({"x": values})
    prof = kd.profile(ref, discrete_threshold=0)
    spec = prof["x"].bins
    assert not spec.has_range
    assert all(np.isfinite(float(e)) and e > floor for e in spec.edges)
    assert int(np.sum(prof["x"].counts)) == len(ref)
    path = tmp_path / "ref.parquet"
    ref.to_parquet(path)
    streamed = kd.profile_dataset(path, discrete_threshold=0)
    assert streamed["x"].bins == spec
    assert list(streamed["x"].counts) == list(prof["x"].counts)
    shifted = pd.DataFrame({"x": values + 500})
    shifted.loc[len(values) - 1, "x"] = floor
    prof.save(tmp_path / "profile.json")
    report = kd.compare(kd.ReferenceProfile.load(tmp_path / "profile.json"), shifted)
    assert report["x"].n_current == len(shifted)
    assert report["x"].drifted


def test_room_below_the_floor_of_each_type():
    from kl_drift._core.bins import room_below

    assert room_below(0.0) and room_below(-1e308) and room_below(-(2**63) + 2)
    assert not room_below(-np.finfo(np.float64).max)
    assert not room_below(-(2**63)) and not room_below(-(2**63) + 1)
    with np.errstate(over="raise"):
        assert just_below(-np.finfo(np.float64).max) == -np.inf
