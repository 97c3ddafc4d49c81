"""`make run` and `make serve`: `streamlit run app.py`, with the first page's modules
(pandas, numba, the engine) imported while the server starts instead of in the first
visitor's page (about a second of it). The page waits for that import rather than import
alongside. Then numba's own set-up, which the page's first compiled loop would pay: the
first page after a first `make run` showed in 2.5 s instead of 2.9 (six starts of each), a
restart's 0.1 s sooner. (Loading every compiled loop here, or the demo set, was measured
slower: it held the GIL while the browser fetched the page's code from this server.)"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
imported = threading.Event()  # app.py waits on it when this launcher started the app


def import_app_modules() -> None:
    """What the first page would import; done once, then `imported` is set, and numba set
    up while the page runs."""
    try:
        import ui.caches
        import ui.components
        import ui.revision_panel
        import ui.rule_builder  # noqa: F401
    finally:
        imported.set()
    from model.core import hits

    hits.set_up_numba()


def main() -> None:
    """Start the import in a thread of its own, then Streamlit's own command line."""
    from streamlit.web import cli

    sys.modules.setdefault("ui.launch", sys.modules[__name__])  # as app.py looks it up
    threading.Thread(target=import_app_modules, name="import-app", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
