"""Journeys through the app in a real browser, each asserting what the page shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.e2e.browser import (
    ROOT,
    edit_cell,
    go,
    metric,
    open_app,
    pick_stepped,
    selected,
    settle,
    shown,
    table_cells,
    wait_until,
)

POINTS, DEMO_REQUEST = 3, 17  # column and row of the criteria table


def test_open_the_app_on_demo_data(page, app_url):
    open_app(page, app_url)
    assert page.locator("h1").first.inner_text() == "Scoring model"
    assert metric(page, "Leads scored") == "20,000"
    assert selected(page, "Dataset") == "Demo data (B2B inbound)"
    page.shot("model")


def test_points_edit_changes_the_band_table_and_survives_a_page_switch(page, app_url):
    open_app(page, app_url)
    before = table_cells(page, 2)
    ready = metric(page, "Sales-ready")
    edit_cell(page, 0, DEMO_REQUEST, POINTS, "40")
    settle(page)
    assert metric(page, "Sales-ready") != ready
    after = table_cells(page, 2, unlike=before)
    assert after != before
    assert after[0] == "A"
    page.shot("edited")
    edited = metric(page, "Sales-ready")
    assert edited != ready
    baseline = page.get_by_role("spinbutton", name="Baseline points")
    baseline.fill("3")
    baseline.press("Enter")
    settle(page)
    go(page, "Replay")
    go(page, "Model")
    assert metric(page, "Sales-ready") != edited  # the baseline moved scores up
    assert (
        page.get_by_role("spinbutton", name="Baseline points").input_value() == "3"
    )  # edited in a fragment
    page.get_by_role("spinbutton", name="Baseline points").fill("0")
    page.get_by_role("spinbutton", name="Baseline points").press("Enter")
    settle(page)
    assert metric(page, "Sales-ready") == edited  # the points edit is still there


def test_an_edit_the_fragment_alone_redrew_is_what_is_saved_and_downloaded(page, app_url):
    """After the first edit only the editors and the preview rerun; the model file and the
    save still take the last edit."""
    open_app(page, app_url)
    for points in ("41", "37"):
        edit_cell(page, 0, DEMO_REQUEST, POINTS, points)
        settle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download model JSON").click()
    downloaded = json.loads(Path(download.value.path()).read_text())
    assert downloaded["criteria"][DEMO_REQUEST]["points"] == 37
    save_revision(page, "Ann", "thirty-seven")
    assert "no unsaved changes" in page.locator('[data-testid="stMain"]').inner_text()


def test_the_points_stepper_moves_the_figures_and_redraws_the_chart_in_place(page, app_url):
    """Two presses of + beside the preview: the figures move, the histogram is the same
    chart on the page with new bars (not drawn again from scratch); five quick presses
    after them all count, and the steps are in the model file."""
    open_app(page, app_url)
    pick_stepped(page, "Demo request")
    stepper = page.locator('[data-testid="stNumberInput"]').filter(has_text="Points").last
    start = int(stepper.locator("input").input_value())  # an earlier journey saved a revision
    ready = metric(page, "Sales-ready")
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.evaluate("c => { c.dataset.kept = 'yes'; }")
    for _ in range(2):
        stepper.get_by_test_id("stNumberInputStepUp").click()
        settle(page)
    assert wait_until(page, lambda: stepper.locator("input").input_value() == str(start + 2))
    assert metric(page, "Sales-ready") != ready
    assert chart.get_attribute("data-kept") == "yes"  # the same chart, redrawn in place
    page.shot("stepped")
    plus = stepper.get_by_test_id("stNumberInputStepUp").bounding_box()
    for _ in range(5):  # quick presses, as a room clicks: none is undone by a rerun
        page.mouse.click(plus["x"] + plus["width"] / 2, plus["y"] + plus["height"] / 2)
        page.wait_for_timeout(100)
    settle(page)
    assert stepper.locator("input").input_value() == str(start + 7)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download model JSON").click()
    downloaded = json.loads(Path(download.value.path()).read_text())
    assert downloaded["criteria"][DEMO_REQUEST]["points"] == start + 7


def save_revision(page, author: str, note: str) -> None:
    """Type a name and a note, press save, and see it saved."""
    page.get_by_label("Your name").fill(author)
    page.get_by_label("Your name").press("Enter")
    settle(page)
    page.get_by_label("Note: why this revision").fill(note)
    page.get_by_role("button", name="Save as new revision").click()
    shown(page, "Saved B2B inbound v")
    assert "Saved B2B inbound v" in page.locator('[data-testid="stMain"]').inner_text()


def test_replay_and_compare_two_models(page, app_url):
    open_app(page, app_url)
    edit_cell(page, 0, DEMO_REQUEST, POINTS, "40")
    settle(page)
    go(page, "Replay")
    auc = float(metric(page, "ROC AUC"))
    assert 0.6 < auc < 0.9
    page.get_by_label("Compare with (model B)").click()
    page.get_by_role("option", name="Default model").click()
    shown(page, "Band migration")
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "Band migration" in body
    assert "Model B" in body
    page.shot("compare")


def test_move_the_threshold_and_see_handoffs_per_week_change(page, app_url):
    open_app(page, app_url)
    go(page, "Thresholds")
    per_week = metric(page, "Sales-ready leads / week")
    handoffs = table_cells(page, 2)  # the handoff simulation: the current threshold only
    slider = page.get_by_role("slider").first
    for _ in range(3):  # keystrokes sent during a rerun can be lost: press again
        slider.focus()
        for _ in range(10):
            page.keyboard.press("ArrowLeft")
        settle(page)
        if wait_until(page, lambda: metric(page, "Sales-ready leads / week") != per_week):
            break
    assert float(metric(page, "Sales-ready leads / week")) > float(per_week)
    both = table_cells(page, 2, unlike=handoffs)
    assert len(both) == 2 * len(handoffs)  # current and proposed side by side
    current, proposed = float(both[1]), float(both[1 + len(handoffs)])
    assert proposed > current  # a lower line hands more leads to sales each week
    page.shot("thresholds")


def test_calibrate_and_read_a_confidence(page, app_url):
    open_app(page, app_url)
    go(page, "Calibration")
    page.wait_for_selector('[data-testid="stMetricValue"]')
    assert float(metric(page, "ECE")) < 0.05
    confidence = metric(page, "Lead confidence")
    assert confidence.endswith("%")
    score = page.get_by_label("Score", exact=True)
    score.fill("95")
    score.press("Enter")
    shown(page, "Leads scoring 95 close")
    assert metric(page, "Lead confidence") != confidence
    assert "Leads scoring 95 close" in page.locator('[data-testid="stMain"]').inner_text()
    page.shot("calibration")


def test_save_a_revision_and_see_its_column(page, app_url):
    open_app(page, app_url)
    edit_cell(page, 0, DEMO_REQUEST, POINTS, "29")  # something to save, whatever was before
    settle(page)
    save_revision(page, "Ann", "from the browser")
    go(page, "Revisions")
    cells = table_cells(page, 0)
    assert "from the browser" in cells
    assert "Ann" in cells
    page.shot("revisions")


def test_upload_a_csv_with_a_bad_date_and_read_the_warning(page, app_url, tmp_path):
    """A created date guessed from a column's name is only a proposal: half of its values
    are not dates, so it stays an attribute, the report says why, and nothing blocks."""
    csv = tmp_path / "crm.csv"
    csv.write_text("Lead ID,Create Date,Status\nA1,2026-01-02,won\nA2,sometime,lost\n")
    open_app(page, app_url)
    go(page, "Data")
    page.locator("input[type=file]").first.set_input_files(str(csv))
    shown(page, "looked like the created date by its name")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "'Create Date' looked like the created date by its name, but holds" in main
    assert page.get_by_role("button", name="Use this dataset").is_enabled()
    page.shot("guessed-date")


EXPORTS = ROOT / "tests" / "data" / "exports"
PAGES = ("Model", "Replay", "Thresholds", "Calibration", "Revisions", "Sources")


def _use_and_open_every_page(page) -> None:
    page.get_by_role("button", name="Use this dataset").click()
    shown(page, "it is now the sidebar's dataset")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "it is now the sidebar's dataset" in main
    for title in PAGES:
        go(page, title)
        assert not page.locator('[data-testid="stException"]').count(), title
        assert not page.locator('[data-testid="stAlertContentError"]').count(), title
        page.shot(title.lower())


def test_upload_an_excel_unicode_text_export_map_nothing_and_open_every_page(
    page, app_url, tmp_path
):
    """Excel's "Unicode Text" (UTF-16 with a BOM, tab-separated) of a Salesforce leads
    report: no mapping, the dataset is used, every page opens without an error."""
    text = (EXPORTS / "salesforce_leads.csv").read_bytes().decode("cp1252").replace(",", "\t")
    export = tmp_path / "Salesforce leads.txt"
    export.write_bytes(text.encode("utf-16"))
    open_app(page, app_url)
    go(page, "Data")
    page.locator("input[type=file]").first.set_input_files(str(export))
    settle(page)
    assert selected(page, "Outcome (won / lost)") == "Lead Status"
    assert selected(page, "Created date") == "Create Date"
    page.shot("mapped")
    _use_and_open_every_page(page)


def test_upload_opportunities_and_accounts_map_nothing_and_open_every_page(page, app_url):
    open_app(page, app_url)
    go(page, "Data")
    files = page.locator("input[type=file]")
    files.nth(0).set_input_files(str(EXPORTS / "opportunities.csv"))
    settle(page)
    files.nth(2).set_input_files(str(EXPORTS / "accounts.csv"))
    shown(page, "19 leads have no account in the file")
    assert selected(page, "Join accounts on") == "Account ID"
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "19 leads have no account in the file" in main
    assert selected(page, "Outcome (won / lost)") == "Stage"
    page.shot("joined")
    _use_and_open_every_page(page)


def test_presentation_at_a_1280x720_projector_edits_and_reads_the_band_table(sized, app_url):
    """The room edits at the projector: the sidebar folds away, the editors stay, the band
    table is the larger HTML table and follows the edit, Ctrl+Z takes the edit back."""
    page = sized(1280, 720)
    open_app(page, app_url)
    page.get_by_text("Presentation mode").click()
    settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert wait_until(page, lambda: sidebar.get_attribute("data-collapsed") == "true")
    bands = page.locator('[data-testid="stTable"]').first
    before = bands.inner_text()
    ready = metric(page, "Sales-ready")
    edit_cell(page, 0, DEMO_REQUEST, POINTS, "40")
    settle(page)
    assert wait_until(page, lambda: bands.inner_text() != before)
    assert metric(page, "Sales-ready") != ready
    size = bands.locator("td").first.evaluate("c => parseFloat(getComputedStyle(c).fontSize)")
    assert size >= 18  # larger type in the table too (14 px at a desk)
    bands.evaluate("t => t.scrollIntoView({block: 'center'})")
    page.shot("edited")
    page.get_by_text("Edit points, rules, caps").click()  # focus off the grid
    page.keyboard.press("Control+z")
    settle(page)
    assert wait_until(page, lambda: bands.inner_text() == before)
    assert metric(page, "Sales-ready") == ready


def test_an_800px_window_wraps_instead_of_cutting_and_remembers_the_welcome(sized, app_url):
    page = sized(800, 900)
    open_app(page, app_url)
    assert page.get_by_text("Welcome to Lead Scoring Studio").count() == 1
    page.shot("model")
    for value in page.locator('[data-testid="stMetricValue"]').all():  # no "$25.…"
        assert value.evaluate("v => v.scrollWidth <= v.clientWidth + 1"), value.inner_text()
    page.get_by_role("button", name="Got it").click()
    settle(page)
    go(page, "Calibration")
    page.get_by_text("Score → confidence, to hand to sales").wait_for(timeout=60_000)
    page.shot("calibration")
    again = page.context.new_page()  # a reload in the same browser: no welcome again
    open_app(again, app_url)
    assert again.get_by_text("Welcome to Lead Scoring Studio").count() == 0
    again.close()


def _view(page, name: str) -> None:
    """Pick a view of the Revisions page."""
    page.get_by_role("radiogroup", name="Show").get_by_text(name, exact=True).click()
    settle(page)


def _pick(page, label: str, option: str) -> None:
    """Choose `option` in the select box labelled `label`."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def _button(page, starts: str):
    """The first button whose label starts with `starts` (labels carry revision numbers)."""
    return page.locator("button").filter(has_text=re.compile(f"^{re.escape(starts)}")).first


def test_a_whole_review_hand_offs_history_feedback_shadow_and_the_gate(page, app_url, tmp_path):
    """A 90-day review as the marketing-ops lead runs it: a live revision, the hand-off
    list and one lead's history, reps' verdicts imported from a CRM export, a candidate in
    shadow, the checklist reading all of it, the review recorded and the candidate made
    live through the gate."""
    open_app(page, app_url)
    page.get_by_label("Your name").fill("Dana")
    page.get_by_label("Your name").press("Enter")
    settle(page)
    page.get_by_label("Note: why this revision").fill("the model we run")
    page.get_by_role("button", name="Save as new revision").click()
    settle(page)
    live = _button(page, "Make v")
    if live.count():  # a journey before this one may have made it live already
        live.click()
        settle(page)
    go(page, "Leads")
    main = page.locator('[data-testid="stMain"]')
    assert "Leads that crossed the sales-ready line" in main.inner_text()
    cells = table_cells(page, 0)
    ids = [c for c in cells if re.fullmatch(r"L\d{7}", c)]
    assert len(ids) >= 6
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the hand-off list (CSV)").click()
    assert download.value.suggested_filename.startswith("handoffs-")
    page.get_by_label("Lead id").fill(ids[0])
    page.get_by_label("Lead id").press("Enter")
    settle(page)
    assert wait_until(page, lambda: "Band crossings:" in main.inner_text())
    assert metric(page, "Score now")
    page.shot("lead-history")
    export = tmp_path / "hubspot-lead-status.csv"
    rows = [f"{i},{'Open Deal' if k % 3 else 'Unqualified'},{'' if k % 3 else 'No budget'}"
            for k, i in enumerate(ids[:6])]  # fmt: skip
    export.write_text("Record ID,Lead Status,Rejection Reason\n" + "\n".join(rows) + "\n")
    go(page, "Feedback")
    page.locator("input[type=file]").first.set_input_files(str(export))
    settle(page)
    assert wait_until(
        page,
        lambda: "Imported 6 verdicts from hubspot-lead-status" in main.inner_text(),
        timeout=30,
    )
    assert metric(page, "Leads judged") == "6"
    page.shot("feedback")
    go(page, "Revisions")
    _view(page, "Restore, make live, import")
    restore = _button(page, "Restore v")
    restore.click()  # the candidate: a copy of the newest revision
    settle(page)
    assert wait_until(page, lambda: re.search(r"Saved (v\d+)", main.inner_text()), timeout=30)
    candidate = re.search(r"Saved (v\d+)", main.inner_text()).group(1)
    _view(page, "Review checklist")
    _view(page, "Restore, make live, import")
    _pick(page, "Revision", candidate)
    _button(page, f"Run {candidate} in shadow").click()
    settle(page)
    assert wait_until(page, lambda: "runs in shadow" in main.inner_text(), timeout=30)
    _view(page, "Review checklist")
    assert wait_until(page, lambda: "has run in shadow since" in main.inner_text(), timeout=60)
    text = main.inner_text()
    assert "4. What sales said about the hand-offs" in text
    assert metric(page, "Leads judged by sales") == "6"
    assert "has run in shadow since" in text
    assert "would pass the gate" in text or "would be refused by the gate" in text
    page.shot("checklist")
    page.get_by_label("Review note").fill("keep the live revision; shadow a quarter more")
    page.get_by_role("button", name="Record this review").click()
    settle(page)
    _view(page, "Restore, make live, import")
    _pick(page, "Revision", candidate)
    _button(page, f"Make {candidate} live").click()
    settle(page)
    assert wait_until(
        page, lambda: " is live" in main.inner_text() or "refused" in main.inner_text()
    )
    page.shot("made-live")
