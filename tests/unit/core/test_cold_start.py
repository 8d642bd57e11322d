"""`import app` (the API function's cold start) loads no route's heavy stack: each is imported
by the first request that needs it. A fresh interpreter, so nothing else has imported them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("openpyxl", "numpy", "fpdf", "pyhanko", "PIL", "dlib", "argon2", "pynamodb", "boto3", "jwt",
         "captcha", "python_calamine", "segno")

PROBE = """
import json, sys
import app
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_import_app_loads_none_of_the_heavy_modules():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=_env(), capture_output=True,
                         text=True, check=True).stdout
    loaded = set(json.loads(out.splitlines()[-1]))
    assert "chalice" in loaded and "chalicelib" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_routes_still_reach_their_services():
    """The lazily named modules resolve (a typo would only show at the first request)."""
    probe = ("import app\n"
             "from chalicelib.auth import routes as a\nfrom chalicelib.cert import routes as c\n"
             "from chalicelib.members import routes as m\nfrom chalicelib.photo import routes as p\n"
             "from chalicelib.meta import routes as meta\n"
             "assert a.service.login and a.captcha.create and c.service.issue\n"
             "assert c.records.own and m.service.list_members and m.imports and m.applications.submit\n"
             "assert p.service.prepare and p.direct_upload.upload and meta.spec.SPEC and meta.client_text\n"
             "from chalicelib.members.excel import XLSX\nassert m.XLSX == XLSX\n"
             "from chalicelib.photo.direct_upload import CONTENT_TYPES\nassert p.DIRECT_UPLOAD_TYPES == CONTENT_TYPES\n")
    subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=_env(), check=True)
