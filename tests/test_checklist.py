"""Checklists as data: the national checklist is complete and valid; overlays add and override."""

import pytest

from toolkit.checklist import load_checklist
from toolkit.errors import ChecklistError

from conftest import ROOT

CATALOGUE_ITEMS = {
    "GOV": 7, "AIM": 5, "CUL": 6, "RS": 8, "EQ": 4, "DET": 2, "SSC": 7, "RI": 3, "REM": 4, "EXC": 9,
    "SAF": 6, "MON": 4}
OVERLAY = ROOT / "checklists" / "overlays" / "example-la.yaml"


def test_national_checklist_has_every_catalogue_id(national):
    ids = {i.id for i in national.items}
    expected = {f"{area}-{n:02d}" for area, count in CATALOGUE_ITEMS.items() for n in range(1, count + 1)}
    assert expected <= ids
    assert {f.id for f in national.red_flags} == {f"RF-{n:02d}" for n in range(1, 16)}
    assert {f.id for f in national.outdated} == {f"OUT-{n:02d}" for n in range(0, 19)}


def test_every_national_item_explains_itself(national):
    for item in national.items:
        assert item.requirement and item.citation and item.remedy, item.id
        assert item.basis in ("statutory", "advisory"), item.id
    for marker in national.red_flags + national.outdated:
        assert marker.title and marker.remedy, marker.id
    assert all(m.replaced_by for m in national.outdated if m.id != "OUT-00")


def test_overlay_adds_local_items_and_overrides_wording(national):
    cl = load_checklist(OVERLAY)
    assert {f"LA-0{n}" for n in range(1, 6)} <= {i.id for i in cl.items}
    exc05 = cl.item("EXC-05")
    assert "inclusion team" in exc05.remedy and exc05.priority == "local"
    assert national.item("EXC-05").remedy != exc05.remedy  # the national checklist is untouched
    assert cl.label.startswith("national ") and "example-la" in cl.label
    assert cl.fingerprint != national.fingerprint


def write(tmp_path, text):
    path = tmp_path / "overlay.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("body,message", [
    ("items:\n  - id: LA-9\n", "overlay.yaml: field 'extends'"),
    ("extends: nowhere\n", "unknown checklist 'nowhere'"),
    ("extends: national\nitems:\n  - id: EXC-05\n    elements: []\n",
     "overlay.yaml: EXC-05: field 'elements': an overlay may only change"),
    ("extends: national\nitems:\n  - id: LA-9\n    title: t\n    requirement: r\n    basis: maybe\n",
     "overlay.yaml: LA-9: field 'basis': must be one of"),
    ("extends: national\nitems:\n  - id: LA-9\n    title: t\n    requirement: r\n    basis: local\n    citation: c\n"
     "    remedy: x\n    elements:\n      - name: e\n        any: ['~ ~2']\n",
     "LA-9: pattern matches nothing definite"),
    ("extends: national\nitems:\n  - id: LA-9\n    title: t\n    requirement: r\n    basis: local\n    citation: c\n"
     "    remedy: x\n    colour: red\n    elements:\n      - name: e\n        any: [x]\n",
     "overlay.yaml: LA-9: field 'colour': is not a known item field"),
    ("extends: national\nitems: [oops\n", "overlay.yaml: not valid YAML"),
])
def test_schema_errors_name_file_item_and_field(tmp_path, body, message):
    with pytest.raises(ChecklistError) as exc:
        load_checklist(write(tmp_path, body))
    assert message in str(exc.value)
