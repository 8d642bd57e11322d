"""`python -m devstack` (what `make run` starts): the whole system on one machine.

- a moto server on loopback (MOTO_PORT, default 5000) stands in for DynamoDB, S3, SQS and SES:
  real HTTP, real boto3/PynamoDB calls;
- the Chalice app on API_PORT (default 8000), through Chalice's own local gateway, so the token
  authorizer runs as it does behind API Gateway;
- the static frontend on WEB_PORT (default 8080), with `/config.js` pointing at the API, and a
  local-only mailbox at `/_dev/mail` showing what SES "sent" and what the local SMTP server
  received;
- an SMTP server (aiosmtpd) on a free loopback port, used when MAIL_ADAPTER=smtp (as in the AWS
  China stage, which has no SES); the default locally is MAIL_ADAPTER=ses (moto);
- a pump thread that drains the photo queue into the app's SQS handler, as Lambda's event source
  mapping does (moto delivers S3 ObjectCreated to SQS; its s3:TestEvent is skipped by the handler),
  one for the jobs dead-letter queue, and JOB_WORKERS worker processes (`devstack.workers`) that
  drain the jobs queue into the job worker in parallel, like Lambda's concurrent invocations
  (processes, so that they use both cores; their output is prefixed "[jobs-1]", "[jobs-2]").

`--members N` (`make run MEMBERS=N`) also seeds N generated members into one association
(devstack/seed.py), to try association-scale jobs by hand.
CAPTCHA_TEST_CODE, when set in the environment, is passed through for automated browser tests.
The API gateway enforces the cloud's limits (`devstack.gateway`): 6 MB payloads, and a timeout of
LOCAL_GATEWAY_TIMEOUT_S seconds (default 29, as API Gateway; tests set a short one).
LOCAL_GATEWAY_PROBES=1 adds the test-only routes of `devstack.probes`.
SIGINT/SIGTERM stop everything cleanly.
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import os
import signal
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devstack.csp import security_headers
from devstack.gateway import (
    GATEWAY_TIMEOUT_S,
    INTEGRATION_FAILED,
    INTEGRATION_TIMEOUT,
    MAX_PAYLOAD_BYTES,
    REQUEST_TOO_LARGE,
    Timeout,
    call_with_timeout,
    error_body,
    is_binary,
    request_payload_bytes,
    response_payload_bytes,
)
from devstack.pump import QueuePump
from devstack.workers import JobWorkers

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
JOB_WORKERS = 2  # parallel job worker processes (this machine has 2 cores)


def _seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        sys.exit(f"{name} must be a number of seconds")
    if value <= 0:
        sys.exit(f"{name} must be positive")
    return value


def _port(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit(f"{name} must be a port number")


def gateway_handler(site_origin: str, binary_types: list[str], timeout_s: float = GATEWAY_TIMEOUT_S) -> Any:
    """Chalice's local request handler, answering as our API Gateway does.

    Deployed, the stack's gateway responses turn a missing, invalid or revoked token into 401
    {"code": "UNAUTHORIZED", ...} with CORS headers (infra/); Chalice's local gateway answers
    401/403 without CORS, which a browser reports as a CORS error instead of a sign-out.
    It also enforces the cloud's payload and timeout limits (`devstack.gateway`).
    """
    from chalice.local import ChaliceRequestHandler, LocalGatewayException

    cors = {"Access-Control-Allow-Origin": site_origin,
            "Access-Control-Expose-Headers": "Content-Disposition,Retry-After"}

    class Handler(ChaliceRequestHandler):
        def _send_error_response(self, error: Any) -> None:
            if error.CODE in (401, 403):
                body = json.dumps({"code": "UNAUTHORIZED", "message": "登录已失效,请重新登录"},
                                  ensure_ascii=False).encode()
                return self._send_http_response(401, {"Content-Type": "application/json", **cors}, body)
            return super()._send_error_response(error)

        def _send_gateway_error(self, answer: tuple[int, dict[str, str]]) -> None:
            status, payload = answer
            self._send_http_response(status, {"Content-Type": "application/json", **cors}, error_body(payload))

        def _generic_handle(self) -> None:
            headers, body = self._parse_payload()
            if request_payload_bytes(headers, body, is_binary(headers, binary_types)) > MAX_PAYLOAD_BYTES:
                return self._send_gateway_error(REQUEST_TOO_LARGE)
            try:
                response = call_with_timeout(lambda: self.local_gateway.handle_request(
                    method=self.command, path=self.path, headers=headers, body=body), timeout_s)
            except LocalGatewayException as e:
                return self._send_error_response(e)
            except Timeout:
                return self._send_gateway_error(INTEGRATION_TIMEOUT)
            if response_payload_bytes(response) > MAX_PAYLOAD_BYTES:
                return self._send_gateway_error(INTEGRATION_FAILED)
            out_headers = response["headers"].copy()
            out_headers.update(response["multiValueHeaders"])
            self._send_http_response(response["statusCode"], out_headers, self._handle_binary(response)["body"])

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

        def _method_not_allowed(self) -> None:
            # http.server answers methods it has no handler for with an HTML 501; the gateway
            # refuses them, so the local stack does too, in the error contract.
            body = json.dumps({"code": "METHOD_NOT_ALLOWED", "message": "不支持的请求方法"},
                              ensure_ascii=False).encode()
            self._send_http_response(405, {"Content-Type": "application/json", "Allow": "GET, POST, PATCH"}, body)

        def __getattr__(self, name: str) -> Any:
            if name.startswith("do_"):  # TRACE, CONNECT, QUERY, ...: any method without a handler
                return self._method_not_allowed
            raise AttributeError(name)

    return Handler


LOCAL_SMTP: Any = None  # devstack.smtp.LocalSmtp, once started


def sent_mail() -> list[dict[str, Any]]:
    """What SES 'sent' (the in-process moto backend) and what the local SMTP server received."""
    from moto.backends import get_backend

    out: list[dict[str, Any]] = []
    for account in get_backend("ses").values():
        for backend in account.values():
            for m in getattr(backend, "sent_messages", []):
                out.append({"to": getattr(m, "destinations", {}).get("ToAddresses", []),
                            "subject": getattr(m, "subject", ""), "body": getattr(m, "body", ""), "via": "ses"})
    if LOCAL_SMTP is not None:
        out.extend(LOCAL_SMTP.mailbox.mails())
    return out


class WebHandler(SimpleHTTPRequestHandler):
    api_base = ""
    headers_out: dict[str, str] = {}  # the site's security headers (devstack.csp), set in main()

    def log_message(self, fmt: str, *args: Any) -> None:  # keep the console for URLs and mail
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        for name, value in self.headers_out.items():
            self.send_header(name, value)
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?")[0]
        if path == "/config.js":
            body = f"window.APP_CONFIG = {json.dumps({'apiBase': self.api_base})};\n".encode()
            return self._send(body, "application/javascript; charset=utf-8")
        if path in ("/_dev/mail", "/_dev/mail.json"):
            mails = sent_mail()
            if path.endswith(".json"):
                return self._send(json.dumps(mails, ensure_ascii=False).encode(), "application/json")
            items = "".join(f"<article><h2>{html.escape(m['subject'])}</h2><p>至: {html.escape(', '.join(m['to']))}"
                            f"</p><pre>{html.escape(m['body'])}</pre></article>" for m in reversed(mails))
            page = (f"<!doctype html><meta charset=utf-8><title>本地邮箱</title><h1>本地邮箱(仅本地环境)</h1>"
                    f"{items or '<p>暂无邮件</p>'}")
            return self._send(page.encode(), "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-demo", action="store_true", help="start empty, without demo data")
    parser.add_argument("--members", type=int, default=0, metavar="N",
                        help="also seed N generated members into Beijing (110000), e.g. 60000")
    args = parser.parse_args()
    if not 0 <= args.members <= 999_999 - 100:
        parser.error("--members must be between 0 and 999899 (the association's number range)")
    api_port, web_port, moto_port = _port("API_PORT", 8000), _port("WEB_PORT", 8080), _port("MOTO_PORT", 5000)
    host = "127.0.0.1"

    from moto.server import ThreadedMotoServer

    from devstack.fits import fit_moto

    fit_moto()  # the lock of devstack.atomic, and DynamoDB's and S3's cost models (devstack/fits.py)

    moto = ThreadedMotoServer(ip_address=host, port=moto_port, verbose=False)
    moto.start()

    from devstack.env import local_environment

    os.environ.update(local_environment(moto_port, web_port))
    from devstack.smtp import LocalSmtp

    global LOCAL_SMTP
    LOCAL_SMTP = LocalSmtp(host).start()
    os.environ.update(LOCAL_SMTP.environment())
    os.environ.setdefault("MAIL_ADAPTER", "ses")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from chalice.config import Config
    from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

    import app as app_module  # after the environment is set (STYLE 10)
    from chalicelib import aws
    from chalicelib.bootstrap import deps
    from devstack import demo
    from devstack.provision import provision

    d = deps()
    queues = provision(d.settings)
    summary = demo.load(d.photos) if not args.no_demo else None
    if args.members:
        from devstack.seed import ASSOCIATION, seed_members

        print(f"seeding {args.members:,} members into {ASSOCIATION}…", flush=True)
        took = seed_members(d.photos, args.members, progress=lambda line: print(line, flush=True))
        print(f"seeded {args.members:,} members in {took:.0f} s", flush=True)

    config = Config.create(chalice_stage="local", app_name="cpa-ecert", lambda_timeout=60,
                           lambda_memory_size=1536, environment_variables={})
    # What chalice.local.create_local_server does, with our gateway-response handler.
    CustomLocalChalice.__bases__ = (LocalChalice, app_module.app.__class__)
    app_module.app.__class__ = CustomLocalChalice
    if os.environ.get("LOCAL_GATEWAY_PROBES") == "1":
        from devstack.probes import probes

        app_module.app.register_blueprint(probes)
    handler = gateway_handler(f"http://{host}:{web_port}", list(app_module.app.api.binary_types),
                              _seconds("LOCAL_GATEWAY_TIMEOUT_S", GATEWAY_TIMEOUT_S))
    api_server = LocalDevServer(app_module.app, config, host, api_port, handler_cls=handler)
    WebHandler.api_base = f"http://{host}:{api_port}"
    # Presigned photo URLs point at the S3 endpoint, which locally is moto.
    WebHandler.headers_out = security_headers(api=[WebHandler.api_base], photos=[f"http://{host}:{moto_port}"])
    web_server = ThreadingHTTPServer((host, web_port), functools.partial(WebHandler, directory=str(FRONTEND)))
    web_server.daemon_threads = True

    stop = threading.Event()
    threads = [threading.Thread(target=api_server.serve_forever, name="api", daemon=True),
               threading.Thread(target=web_server.serve_forever, name="web", daemon=True),
               QueuePump(aws.client("sqs", d.settings.region), queues["queue_url"], app_module.photo_check, stop),
               # a job message that failed every delivery fails its job, as in the cloud
               QueuePump(aws.client("sqs", d.settings.region), queues["jobs_dlq_url"], app_module.job_dead_letters,
                         stop, name="jobs-dead-letter-pump")]
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # Chalice prints its own "Serving on" line
        for t in threads:
            t.start()
        time.sleep(0.2)

    # Lambda runs chunks in parallel invocations; locally worker processes do the same.
    try:
        workers = JobWorkers(JOB_WORKERS, queues["jobs_queue_url"]).start()
    except RuntimeError as err:
        print(f"[jobs] {err}", file=sys.stderr, flush=True)
        moto.stop()
        return 1

    def shutdown(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)

    site = f"http://{host}:{web_port}"
    lines = [
        "", "CPA e-certificate local stack is up", "",
        f"  member page     {site}/",
        f"  staff admin     {site}/admin/",
        f"  lookup          {site}/lookup/",
        f"  verify          {site}/verify/?no=<member_no>&c=<code>",
        f"  local mailbox   {site}/_dev/mail  (MAIL_ADAPTER={os.environ['MAIL_ADAPTER']};"
        f" SMTP server on {host}:{LOCAL_SMTP.port})",
        f"  API             http://{host}:{api_port}/  (health: /health, schema: /meta/fields)",
        f"  moto (AWS)      http://{host}:{moto_port}/",
    ]
    if os.environ.get("CAPTCHA_TEST_CODE"):
        lines.append("  CAPTCHA_TEST_CODE is set: that code passes every captcha (tests only)")
    if summary:
        lines += ["", "Demo logins:"] + demo.describe(summary)
    lines += ["", "Press Ctrl-C to stop.", ""]
    print("\n".join(lines), flush=True)

    seen_mail = 0
    while not stop.wait(0.5):
        workers.check()
        mails = sent_mail()
        for m in mails[seen_mail:]:
            print(f"[mail] to {', '.join(m['to'])}: {m['subject']}\n{m['body']}\n", flush=True)
        seen_mail = len(mails)

    print("stopping…", flush=True)
    workers.stop()
    api_server.shutdown()
    web_server.shutdown()
    LOCAL_SMTP.stop()
    moto.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
