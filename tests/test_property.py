"""Property: events dated at or after a lead's decision moment never change any score."""

from __future__ import annotations

from datetime import datetime
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.core.dataset import AsOf, prepare
from model.core.hits import build_hits
from model.core.scoring import score
from model.core.spec import ScoringModel, default_model
from model.ingest.demo import EVENT_TYPES, generate

TYPES = sorted(EVENT_TYPES)
MODEL = default_model()
POLICIES = st.one_of(
    st.integers(0, 60).map(lambda d: AsOf.parse(f"created+{d}d")),
    st.dates(pd.Timestamp("2024-06-01").date(), pd.Timestamp("2025-12-31").date()).map(
        lambda d: AsOf.parse(d.isoformat())
    ),
)
DECAYS = st.sampled_from(
    [
        {"mode": "none"},
        {"mode": "half_life", "half_life_days": 7, "floor_fraction": 0.5},
        {"mode": "linear", "percent_per_30_days": 50, "floor_fraction": 0.2},
    ]
)


def _frames(seed: int, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Small demo leads and events, with the seed spread over lead ids and event times."""
    data = generate(n, seed=seed)
    return data.leads, data.events


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    as_of=POLICIES,
    decay=DECAYS,
    late_offsets_s=st.lists(st.integers(0, 400 * 86_400), min_size=1, max_size=40),
)
def test_late_events_never_change_scores(
    seed: int, as_of: AsOf, decay: dict, late_offsets_s: list[int]
) -> None:
    rng = np.random.default_rng(seed)
    model = ScoringModel.model_validate({**MODEL.to_dict(), "decay": decay})
    leads, events = _frames(seed, 40)
    base = prepare(leads, events)
    before = score(build_hits(base, model, as_of), model)

    k = len(late_offsets_s)
    who = rng.integers(0, len(leads), k)
    decision = as_of.decision_ns(base.created_ns)[who]
    late = pd.DataFrame(
        {
            "lead_id": leads["lead_id"].to_numpy()[who],
            "occurred_at": pd.to_datetime(decision + np.array(late_offsets_s) * 10**9),
            "event_type": rng.choice(TYPES, k),
        }
    )
    more = prepare(leads, pd.concat([events, late], ignore_index=True))
    after = score(build_hits(more, model, as_of), model)
    np.testing.assert_array_equal(after.score, before.score)
    np.testing.assert_array_equal(after.band, before.band)


TEXTS = st.one_of(
    st.none(),
    st.sampled_from(["Select", " n/a ", "", "\xa0SaaS ", "saas", "VP", "vp\t", "-none-"]),
    st.text(max_size=8),
)


@given(st.lists(TEXTS, min_size=1, max_size=40))
@settings(max_examples=300, deadline=None)
def test_a_few_texts_read_in_plain_python_equal_the_pandas_reading(values) -> None:
    """The scoring API's small batches take Column.of's plain-Python path; it must read
    every string as the pandas path does (trimmed, placeholders missing, sorted levels)."""
    from model.core.dataset import Column

    fast = Column.of(pd.Series(values, dtype=object))
    slow = Column.of(pd.Series(values * 300, dtype=object))  # too long: the pandas path
    assert fast.kind == slow.kind == "text"
    assert list(fast.categories) == list(slow.categories)
    np.testing.assert_array_equal(fast.values, slow.values[: len(values)])
    np.testing.assert_array_equal(fast.missing, slow.missing[: len(values)])


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 3)), max_size=200),
    st.integers(0, 40),
)
@settings(max_examples=300, deadline=None)
def test_events_are_ordered_by_lead_then_time_as_lexsort_orders_them(pairs, long_run) -> None:
    """The compiled order equals np.lexsort's, ties in file order included; a lead with
    more events than the insertion sort takes (32) goes through the merge sort. The times
    and runs that come with it are the events' own, in that order."""
    from model.core.hits import events_by_lead

    pairs = pairs + [(6, (i * 7919) % 11 - 5) for i in range(long_run)]
    lead = np.array([p[0] for p in pairs], dtype=np.int32)
    ns = np.array([p[1] for p in pairs], dtype=np.int64)
    starts, order, times = events_by_lead(lead, ns, 8)
    np.testing.assert_array_equal(order, np.lexsort((ns, lead)))
    np.testing.assert_array_equal(times, ns[order])
    np.testing.assert_array_equal(
        starts, np.concatenate([[0], np.cumsum(np.bincount(lead, minlength=8))])
    )


@given(st.lists(TEXTS, min_size=1, max_size=60), st.data())
@settings(max_examples=300, deadline=None)
def test_event_texts_are_coded_as_pandas_categories_code_them(values, data) -> None:
    """Event types and channels are coded by Arrow (or from a category's own codes); the
    codes and the sorted names are pd.Categorical's of the trimmed text of the kept rows,
    -1 for a missing value."""
    from model.core.dataset import text_codes

    kept = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))))
    series = pd.Series(values, dtype=object)
    want = pd.Categorical(series.astype(str).str.strip().to_numpy()[kept])
    for texts in (series, series.astype("category")):  # Parquet's few-level text: categories
        codes, names = text_codes(texts, kept)
        assert names == tuple(want.categories)
        np.testing.assert_array_equal(codes, want.codes)


MISSING_TEXTS = st.one_of(
    TEXTS,
    st.sampled_from(["NULL", "N/A", "nUlL", "SELECT", "Unknown", "UN\u212aNOWN", "\u212a", "İ"]),
)


@given(
    st.lists(MISSING_TEXTS, min_size=1, max_size=40),
    st.sets(st.sampled_from(["", "null", "n/a", "select", "unknown", "k", "i̇", "-none-"])),
)
@settings(max_examples=300, deadline=None)
def test_missing_words_are_found_as_lower_case_finds_them(values, words) -> None:
    """Blanks and missing words are masked exactly where Python's lower() finds a word,
    whatever the quick look-up that decides whether a column needs the masking at all."""
    from model.ingest.importer import _without_missing

    text = pd.Series(values, dtype="string")
    words = frozenset(words)
    want = text.mask(text.isna() | text.str.lower().isin(sorted(words)))
    pd.testing.assert_series_equal(_without_missing(text, words), want)


@given(st.lists(st.integers(0, 700), max_size=40), st.booleans())
@settings(max_examples=300, deadline=None)
def test_the_csv_read_block_fits_the_longest_line_as_measured(lengths, trailing) -> None:
    """The quick check of a read block gives what measuring every line gives: twice the
    longest line, at least the block (a 64-byte block here, so long lines are common)."""
    from model.ingest.readers import _block_size, _longest_line

    data = b"\n".join(b"x" * n for n in lengths) + (b"\n" if trailing else b"")
    assert _block_size(data, 64) == max(64, min(_longest_line(data), 256 << 20) * 2)


ISO_PARTS = st.tuples(
    st.integers(1600, 2300),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["", " ", "T"]),
    st.tuples(st.integers(0, 25), st.integers(0, 61), st.integers(0, 61)),
    st.sampled_from(["", ".5", ".123456", ".1234567891", "Z", "+02:00", ":"]),
)


def _iso_text(parts) -> str:
    year, month, day, sep, (h, m, s), tail = parts
    date = f"{year:04d}-{month:02d}-{day:02d}"
    return date if not sep.strip() and sep == "" else f"{date}{sep}{h:02d}:{m:02d}:{s:02d}{tail}"


DATE_TEXTS = st.one_of(
    st.none(),
    st.sampled_from(["", "  ", "n/a", "03/04/2026", "2026-1-9", "20260119", "2026-01-19 09"]),
    ISO_PARTS.map(_iso_text),
)


VALID_ISO = st.tuples(
    st.datetimes(datetime(1678, 1, 1), datetime(2261, 12, 31)),
    st.sampled_from([" ", "T"]),
    st.sampled_from(["auto", "minutes", "seconds", "milliseconds", "microseconds"]),
    st.booleans(),
).map(lambda t: t[0].date().isoformat() if t[3] else t[0].isoformat(t[1], t[2]))


@given(
    st.one_of(
        st.lists(DATE_TEXTS, min_size=1, max_size=30),
        st.lists(st.one_of(VALID_ISO, st.sampled_from(["", None])), min_size=1, max_size=30),
    )
)
@settings(max_examples=400, deadline=None)
def test_plain_iso_dates_cast_by_arrow_equal_the_general_reading(values) -> None:
    """Arrow's cast, taken when every value of a column is plain ISO text, gives what the
    general (pandas) reading gives; any other column goes to that reading whole."""
    from model.core.cells import _dates_in_text, to_dates

    text = pd.Series(values, dtype=object).astype("string").str.strip()
    pd.testing.assert_series_equal(to_dates(pd.Series(values, dtype=object)), _dates_in_text(text))


CELLS = st.one_of(
    st.none(),
    st.sampled_from(["yes", "No", "1,234.5", "12,5", "1.234,56", "$300", "€ 4", "inf", "x"]),
    st.sampled_from(["2026-03-01", "01/03/2026", "0042", "7", "-0.5", "1e3", "1,2,3", " "]),
    st.sampled_from(["1e20", "9007199254740993", "-1e999"]),  # no whole Int64 holds
    st.text("0123456789.,-+e $", max_size=6),
    st.text(max_size=5),
)


@given(st.lists(CELLS, min_size=1, max_size=40))
@settings(max_examples=400, deadline=None)
def test_an_attribute_is_typed_as_if_every_value_were_looked_at(values) -> None:
    """typed() calls a column text from a sample when some value can be nothing else, and
    reads a column of plain numbers in one pass; the column it returns is the one the full
    look at every distinct value gives (blanks left in, as an API caller may send them)."""
    from model.ingest import importer

    for blanks in (False, True):
        s = pd.Series(values, dtype=object).astype("string").str.strip()
        s = s if blanks else s.mask(s == "")
        fast = importer.typed(s)
        with (
            mock.patch.object(importer, "_plainly_text", return_value=False),
            mock.patch.object(importer, "plain_numbers", return_value=None),
        ):
            slow = importer.typed(s)
        pd.testing.assert_series_equal(fast, slow)


PLACEHOLDER_TEXTS = st.one_of(
    st.none(),
    st.sampled_from(
        ["N/A", " n/a", "SELECT", "-None-", "--", "-", "Null\xa0", "nan", "NaN", "--NONE--"]
    ),
    st.sampled_from(["\u212aey", "\u017felect", "\u0130", "unknown", "UNKNOWN ", "keine angabe"]),
    st.text("aAsSkK-/ \t\xa0\u2003\u212a\u017f\u0130\x1c", max_size=6),
)


@given(
    st.lists(PLACEHOLDER_TEXTS, min_size=1, max_size=30),
    st.sampled_from([(), ("unknown",), ("keine angabe", "s"), ("não informado",), ("as", "s/a")]),
    st.integers(0, 5),
    st.booleans(),
)
@settings(max_examples=400, deadline=None)
def test_cleaned_text_equals_trimming_and_masking_every_value(values, extra, skip, arrow) -> None:
    """A column's trimmed and cleaned text skip the copy when no value needs it; what they
    give is what trimming every value and masking every blank or placeholder gives (on a
    column read by Arrow and sliced, whose bytes start past its first row, too)."""
    from model.core.cells import PLACEHOLDERS
    from model.ingest.importer import Cells

    missing = set(PLACEHOLDERS) | set(extra)
    column = pd.Series(values, dtype="string[pyarrow]" if arrow else object)
    frame = pd.DataFrame({"x": column}).iloc[min(skip, len(values) - 1) :]
    text = frame["x"].astype("string").str.strip()
    want = text.mask(text.isna() | text.str.lower().isin(missing))
    cells = Cells(frame, missing)
    pd.testing.assert_series_equal(cells.trimmed("x"), text, check_names=False)
    pd.testing.assert_series_equal(cells.cleaned("x"), want, check_names=False)
