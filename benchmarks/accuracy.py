"""Accuracy per item on a labelled set, weakest first, plus the disagreements to read.

    python benchmarks/accuracy.py                         # project corpus
    python benchmarks/accuracy.py ../shared/eval/labels ../shared/eval/docs --summary
    python benchmarks/accuracy.py --only SSC- --show      # one area, with each disagreement
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit.evaluate import disagreements, metrics, run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("labels", nargs="?", default=ROOT / "corpus" / "labels")
    ap.add_argument("docs", nargs="?", default=ROOT / "corpus")
    ap.add_argument("--only", default="", help="item id prefix, e.g. SSC- or RF-")
    ap.add_argument("--show", action="store_true", help="print each disagreement")
    ap.add_argument("--summary", action="store_true", help="headline metrics only")
    args = ap.parse_args()
    scored = run(Path(args.labels), Path(args.docs))
    m = metrics(scored)
    per = m.pop("per_item")
    print(json.dumps(m, indent=1))
    if args.summary:
        return
    print(f"\n{'item':8} {'support':>7} {'addr_f1':>8} {'status_acc':>10}")
    for item_id, st in sorted(per.items(), key=lambda kv: (kv[1]["status_accuracy"], kv[0])):
        if item_id.startswith(args.only):
            f1 = "-" if st["addressed_f1"] is None else f"{st['addressed_f1']:.2f}"
            print(f"{item_id:8} {st['support']:7} {f1:>8} {st['status_accuracy']:10.2f}")
    if args.show:
        print()
        for row in disagreements(scored):
            if row["id"].startswith(args.only):
                print(f"{row['document']:28} {row['id']:7} gold={row['gold']:8} tool={row['pred']:8} "
                      f"{row.get('explanation', '')[:150]}")
                for e in row.get("gold_evidence", []):
                    print(f"{'':38}gold quote: {e}")
                for e in row.get("tool_evidence", []):
                    print(f"{'':38}tool quote: {e[:160]}")


if __name__ == "__main__":
    main()
