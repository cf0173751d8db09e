import datetime as dt
from pathlib import Path

import pytest

from toolkit.checklist import load_checklist
from toolkit.extract.text import blocks_from_text
from toolkit.segment import build_document

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT / "corpus"
AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path, monkeypatch):
    """No test touches a dipsample.db outside its own temporary folder."""
    monkeypatch.setenv("DIPSAMPLE_DB", str(tmp_path / "default.db"))
    monkeypatch.delenv("DIPSAMPLE_DEBUG", raising=False)


@pytest.fixture(scope="session")
def mini():
    return load_checklist(HERE / "checklists" / "mini")


@pytest.fixture(scope="session")
def national():
    return load_checklist()


def doc_from_markdown(text: str, source: str = "test.md"):
    return build_document(blocks_from_text(text), source=source, fmt="md", pages=1)
