"""Build the embedded sample (``src/rotation/sample/``) from the real data set.

    .venv/bin/python scripts/build_sample.py [--data ../shared/data] [--out src/rotation/sample]

Imports the needed files of ``../shared/data`` with the project's importers into a
scratch store, cuts each part to 2023-01-03..2024-12-31 and writes deterministic
Parquet (fixed row order, no timestamps in the metadata) plus ``PROVENANCE.md``, and copies the example trade plan the demo report replays.
Running it twice gives identical files (``tests/data/test_sample.py`` checks).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from rotation.analytics.valuation import CONCEPTS_USED
from rotation.data.sample import build_sample
from rotation.errors import RotationError

ROOT = Path(__file__).resolve().parents[1]
# Shipped beside the data so the demo report has a trade to replay (a test keeps them identical).
PLANS = (ROOT / "examples" / "iwm-short-2024-07.toml",)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                        help="the full data set (default: ../shared/data)")
    parser.add_argument("--out", type=Path, default=ROOT / "src" / "rotation" / "sample",
                        help="where to write the sample (default: src/rotation/sample)")
    args = parser.parse_args(argv)
    try:
        rows = build_sample(args.data, args.out, CONCEPTS_USED, on_step=lambda m: print(m, file=sys.stderr))
    except RotationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    (args.out / "plans").mkdir(exist_ok=True)
    for plan in PLANS:
        shutil.copyfile(plan, args.out / "plans" / plan.name)
    for name, n in rows.items():
        size = (args.out / name).stat().st_size
        print(f"{name}: {n} rows, {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
