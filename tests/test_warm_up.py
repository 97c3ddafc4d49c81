"""The first page does not wait for scikit-learn; the server imports it in the background
afterwards, so a first visit to Replay or Calibration does not wait for it either."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import json, sys
from ui import caches, components, revision_panel, rule_builder, sidebar, target
before = sorted(m for m in caches.WARM_MODULES if m in sys.modules)
caches.warm_up().join(timeout=120)
after = sorted(m for m in caches.WARM_MODULES if m in sys.modules)
print(json.dumps([before, after, caches.warm_up() is caches.warm_up()]))
"""


def _probe(code: str):
    """What `code`, run in a fresh interpreter in the project, printed last, as JSON."""
    ran = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout.strip().splitlines()[-1])


def test_the_pages_modules_leave_scikit_learn_to_the_warm_up() -> None:
    before, after, once = _probe(PROBE)
    assert before == []  # the first page's modules do not import it
    assert after == sorted(
        [
            "sklearn.isotonic",
            "sklearn.linear_model",
            "sklearn.model_selection",
            "model.export.sqlgen",
        ]
    )
    assert once  # one warm-up per server


def test_no_page_imports_what_the_warm_up_imports_at_its_top() -> None:
    """A page's top-level imports run before its first draw: none of them may be one the
    warm-up leaves for later (scikit-learn, the SQL export's sqlglot)."""
    import ast

    from ui.caches import WARM_MODULES

    late = (*WARM_MODULES, "sklearn", "sqlglot")
    found = []
    for path in sorted(
        [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"), ROOT / "app.py"]
    ):
        for node in ast.parse(path.read_text()).body:
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [f"{node.module}.{a.name}" for a in node.names]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n.startswith(late)]
    assert found == []


def test_the_launcher_sets_numba_up_after_the_first_pages_imports() -> None:
    """`make run`'s launcher imports the first page's modules, says so (the page waits for
    that alone), then loads a compiled loop, so the page's first loop does not pay numba's
    own set-up."""
    probe = (
        "import json\n"
        "from ui import launch\n"
        "launch.import_app_modules()\n"
        "from model.core import hits\n"
        "print(json.dumps([launch.imported.is_set(), len(hits._or_bit.signatures)]))\n"
    )
    assert _probe(probe) == [True, 1]


VARIANTS = """
import json, os, tempfile
from pathlib import Path
os.environ["LEADSCORE_CACHE_DIR"] = tempfile.mkdtemp()
from model import services
from model.analysis import handoff
from model.core import hits, scoring
from model.core.dataset import AsOf, existing_at
from model.core.spec import default_model
from model.ingest import catalog, demo
services.compile_engine()  # what `leadscore warm-up` compiles at install
folder = Path(tempfile.mkdtemp())
demo.write(demo.generate(400, seed=3), folder)
checked = catalog.load_dataset(folder)  # through the checks, as a fresh server reads it
copied = catalog.load_dataset(folder)  # the prepared copy the first load kept
model = default_model()
for data in (checked, copied, existing_at(copied, AsOf.parse("2025-09-01"))):
    found = hits.build_hits(data, model, AsOf())
    scores = scoring.score(found, model)
    scoring.score_bins(scores.score, data.outcome, data.won_value)
    line = handoff.score_timeline(data, found, model, moments_only=True)
    handoff.handoffs(data, line, 60)
loops = {
    f"{module.__name__}.{name}": len(loop.signatures)
    for module in (hits, scoring, handoff)
    for name, loop in vars(module).items()
    if hasattr(loop, "signatures") and hasattr(loop, "py_func")
}
print(json.dumps(loops))
"""


def test_a_dataset_however_loaded_runs_the_loops_the_warm_up_compiled() -> None:
    """numba compiles a loop again for every new kind of array, a read-only one too: pandas
    hands out read-only views, and the Thresholds page once compiled its replay again (1 s)
    for a dataset that came through the checks. Loaded through the checks, from the
    prepared copy or cut at a snapshot, a dataset runs the loops warm-up compiled."""
    loops = _probe(VARIANTS)
    assert loops["model.analysis.handoff._replay"] == 1
    assert {name: n for name, n in loops.items() if n > 1} == {}
