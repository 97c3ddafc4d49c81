"""Revisions side by side: the versioned-columns table, diffs in words, the workbook.

Rows are criteria (label, group, rule) then caps, decay and band boundaries; columns are
revisions, oldest left; a cell is a criterion's points (blank where the revision does not
have it) or the setting's value. A cell is "changed" when it differs from the column left
of it, including a criterion whose rule changed with the same points.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pandas as pd

from model.core.cells import inert_frame
from model.core.spec import Criterion, Rule, ScoringModel
from model.store.revisions import Revision, stamp

ROW_COLUMNS = ["section", "item", "group", "rule"]
DECAY_WORDS = {"none": "none", "half_life": "half-life", "linear": "linear"}


@dataclass(frozen=True)
class VersionedColumns:
    """The table (row columns then one column per revision) and which cells changed."""

    table: pd.DataFrame
    changed: pd.DataFrame
    revisions: list[Revision]

    @property
    def revision_columns(self) -> list[str]:
        return [r.label for r in self.revisions]


def describe_rule(rule: Rule) -> str:
    """A rule in a few words: 'industry in Software, SaaS', 'count demo_request (max 1)'."""
    r = rule.model_dump(mode="json", exclude_none=True)
    if r["op"] == "count":
        cap = f" (max {rule.max_count:g})" if rule.max_count is not None else ""
        return f"count {', '.join(r['events'])}{cap}"
    attribute = r["attribute"]
    if r["op"] == "equals":
        return f"{attribute} = {r['value']}"
    if r["op"] == "in":
        return f"{attribute} in {', '.join(str(v) for v in r['values'])}"
    if r["op"] in RANGE_WORDS:
        low, high = r.get("low"), r.get("high")
        up_to, from_, both = RANGE_WORDS[r["op"]]
        words = both if low is not None and high is not None else from_ if high is None else up_to
        return f"{attribute} " + words.format(low=_num(low), high=_num(high))
    return f"{attribute} {r['op'].replace('_', ' ')}"


# How a range reads with only a high bound, only a low one, or both.
RANGE_WORDS = {
    "between": ("≤ {high}", "≥ {low}", "{low}–{high}"),
    "days_since": ("under {high} days ago", "{low}+ days ago", "{low}–{high} days ago"),
}


def versioned_columns(revisions: list[Revision]) -> VersionedColumns:
    """Rows = criteria and settings, columns = the given revisions (oldest left)."""
    models = [r.model for r in revisions]
    rows: list[dict[str, Any]] = []
    keys: list[list[Any]] = []
    for cid in _criterion_order(models):
        found = [next((c for c in m.criteria if c.id == cid), None) for m in models]
        newest = next(c for c in reversed(found) if c is not None)
        rule = describe_rule(newest.rule) + _own_decay(newest)
        rows.append(_row("criterion", newest.label, newest.group, rule))
        rows[-1].update(
            {r.label: (c.points if c else None) for r, c in zip(revisions, found, strict=True)}
        )
        keys.append([(c.points, c.group, c.rule, c.decay) if c else None for c in found])
    for item, values in _setting_rows(models).items():
        rows.append(_row("setting", item, "", ""))
        rows[-1].update({r.label: v for r, v in zip(revisions, values, strict=True)})
        keys.append(values)
    for item, get in (
        ("saved by", lambda r: r.author),
        ("saved at", lambda r: stamp(r.created_at)),
        ("status", lambda r: r.status),
        ("note", lambda r: r.note),
    ):
        rows.append(_row("revision", item, "", ""))
        rows[-1].update({r.label: get(r) for r in revisions})
        keys.append([None] * len(revisions))
    labels = [r.label for r in revisions]
    table = pd.DataFrame(rows, columns=ROW_COLUMNS + labels)
    changed = pd.DataFrame(
        [[i > 0 and k[i] != k[i - 1] for i in range(len(k))] for k in keys],
        columns=labels,
        dtype=bool,
    )
    return VersionedColumns(table, changed, revisions)


def diff_models(
    old: ScoringModel, new: ScoringModel, notes: dict[str, str] | None = None
) -> list[str]:
    """What changed from `old` to `new`, one sentence per change, with sales' notes."""
    notes = notes or {}
    before = {c.id: c for c in old.criteria}
    after = {c.id: c for c in new.criteria}
    lines = []
    if old.name != new.name:
        lines.append(f"model renamed {old.name!r} → {new.name!r}")
    for cid, c in after.items():
        lines.extend(_criterion_changes(before.get(cid), c, notes.get(cid)))
    for cid, c in before.items():
        if cid not in after:
            lines.append(f"criterion {c.label!r} removed (was {_signed(c.points)})")
    old_settings, new_settings = _setting_rows([old]), _setting_rows([new])
    for item in dict.fromkeys([*old_settings, *new_settings]):
        a, b = old_settings.get(item, [None])[0], new_settings.get(item, [None])[0]
        if a != b:
            lines.append(_setting_change(item, a, b))
    return lines


def changed_criteria(old: ScoringModel | None, new: ScoringModel) -> list[Criterion]:
    """Criteria of `new` that are added or differ from `old` (they deserve a note)."""
    before = {c.id: c for c in old.criteria} if old else {}
    return [c for c in new.criteria if before.get(c.id) != c]


def workbook(columns: VersionedColumns) -> bytes:
    """An Excel workbook: the versioned columns (changed cells filled) and the notes."""
    from openpyxl.styles import Alignment, Font, PatternFill

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        inert_frame(columns.table).to_excel(writer, sheet_name="Revisions", index=False)
        inert_frame(notes_frame(columns.revisions)).to_excel(
            writer, sheet_name="Notes", index=False
        )
        sheet = writer.sheets["Revisions"]
        fill = PatternFill("solid", fgColor="FFE699")
        first = len(ROW_COLUMNS) + 1
        for row, col in zip(*columns.changed.to_numpy().nonzero(), strict=True):
            sheet.cell(row=int(row) + 2, column=first + int(col)).fill = fill
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = {"A": 10, "B": 34, "C": 12, "D": 40}
        for letter, width in widths.items():
            sheet.column_dimensions[letter].width = width
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(vertical="top", wrap_text=cell.column > 4)
    return buffer.getvalue()


def notes_frame(revisions: list[Revision]) -> pd.DataFrame:
    """One row per revision note and per criterion note (sales feedback), oldest first."""
    rows = []
    for r in revisions:
        base = {
            "revision": r.label,
            "status": r.status,
            "author": r.author,
            "saved at": stamp(r.created_at),
            "parent": f"v{r.parent}" if r.parent else "",
        }
        rows.append({**base, "criterion": "", "note": r.note})
        labels = {c.id: c.label for c in r.model.criteria}
        rows.extend(
            {**base, "criterion": labels.get(cid, cid), "note": text}
            for cid, text in r.criterion_notes.items()
        )
    return pd.DataFrame(
        rows, columns=["revision", "status", "author", "saved at", "parent", "criterion", "note"]
    )


# ------------------------------------------------------------------------- helpers


def _row(section: str, item: str, group: str, rule: str) -> dict[str, Any]:
    return {"section": section, "item": item, "group": group, "rule": rule}


def _criterion_order(models: list[ScoringModel]) -> list[str]:
    """Criteria of the newest model in its order, then ones only older models had."""
    order = [c.id for c in models[-1].criteria] if models else []
    for m in reversed(models):
        order.extend(c.id for c in m.criteria if c.id not in order)
    return order


def _setting_rows(models: list[ScoringModel]) -> dict[str, list[Any]]:
    """Caps, decay and band boundaries per model; bands are matched by name."""
    rows: dict[str, list[Any]] = {
        "tuned against": [m.target.describe() for m in models],
        "baseline points": [m.baseline for m in models],
        "fit cap": [m.caps.fit for m in models],
        "engagement cap": [m.caps.engagement for m in models],
        "decay": [_decay(m) for m in models],
        "decay floor (share of threshold)": [m.decay.floor_fraction for m in models],
        "sales-ready threshold": [m.sales_ready_threshold for m in models],
    }
    names = dict.fromkeys(b.name for m in reversed(models) for b in m.bands)
    for name in names:
        rows[f"band {name} from"] = [
            next((b.min_score for b in m.bands if b.name == name), None) for m in models
        ]
    return rows


def _decay(model: ScoringModel) -> str:
    d = model.decay
    if d.mode == "half_life":
        return f"half-life {d.half_life_days:g} d"
    if d.mode == "linear":
        return f"linear {d.percent_per_30_days:g} % per 30 d"
    return "none"


def _own_decay(criterion: Criterion) -> str:
    """', decays: half-life 7 d' for a criterion with a decay of its own, else ''."""
    return f", decays: {criterion.decay.describe()}" if criterion.decay else ""


def _criterion_changes(old: Criterion | None, new: Criterion, note: str | None) -> list[str]:
    said = f" (note: {note})" if note else ""
    if old is None:
        return [f"criterion {new.label!r} added ({_signed(new.points)}){said}"]
    lines = []
    if old.points != new.points:
        lines.append(f"{new.label} {_num(old.points)} → {_num(new.points)}{said}")
        said = ""
    if old.rule != new.rule:
        lines.append(
            f"{new.label} rule: {describe_rule(old.rule)} → {describe_rule(new.rule)}{said}"
        )
        said = ""
    if old.decay != new.decay:
        was, now = (d.describe() if d else "the model's" for d in (old.decay, new.decay))
        lines.append(f"{new.label} decay: {was} → {now}{said}")
        said = ""
    if old.group != new.group:
        lines.append(f"{new.label} moved from {old.group} to {new.group}{said}")
        said = ""
    if old.label != new.label:
        lines.append(f"criterion {old.label!r} renamed {new.label!r}{said}")
        said = ""
    if old.note != new.note and not lines:
        lines.append(f"{new.label}: note now {new.note or '(none)'!r}")
    return lines


def _setting_change(item: str, old: Any, new: Any) -> str:
    if item.startswith("band ") and old is None:
        return f"{item.removesuffix(' from')} added, from {new}"
    if item.startswith("band ") and new is None:
        return f"{item.removesuffix(' from')} removed (was from {old})"
    return f"{item} {_num(old)} → {_num(new)}"


def _num(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        text = f"{int(value):,}" if float(value).is_integer() else f"{value:g}"
        return text.replace("-", "−")
    return str(value)


def _signed(points: float) -> str:
    return f"+{points:g}" if points >= 0 else f"−{-points:g}"
