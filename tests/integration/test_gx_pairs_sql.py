"""Column pairs counted in SQL (a SQLite file and a real PostgreSQL server) equal pandas'.

One ``GROUP BY`` of two ``CASE`` expressions per pair (``kl_drift/_engines/sql_pairs.py``),
directly and through the table expectation's ``pairs`` option in a GE validation. The
PostgreSQL runs need ``KL_DRIFT_POSTGRES_URL`` (see ``test_gx_sql.py``).
"""

from __future__ import annotations

import os
import uuid
import warnings

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

gx = pytest.importorskip("great_expectations")
sa = pytest.importorskip("sqlalchemy")
kd_gx = pytest.importorskip("kl_drift.gx")
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

from kl_drift._engines import sql_pairs  # noqa: E402
from kl_drift.pairs import count_pairs  # noqa: E402


def quietly(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        return func(*args, **kwargs)


def frame(n: int, seed: int, *, decoupled: bool = False) -> pd.DataFrame:
    """Every kind of column a pair can hold: floats with NaN and ±inf, integers, text with
    pooled and unseen values and NULLs, datetimes, booleans."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = x + 0.5 * rng.normal(size=n)
    if decoupled:
        y = rng.permutation(y)
    plan = np.array([f"p{int(v)}" for v in np.clip(np.round(2 * x + 6), 0, 14)], dtype=object)
    plan[rng.random(n) < 0.04] = None
    if decoupled:
        plan[:25] = "brand-new"
    f = np.where(rng.random(n) < 0.03, np.nan, y)
    f[:3] = [np.inf, -np.inf, np.nan]
    return pd.DataFrame(
        {
            "x": x,
            "f": f,
            "n": rng.poisson(np.exp(1.5 + 0.4 * x)).astype("int64"),
            "plan": plan,
            "when": pd.Timestamp("2024-03-01") + pd.to_timedelta(np.round((x + 4) * 600), unit="s"),
            "flag": x + rng.normal(size=n) > 0,
        }
    )


PAIRS = [("x", "f"), ("plan", "x"), ("n", "plan"), ("when", "f"), ("flag", "plan"), ("when", "n")]


@pytest.fixture(scope="module")
def reference() -> kd.ReferenceProfile:
    return quietly(kd.profile, frame(6000, seed=1), pairs=PAIRS, max_categories=6)



@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlpairs') / 'pairs.db'}"
    else:
        url = os.environ.get("KL_DRIFT_POSTGRES_URL")
        if not url:
            if os.environ.get("CI"):
                pytest.fail("KL_DRIFT_POSTGRES_URL is unset (CI must run the PostgreSQL tests)")
            pytest.skip("KL_DRIFT_POSTGRES_URL is unset: `export KL_DRIFT_POSTGRES_URL=$(tests/postgres_server.sh start)`")
    bind = sa.create_engine(url)
    tables: list[str] = []
    yield bind, url, tables
    with bind.begin() as conn:
        for t in tables:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{t}"'))
    bind.dispose()


def write(engine, data: pd.DataFrame) -> str:
    bind, _, tables = engine
    name = f"kl_pairs_{uuid.uuid4().hex[:8]}"
    data.to_sql(name, bind, index=False)
    tables.append(name)
    return name


@pytest.mark.parametrize("decoupled", [False, True])
def test_sql_pair_counts_equal_pandas(engine, reference, decoupled) -> None:
    data = frame(4000, seed=2, decoupled=decoupled)
    name = write(engine, data)
    got = sql_pairs.count_pairs(reference, reference.pairs, name, engine[0])
    expected = count_pairs(data, reference, reference.pairs)
    assert [p.columns for p in got] == [p.columns for p in expected]
    for g, e in zip(got, expected):
        assert g.counts == e.counts, g.columns
        assert g.n_rows == len(data)


def test_a_missing_or_mismatched_column_leaves_its_pairs_out(engine, reference) -> None:
    data = frame(500, seed=3).drop(columns="f").assign(n=lambda d: d["plan"].fillna("none"))
    got = sql_pairs.count_pairs(reference, reference.pairs, write(engine, data), engine[0])
    assert [p.columns for p in got] == [("plan", "x"), ("flag", "plan")]


@pytest.mark.parametrize("decoupled", [False, True])
def test_kl_drift_sql_compares_the_profiles_pairs_as_pandas(engine, reference, decoupled) -> None:
    from kl_drift import sql as kds

    data = frame(4000, seed=4, decoupled=decoupled)
    name = write(engine, data)
    got = quietly(kds.compare, reference, name, engine[0])
    expected = quietly(kd.compare, reference, data)
    assert list(got.pairs) == list(expected.pairs) == [tuple(p) for p in PAIRS]
    for key, theirs in expected.pairs.items():
        mine = got.pairs[key]
        assert (mine.status, mine.current_counts) == (theirs.status, theirs.current_counts), key
        assert mine.interaction == pytest.approx(theirs.interaction, abs=1e-12), key
        assert mine.pvalue == pytest.approx(theirs.pvalue, rel=1e-12, abs=1e-300), key
    assert got.pairs[("x", "f")].drifted == decoupled
    # Chosen as compare chooses them; a column the table lacks skips its pairs, saying why.
    assert [p.columns for p in kds.count(reference, name, engine[0], pairs=[("plan", "x")]).pairs] == [("plan", "x")]
    assert kds.count(reference, name, engine[0], pairs=()).pairs == ()
    short = write(engine, data.drop(columns="f"))
    report = quietly(kds.compare, reference, short, engine[0])
    assert report.pairs[("x", "f")].status == "skipped" and "'f'" in report.pairs[("x", "f")].reason
    assert report.pairs[("plan", "x")].status != "skipped"


def test_the_table_expectation_checks_pairs_on_sql(engine, reference) -> None:
    bind, url, _ = engine
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    add = context.data_sources.add_postgres if bind.dialect.name == "postgresql" else context.data_sources.add_sqlite
    source = add("db", connection_string=url)
    results = {}
    for decoupled in (False, True):
        data = frame(4000, seed=4, decoupled=decoupled)
        table = write(engine, data)
        asset = source.add_table_asset(f"a{decoupled}", table_name=table)
        expectation = kd_gx.ExpectTableKlDriftToBeLessThan(reference=reference.to_dict(), threshold="auto", pairs="auto")
        suite = context.suites.add(gx.ExpectationSuite(name=f"s{decoupled}", expectations=[expectation]))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"s{decoupled}", data=asset.add_batch_definition_whole_table("all"), suite=suite)
        )
        (result,) = definition.run().results
        assert not result.exception_info.get("raised_exception"), result.exception_info
        core = quietly(kd.compare, reference, data, threshold="auto")
        by_pair = {tuple(p["columns"]): p for p in result.result["details"]["pairs"]}
        for key, pair in core.pairs.items():
            for field in ("current_counts", "statistic", "interaction", "pvalue", "status"):
                assert by_pair[key][field] == pair.to_dict()[field], (key, field)
        results[decoupled] = (result.success, by_pair[("x", "f")]["status"])
    assert results[False] == (True, "ok")
    assert results[True] == (False, "drift")
