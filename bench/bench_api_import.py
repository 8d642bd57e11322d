"""`import app` time, the API function's cold-start share that our code controls.

Each run is a fresh interpreter (as a Lambda cold start is) with the stage's variables set;
the figure is the minimum of 5 runs, which is the least disturbed by other work on the machine.
Prints one line: `api_import_ms <value> ms`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
PROBE = "import time; t = time.perf_counter(); import app; print((time.perf_counter() - t) * 1000)"


def one_run() -> float:
    from devstack.env import resource_names

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
           "AWS_REGION": "cn-north-1", **resource_names("bench"), "SITE_URL": "https://ecert.example.cn",
           "LOG_LEVEL": "INFO"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> int:
    sys.path.insert(0, str(ROOT))
    best = min(one_run() for _ in range(RUNS))
    print(f"api_import_ms {best:.0f} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
