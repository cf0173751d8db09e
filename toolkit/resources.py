"""Where the bundled checklists and templates live, in a source checkout or an installed wheel.

In the repository they are top-level folders (`checklists/`, `templates/`); the wheel maps them
into the package as `toolkit/data/checklists` and `toolkit/data/templates` (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


def _data_dir(name: str) -> Path:
    installed = _PACKAGE / "data" / name
    return installed if installed.is_dir() else _REPO / name


def checklists_dir() -> Path:
    return _data_dir("checklists")


def templates_dir() -> Path:
    return _data_dir("templates")
