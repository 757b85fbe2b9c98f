"""Text, Markdown, HTML and SVG renderings of drift reports and histories."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift.reporting import escape_markdown, render_history_html, render_html, render_markdown, render_text
from kl_drift.reporting.history import HistoryRow
from kl_drift.reporting.svg import bar_chart
from kl_drift.reporting.timeline import PeriodPoint, trend_chart

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_VALUE = "</text></svg><script>alert('x')</script>|*_"
HOSTILE_FILE = '"><marquee>today</marquee>.csv'


class Page(HTMLParser):
    """Tags, attributes and text of a page, with entities decoded as a browser would."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def named(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == name]


@pytest.fixture
def hostile_report() -> kd.DriftReport:
    rng = np.random.default_rng(2)
    values = np.array(["plain", HOSTILE_VALUE, "other"], dtype=object)
    reference = pd.DataFrame({HOSTILE: rng.choice(values, 500, p=[0.6, 0.2, 0.2]), "x": rng.normal(size=500)})
    current = pd.DataFrame({HOSTILE: rng.choice(values, 400, p=[0.2, 0.6, 0.2]), "x": rng.normal(size=400)})
    return kd.compare(reference, current)


def test_html_keeps_user_strings_as_text(hostile_report: kd.DriftReport) -> None:
    page = Page(render_html(hostile_report, reference=HOSTILE_FILE, current=[HOSTILE_FILE], fingerprint="sha256:<x>"))
    names = {tag for tag, _ in page.tags}
    assert not names & {"img", "script", "iframe", "object", "embed", "link", "marquee"}
    assert not [attrs for _, attrs in page.tags if any(key.startswith("on") for key in attrs)]
    text = "".join(page.text)
    assert HOSTILE in text and HOSTILE_VALUE in text and HOSTILE_FILE in text
    svg_titles = [t for t in page.text if HOSTILE_VALUE in t and "reference" in t]
    assert svg_titles, "the bar tooltips name the category"


def test_html_is_self_contained(hostile_report: kd.DriftReport) -> None:
    text = render_html(hostile_report, reference="r.json", current=["c.csv"])
    page = Page(text)
    csp = [a for a in page.named("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")
    urls = re.findall(r"(?:src|href)=\"([^\"#][^\"]*)\"", text) + re.findall(r"url\(", text)
    assert urls == []
    assert len(page.named("svg")) == sum(1 for c in hostile_report if c.bin_labels)


def test_html_lists_columns_most_severe_first() -> None:
    rng = np.random.default_rng(4)
    reference = pd.DataFrame({"stable": rng.normal(size=2000), "moved": rng.normal(size=2000), "gone": rng.normal(size=2000)})
    current = pd.DataFrame({"stable": rng.normal(size=2000), "moved": rng.normal(1, 1, 2000)})
    report = kd.compare(reference, current)
    page = Page(render_html(report, reference="r", current=["c"]))
    headings = [t.strip() for t in page.text if t.strip() in ("stable", "moved", "gone")]
    # Overview table first, then the sections, both ordered: drifted, missing, ok.
    assert headings[:3] == headings[3:6]
    assert headings[2] == "stable" and set(headings[:2]) == {"moved", "gone"}


def _bars(svg: str) -> list[float]:
    """Widths of the data bars (the legend swatches are the two 10x10 squares at y=6)."""
    return [float(w) for y, w in re.findall(r'<rect x="[\d.]+" y="(\d+)" width="([\d.]+)" height="9"', svg) if y != "6"]


def test_bar_lengths_are_proportional_to_the_shares() -> None:
    rng = np.random.default_rng(8)
    reference = pd.Series(rng.choice(["a", "b", "c", "d"], 1000, p=[0.4, 0.3, 0.2, 0.1]), name="plan")
    current = pd.Series(rng.choice(["a", "b", "c", "d"], 800, p=[0.1, 0.2, 0.3, 0.4]), name="plan")
    result = kd.score(reference, current)
    svg = bar_chart(result.bin_labels, result.reference_proportions, result.current_proportions)
    widths = np.array(_bars(svg)).reshape(-1, 2)
    shares = np.column_stack(
        [
            [np.mean(reference == v) for v in ("a", "b", "c", "d")] + [0, 0],
            [np.mean(current == v) for v in ("a", "b", "c", "d")] + [0, 0],
        ]
    )
    assert widths.shape == shares.shape
    np.testing.assert_allclose(widths / widths.max(), shares / shares.max(), atol=0.002)


def test_bar_chart_shortens_long_labels_but_keeps_them_in_the_tooltip() -> None:
    label = "x" * 80
    svg = bar_chart([label], [1.0], [1.0])
    page = Page(svg)
    assert label not in page.named("text") and any(label in t for t in page.text)
    assert any(t.endswith("…") and len(t) == 32 for t in page.text)
    with pytest.raises(ValueError, match="same length"):
        bar_chart(["a", "b"], [1.0], [1.0])


def test_trend_chart_places_scores_and_threshold() -> None:
    scores = [0.02, 0.2, None, 0.05]
    statuses = ["ok", "drift", "missing_column", "ok"]
    points = [PeriodPoint(f"2026-07-0{i + 1}", s, 0.1, 0.05, st) for i, (s, st) in enumerate(zip(scores, statuses))]
    svg = trend_chart(points, title=HOSTILE)
    page = Page(svg)
    circles = page.named("circle")
    assert len(circles) == 3
    ys = [float(c["cy"] or 0) for c in circles]
    xs = [float(c["cx"] or 0) for c in circles]
    assert ys[1] < ys[2] < ys[0]  # larger scores higher up
    assert xs[0] < xs[1] < xs[2]
    threshold_y = float(re.search(r'<path d="M[\d.]+ ([\d.]+) ', svg).group(1))  # type: ignore[union-attr]
    expected = ys[0] + (ys[1] - ys[0]) * (0.1 - 0.02) / (0.2 - 0.02)  # linear scale through two points
    assert threshold_y == pytest.approx(expected, abs=0.15)
    assert 'stroke-width="2"/></g>' in svg  # the failed comparison is a cross
    assert HOSTILE not in svg and "&lt;img" in svg


def test_trend_chart_with_one_point_or_equal_labels() -> None:
    assert Page(trend_chart([PeriodPoint("2026-07-01", 0.01, 0.1, 0.05, "ok")])).named("circle")
    same = Page(trend_chart([PeriodPoint("2026-07-01", 0.01 * i, 0.1, 0.05, "ok") for i in range(3)]))
    assert len({c["cx"] for c in same.named("circle")}) == 3
    with pytest.raises(ValueError):
        trend_chart([])


def test_markdown_table_keeps_its_shape_with_hostile_names(hostile_report: kd.DriftReport) -> None:
    text = render_markdown(hostile_report, reference=HOSTILE_FILE, current=[HOSTILE_FILE])
    assert "<img" not in text and "<script" not in text and "<marquee>" not in text
    rows = [line for line in text.splitlines() if line.startswith("|")]
    cells = [len(re.split(r"(?<!\\)\|", row)) for row in rows]
    assert len(rows) == 2 + len(hostile_report.columns) and len(set(cells)) == 1
    assert escape_markdown(HOSTILE) in text


def test_markdown_escape_round_trips_through_a_markdown_reading() -> None:
    # Unescaping backslashes and entities gives back the original text.
    for original in (HOSTILE, HOSTILE_VALUE, "a_b*c`d`[e](f)~g\\h", "two\nlines"):
        escaped = escape_markdown(original)
        unescaped = re.sub(r"\\(.)", r"\1", escaped)
        assert html.unescape(unescaped) == " ".join(original.splitlines())


def test_text_summary_is_aligned_and_printable(hostile_report: kd.DriftReport) -> None:
    text = render_text(hostile_report, reference="ref\x1b[31m.json", current=["a.csv", "b.csv", "c.csv", "d.csv"])
    assert "\x1b" not in text and "and 1 more" in text
    table = text.splitlines()[4:]
    status_at = table[0].index("status")
    assert all(line[status_at:].split()[0] in kd.report.STATUSES for line in table[1:])


def test_history_page_has_one_trend_per_column() -> None:
    rows = [
        HistoryRow(f"run{i}", f"2026-07-0{i + 1}T00:00:00.000000+00:00", "2026-07-09T00:00:00.000000+00:00",
                   f"sha256:{i // 2}", "ref.json", HOSTILE_FILE, column, "numeric", "ok", False, 0.01 * i, 0.1, 0.05,
                   0.5, 0.001, 100, 100, 0.0, 0.0, "current||reference", "nats", 0.5, False, "0.1.0")
        for i in range(3) for column in (HOSTILE, "b")
    ]  # fmt: skip
    page = Page(render_history_html(rows, source="drift.sqlite"))
    assert len(page.named("svg")) == 2 and len(page.named("circle")) == 6
    assert not {tag for tag, _ in page.tags} & {"img", "script", "marquee"}
    text = "".join(page.text)
    assert HOSTILE in text and "2 distinct reference profiles" in text
    empty = Page(render_history_html([], source="drift.sqlite"))
    assert not empty.named("svg") and "No runs" in "".join(empty.text)
