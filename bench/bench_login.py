"""Sign-in timing benchmark: one line per figure, ``name value unit``.

Why this exists: sign-in must not tell an attacker which member numbers belong to imported
accounts that have no password yet, nor which usernames exist, by how long the answer takes.
Every path does one argon2id verification with the same parameters. Figures, each the median
of ROUNDS calls of ``auth.service.login`` (captcha, throttle look-up, account read, password
check, failure bookkeeping) against in-process moto, on fresh accounts so no throttle delay
applies:

- ``login_unknown_user_p50_ms``: a member number with no account;
- ``login_imported_no_password_p50_ms``: an imported account whose password was never set;
- ``login_wrong_password_p50_ms``: a real account, wrong password;
- ``login_right_password_p50_ms``: a real account, right password (issues a token), for comparison;
- ``login_spread_pct``: (slowest - fastest) / fastest of the three failure paths, in percent.

Run: ``.venv/bin/python bench/bench_login.py`` (or through ``make bench``); about a minute.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devstack.env import resource_names  # noqa: E402

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", **resource_names("bench"),
    "SITE_URL": "https://ecert.example.com", "TOKEN_KEY": "bench-token-key-" + "0" * 32,
    "VERIFY_KEY": "bench-verify-key-" + "0" * 32, "SIGNING_KEY_PEM": "unused", "SIGNING_CERT_PEM": "unused",
    "LOG_LEVEL": "ERROR", "CAPTCHA_TEST_CODE": "BENCH",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws  # noqa: E402

ROUNDS = 15
PASSWORD = "Bench#2026x"


def _median_ms(call: Callable[[int], Any]) -> float:
    times = []
    for i in range(ROUNDS):
        start = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    with mock_aws():
        from chalicelib import bootstrap
        from chalicelib.auth import captcha, service
        from chalicelib.auth.models import AccountModel
        from chalicelib.auth.passwords import hash_password
        from chalicelib.errors import AppError
        from chalicelib.members.imports import NO_PASSWORD
        from devstack.provision import provision

        bootstrap.reset()
        d = bootstrap.deps()
        provision(d.settings)
        real_hash = hash_password(PASSWORD)

        def account(member_no: str, password_hash: str) -> None:
            AccountModel(AccountModel.key("member", member_no), user_type="member", username=member_no,
                         role="member", association="110000", member_no=member_no,
                         password_hash=password_hash).save()

        for i in range(ROUNDS):
            account(f"1100001{i:05d}", NO_PASSWORD)
            account(f"1100002{i:05d}", real_hash)
            account(f"1100003{i:05d}", real_hash)

        ips = iter(range(1, 10_000))

        def attempt(username: str, password: str) -> None:
            captcha_id, _answer, _image = captcha.create(d.settings)
            body = {"user_type": "member", "username": username, "password": password,
                    "captcha_id": captcha_id, "captcha_code": "BENCH"}
            try:
                n = next(ips)  # a fresh client address each time, so no throttle delay applies
                service.login(d.settings, d.members, body, f"198.51.{n // 250}.{n % 250}")
            except AppError:
                pass

        figures = {
            "login_unknown_user_p50_ms": _median_ms(lambda i: attempt(f"1100009{i:05d}", PASSWORD)),
            "login_imported_no_password_p50_ms": _median_ms(lambda i: attempt(f"1100001{i:05d}", PASSWORD)),
            "login_wrong_password_p50_ms": _median_ms(lambda i: attempt(f"1100002{i:05d}", "wrong-" + PASSWORD)),
            "login_right_password_p50_ms": _median_ms(lambda i: attempt(f"1100003{i:05d}", PASSWORD)),
        }
        failures = [figures[k] for k in ("login_unknown_user_p50_ms", "login_imported_no_password_p50_ms",
                                         "login_wrong_password_p50_ms")]
        for name, value in figures.items():
            print(f"{name} {value:.1f} ms")
        print(f"login_spread_pct {(max(failures) - min(failures)) / min(failures) * 100:.1f} %")


if __name__ == "__main__":
    main()
