"""Build ``data/divisions.tsv.gz`` (compact division names) from ../shared/data/resources/admin_divisions.

Source: modood/Administrative-divisions-of-China @ 57a0aa9cef47 (WTFPL), National Bureau of Statistics
统计用区划代码 2023. Run ``python -m moli.pii.build_divisions``; the output is committed.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

from moli.core.paths import shared_dir

OUT = Path(__file__).parent / "data" / "divisions.tsv.gz"


def build(src: Path | None = None, out: Path = OUT) -> int:
    src = src or shared_dir() / "data" / "resources" / "admin_divisions"
    rows: list[tuple[str, str, str]] = []
    for level, fname in (("province", "provinces.csv"), ("city", "cities.csv"), ("area", "areas.csv")):
        with open(src / fname, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if r["name"] not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
                    rows.append((level, r["code"], r["name"]))
    with gzip.open(src / "streets.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append(("street", "", r["name"]))
    buf = io.StringIO()
    buf.write("# level\tcode\tname  (source: modood/Administrative-divisions-of-China 57a0aa9cef47, WTFPL, NBS 2023)\n")
    for level, code, name in rows:
        buf.write(f"{level[0]}\t{code}\t{name}\n")
    with gzip.GzipFile(out, "wb", mtime=0) as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    return len(rows)


if __name__ == "__main__":
    print(build())
