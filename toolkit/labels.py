"""Gold labels (SPEC section 2): one YAML file per document, or per policy set
(`documents: [a.pdf, b.docx]` instead of `document:`; see docs/policy-sets.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from toolkit.errors import LabelError

STATUSES = ("met", "partial", "missing", "n/a")


@dataclass
class GoldItem:
    status: str
    evidence: list[str] = field(default_factory=list)


@dataclass
class Label:
    path: Path
    document: str
    school: dict
    as_of: dt.date
    items: dict[str, GoldItem]
    red_flags: set[str]
    outdated: set[str]
    documents: list[str] = field(default_factory=list)  # a policy set's files; empty for one document

    @property
    def is_set(self) -> bool:
        return bool(self.documents)


def load_label(path: Path) -> Label:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LabelError(f"{path.name}: cannot read labels ({exc})") from exc
    if not isinstance(data, dict) or ("document" not in data and "documents" not in data):
        raise LabelError(f"{path.name}: field 'document' (or 'documents' for a policy set): is required")
    if "document" in data and "documents" in data:
        raise LabelError(f"{path.name}: give either 'document' or 'documents', not both")
    documents = data.get("documents")
    if documents is not None and (not isinstance(documents, list) or not documents
                                  or not all(isinstance(d, str) and d for d in documents)):
        raise LabelError(f"{path.name}: field 'documents': must be a non-empty list of file names")
    items = {}
    for item_id, v in (data.get("items") or {}).items():
        status, evidence = (v, []) if isinstance(v, str) else (v.get("status"), v.get("evidence") or [])
        if status not in STATUSES:
            raise LabelError(f"{path.name}: {item_id}: field 'status': must be one of {', '.join(STATUSES)}")
        items[item_id] = GoldItem(status, [str(e) for e in evidence])
    as_of = data.get("as_of")
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    if not isinstance(as_of, dt.date):
        raise LabelError(f"{path.name}: field 'as_of': must be a date (YYYY-MM-DD)")
    name = data["document"] if documents is None else " + ".join(documents)
    return Label(path, name, data.get("school") or {}, as_of, items,
                 set(data.get("red_flags") or []), set(data.get("outdated") or []), list(documents or []))


def load_labels(folder: Path) -> list[Label]:
    folder = Path(folder)
    if not folder.is_dir():
        raise LabelError(f"{folder}: no such labels folder")
    labels = [load_label(p) for p in sorted(folder.glob("*.y*ml"))]
    if not labels:
        raise LabelError(f"{folder}: no label files (*.yaml)")
    return labels
