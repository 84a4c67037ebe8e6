"""`make bench`: synthetic programmes of N centres, every figure a ratio measured in one run.

    .venv/bin/python bench/run.py --sizes 600,6000,60000

Prints a table (size, figure, ours, baseline, ratio, target, met?) and writes
bench/results.json after every figure (ratios at the largest size run; raw timings, peak
memory and notes under "details"), so a run cut short still leaves what it measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.main import main

    sys.exit(main())
