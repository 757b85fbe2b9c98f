"""`ColumnDrift.explanations` is written when first read, and is then what it always was.

Scoring keeps the sentences' inputs (a `_Deferred`) instead of writing them: a timeline's
heatmap, charts and frame never read them. These tests pin that nothing else changes: the
sentences equal `explain` on the result's own numbers, equality, pickling, copies,
``dataclasses.replace`` and `to_dict` see the written tuple, and a ColumnDrift made by hand
keeps what it was given.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
import kl_drift._scoring as scoring
from kl_drift._explain import explain
from kl_drift.report import ColumnDrift, _Deferred


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    n = 4_000
    ref = pd.DataFrame({
        "x": rng.normal(0, 1, n),
        "plan": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        "code": [f"c{v}" for v in rng.zipf(1.5, n)],
    })  # fmt: skip
    cur = pd.DataFrame({
        "x": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0.5, 1, n)),
        "plan": rng.choice(["a", "b", "c", "d"], n, p=[0.3, 0.3, 0.2, 0.2]),
        "code": [f"c{v}" for v in rng.zipf(1.3, n)],
    })  # fmt: skip
    return ref, cur


def _compare() -> kd.DriftReport:
    ref, cur = _frames()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        return kd.compare(ref, cur)


def test_scoring_writes_no_sentence_until_one_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counting(spec: Any, *args: Any, **kwargs: Any) -> tuple[str, ...]:
        calls.append(type(spec).__name__)
        return explain(spec, *args, **kwargs)

    monkeypatch.setattr(scoring, "explain", counting)
    report = _compare()
    assert calls == [], "scoring wrote sentences nobody read"
    first = report["plan"].explanations
    assert len(calls) == 1 and first and all(isinstance(s, str) for s in first)
    assert report["plan"].explanations is first and len(calls) == 1, "written once, then kept"
    assert isinstance(vars(report["plan"])["explanations"], tuple) and not isinstance(
        vars(report["plan"])["explanations"], _Deferred
    )
    # The other columns are still unwritten, and are written when read.
    assert isinstance(vars(report["x"])["explanations"], _Deferred)
    assert report["x"].explanations and len(calls) == 2


def test_written_sentences_are_explain_on_the_results_own_numbers() -> None:
    report = _compare()
    profile_bins = {c.name: c.bins for c in kd.profile(_frames()[0]).columns}
    for c in report:
        expected = explain(
            profile_bins[c.column], c.reference_proportions, c.current_proportions, c.contributions,
            unseen_examples=c.unseen_examples, n_current=c.n_current, expected_novel=c.expected_novel_fraction,
        )  # fmt: skip
        assert c.explanations == expected
    assert any("rose" in s or "fell" in s for c in report for s in c.explanations)


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "copy", "replace", "to_dict", "eq", "hash"])
def test_unread_sentences_survive_every_way_of_handling_a_result(how: str) -> None:
    fresh, read = _compare()["plan"], _compare()["plan"]
    expected = read.explanations
    assert isinstance(vars(fresh)["explanations"], _Deferred)
    if how == "pickle":
        assert pickle.loads(pickle.dumps(fresh)).explanations == expected
    elif how == "deepcopy":
        assert copy.deepcopy(fresh).explanations == expected
    elif how == "copy":
        assert copy.copy(fresh).explanations == expected
    elif how == "replace":
        assert dataclasses.replace(fresh, status="ok").explanations == expected
    elif how == "to_dict":
        assert fresh.to_dict()["explanations"] == list(expected)
    elif how == "eq":
        # Equal results, one read and one not; and unequal when the sentences differ.
        assert fresh == read
        assert fresh != dataclasses.replace(read, explanations=expected[::-1] + ("another",))
    else:
        assert hash(fresh) == hash(read)
    assert fresh.explanations == expected


def test_a_result_made_by_hand_keeps_what_it_was_given() -> None:
    made = dataclasses.replace(_compare()["plan"], explanations=("one sentence",))
    assert made.explanations == ("one sentence",)
    assert ColumnDrift.__dataclass_fields__["explanations"].default == ()
    plain = {f.name: getattr(made, f.name) for f in dataclasses.fields(ColumnDrift)}
    plain.pop("explanations")
    assert ColumnDrift(**plain).explanations == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.explanations = ("changed",)  # type: ignore[misc]
