"""Figure builders, tested as plain functions (AppTest cannot look inside plotly)."""

from __future__ import annotations

import numpy as np
import pytest

from model import charts, format
from model.analysis.summaries import histogram_frame
from model.core.dataset import AsOf, Dataset
from model.core.hits import build_hits
from model.core.scoring import explain, score
from model.core.spec import ScoringModel


def test_histogram_is_small_stacked_and_marks_bands(model: ScoringModel) -> None:
    counts = np.arange(303).reshape(3, 101)
    fig = charts.figure_score_histogram(histogram_frame(counts, width=5), model, width=5)
    assert [t.name for t in fig.data] == ["won", "lost", "open"]
    assert [t.marker.color for t in fig.data] == [charts.WON, charts.LOST, charts.OPEN]
    assert all(len(t.y) == 21 for t in fig.data)
    assert sum(sum(t.y) for t in fig.data) == counts.sum()
    assert [s.x0 for s in fig.layout.shapes] == [75, 50]
    assert fig.layout.shapes[0].line.dash == "solid"  # the sales-ready threshold
    assert len(fig.to_json()) < 20_000


def test_waterfall_ends_at_the_score(demo_dataset: Dataset, model: ScoringModel) -> None:
    hits = build_hits(demo_dataset, model, AsOf())
    scores = score(hits, model)
    e = explain(hits, model, 11, scores)
    fig = charts.figure_waterfall(e)
    bar = fig.data[0]
    assert list(bar.measure)[-1] == "total"
    assert sum(bar.y[:-1]) == pytest.approx(bar.y[-1])
    assert bar.y[-1] == scores.score[11]


@pytest.mark.parametrize(
    ("value", "count", "money"),
    [(0, "0", "$0"), (999, "999", "$999"), (1234, "1,234", "$1.2k"), (2.5e6, "2,500,000", "$2.5M")],
)
def test_numbers_for_people(value: float, count: str, money: str) -> None:
    assert format.count(value) == count  # counts in full, as the tables write them
    assert format.money(value) == money


def test_percent_and_missing_values() -> None:
    assert format.percent(0.1843) == "18.4 %"
    assert format.percent(float("nan")) == "–"
    assert format.money(float("nan")) == "–"
    assert format.money(-2_500) == "-$2.5k"
