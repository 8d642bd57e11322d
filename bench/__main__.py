"""Run every bench/bench_*.py script in its own process and print their `name value unit` lines.

Each script is separate (its own interpreter, environment and in-process mocks), so one
benchmark's state or imports cannot colour another's figures. Exit status is non-zero if any
script failed; the others still run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        proc = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, text=True,
                              stdout=subprocess.PIPE)
        sys.stdout.write(proc.stdout)
        sys.stdout.flush()
        if proc.returncode != 0:
            failed.append(script.name)
            print(f"# {script.name} failed with exit status {proc.returncode}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
