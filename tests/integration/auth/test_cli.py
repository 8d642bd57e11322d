"""The staff-account operator CLI, run in-process against moto."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from chalicelib.auth import cli
from chalicelib.auth.models import AccountModel
from tests.conftest import ROOT


def _password(out: str) -> str:
    match = re.search(r"initial password \(shown once, must be changed at first sign-in\): (\S+)", out)
    assert match, out
    return match.group(1)


def test_create_sign_in_disable_enable_reset(client, login, capsys):
    assert cli.main(["create-staff", "--username", "GZ_Admin", "--role", "association_staff",
                     "--association", "440000", "--email", "gz.admin@example.com", "--name", "广东注协管理员"]) == 0
    out = capsys.readouterr().out
    initial = _password(out)
    assert len(initial) == 12 and "gz_admin" in out
    account = AccountModel.get("staff:gz_admin")
    assert (account.role, account.association, account.email, account.display_name) == (
        "association_staff", "440000", "gz.admin@example.com", "广东注协管理员")
    assert account.must_change_password and initial not in account.password_hash

    r = login("staff", "gz_admin", initial)
    assert r.status_code == 200 and r.json_body["user"]["must_change_password"] is True
    token = r.json_body["token"]

    assert cli.main(["disable-staff", "gz_admin"]) == 0
    assert AccountModel.get("staff:gz_admin").disabled
    assert client.http.get("/auth/session", headers={"Authorization": f"Bearer {token}"}).status_code in (401, 403)
    assert login("staff", "gz_admin", initial).status_code == 401

    assert cli.main(["enable-staff", "gz_admin"]) == 0
    assert login("staff", "gz_admin", initial).status_code == 200

    capsys.readouterr()
    assert cli.main(["reset-staff", "gz_admin"]) == 0
    new_initial = _password(capsys.readouterr().out)
    assert new_initial != initial
    assert login("staff", "gz_admin", initial).status_code == 401
    r = login("staff", "gz_admin", new_initial)
    assert r.status_code == 200 and r.json_body["user"]["must_change_password"] is True


def test_national_staff_defaults_to_the_national_code(aws, capsys):
    assert cli.main(["create-staff", "--username", "cicpa_ops", "--role", "national_staff",
                     "--email", "ops@example.com"]) == 0
    assert AccountModel.get("staff:cicpa_ops").association == "100000"


BAD_INPUT = [
    (["create-staff", "--username", "x", "--role", "association_staff", "--association", "110000",
      "--email", "a@example.com"], "username"),
    (["create-staff", "--username", "bj2", "--role", "association_staff", "--association", "999999",
      "--email", "a@example.com"], "association"),
    (["create-staff", "--username", "bj2", "--role", "association_staff", "--email", "a@example.com"],
     "association"),
    (["create-staff", "--username", "nat2", "--role", "national_staff", "--association", "110000",
      "--email", "a@example.com"], "100000"),
    (["create-staff", "--username", "bj2", "--role", "association_staff", "--association", "110000",
      "--email", "not-an-address"], "email"),
    (["disable-staff", "nobody"], "账号不存在"),
    (["reset-staff", "nobody"], "账号不存在"),
]


def test_bad_input_is_refused_with_a_message(aws, capsys):
    for argv, message in BAD_INPUT:
        assert cli.main(argv) == 1, argv
        assert message in capsys.readouterr().err, argv
    assert AccountModel.count() == 0


def test_existing_account_is_not_overwritten(aws, capsys):
    argv = ["create-staff", "--username", "bj_two", "--role", "association_staff", "--association", "110000",
            "--email", "a@example.com"]
    assert cli.main(argv) == 0
    before = AccountModel.get("staff:bj_two").password_hash
    assert cli.main(argv) == 1
    assert "已存在" in capsys.readouterr().err
    assert AccountModel.get("staff:bj_two").password_hash == before


def test_unknown_role_is_an_argparse_error(aws):
    with pytest.raises(SystemExit) as exc:
        cli.main(["create-staff", "--username", "bj2", "--role", "admin", "--association", "110000",
                  "--email", "a@example.com"])
    assert exc.value.code == 2


def test_stage_variables_are_loaded_without_overriding(tmp_path, monkeypatch):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"environment_variables": {"A_VAR": "top", "B_VAR": "top"},
                                  "stages": {"prod": {"environment_variables": {"B_VAR": "prod"}}}}))
    monkeypatch.delenv("A_VAR", raising=False)
    monkeypatch.setenv("B_VAR", "already")
    cli.load_stage_env("prod", config)
    import os

    assert os.environ["A_VAR"] == "top" and os.environ["B_VAR"] == "already"
    monkeypatch.delenv("A_VAR")
    with pytest.raises(cli.CliError):
        cli.load_stage_env("dev", config)


def test_module_entry_point_prints_usage():
    r = subprocess.run([sys.executable, "-m", "chalicelib.auth", "--help"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "create-staff" in r.stdout and "reset-staff" in r.stdout
