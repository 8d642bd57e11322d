"""The pages' field checks (frontend/js/rules.js, run under Node) and the server's
(chalicelib/members/validation.py) give the same verdict and the same message on one shared table
of valid and invalid values. Both read their patterns and messages from the schema (the pages via
GET /meta), so this catches a difference in the code around them or in how the two regex engines
read a pattern (e.g. `\\d` matching non-ASCII digits in Python)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chalicelib.members import schema
from chalicelib.members.validation import matches, validate
from chalicelib.meta.routes import body as meta_body

ROOT = Path(__file__).resolve().parents[2]
TABLE = json.loads((Path(__file__).with_name("validation_cases.json")).read_text(encoding="utf-8"))
RULES_JS = ROOT / "frontend" / "js" / "rules.js"

# What forms.js does with one set of values (without the "required" rule): each non-empty value
# on its own, then the identity consistency check when none of those fields has a problem.
NODE_SCRIPT = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const input = JSON.parse(readFileSync(0, "utf8"));
const rules = await import(pathToFileURL(input.rules).href);
const { meta, today } = input;
const byKey = Object.fromEntries(meta.fields.map((f) => [f.key, f]));
const out = input.cases.map(({ values }) => {
  const errors = {};
  for (const [key, value] of Object.entries(values)) {
    if (!value) continue;
    const problem = rules.checkValue(meta, byKey[key], value, today);
    if (problem) errors[key] = problem;
  }
  const idKeys = meta.id_consistency_fields;
  if (idKeys.some((k) => k in values) && !errors.id_type && !errors.id_number) {
    for (const [k, m] of Object.entries(rules.identityErrors(meta, values, today))) if (!errors[k]) errors[k] = m;
  }
  return errors;
});
process.stdout.write(JSON.stringify(out));
"""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js 20 is required to run the frontend's checks (apt-get install nodejs)")
    return node


def js_verdicts(cases: list[dict[str, Any]]) -> list[dict[str, str]]:
    payload = {"rules": str(RULES_JS), "meta": meta_body(), "today": TABLE["today"], "cases": cases}
    done = subprocess.run([_node(), "--input-type=module", "-e", NODE_SCRIPT], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def py_verdict(values: dict[str, str]) -> dict[str, str]:
    errors = validate(values, {}, today=date.fromisoformat(TABLE["today"]))
    return {e.key: e.message for e in errors}


def test_the_table_covers_every_pattern_and_both_verdicts() -> None:
    cases = TABLE["cases"]
    assert {c["valid"] for c in cases} == {True, False}
    types = {schema.FIELDS_BY_KEY[k].type for c in cases for k in c["values"]}
    assert set(schema.TYPE_PATTERNS) <= types and {"date", "select", "association", "id_number"} <= types


def test_js_and_python_agree_on_every_value() -> None:
    cases = TABLE["cases"]
    js = js_verdicts(cases)
    disagreements = []
    for case, js_errors in zip(cases, js):
        py_errors = py_verdict(case["values"])
        if py_errors != js_errors or (not py_errors) != case["valid"]:
            disagreements.append({"case": case["note"], "expected_valid": case["valid"],
                                  "python": py_errors, "js": js_errors})
    assert not disagreements, json.dumps(disagreements, ensure_ascii=False, indent=1)


PATTERN_SCRIPT = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const input = JSON.parse(readFileSync(0, "utf8"));
const rules = await import(pathToFileURL(input.rules).href);
const out = {};
for (const name of Object.keys(input.meta.validation.patterns)) {
  out[name] = input.probes.map((v) => rules.matches(input.meta, name, v));
}
process.stdout.write(JSON.stringify(out));
"""


def test_js_and_python_read_every_pattern_alike() -> None:
    probes = TABLE["pattern_probes"]
    payload = {"rules": str(RULES_JS), "meta": meta_body(), "probes": probes}
    done = subprocess.run([_node(), "--input-type=module", "-e", PATTERN_SCRIPT], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    js = json.loads(done.stdout)
    py = {name: [matches(name, v) for v in probes] for name in schema.PATTERNS}
    assert js == py
    assert any(py["member_no"]) and not all(py["member_no"])


def test_a_pattern_changed_on_one_side_is_caught() -> None:
    """The comparison can fail: a JS side fed a looser mobile pattern disagrees."""
    meta = meta_body()
    meta["validation"]["patterns"]["mobile_cn"]["pattern"] = r"^1\d{10}$"
    payload = {"rules": str(RULES_JS), "meta": meta, "today": TABLE["today"],
               "cases": [{"values": {"mobile": "12800138000"}}]}
    done = subprocess.run([_node(), "--input-type=module", "-e", NODE_SCRIPT], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == [{}] and py_verdict({"mobile": "12800138000"})
