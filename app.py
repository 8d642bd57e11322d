"""Chalice entry point: routes, the authorizer, the photo-check, photo-prepare and job handlers, all thin.

Every route lives in a blueprint under chalicelib/ and goes through `chalicelib.web.Api`, the
one place that maps errors to HTTP. Environment variables come from the stage
(.chalice/config.json) or, locally, from the dev stack, and must be set before this import.

Importing this module is the API function's cold start: route modules load their services on
first use, so it stays small (docs/architecture.md, "Cold start"; `python -m bench`).
"""

from typing import Any

from chalice import Chalice

from chalicelib import config, logs
from chalicelib.auth import authorizer
from chalicelib.auth import routes as auth_routes
from chalicelib.cert import routes as cert_routes
from chalicelib.jobs import routes as job_routes
from chalicelib.members import routes as member_routes
from chalicelib.meta import routes as meta_routes
from chalicelib.openapi import routes as openapi
from chalicelib.photo import routes as photo_routes

logs.setup()

app = Chalice(app_name="cpa-ecert")
app.debug = False  # never send tracebacks to clients
app.api.binary_types.extend(["application/pdf", "image/jpeg", "image/png", "application/zip",
                             "application/octet-stream",
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"])

app.register_blueprint(authorizer.blueprint)
for _api in (meta_routes.api, openapi.api, auth_routes.api, member_routes.api, photo_routes.api,
             cert_routes.api, job_routes.api):
    app.register_blueprint(_api.blueprint)


@app.middleware("all")
def _with_request_id(event: Any, get_response: Any) -> Any:
    """Every log line of an invocation carries its Lambda request id."""
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    with logs.request_scope(logs.request_id_of(context)):
        return get_response(event)


@app.on_sqs_message(queue=config.photo_queue_name(), batch_size=1,
                    name="photo_check")
def photo_check(event):  # type: ignore[no-untyped-def]
    """S3 ObjectCreated -> SQS -> here: check an uploaded photo."""
    from chalicelib.photo_events import handle_photo_event

    handle_photo_event(event)


@app.lambda_function(name="photo_prepare")
def photo_prepare(event, context):  # type: ignore[no-untyped-def]
    """The photo auto-fix with the face engine, invoked by the API in stages that name this
    function (PHOTO_PREPARE_FUNCTION): see chalicelib/photo/prepare_function.py."""
    from chalicelib.photo.prepare_function import lambda_handler

    return lambda_handler(event, context)


@app.on_sqs_message(queue=config.jobs_queue_name(), batch_size=1, name="job_worker")
def job_worker(event):  # type: ignore[no-untyped-def]
    """A job's plan or one chunk (export, bulk certificates): see chalicelib/jobs/worker.py."""
    from chalicelib.bootstrap import deps
    from chalicelib.jobs.worker import handle_event

    handle_event(deps(), event)


@app.on_sqs_message(queue=config.jobs_dead_letter_queue_name(), batch_size=1, name="job_dead_letters")
def job_dead_letters(event):  # type: ignore[no-untyped-def]
    """A job message that failed every delivery: its job fails (chalicelib/jobs/worker.py)."""
    from chalicelib.bootstrap import deps
    from chalicelib.jobs.worker import handle_dead_letters

    deps()  # binds the tables
    handle_dead_letters(event)
