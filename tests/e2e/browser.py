"""Drive the app in a real browser: Debian's chromium through Python Playwright (headless,
no sandbox, background networking off; never `playwright install`)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(
    env: dict[str, str], *, timeout: float = 120, port: int | None = None, args: tuple = ()
) -> Iterator[str]:
    """The app as `make run` starts it (`ui.launch`: `streamlit run app.py`) on a free
    loopback port (or `port`) with `env` and extra Streamlit `args`; yields its URL, stops
    it."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "ui.launch",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        *args,
    ]
    log = open(env.get("LEADSCORE_SERVER_LOG", os.devnull), "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        command, env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start on {url} (exit {proc.poll()})")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)


def settle(page, *, timeout: float = 60_000) -> None:
    """Wait until the app has finished its rerun (no 'Running…' status widget)."""
    page.wait_for_timeout(250)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )
    page.wait_for_timeout(150)


def open_app(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
    settle(page)


def go(page, title: str) -> None:
    """Follow a sidebar link to a page and wait for it."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    settle(page)


def metric(page, label: str) -> str:
    """The value of the metric whose label is `label`."""
    box = (
        page.locator('[data-testid="stMetric"]')
        .filter(has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
        .first
    )
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def pick_stepped(page, label: str) -> None:
    """Choose the criterion the points stepper beside the preview steps (typed: the list
    shows only its first options)."""
    page.get_by_role("combobox", name="Step one criterion's points").click()
    page.keyboard.type(label)
    page.get_by_role("option", name=label, exact=True).wait_for(timeout=5000)
    page.keyboard.press("Enter")
    settle(page)


def table_cells(page, index: int, *, unlike: list[str] | None = None) -> list[str]:
    """The cells of the index-th table on the page, read from the grid's accessible table
    (drawn a moment after the rerun: waits for cells, and for a change from `unlike`)."""
    cells = page.locator('[data-testid="stDataFrame"]').nth(index).locator("td")
    for _ in range(100):
        found = cells.all_text_contents()
        if found and found != unlike:
            return found
        page.wait_for_timeout(100)
    return found


def shown(page, text: str, *, timeout: float = 120_000) -> None:
    """Wait until the page shows `text`, then until the rerun that drew it is done: on a
    loaded machine a rerun's 'Running' status can show later than settle() looks for it,
    so a check right after settle() could read the page before the rerun."""
    page.get_by_text(text).first.wait_for(timeout=timeout)
    settle(page)


def wait_until(page, check, *, timeout: float = 5.0) -> bool:
    """Poll `check()` until it is true (the page redraws a few frames after a rerun)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        page.wait_for_timeout(100)
    return False


def selected(page, label: str) -> str:
    """The option shown by the select box labelled `label`."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    return box.locator("input").first.input_value()


def edit_cell(page, grid_index: int, row: int, column: int, text: str) -> None:
    """Type into one cell of an editable table with the keyboard, as a user would: select a
    cell, arrow to the target (checked against the grid's accessible table, which marks the
    selected cell), Enter to open the cell editor, type, Enter to commit; retried if a rerun
    of the app swallowed the keystrokes."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(grid_index)
    target = f"glide-cell-{column + 1}-{row}"  # column 0 of the grid is the row marker
    for _ in range(3):
        settle(page)
        # centred, not at the top edge, where the app's fixed header would take the click
        grid.evaluate("g => g.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(200)
        box = grid.bounding_box()
        for _ in range(3):  # a first click after a toggle elsewhere may only take focus
            page.mouse.click(box["x"] + 40, box["y"] + 35 + 17)
            if wait_until(page, lambda: grid.locator('td[aria-selected="true"]').count() > 0):
                break
            page.wait_for_timeout(600)  # not a double click, which would open the cell
        arrow_to(page, grid, column + 1, row)
        page.keyboard.press("Enter")  # opens the cell's editor
        editor = page.locator("input.gdg-input, textarea.gdg-input")
        try:
            editor.first.wait_for(timeout=3000)
        except PlaywrightTimeout:
            continue
        editor.first.fill(text)
        editor.first.press("Enter")
        settle(page)
        cell = grid.locator(f'td[id="{target}"]')
        if wait_until(page, lambda c=cell: c.count() > 0 and c.first.text_content() == text):
            return
    raise AssertionError(f"could not type {text!r} into row {row}, column {column}")


def arrow_to(page, grid, col: int, row: int) -> None:
    """Move the selection with arrow keys until the target cell is the selected one (the
    accessible table marks it a few frames after each move, so it is read once settled)."""
    for _ in range(6):
        selected = ""
        for _ in range(20):
            page.wait_for_timeout(100)
            selected = grid.evaluate(
                "g => (g.querySelector('td[aria-selected=\"true\"]') || {}).id || ''"
            )
            if selected:
                break
        match = re.fullmatch(r"glide-cell-(\d+)-(\d+)", selected)
        if not match:
            continue
        at_col, at_row = int(match[1]), int(match[2])
        if (at_col, at_row) == (col, row):
            return
        keys = (
            ["ArrowRight"] * (col - at_col)
            + ["ArrowLeft"] * (at_col - col)
            + ["ArrowDown"] * (row - at_row)
            + ["ArrowUp"] * (at_row - row)
        )
        for key in keys:
            page.keyboard.press(key)
        page.wait_for_timeout(400)
    raise AssertionError(f"could not select cell {col}, {row} of the grid")
