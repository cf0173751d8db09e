"""Synthetic policy PDFs for performance runs: sections sampled from the corpus sources and
rendered like the corpus (reportlab, running header and footer).

    python benchmarks/synth.py OUT_DIR --count 200 --pages 30 [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "corpus"))

from build import parse_md, render_pdf  # noqa: E402

WORDS_PER_PAGE = 420


def _sections() -> list[str]:
    out = []
    for src in sorted((ROOT / "corpus" / "src").glob("*.md")):
        parts = re.split(r"(?m)^(?=## )", src.read_text(encoding="utf-8"))
        out += [p for p in parts if p.startswith("## ") and len(p.split()) > 60]
    return out


def make_policy(rng: random.Random, sections: list[str], pages: int, n: int) -> str:
    body, words = [f"# Synthetic School {n}: Behaviour Policy\n"], 0
    while words < pages * WORDS_PER_PAGE:
        section = rng.choice(sections)
        body.append(section)
        words += len(section.split())
    return "\n".join(body)


def generate(out: Path, count: int, pages: int, seed: int = 1) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    rng, sections, paths = random.Random(seed), _sections(), []
    for n in range(count):
        path = out / f"synthetic-{pages}p-{n:04d}.pdf"
        if not path.exists():
            render_pdf(parse_md(make_policy(rng, sections, pages, n)), path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    print(len(generate(a.out, a.count, a.pages, a.seed)), "policies in", a.out)
