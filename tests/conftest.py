"""Shared fixtures: demo data made in memory, the default model, the real data in ../shared."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from model.cli import main as cli
from model.core.dataset import Dataset, prepare
from model.core.spec import ScoringModel, default_model, parse_model
from model.ingest import demo
from model.ingest.catalog import datasets_folder

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def revision_store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test gets its own revision store; none touches the user's real one."""
    url = f"sqlite:///{tmp_path / 'revisions.db'}"
    monkeypatch.setenv("LEADSCORE_DB_URL", url)
    monkeypatch.setenv("LEADSCORE_DATA_DIR", str(tmp_path / "datasets"))
    monkeypatch.setenv("LEADSCORE_CACHE_DIR", str(tmp_path / "prepared"))
    return url


@pytest.fixture(scope="session")
def demo_data() -> demo.DemoData:
    return demo.generate(20_000, seed=7)


@pytest.fixture(scope="session")
def demo_dataset(demo_data: demo.DemoData) -> Dataset:
    return prepare(demo_data.leads, demo_data.events, name="demo")


@pytest.fixture
def model() -> ScoringModel:
    return default_model()


@pytest.fixture
def shared_data() -> Path:
    """The public datasets beside the project; skip only when that folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (it sits beside the checkout)")
    return SHARED_DATA


def tiny_model(criteria: list[dict], **extra: object) -> ScoringModel:
    """A model with the given criteria and bands A >= 75 (sales-ready), B >= 50, C."""
    data = {
        "name": "test",
        "criteria": criteria,
        "bands": [
            {"name": "A", "min_score": 75, "sales_ready": True},
            {"name": "B", "min_score": 50},
            {"name": "C", "min_score": 0},
        ],
        **extra,
    }
    return parse_model(data)


def tiny_dataset(leads: list[dict], events: list[tuple[str, str, str]] | None = None) -> Dataset:
    """Leads as dicts (lead_id, created_at, ...) and events as (lead_id, occurred_at, type)."""
    frame = pd.DataFrame(leads)
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    ev = pd.DataFrame(events or [], columns=["lead_id", "occurred_at", "event_type"])
    ev["occurred_at"] = pd.to_datetime(ev["occurred_at"], format="ISO8601")
    return prepare(frame, ev, name="tiny")


@pytest.fixture
def v2_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep AppTest on st.navigation across reruns, as the real runtime is.

    `streamlit run` sets PagesManager.uses_pages_directory to False at the first
    st.navigation call and keeps it; AppTest resets it before every run, and because our
    pages live in a folder named `pages/` the reruns would fall back to running the page
    file alone, without app.py's sidebar.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


APP = str(ROOT / "app.py")


@pytest.fixture(scope="session")
def app_demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the app generates its demo set in tests (the first AppTest makes it)."""
    return tmp_path_factory.mktemp("demo")


@pytest.fixture
def open_app(
    app_demo_dir: Path, monkeypatch: pytest.MonkeyPatch, v2_pages: None
) -> Callable[[str | None], AppTest]:
    """Start the app on the demo data and, optionally, switch to one page."""

    def start(page: str | None = None) -> AppTest:
        monkeypatch.setenv("LEADSCORE_DEMO_DIR", str(app_demo_dir))
        app = AppTest.from_file(APP, default_timeout=120).run()
        if page:
            app.switch_page(page).run()
        assert not app.exception
        return app

    return start


# a provider that is never called: AppTest signs people in through `at.user`
AUTH_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "leadscore",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture
def signed_app(
    app_demo_dir: Path, monkeypatch: pytest.MonkeyPatch, v2_pages: None
) -> Callable[..., AppTest]:
    """Start the app with sign-in configured, as `email` (None: signed out), on a page."""

    def start(email: str | None, page: str | None = None) -> AppTest:
        monkeypatch.setenv("LEADSCORE_DEMO_DIR", str(app_demo_dir))
        app = AppTest.from_file(APP, default_timeout=120)
        app.secrets["auth"] = AUTH_SECRETS
        app.user = (
            {"is_logged_in": True, "email": email, "name": email.split("@")[0].title()}
            if email
            else {"is_logged_in": False}
        )
        app.run()
        if page:
            app.switch_page(page).run()
        assert not app.exception
        return app

    return start


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL server for the session: skipped when none can be started here,
    never in CI."""
    from tests import pg

    try:
        servers = pg.server()
        url = next(servers)
    except Exception as exc:  # noqa: BLE001 - any failure to start is reported, as skip or fail
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests, but no server started: {exc}")
        pytest.skip(f"no PostgreSQL server could be started on this machine: {exc}")
    yield url
    next(servers, None)


def column_format(frame, column: str) -> str | None:
    """The number format a page gave a column of an AppTest dataframe (None: no format)."""
    import json

    config = json.loads(frame.proto.columns or "{}").get(column, {})
    return config.get("type_config", {}).get("format")


def vega_charts(at: AppTest) -> list[tuple[str, pd.DataFrame]]:
    """A page's Vega-Lite charts as sent, in page order: each spec and its rows."""
    import pyarrow as pa

    return [
        (c.proto.spec, pa.ipc.open_stream(c.proto.data.data).read_all().to_pandas())
        for c in at.get("vega_lite_chart")
    ]


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory):
    """One Apache Spark in local mode for the session (pyspark from the 'warehouse' extra,
    Java from Debian's openjdk-17-jre-headless): skipped when either is absent, never in CI.
    UTC throughout, no UI, bound to loopback."""
    import shutil

    reason = None
    if shutil.which("java") is None:
        reason = "no Java (apt-get install openjdk-17-jre-headless; .ci/run does)"
    else:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            reason = "pyspark is not installed (pip install -e '.[dev,warehouse]'; make test does)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Spark tests: {reason}")
        pytest.skip(reason)
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("leadscore-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def assert_same_dataset(got: Dataset, want: Dataset, model: ScoringModel) -> None:
    """Two loads of one dataset are the same data: every column, index and fact, and every
    score `model` gives their leads."""
    from model.core.dataset import AsOf
    from model.core.hits import build_hits
    from model.core.scoring import score

    pd.testing.assert_frame_equal(got.leads, want.leads)
    for part in ("lead_ids", "created_ns", "lead_starts", "ev_lead", "ev_ns", "ev_type"):
        np.testing.assert_array_equal(getattr(got, part), getattr(want, part))
    for fact in ("event_types", "touch_column", "touch_names", "unknown_lead_events"):
        assert getattr(got, fact) == getattr(want, fact), fact
    assert (got.has_dates, got.notes, got.name) == (want.has_dates, want.notes, want.name)
    if want.touch_codes is not None:
        np.testing.assert_array_equal(got.touch_codes, want.touch_codes)
    as_of = AsOf("created_plus_days", days=14) if want.has_dates else AsOf.now()
    scored = [score(build_hits(d, model, as_of), model).score for d in (got, want)]
    np.testing.assert_array_equal(*scored)


BANK = ("bank-marketing", "bank-additional-full.csv")


@pytest.fixture
def bank_app(
    open_app: Callable[..., AppTest], shared_data: Path, capsys: pytest.CaptureFixture
) -> AppTest:
    """The app on the UCI bank set (imported by the command, no created dates, no deal
    values, no events) with a two-criterion model uploaded."""
    bank = shared_data.joinpath(*BANK)
    at = open_app()
    imported = [
        *("import", "--leads", str(bank), "--map", "outcome=y", "--won", "yes"),
        *("--lost", "no", "--name", "bank", "--out", str(datasets_folder() / "bank")),
    ]
    assert cli(imported) == 0, capsys.readouterr().err
    model = default_model().to_dict()
    model["criteria"] = [
        {"id": "won_before", "label": "Won last campaign", "group": "fit", "points": 40,
         "rule": {"attribute": "poutcome", "op": "equals", "value": "success"}},
        {"id": "mobile", "label": "Reached on a mobile", "group": "fit", "points": 20,
         "rule": {"attribute": "contact", "op": "equals", "value": "cellular"}},
    ]  # fmt: skip
    model["bands"][0]["min_score"], model["bands"][1]["min_score"] = 30, 15
    at.run()
    at.selectbox(key="dataset").set_value("bank").run()
    at.file_uploader(key="model_upload").set_value(
        ("bank.json", json.dumps(model).encode(), "application/json")
    ).run()
    return at
