"""Run every benchmark in turn (`make bench`): each prints its own table.

    python bench/run.py [--quick]

--quick runs each with small sizes and few rounds (minutes, for a smoke test); without it the
figures are the ones the README reports (1,000,000 records for the ledger).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    runs = [
        ("banner.py", ["--runs", "3"] if quick else []),
        ("firstpaint.py", ["--runs", "3"] if quick else []),
        ("scanner.py", ["--concurrency", "2"] if quick else []),
        ("decisions.py", ["--seconds", "2", "--rounds", "1"] if quick else []),
        ("verify.py", ["--records", "50000"] if quick else []),
        ("scale.py", ["--hour-seconds", "0.5"] if quick else []),
        ("middleware.py", ["--rounds", "3", "--seconds", "2"] if quick else []),
        ("tcf.py", ["--seconds", "1", "--runs", "3"] if quick else []),
    ]
    failed = []
    for script, extra in runs:
        print(f"\n== bench/{script} {' '.join(extra)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script), *extra], check=False).returncode:
            failed.append(script)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
