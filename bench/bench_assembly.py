"""Bulk certificate ZIP assembly benchmark: one line per figure, ``name value unit``.

Why this exists: a bulk certificate job ends with one invocation that reads every certificate
of the selection from S3 and streams the ZIP into a multipart upload; for 60,000 members that is
~6 GB in and out of one Lambda, which must fit the worker's timeout. This measures the
assembly (``chalicelib.jobs.kinds.bulk_assemble``, 16 PDF reads in flight, 16 MiB parts, 4 in
flight) against in-process moto S3, with certificate-sized PDFs (~100 KB, incompressible, as the
real ones are: their photo and font are compressed already), and splits its CPU time into
moto's (the fake S3: on AWS that is the service's) and ours (boto3's side of the GETs and the
part uploads, zipfile's headers and CRC-32, the copies), which is what a Lambda spends:

- ``assembly_<n>k_s``: wall time of the assembly of n certificates (moto included);
- ``assembly_cpu_outside_moto_ms``: our CPU per certificate (all threads);
- ``assembly_zip_only_ms``: of that, writing the ZIP itself (to an unseekable sink, no S3);
- ``assembly_zip_mb``: the size of the ZIP.

docs/operations.md turns these into the estimate for 60,000 certificates on AWS.
``BENCH_ASSEMBLY_CERTS`` (default 3000) sets n. Run: ``.venv/bin/python bench/bench_assembly.py``.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO, cast

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from moto import mock_aws  # noqa: E402

from bench.moto_time import MotoTime  # noqa: E402

CERTS = int(os.environ.get("BENCH_ASSEMBLY_CERTS", "3000"))
PDF_BYTES = 100_000
CHUNK = 200


class _Sink:
    """An unseekable file that keeps only the count (the ZIP's own cost, without S3)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: Any) -> int:
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def seek(self, *_: Any) -> int:
        raise OSError("unseekable")

    def flush(self) -> None:
        pass


def _env() -> None:
    from devstack.env import resource_names

    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                       **resource_names("bench"), "SITE_URL": "https://ecert.example.cn",
                       "TOKEN_KEY": "bench-token-key-" + "x" * 32, "VERIFY_KEY": "bench-verify-key-" + "y" * 32,
                       "LOG_LEVEL": "WARNING", "JOBS_QUEUE": "bench-jobs",
                       # the assembly reads signed certificates; it signs nothing itself
                       "SIGNING_KEY_PEM": "unused", "SIGNING_CERT_PEM": "unused"})
    os.environ.pop("AWS_ENDPOINT_URL", None)


def _seed(d: Any, rng: random.Random) -> list[dict[str, Any]]:
    """CERTS cached certificates and the chunk outputs that name them."""
    outputs: list[dict[str, Any]] = []
    for start in range(0, CERTS, CHUNK):
        ok = []
        for i in range(start, min(start + CHUNK, CERTS)):
            cache_id = hashlib.sha256(str(i).encode()).hexdigest()
            d.certificates.put_pdf(cache_id, b"%PDF-1.7\n" + rng.randbytes(PDF_BYTES))
            ok.append([f"110000{i:06d}", cache_id, f"会员{i}"])
        outputs.append({"ok": ok, "failed": []})
    return outputs


def main() -> int:
    _env()
    from chalicelib.cert.bulk import BulkSuccess, write_zip

    rng = random.Random(11)
    with mock_aws():
        from chalicelib import bootstrap
        from chalicelib.jobs.kinds import bulk_assemble
        from devstack.provision import provision

        bootstrap.reset()
        d = bootstrap.deps()
        provision(d.settings)
        outputs = _seed(d, rng)
        job = SimpleNamespace(job_id="bench-assembly", total=CERTS)
        # thread CPU: the prefetch and upload threads call moto at once
        with MotoTime(time.thread_time).installed() as moto:
            cpu0, t0 = time.process_time(), time.perf_counter()
            result = bulk_assemble(d, job, iter(outputs), "bench")
            wall, cpu, in_moto = time.perf_counter() - t0, time.process_time() - cpu0, moto.spent
        assert result.report_key is None, "every certificate should have been read"
        from chalicelib import aws

        size = aws.client("s3", d.settings.region).head_object(Bucket=d.settings.photo_bucket,
                                                               Key=result.key)["ContentLength"]
    pdfs = [BulkSuccess(f"110000{i:06d}", b"%PDF-1.7\n" + rng.randbytes(PDF_BYTES), f"会员{i}")
            for i in range(min(CERTS, 1000))]
    z0 = time.process_time()
    write_zip(pdfs, cast(BinaryIO, _Sink()))
    zip_only = (time.process_time() - z0) / len(pdfs)
    tag = f"{CERTS / 1000:g}k"
    print(f"assembly_{tag}_s {wall:.1f} s", flush=True)
    print(f"assembly_cpu_outside_moto_ms {(cpu - in_moto) / CERTS * 1000:.2f} ms", flush=True)
    print(f"assembly_cpu_in_moto_ms {in_moto / CERTS * 1000:.2f} ms", flush=True)
    print(f"assembly_zip_only_ms {zip_only * 1000:.2f} ms", flush=True)
    print(f"assembly_zip_mb {size / 1e6:.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
