"""What the pages compute once and share: the revision store, the datasets, the hit
matrices (stage 1) within a memory budget, replay reports and leak flags."""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

import pandas as pd
import streamlit as st

from model import services
from model.analysis import portfolio, replay, suggest
from model.analysis.accounts import Accounts, roll_up
from model.analysis.challenge import Challenge
from model.analysis.challenge import challenge as challenge_of
from model.analysis.replay import Report
from model.analysis.stats import auc
from model.core.dataset import AsOf, DataError, Dataset, existing_at
from model.core.hits import Hits, build_hits
from model.core.scoring import score
from model.core.spec import ModelError, ScoringModel, Target
from model.core.target import retarget
from model.ingest import demo
from model.ingest.catalog import Progress, dataset_meta, load_dataset, saved_datasets
from model.store.revisions import RevisionStore, StoreError, default_url
from model.store.signed import SignedStore
from ui import identity
from ui.state import DEMO_LABEL, data_label

# How the caches below tell their arguments apart: a dataset by its name (hashing a million
# leads on every rerun would cost more than the work cached), a decision moment and a model
# by value. The one place these keys are written.
BY_VALUE = {Dataset: lambda d: d.name, AsOf: str, ScoringModel: lambda m: m.to_json()}


class HitCache:
    """Recently built hit matrices within a memory budget, least recently used out first.

    A count-based bound does not fit both ends: 16 matrices are 35 MB at the 20k-lead demo
    but 1.8 GB at 1M leads. The newest matrix is always kept, whatever its size.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Hits] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Hits]) -> Hits:
        """The cached matrix for `key`, or `build()` stored under it."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        hits = build()
        with self._lock:
            self._entries[key] = hits
            self._entries.move_to_end(key)
            while len(self._entries) > 1 and self.nbytes > self.max_bytes:
                self._entries.popitem(last=False)
        return hits

    @property
    def nbytes(self) -> int:
        return sum(h.nbytes for h in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)


def store() -> SignedStore | None:
    """The revision store (LEADSCORE_DB_URL or the user data folder) as the person at the
    keyboard may use it (every write checks their role), or None when it cannot be opened;
    the reason is then in session state for the pages to show."""
    found = bare_store()
    return None if found is None else SignedStore(found, identity.actor(found))


def bare_store() -> RevisionStore | None:
    """The store itself, for reading who someone is; None (and why) when it cannot open."""
    try:
        found = _store(default_url())
    except StoreError as exc:
        st.session_state["store_error"] = str(exc)
        return None
    st.session_state.pop("store_error", None)
    return found


@st.cache_resource(show_spinner=False)
def _store(url: str) -> RevisionStore:
    return RevisionStore(url)


def dataset(*, whole: bool = False) -> Dataset:
    """The dataset picked in the sidebar, limited to the leads that existed at a fixed
    snapshot date and (unless `whole`) to those the model in force covers; the demo set is
    generated on first start. A kept dataset that can no
    longer be read is named, and the page stops there; the sidebar can pick another."""
    try:
        full = _full_dataset()
    except DataError as exc:
        st.error(
            f"The dataset {data_label()!r} cannot be read: {exc}. Pick another in the "
            "sidebar, or import the export again on the Data page."
        )
        st.stop()
    scoped = _scoped(full, st.session_state["as_of"])
    scoped = scoped if whole else _covered(scoped)
    goal = st.session_state["model"].target if "model" in st.session_state else None
    if goal is None or goal.outcome == "won":
        return scoped
    try:
        return _retargeted(scoped, goal.model_dump_json(), goal)
    except DataError as exc:
        st.warning(f"Read against won deals instead: {exc}.")
        return scoped


def _covered(data: Dataset) -> Dataset:
    """The leads the model in force covers (its applies_to): every page reads its segment."""
    model = st.session_state.get("model")
    if model is None or not model.applies_to:
        return data
    rules = json.dumps([r.model_dump(mode="json") for r in model.applies_to])
    try:
        return _segment(data, rules, model)
    except ModelError as exc:
        st.warning(f"Every lead is read: {exc}.")
        return data


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=BY_VALUE)
def _segment(data: Dataset, rules: str, _model: ScoringModel) -> Dataset:
    """A model's segment, cached per dataset and coverage rules (not per points edit)."""
    return portfolio.segment(data, _model)


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=BY_VALUE)
def _retargeted(data: Dataset, key: str, _goal: Target) -> Dataset:
    """The dataset's outcome read against a stage target (cached per dataset and target)."""
    return retarget(data, _goal)


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=BY_VALUE)
def _scoped(data: Dataset, as_of: AsOf) -> Dataset:
    return existing_at(data, as_of)


def dataset_folder() -> Path:
    """The folder of the dataset picked in the sidebar."""
    name, folder = data_label(), demo.demo_folder()
    return folder if name == DEMO_LABEL else saved_datasets().get(name, folder)


def has_dates() -> bool:
    """Whether the picked dataset has created dates (imports may not)."""
    return data_label() == DEMO_LABEL or bool(dataset_meta(dataset_folder()).get("has_dates", True))


def _full_dataset() -> Dataset:
    """Every lead of the picked dataset, loaded once per server; the demo set is generated
    on first start."""
    if data_label() != DEMO_LABEL:
        return _load(str(dataset_folder()))
    folder = demo.demo_folder()
    if not (folder / "leads.csv").exists() or not (folder / "events.csv").exists():
        bar = st.progress(0.0, "Generating the demo data (first start only)…")
        demo.ensure_demo(folder, progress=lambda f, text: bar.progress(f, text))
        bar.empty()
    return _load_demo(str(folder))


LOADING = (
    "Loading leads and events… The first load of a dataset checks every lead (up to half a "
    "minute for a million); later starts read the copy it keeps."
)


Loader = Callable[[Progress], Dataset]  # loads a dataset, saying how far it is


class Loading:
    """One dataset being loaded in a thread of its own: how far it is, and then the
    dataset or the error. Sessions only watch it, so a rerun (a click while waiting) never
    cuts a load short, and every session waiting sees the same steps."""

    def __init__(self, load: Loader) -> None:
        self.fraction, self.text = 0.0, "Waiting for the dataset…"
        self.result: Dataset | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._load = load

    @classmethod
    def finished(cls, data: Dataset) -> Loading:
        """A load already done."""
        done = cls(lambda _say: data)
        done.result = data
        done.done.set()
        return done

    def say(self, fraction: float, text: str) -> None:
        self.fraction, self.text = fraction, text

    def wait(self) -> Dataset:
        """The dataset once loaded, or the load's error raised here."""
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.result

    def run(self) -> None:
        """Load (the keeper marks it done once the dataset is kept)."""
        try:
            self.result = self._load(self.say)
        except BaseException as exc:  # noqa: BLE001 - handed to the session that waits
            self.error = exc


class Loaded:
    """Datasets loaded once per server, the few most recently used kept; a dataset asked
    for while it loads is waited for, not loaded twice, and a failed load is not kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, Dataset] = OrderedDict()
        self._loading: dict[str, Loading] = {}
        self._lock = threading.Lock()

    def find(self, key: str) -> Dataset | None:
        """The dataset kept under `key`, now the most recently used, or None."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
            return self._entries.get(key)

    def start(self, key: str, load: Loader) -> Loading:
        """The load of `key` under way, or a new one started in its own thread."""
        with self._lock:
            if key in self._entries:  # kept since the caller looked
                return Loading.finished(self._entries[key])
            loading = self._loading.get(key)
            if loading is None or (loading.done.is_set() and loading.error is not None):
                loading = self._loading[key] = Loading(load)
                threading.Thread(target=self._run, args=(key, loading), daemon=True).start()
            return loading

    def _run(self, key: str, loading: Loading) -> None:
        loading.run()
        with self._lock:
            if loading.error is None:
                self._entries[key] = loading.result
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
                del self._loading[key]
        loading.done.set()


@st.cache_resource(show_spinner=False)
def _loaded() -> Loaded:
    """One per server: the datasets every session reads."""
    return Loaded(size=4)


def _load_demo(folder: str) -> Dataset:
    """The demo set, kept as Parquet first (once per server, not a file check per rerun)."""

    def load(say: Progress) -> Dataset:
        read = demo.keep_parquet(folder, progress=lambda f, text: say(0.3 * f, text))
        return load_dataset(
            Path(folder), name=folder, progress=lambda f, t: say(0.3 + 0.7 * f, t), tables=read
        )

    return _load_with_progress(folder, load)


def _load(folder: str) -> Dataset:
    return _load_with_progress(
        folder, lambda say: load_dataset(Path(folder), name=folder, progress=say)
    )


def _load_with_progress(folder: str, load: Loader) -> Dataset:
    """A dataset kept by the server, or loaded in the background while a bar under the
    spinner names each step (reading, checking, indexing, keeping a copy)."""
    found = _loaded().find(folder)
    if found is not None:
        return found
    loading = _loaded().start(folder, load)
    with st.spinner(LOADING):
        bar = st.progress(loading.fraction, loading.text)
        while not loading.done.wait(0.2):
            bar.progress(loading.fraction, loading.text)
        bar.empty()
    return loading.wait()


def hits(data: Dataset, model: ScoringModel, as_of: AsOf) -> Hits:
    """Stage 1, cached on the rules, decay and as-of policy: points edits never rebuild it."""

    def build() -> Hits:
        with st.spinner("Replaying events as of each decision moment…"):
            return build_hits(data, model, as_of)

    return _hit_cache().get((data.name, model.rules_key(), as_of), build)


@st.cache_resource(show_spinner=False)
def _hit_cache() -> HitCache:
    """One per server, shared by every session, within LEADSCORE_HIT_CACHE_MB (1024)."""
    return HitCache(int(os.environ.get("LEADSCORE_HIT_CACHE_MB", "1024")) * 2**20)


def report(data: Dataset, model: ScoringModel, as_of: AsOf, *, width: int = 10) -> Report:
    """Every replay figure of one model, cached on the whole model: Replay and the review
    checklist redraw on each widget change, and at 1M leads a report takes a third of a
    second even with the hit matrix cached."""
    return _report(data, model, as_of, width)


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=BY_VALUE)
def _report(data: Dataset, model: ScoringModel, as_of: AsOf, width: int) -> Report:
    return replay.report(data, hits(data, model, as_of), model, width=width)


def comparison(
    data: Dataset,
    model_a: ScoringModel,
    model_b: ScoringModel,
    as_of: AsOf,
    *,
    width: int = 10,
    names: tuple[str, str] = ("A", "B"),
) -> services.Comparison:
    """Two models side by side with the verdict, cached like their reports: at 1M leads
    the comparison and its verdict take 0.4 s, which a redraw should not pay again."""
    return _comparison(data, model_a, model_b, as_of, width, names)


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=BY_VALUE)
def _comparison(data, model_a, model_b, as_of, width, names) -> services.Comparison:
    a, b = report(data, model_a, as_of, width=width), report(data, model_b, as_of, width=width)
    return services.compare(a, b, model_a, model_b, data, names=names)


def accounts(data: Dataset, model: ScoringModel, as_of: AsOf) -> tuple[Accounts, float]:
    """The model's account roll-up of the leads' scores as of `as_of`, and the leads' own
    AUC beside it, computed once per dataset, model and moment (the Accounts page)."""
    return _accounts(data, model, as_of)


@st.cache_resource(
    max_entries=8, show_spinner="Rolling leads up to their accounts…", hash_funcs=BY_VALUE
)
def _accounts(data: Dataset, model: ScoringModel, as_of: AsOf) -> tuple[Accounts, float]:
    lead_scores = score(hits(data, model, as_of), model).score
    return roll_up(data, lead_scores, model), auc(lead_scores, data.outcome)


def models_overview(
    data: Dataset, entries: list[portfolio.Entry], as_of: AsOf
) -> tuple[pd.DataFrame, portfolio.Overlaps]:
    """Every model's figures and the overlaps, once per dataset, set of models and moment
    (a copy of the table, which the page extends)."""
    key = json.dumps([(e.name, e.revision, e.model.to_json()) for e in entries])
    table, found = _models_overview(data, key, as_of, entries)
    return table.copy(), found


@st.cache_resource(max_entries=8, show_spinner="Scoring every model…", hash_funcs=BY_VALUE)
def _models_overview(data: Dataset, key: str, as_of: AsOf, _entries: list) -> tuple:
    table = portfolio.overview(data, _entries, as_of, hits_of=lambda d, m: hits(d, m, as_of))
    return table, portfolio.overlaps(data, _entries)


def leakage(data: Dataset, model: ScoringModel, as_of: AsOf) -> pd.DataFrame:
    """Columns probably recorded at or after the outcome, judged per column (cached on the
    data and the decision moment: edits of the model do not change them)."""
    return _leakage(data, as_of, model)


@st.cache_data(
    max_entries=16,
    show_spinner="Looking for fields recorded after the outcome…",
    hash_funcs=BY_VALUE,
)
def _leakage(data: Dataset, as_of: AsOf, _model: ScoringModel) -> pd.DataFrame:
    return suggest.leakage(data, hits(data, _model, as_of))


def fitting_hits(data: Dataset, model: ScoringModel, as_of: AsOf) -> Hits:
    """The model's hit matrix on the dataset; stops the page with a clear message when the
    rules do not fit it (e.g. criteria on columns a newly imported dataset lacks)."""
    try:
        return hits(data, model, as_of)
    except ModelError as exc:
        st.error(
            f"The model in the editor does not fit the dataset {data_label()!r}: {exc}. "
            "Edit its criteria on the Model page, or load the dataset's starter model "
            "from the Data page."
        )
        st.stop()


def challenge(
    data: Dataset,
    live: ScoringModel,
    candidate: ScoringModel,
    as_of: AsOf,
    since: pd.Timestamp | None,
) -> Challenge:
    """Live vs candidate on the closed leads created since `since`, as the gate reads them;
    cached, as the review redraws on every widget change and the bootstrap takes a while."""
    return _challenge(data, live, candidate, as_of, str(since))


@st.cache_resource(max_entries=8, show_spinner="Comparing on recent history…", hash_funcs=BY_VALUE)
def _challenge(data, live, candidate, as_of, since: str) -> Challenge:
    at = None if since == "None" else pd.Timestamp(since)
    sides = [(m, score(hits(data, m, as_of), m)) for m in (live, candidate)]
    return challenge_of(data, sides[0], sides[1], at)  # data: already as of the decision


# What Replay's leak check and Calibration's fit import the first time (scikit-learn and
# SciPy's statistics): 1 s of a first visit to either page on any dataset; and the SQL
# export's sqlglot (0.2 s), left out of the first page.
WARM_MODULES = (
    "sklearn.model_selection",
    "sklearn.linear_model",
    "sklearn.isotonic",
    "model.export.sqlgen",
)


# The warm-up waits this long after the first page is drawn: meanwhile the browser fetches
# each element's code from this same process as it first meets it, and an import holds the
# GIL. A first page after a restart showed 0.1 s sooner (2.8 s against 2.9, ten starts of each).
WARM_AFTER_S = 3.0


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Import, once per server and in the background, what the other pages will need,
    once the first page is drawn and shown (the front end takes a second or two)."""
    thread = threading.Thread(target=_import_all, name="warm-up", daemon=True)
    thread.start()
    return thread


def _import_all() -> None:
    time.sleep(WARM_AFTER_S)
    for name in WARM_MODULES:
        importlib.import_module(name)
