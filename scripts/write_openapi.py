"""Write the API's OpenAPI document to stdout (`python scripts/write_openapi.py > docs/openapi.json`).

It imports the app with the local stack's environment (the document does not depend on it) and
prints exactly what `GET /openapi.json` serves; tests/unit/test_openapi.py fails when the
committed docs/openapi.json differs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def render() -> str:
    from devstack.env import local_environment

    for key, value in local_environment(5000, 8080).items():
        os.environ.setdefault(key, value)
    import app
    from chalicelib.openapi import routes as openapi

    return json.dumps(openapi.build(app.app.routes), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
