"""Certificate benchmark: one line per figure, ``name value unit``.

Why this exists: a member waits for the download, staff export hundreds at once, and a fresh
Lambda must answer its first request quickly. The figures:

- ``cert_render_p50_ms``: ``render_certificate`` warm, unsigned, median over distinct members
  (each with its own name, number and photo bytes, so no per-member memo helps; the association's
  seal is shared, as in production).
- ``cert_naive_p50_ms``: the same certificates rendered the straightforward way, in the same
  process, alternating with the fast path so machine noise hits both alike: a fresh ``FPDF`` per
  document with the two bundled fonts added by path (``render_certificate_naive``: identical
  layout and output pages, only the font handling differs).
- ``cert_speedup``: naive ÷ ours (target ≥ 3).
- ``cert_sign_p50_ms``: ``sign_pdf`` (PAdES, RSA-2048 self-signed pair), warm.
- ``cert_render_cpu_p50_ms`` / ``cert_sign_cpu_p50_ms``: the same two, as CPU time of the process
  (what a busy shared machine inflates least; wall time is what the targets are about).
- ``cert_cold_ms``: a fresh ``python`` subprocess, from before the first import of the
  certificate package (fpdf2, fontTools, Pillow, segno and the bundled font index included) to
  the first PDF; the interpreter's own start-up and reading the photo and seal files are excluded
  (target ≤ 700 ms). Median of a few runs; the OS page cache is warm after the first.
- ``bulk_certs_per_s`` (target ≥ 70 on this 2-core machine): ``BULK_WORKERS`` (2, the cores)
  worker processes, each with its own in-process moto and its own members, run the bulk job's
  chunk function (``jobs.kinds.bulk_chunk``: the members read in one batch, the seal once per
  chunk; per certificate the gates, photo read, render, sign, the certificate stored in S3 and
  the issue recorded in DynamoDB; the audit records written 25 a request) on
  ``BULK_PER_RUN`` distinct members each, all starting together (warmed first, as the job's
  concurrent Lambda invocations are). A round's rate is its certificates over the slowest
  worker's time; the figure is the median of ``BULK_REPEATS`` rounds. The ZIP is the job's
  assembly step, after the chunks, and not part of this figure.
- ``bulk_cert_cpu_ms``: the workers' CPU time per certificate in those rounds, and
  ``bulk_cert_cpu_outside_moto_ms`` the same without the time inside moto's fake services (on
  AWS that is S3's and DynamoDB's work; what remains is what a Lambda spends). On a shared
  machine these say whether the rate target is reachable when it is quiet: W cores give at
  most W × 1000 / (CPU ms per certificate) per second, so 70/s on 2 cores needs ≤ ~28 ms.
- ``bulk_certs_per_s_outside_moto``: ``BULK_WORKERS`` × 1000 / ``bulk_cert_cpu_outside_moto_ms``,
  the certificates per second that this many cores sustain doing only the Lambda-side work, as
  on AWS, where S3 and DynamoDB run elsewhere (``bulk_certs_per_s`` shares the same cores with
  moto's fake services, which cost about as much CPU again per certificate).
  ``bulk_cert_cpu_in_moto_ms``: the difference, moto's share. Each worker's moto is the one the
  local stack and the tests run (``fit_moto``: the cost models of devstack/moto_dynamodb.py,
  moto_update_item.py and moto_s3.py, which remove only work the real services do not do).
  ``python bench/bench_cert.py bulk`` prints only these (and the load); ``bulk-ab`` prints them
  twice in one run, first with moto as installed (names ending ``_stock_moto``), then fitted.
- ``bench_load_1min``: the 1-minute load average when the figures were taken: on a shared
  machine every figure above is only as good as this number is low.
- ``cert_pdf_kb``: size of a signed certificate as members download it (target ≤ 150).
- ``cert_cached_download_p50_ms``: through ``chalice.test.Client`` against moto; measured by
  ``measure_cached_download`` once the download route exists (printed only if it returns).

Run: ``.venv/bin/python bench/bench_cert.py`` (or through ``make bench``). Keep the machine
otherwise idle; on 2 shared cores the numbers move by 10-20 %.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `chalicelib` importable
    sys.path.insert(0, str(ROOT))

PHOTO = ROOT / "tests" / "fixtures" / "faces" / "spec_white" / "obama_01.jpg"
if not PHOTO.exists():
    PHOTO = ROOT.parent / "shared" / "fixtures" / "faces" / "spec_white" / "obama_01.jpg"
ASSOCIATION = "北京注册会计师协会"
SITE = "https://ecert.example.com"
VERIFY_KEY = "bench-verify-key-0123456789abcdef"
ISSUED = date(2024, 3, 1)

WARM_ROUNDS = 31
COLD_ROUNDS = 5
BULK_PER_RUN = 100  # members per worker and round (a bulk job's chunk holds up to 200)
BULK_REPEATS = 3

# Given names with characters outside GB2312 mixed with common ones: realistic glyph variety.
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
_GIVEN = "喆堃玥祎昇伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉晨瑶琦璇翔"

_COLD_SCRIPT = """
import sys, time
photo = open(sys.argv[1], "rb").read()
seal = open(sys.argv[2], "rb").read()
t0 = time.perf_counter()
from datetime import date
from chalicelib.cert.render import CertificateData, render_certificate
data = CertificateData(name="周昇", gender="男", birth_date=date(1990, 1, 2), member_no="110000000001",
                       approval_date=date(2016, 6, 30), approval_doc_no="京注协〔2016〕12号",
                       association_name=sys.argv[3])
pdf = render_certificate(data, photo, date(2024, 3, 1), qr_url=sys.argv[4], seal=seal)
elapsed = (time.perf_counter() - t0) * 1000.0
assert pdf.startswith(b"%PDF-")
print(f"{elapsed:.1f}")
"""


def member(i: int):  # -> CertificateData (imported lazily: the cold figure must not pay twice)
    from chalicelib.cert.render import CertificateData

    name = _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i * 7) % len(_GIVEN)] + _GIVEN[(i * 13 + 5) % len(_GIVEN)][: i % 2]
    return CertificateData(
        name=name, gender="男" if i % 2 else "女", birth_date=date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
        member_no=f"110000{i:06d}", approval_date=date(2005 + i % 18, 1 + i % 12, 1 + i % 27),
        approval_doc_no=f"京注协〔{2005 + i % 18}〕{i % 97 + 1}号", association_name=ASSOCIATION,
    )


def unique_photo(base: bytes, i: int) -> bytes:
    """The fixture photo with a JPEG comment segment making its bytes unique per member."""
    comment = f"member {i}".encode("ascii")
    return base[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + base[2:]


def qr_url(member_no: str) -> str:
    from chalicelib.cert.codes import sign_code, verification_url

    return verification_url(SITE, member_no, sign_code(VERIFY_KEY, member_no, ISSUED))


def _ms(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000.0


_cpu: dict[str, list[float]] = {"render": [], "sign": []}


def _cpu_ms(kind: str, fn: Callable[[], object]) -> float:
    """Wall time of `fn` like `_ms`, also noting its CPU time (less moved by a busy machine)."""
    c0 = time.process_time()
    wall = _ms(fn)
    _cpu[kind].append((time.process_time() - c0) * 1000.0)
    return wall


def measure_warm() -> tuple[float, float]:
    from bench.naive_render import render_certificate_naive
    from chalicelib.cert.render import render_certificate

    base = PHOTO.read_bytes()
    ours: list[float] = []
    naive: list[float] = []
    for i in range(-3, WARM_ROUNDS):  # three warm-up rounds
        data, photo = member(1000 + i), unique_photo(base, 1000 + i)
        url = qr_url(data.member_no)
        fast = _cpu_ms("render", lambda d=data, p=photo, u=url: render_certificate(d, p, ISSUED, qr_url=u))
        data, photo = member(5000 + i), unique_photo(base, 5000 + i)
        url = qr_url(data.member_no)
        slow = _ms(lambda d=data, p=photo, u=url: render_certificate_naive(d, p, ISSUED, qr_url=u))
        if i >= 0:
            ours.append(fast)
            naive.append(slow)
    return statistics.median(ours), statistics.median(naive)


def measure_sign() -> tuple[float, float]:
    from chalicelib.cert.render import render_certificate
    from chalicelib.cert.signing import make_self_signed, sign_pdf

    key, cert = make_self_signed("bench signer")
    data = member(7)
    pdf = render_certificate(data, PHOTO.read_bytes(), ISSUED, qr_url=qr_url(data.member_no))
    sign_pdf(pdf, key, cert)
    times = [_cpu_ms("sign", lambda: sign_pdf(pdf, key, cert)) for _ in range(15)]
    return statistics.median(times), len(sign_pdf(pdf, key, cert)) / 1024.0


def measure_cold() -> float:
    from chalicelib.cert.seal import sample_seal

    runs = []
    with tempfile.NamedTemporaryFile(suffix=".png") as seal:
        seal.write(sample_seal(ASSOCIATION))  # production reads the configured seal image
        seal.flush()
        for _ in range(COLD_ROUNDS):
            out = subprocess.run(
                [sys.executable, "-c", _COLD_SCRIPT, str(PHOTO), seal.name, ASSOCIATION, qr_url("110000000001")],
                cwd=ROOT, capture_output=True, text=True, check=True,
            )
            runs.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


# -- bulk: parallel workers running the bulk job's chunks ---------------------------------------

BULK_WORKERS = 2  # the cores of this machine; Lambda runs one chunk per concurrent invocation
BULK_ASSOCIATION = "110000"


def _bench_env(key_pem: str, cert_pem: str) -> None:
    """The settings of an in-process moto stack (each process has its own fake AWS)."""
    from devstack.env import resource_names

    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                       **resource_names("bench"), "SITE_URL": SITE,
                       "TOKEN_KEY": "bench-token-key-" + "x" * 32, "VERIFY_KEY": "bench-verify-key-" + "y" * 32,
                       "SIGNING_KEY_PEM": key_pem, "SIGNING_CERT_PEM": cert_pem, "LOG_LEVEL": "WARNING",
                       "ALLOW_SAMPLE_SEAL": "false"})
    os.environ.pop("AWS_ENDPOINT_URL", None)


class _MotoCpu:
    """CPU time this process spends inside moto's request handling (the fake S3 and DynamoDB):
    on AWS that work is the services', not the Lambda's."""

    spent = 0.0

    @classmethod
    def install(cls) -> None:
        from moto.core.botocore_stubber import BotocoreStubber

        original = BotocoreStubber.process_request

        def timed(self: object, request: object) -> object:
            c0 = time.process_time()
            try:
                return original(self, request)
            finally:
                cls.spent += time.process_time() - c0

        BotocoreStubber.process_request = timed  # type: ignore[method-assign]


def _seed_bulk_members(d: object, worker: int, count: int) -> list[str]:
    """`count` complete, active members with accepted photos (distinct bytes each), this worker's own."""
    import random

    from chalicelib import batch
    from chalicelib.members.models import MemberModel
    from devstack.fake import person

    rng = random.Random(worker)
    base = PHOTO.read_bytes()
    numbers, items = [], []
    for i in range(count):
        member_no = f"{BULK_ASSOCIATION}{worker}{i:05d}"
        profile = person(rng, BULK_ASSOCIATION, complete=True)
        key = f"photos/{member_no}.jpg"
        version = d.photos.put(key, unique_photo(base, worker * 100_000 + i))  # type: ignore[attr-defined]
        items.append(MemberModel(member_no, association=BULK_ASSOCIATION, name=profile["name"], profile=profile,
                                 complete=True, status="active", photo_key=key, photo_version_id=version,
                                 photo_status="accepted", failed_attempts=0, version=1,
                                 created_at="2026-01-01T00:00:00.000Z", updated_at="2026-01-01T00:00:00.000Z"))
        numbers.append(member_no)
    batch.batch_put(items)
    return numbers


def fit_moto() -> None:
    """The local stack's and the tests' moto: DynamoDB's and S3's cost models (devstack/fits.py)."""
    from devstack.fits import fit_moto as fit

    fit()


def _bulk_worker(worker: int, per_run: int, runs: int, key_pem: str, cert_pem: str,
                 start: object, results: object, fitted: bool = True) -> None:
    """One worker process: its own moto stack and members; `runs` chunks of `per_run` members,
    each started at the barrier together with the other workers, through the bulk job's own
    chunk function (gates, photo read, render, sign, certificate stored in S3, audit records).
    `fitted`: moto as the local stack runs it (`fit_moto`), else moto as installed."""
    _bench_env(key_pem, cert_pem)
    if fitted:
        fit_moto()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the metrics lines the service prints (for CloudWatch) are not figures
    from types import SimpleNamespace

    from moto import mock_aws

    from chalicelib import bootstrap
    from chalicelib.cert.seal import sample_seal
    from chalicelib.jobs import kinds
    from chalicelib.principal import Principal
    from devstack.provision import provision

    with mock_aws():
        bootstrap.reset()
        d = bootstrap.deps()
        provision(d.settings)
        # an uploaded seal, read from the store once per chunk as in production
        d.certificates.put_seal(BULK_ASSOCIATION, sample_seal("北京注册会计师协会"))
        warm = 5
        numbers = _seed_bulk_members(d, worker, warm + per_run * runs)
        job = SimpleNamespace(association=BULK_ASSOCIATION)
        staff = Principal("bench_staff", "association_staff", BULK_ASSOCIATION)
        kinds.bulk_chunk(d, job, staff, numbers[:warm])  # imports, fonts, signer, seal
        _MotoCpu.install()
        for run in range(runs):
            chunk = numbers[warm + run * per_run: warm + (run + 1) * per_run]
            start.wait(timeout=600)  # type: ignore[attr-defined]
            t0, c0, m0 = time.perf_counter(), time.process_time(), _MotoCpu.spent
            outcome = kinds.bulk_chunk(d, job, staff, chunk)
            wall, cpu, moto = time.perf_counter() - t0, time.process_time() - c0, _MotoCpu.spent - m0
            results.put((run, worker, wall, cpu, moto, outcome.failed))  # type: ignore[attr-defined]


def measure_bulk(workers: int = BULK_WORKERS, per_run: int = BULK_PER_RUN,
                 runs: int = BULK_REPEATS, fitted: bool = True) -> tuple[float, float, float]:
    """(certificates per second, CPU ms per certificate, the same outside moto): medians over
    `runs` rounds in which `workers` processes each run one chunk of `per_run` distinct members.

    A round's rate is all its certificates over the slowest worker's time: the job is done when
    its last chunk is. CPU is the workers' own (process time), which another process's load on a
    shared machine inflates far less than wall time: with W cores the rate can reach about
    W × 1000 / (CPU ms per certificate).
    """
    import multiprocessing

    from chalicelib.cert.signing import make_self_signed

    key, cert = make_self_signed("bench signer")
    ctx = multiprocessing.get_context("spawn")  # clean interpreters, as fresh Lambda containers
    start, results = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_bulk_worker, args=(w, per_run, runs, key, cert, start, results, fitted))
             for w in range(workers)]
    for proc in procs:
        proc.start()
    import queue

    rounds: dict[int, list[tuple[float, float, float, int]]] = {}
    received = 0
    while received < workers * runs:
        try:
            run, _worker, wall, cpu, moto, failed = results.get(timeout=5)
        except queue.Empty:
            if any(proc.exitcode not in (None, 0) for proc in procs):  # a worker died: stop waiting
                for proc in procs:
                    proc.kill()
                raise RuntimeError("a bulk worker failed") from None
            continue
        rounds.setdefault(run, []).append((wall, cpu, moto, failed))
        received += 1
    for proc in procs:
        proc.join(timeout=60)
    if any(proc.exitcode != 0 for proc in procs):
        raise RuntimeError("a bulk worker failed")
    if any(f for rows in rounds.values() for *_, f in rows):
        raise RuntimeError("some certificates of the bulk run failed")
    count = workers * per_run
    rate = statistics.median(count / max(r[0] for r in rows) for rows in rounds.values())
    cpu = statistics.median(sum(r[1] for r in rows) / count * 1000 for rows in rounds.values())
    outside = statistics.median(sum(r[1] - r[2] for r in rows) / count * 1000 for rows in rounds.values())
    return rate, cpu, outside


def bulk_figures(workers: int = BULK_WORKERS, *, fitted: bool = True, suffix: str = "") -> list[tuple[str, float, str]]:
    rate, cpu, outside = measure_bulk(workers, fitted=fitted)
    return [(f"bulk_certs_per_s{suffix}", rate, "/s"), (f"bulk_cert_cpu_ms{suffix}", cpu, "ms"),
            (f"bulk_cert_cpu_outside_moto_ms{suffix}", outside, "ms"),
            (f"bulk_cert_cpu_in_moto_ms{suffix}", cpu - outside, "ms"),
            (f"bulk_certs_per_s_outside_moto{suffix}", workers * 1000 / outside, "/s")]


def measure_cached_download(repeats: int = 30) -> float | None:
    """p50 of a repeat download of one member's certificate through chalice.test.Client against
    moto: the gates, the photo read and the S3 cache hit, but no rendering or signing."""
    import random

    from chalicelib.cert.signing import make_self_signed

    key_pem, cert_pem = make_self_signed("bench signer")
    _bench_env(key_pem, cert_pem)
    os.environ["ALLOW_SAMPLE_SEAL"] = "true"
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import bootstrap
    from chalicelib.auth import tokens
    from chalicelib.auth.models import AccountModel
    from chalicelib.members import numbers
    from chalicelib.members.models import MemberModel
    from devstack.fake import person
    from devstack.provision import provision

    with mock_aws():
        bootstrap.reset()
        d = bootstrap.deps()
        provision(d.settings)
        import app as app_module

        member_no = numbers.allocate_one("110000")
        profile = person(random.Random(1), "110000")
        version = d.photos.put(f"photos/{member_no}.jpg", PHOTO.read_bytes())
        MemberModel(member_no, association="110000", name=profile["name"], profile=profile, complete=True,
                    photo_key=f"photos/{member_no}.jpg", photo_version_id=version, photo_status="accepted").save()
        AccountModel(AccountModel.key("member", member_no), user_type="member", username=member_no,
                     role="member", association="110000", member_no=member_no, password_hash="x").save()
        token, _ = tokens.issue(d.settings.token_key, sub=AccountModel.key("member", member_no), role="member",
                                association="110000", member_no=member_no)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/pdf"}
        with Client(app_module.app) as client, contextlib.redirect_stdout(io.StringIO()):  # metrics lines
            assert client.http.get("/me/certificate", headers=headers).status_code == 200  # renders once
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                r = client.http.get("/me/certificate", headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200
        return statistics.median(times)


def run() -> list[tuple[str, float, str]]:
    ours, naive = measure_warm()
    sign_ms, signed_kb = measure_sign()
    results = [
        ("cert_render_p50_ms", ours, "ms"),
        ("cert_naive_p50_ms", naive, "ms"),
        ("cert_speedup", naive / ours, "x"),
        ("cert_sign_p50_ms", sign_ms, "ms"),
        ("cert_render_cpu_p50_ms", statistics.median(_cpu["render"][3:]), "ms"),
        ("cert_sign_cpu_p50_ms", statistics.median(_cpu["sign"]), "ms"),
        ("cert_cold_ms", measure_cold(), "ms"),
        ("cert_pdf_kb", signed_kb, "KB"),
    ]
    results += bulk_figures()
    cached = measure_cached_download()
    if cached is not None:
        results.append(("cert_cached_download_p50_ms", cached, "ms"))
    results.append(("bench_load_1min", os.getloadavg()[0], "load"))
    return results


def main() -> int:
    if sys.argv[1:] == ["bulk"]:  # only the parallel-workers figures (a quicker run)
        for name, value, unit in [*bulk_figures(), ("bench_load_1min", os.getloadavg()[0], "load")]:
            print(f"{name} {value:.1f} {unit}", flush=True)
        return 0
    if sys.argv[1:] == ["bulk-ab"]:  # the same, with moto as installed (…_stock_moto) and as fitted
        for fitted, suffix in ((False, "_stock_moto"), (True, "")):
            for name, value, unit in [*bulk_figures(fitted=fitted, suffix=suffix),
                                      ("bench_load_1min", os.getloadavg()[0], "load")]:
                print(f"{name} {value:.1f} {unit}", flush=True)
        return 0
    for name, value, unit in run():
        print(f"{name} {value:.1f} {unit}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
