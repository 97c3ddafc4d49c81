"""Write the hostile-input corpus in this folder, and `manifest.json` saying, per file,
what it is fed to and which words the message must hold (`ok` when it must be accepted).

Run `python tests/data/hostile/make_hostile.py` to rebuild it (deterministic).
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
GOOD = "lead_id,created_at,outcome,industry,visits\n1,2025-01-02,won,Software,3\n2,2025-01-05,lost,Retail,1\n"
MANIFEST: list[dict] = []


def put(name: str, data: bytes | str, kind: str, expect: str) -> None:
    """One corpus file; `expect` is 'ok' or words the message must hold."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    (HERE / name).write_bytes(raw)
    MANIFEST.append({"file": name, "kind": kind, "expect": expect})


def leads() -> None:
    rnd = random.Random(7)
    put("empty.csv", b"", "leads", "the file is empty")
    put("only_header.csv", "lead_id,created_at,outcome\n", "leads", "has a header but no rows")
    put("binary.csv", bytes(rnd.randrange(256) for _ in range(3000)), "leads", "binary file")
    put("nul_in_cell.csv", GOOD.replace("Retail", "Ret\x00ail"), "leads", "binary file")
    put("utf16_bom.csv", GOOD.encode("utf-16"), "leads", "ok")
    put("utf16be_bom.csv", b"\xfe\xff" + GOOD.encode("utf-16-be"), "leads", "ok")
    put("utf16le_no_bom.csv", GOOD.encode("utf-16-le"), "leads", "ok")
    put("utf8_bom.csv", b"\xef\xbb\xbf" + GOOD.encode(), "leads", "ok")
    put("cp1252.csv", (GOOD + "3,2025-01-06,won,Café Müller,2\n").encode("cp1252"), "leads", "ok")
    put("latin1.csv", (GOOD + "3,2025-01-06,won,Ærø,2\n").encode("latin-1"), "leads", "ok")
    put("cr_only.csv", GOOD.replace("\n", "\r"), "leads", "ok")
    put("crlf.csv", GOOD.replace("\n", "\r\n"), "leads", "ok")
    put("semicolon.csv", GOOD.replace(",", ";"), "leads", "ok")
    put("tab.tsv", GOOD.replace(",", "\t"), "leads", "ok")
    put("pipe.csv", GOOD.replace(",", "|"), "leads", "ok")
    put("ragged.csv", GOOD + "3,2025-01-06,won,Retail,2,extra,more\n", "leads", "not a well-formed")
    put("unbalanced_quote.csv", GOOD + '3,2025-01-06,won,"Retail,2\n', "leads", "not a well-formed")
    put(
        "quoted_newline_header.csv",
        'lead_id,"created\nat",outcome\n1,2025-01-02,won\n2,2025-01-03,lost\n',
        "leads",
        "ok",
    )
    put("quoted_newline_cell.csv", GOOD + '3,2025-01-06,won,"Soft\nware",2\n', "leads", "ok")
    put("duplicate_columns.csv", "lead_id,outcome,outcome\n1,won,lost\n2,lost,won\n", "leads", "ok")
    put("blank_column_names.csv", "lead_id,,outcome,\n1,a,won,b\n2,c,lost,d\n", "leads", "ok")
    put(
        "ten_thousand_columns.csv",
        ",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n",
        "leads",
        "10,000 columns",
    )
    put(
        "long_column_name.csv",
        "lead_id,outcome," + "x" * 10_000 + "\n1,won,a\n2,lost,b\n",
        "leads",
        "ok",
    )
    put("year_zero.csv", GOOD + "3,0000-01-01,won,Retail,2\n", "leads", "ok")
    put("year_10000.csv", GOOD + "3,10000-01-01,won,Retail,2\n", "leads", "ok")
    put("month_13.csv", GOOD + "3,2025-13-45,won,Retail,2\n", "leads", "ok")
    put(
        "mixed_offsets.csv",
        "lead_id,created_at,outcome\n1,2025-01-02T10:00:00+01:00,won\n2,2025-01-02T10:00:00-05:00,lost\n3,2025-01-02T10:00:00Z,lost\n",
        "leads",
        "ok",
    )
    put(
        "day_first.csv",
        "lead_id,created_at,outcome\n1,25/03/2025,won\n2,03/04/2025,lost\n",
        "leads",
        "ok",
    )
    put(
        "ambiguous_day_month.csv",
        "lead_id,created_at,outcome\n1,03/04/2025,won\n2,05/06/2025,lost\n",
        "leads",
        "could be day or month first",
    )
    put("future_dates.csv", GOOD + "3,2099-01-06,won,Retail,2\n", "leads", "in the future")
    put(
        "closed_before_created.csv",
        "lead_id,created_at,closed_at,outcome\n1,2025-03-01,2025-01-01,won\n2,2025-03-01,2025-04-01,lost\n",
        "leads",
        "closed before it was created",
    )
    put(
        "european_decimals.csv",
        'lead_id,created_at,outcome,value\n1,2025-01-02,won,"1.234,56"\n2,2025-01-03,lost,"12,5"\n3,2025-01-04,lost,"7"\n',
        "leads",
        "ok",
    )
    put(
        "infinite_values.csv",
        "lead_id,created_at,outcome,value\n1,2025-01-02,won,inf\n2,2025-01-03,lost,-inf\n3,2025-01-04,lost,1e400\n4,2025-01-05,won,100\n",
        "leads",
        "ok",
    )
    put(
        "unknown_outcomes.csv",
        "lead_id,created_at,outcome\n1,2025-01-02,won\n2,2025-01-03,maybe\n3,2025-01-04,lost\n",
        "leads",
        "neither won nor lost",
    )
    put(
        "all_open.csv",
        "lead_id,created_at,outcome\n1,2025-01-02,open\n2,2025-01-03,open\n",
        "leads",
        "looked like the outcome by its name, but holds 'open'",
    )
    put(
        "all_won.csv",
        "lead_id,created_at,outcome\n1,2025-01-02,won\n2,2025-01-03,won\n",
        "leads",
        "ok",
    )
    put(
        "placeholders.csv",
        "lead_id,created_at,outcome,industry\n1,2025-01-02,won,Select\n2,2025-01-03,lost,-None-\n3,2025-01-04,lost,N/A\n",
        "leads",
        "placeholder values",
    )
    put(
        "formulas.csv",
        'lead_id,created_at,outcome,industry\n"=HYPERLINK(""http://x"",""y"")",2025-01-02,won,"+cmd|\' /C calc\'!A0"\n@SUM(1),2025-01-03,lost,-1+1\n',
        "leads",
        "ok",
    )
    put(
        "duplicate_ids.csv",
        GOOD + "1,2025-01-06,won,Retail,2\n",
        "leads",
        "looked like the lead id by its name, but its values repeat",
    )
    put(
        "blank_ids.csv",
        GOOD + ",2025-01-06,won,Retail,2\n",
        "leads",
        "looked like the lead id by its name",
    )
    put("one_row.csv", "lead_id,created_at,outcome\n1,2025-01-02,won\n", "leads", "ok")
    put(
        "row_column.csv",
        "lead_id,created_at,outcome,__row\n1,2025-01-02,won,9\n2,2025-01-03,lost,8\n",
        "leads",
        "ok",
    )
    put(
        "html.csv",
        "<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>\n",
        "leads",
        "a web page or XML, not a CSV",
    )
    put("json.csv", '{"lead_id": 1, "outcome": "won"}\n', "leads", "this is JSON, not a CSV")
    put("zip.csv", _zip({"a.txt": b"hello"}), "leads", "a zip file")
    put(
        "no_dates.csv",
        "lead_id,outcome,industry\n1,won,Software\n2,lost,Retail\n",
        "leads",
        "no created date",
    )
    put(
        "blank_created.csv",
        "lead_id,created_at,closed_at,outcome\n1,2025-01-02,2025-01-12,won\n2,,2025-02-12,lost\n3,,,lost\n",
        "leads",
        "have no created date",
    )
    put(
        "huge_numbers.csv",
        "lead_id,created_at,outcome,employees\n1,2025-01-02,won,1"
        + "0" * 400
        + "\n2,2025-01-03,lost,5\n",
        "leads",
        "ok",
    )
    put(
        "control_chars.csv",
        "lead_id,created_at,outcome,industry\n1,2025-01-02,won,Soft\x01ware\n2,2025-01-03,lost,Re\x1btail\n",
        "leads",
        "ok",
    )
    put(
        "emoji.csv",
        "lead_id,created_at,outcome,industry\n1,2025-01-02,won,🚀 Rockets\n2,2025-01-03,lost,日本\n",
        "leads",
        "ok",
    )
    put("whitespace_only.csv", "   \n\n  \n", "leads", "the file is empty")


def workbooks() -> None:
    put("not_a_zip.xlsx", b"PK\x03\x04 not a workbook", "leads", "not an Excel workbook")
    put(
        "corrupt_zip.xlsx",
        _zip({"xl/workbook.xml": b"<broken"})[:-10],
        "leads",
        "not an Excel workbook",
    )
    put(
        "wide_dimension.xlsx",
        _sheet(
            '<dimension ref="A1:XFD20000"/>',
            '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>',
        ),
        "leads",
        "16,384 columns",
    )
    frame = pd.DataFrame(
        {
            "lead_id": ["1", "2"],
            "created_at": ["2025-01-02", "2025-01-03"],
            "outcome": ["won", "lost"],
            "note": ["=1+1", '=HYPERLINK("x")'],
        }
    )
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as book:
        frame.to_excel(book, sheet_name="Leads", index=False)
        pd.DataFrame({"x": [1]}).to_excel(book, sheet_name="Other", index=False)
    put("formulas_two_sheets.xlsx", buffer.getvalue(), "leads", "ok")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as book:
        pd.DataFrame().to_excel(book, sheet_name="Empty", index=False)
    put("empty_workbook.xlsx", buffer.getvalue(), "leads", "the file has no columns")
    put(
        "old_format.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500,
        "leads",
        "Excel 97-2003",
    )


def parquets() -> None:
    put("corrupt.parquet", b"PAR1 not really", "leads", "cannot read the file")
    frame = pd.DataFrame(
        {
            "lead_id": ["1", "2"],
            "created_at": ["2025-01-02", "2025-01-03"],
            "outcome": ["won", "lost"],
            "tags": [["a", "b"], ["c"]],
            "props": [{"k": 1}, {"k": 2}],
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    put("nested_columns.parquet", buffer.getvalue(), "leads", "ok")
    buffer = io.BytesIO()
    pd.DataFrame(
        {"lead_id": pd.Series([], dtype=str), "outcome": pd.Series([], dtype=str)}
    ).to_parquet(buffer)
    put("empty.parquet", buffer.getvalue(), "leads", "has a header but no rows")


def events() -> None:
    put(
        "events_missing_columns.csv",
        "lead_id,when\n1,2025-01-02\n",
        "events",
        "no column is mapped as 'event_type'",
    )
    put(
        "events_bad_dates.csv",
        "lead_id,occurred_at,event_type\n1,soon,visit\n",
        "events",
        "not a date",
    )
    put(
        "events_orphans.csv",
        "lead_id,occurred_at,event_type\n1,2025-01-03,visit\n99,2025-01-03,visit\n",
        "events",
        "for leads not in the leads file",
    )
    put(
        "events_blank_type.csv",
        "lead_id,occurred_at,event_type\n1,2025-01-03,\n",
        "events",
        "no type",
    )
    put(
        "events_blank_id.csv",
        "lead_id,occurred_at,event_type\n,2025-01-03,visit\n",
        "events",
        "no lead id",
    )
    put("events_binary.csv", bytes(range(256)) * 4, "events", "binary file")


BASE = {
    "criteria": [
        {
            "id": "sw",
            "label": "Software",
            "group": "fit",
            "points": 10,
            "rule": {"attribute": "industry", "op": "equals", "value": "Software"},
        },
        {
            "id": "visit",
            "label": "Visit",
            "group": "engagement",
            "points": 5,
            "rule": {"events": ["visit"], "op": "count", "max_count": 3},
        },
    ],
    "bands": [{"name": "A", "min_score": 50, "sales_ready": True}, {"name": "C", "min_score": 0}],
}


def _model(change, expect: str, name: str) -> None:
    data = json.loads(json.dumps(BASE))
    text = change(data)
    put(name, text if isinstance(text, str | bytes) else json.dumps(data), "model", expect)


def models() -> None:
    def points(value):
        return lambda d: json.dumps(d).replace('"points": 10', f'"points": {value}', 1)

    _model(points("Infinity"), "points must be a finite number", "points_infinity.json")
    _model(points("-Infinity"), "points must be a finite number", "points_minus_infinity.json")
    _model(points("NaN"), "points must be a finite number", "points_nan.json")
    _model(points("1e400"), "points must be a finite number", "points_1e400.json")
    _model(points("1e9"), "points must be less than or equal to 1000", "points_huge.json")
    _model(points('"ten"'), "points must be a number", "points_text.json")
    _model(lambda d: d.update(extra=1), "unknown field 'extra'", "unknown_field.json")
    _model(lambda d: d.pop("bands"), "bands is required", "no_bands.json")
    _model(lambda d: d["bands"].reverse(), "bands must be ordered", "bands_reversed.json")
    _model(
        lambda d: d["bands"][0].update(min_score=150),
        "min_score must be less than or equal to 100",
        "band_over_100.json",
    )
    _model(
        lambda d: d["criteria"].append(d["criteria"][0]),
        "criterion ids must be unique",
        "duplicate_ids.json",
    )
    _model(lambda d: "[" * 100_000, "nested too deeply", "deeply_nested.json")
    _model(lambda d: bytes(range(128, 256)), "not UTF-8 text", "binary_model.json")
    _model(lambda d: "", "not valid JSON", "empty_model.json")
    _model(lambda d: "[]", "must be an object", "array_model.json")
    _model(lambda d: '"x"', "must be an object", "string_model.json")
    _model(
        lambda d: d["criteria"][1]["rule"].update(events=[]), "rule.events", "no_event_types.json"
    )
    _model(
        lambda d: d["criteria"][0].update(
            rule={"attribute": "visits", "op": "between", "low": 5, "high": 1}
        ),
        "is above 'high'",
        "low_above_high.json",
    )
    _model(
        lambda d: d["criteria"][0]["rule"].update(value="Soft\x00ware"),
        "holds a NUL character",
        "nul_value.json",
    )
    _model(lambda d: d["criteria"][0].update(label='=HYPERLINK("x")'), "ok", "formula_label.json")
    _model(lambda d: d["criteria"][1]["rule"].update(max_count=1e308), "ok", "huge_max_count.json")
    _model(
        lambda d: d.update(decay={"mode": "half_life", "half_life_days": 0}),
        "half_life_days must be greater than 0",
        "half_life_zero.json",
    )
    _model(
        lambda d: d.update(decay={"mode": "half_life", "floor_fraction": 2}),
        "floor_fraction must be less than or equal to 1",
        "floor_two.json",
    )
    _model(
        lambda d: d.update(caps={"fit": -5}),
        "fit must be greater than or equal to 0",
        "negative_cap.json",
    )
    _model(
        lambda d: d["criteria"][1]["rule"].update(events=["visti"]), "ok", "event_type_typo.json"
    )
    _model(
        lambda d: d["criteria"][0]["rule"].update(attribute="nope"),
        "attribute 'nope' is not a column",
        "unknown_attribute.json",
    )
    _model(
        lambda d: d["criteria"][0].update(id="bad id!"),
        "id may hold only letters, digits, _ and -",
        "bad_criterion_id.json",
    )


CAL = {
    "method": "isotonic",
    "table": [i / 100 for i in range(101)],
    "n_closed": 10,
    "n_won": 5,
    "first_created": "2025-01-01",
    "last_created": "2025-02-01",
    "fitted_at": "2025-02-02",
}


def calibrations() -> None:
    def cal(name, change, expect):
        data = dict(CAL)
        text = change(data)
        put(name, text if isinstance(text, str) else json.dumps(data), "calibration", expect)

    cal("cal_missing_keys.json", lambda d: d.pop("table"), "missing table")
    cal("cal_extra_key.json", lambda d: d.update(hack=1), "unknown key hack")
    cal("cal_short_table.json", lambda d: d.update(table=[0.5] * 10), "must hold 101 confidences")
    cal("cal_above_one.json", lambda d: d.update(table=[5.0] * 101), "holds 5 for score 0")
    cal("cal_negative.json", lambda d: d.update(table=[-1.0] * 101), "holds -1 for score 0")
    cal("cal_nan.json", lambda d: json.dumps(d).replace("0.0,", "NaN,", 1), "holds nan for score 0")
    cal("cal_not_json.json", lambda d: "not json", "not valid JSON")
    cal("cal_array.json", lambda d: "[1, 2]", "not a JSON object")
    cal("cal_text_table.json", lambda d: d.update(table="high"), "must be 101 numbers")
    cal(
        "cal_stage_tables.json",
        lambda d: d.update(stage_tables={"SQL": [2] * 101}),
        "stage_tables.SQL holds 2",
    )
    cal("cal_ok.json", lambda d: None, "ok")


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _sheet(dimension: str, rows: str) -> bytes:
    """A minimal workbook whose one sheet declares `dimension`."""
    sheet = (
        f'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main">{dimension}<sheetData>{rows}</sheetData></worksheet>'
    )
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
            "xl/worksheets/sheet1.xml": sheet.encode(),
        }
    )


if __name__ == "__main__":
    for make in (leads, workbooks, parquets, events, models, calibrations):
        make()
    (HERE / "manifest.json").write_text(json.dumps(MANIFEST, indent=1) + "\n")
    print(f"{len(MANIFEST)} files")
