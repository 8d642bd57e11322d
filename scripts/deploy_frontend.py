"""Upload frontend/ to the site bucket, with /config.js pointing the pages at the API.

Why this exists: the static pages read the API root from `/config.js`
(`window.APP_CONFIG = {"apiBase": ...}`, the same file the local stack serves), so one set of
files runs everywhere. This writes that file for a deployed stage, uploads every page with its
content type and a cache policy (HTML and config.js revalidate on every visit; scripts, styles
and images for five minutes, since their names carry no hash), optionally removes files that no
longer exist locally, and invalidates the CloudFront cache.

The site bucket and distribution come from the stack's outputs; the API URL from `--api-url`,
else the stack's `ApiURL` output (the China stack serves the API under the site's own domain),
else its `EndpointURL` output (one-stack deploy, way a), else `.chalice/deployed/<stage>.json`
(`chalice deploy`, way b).

Each `<dir>/index.html` is also stored under the key `<dir>/`: CloudFront asks S3 for the key
`verify/` when a QR code opens `/verify/?no=...`, and where no CloudFront Function maps directory
URLs to index.html (the AWS China regions have none) that copy answers.

Usage:
    python scripts/deploy_frontend.py --stage prod --stack cpa-ecert-prod [--api-url URL]
        [--prune] [--dry-run] [--region R]
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
REVALIDATE = "no-cache"
SHORT = "public, max-age=300"


class FrontendError(RuntimeError):
    pass


@dataclass(frozen=True)
class Upload:
    key: str
    body: bytes
    content_type: str
    cache_control: str


def config_js(api_url: str) -> bytes:
    parsed = urlparse(api_url)
    if parsed.scheme != "https" or not parsed.netloc:
        raise FrontendError(f"the API URL must be an https URL, got {api_url!r}")
    return f"window.APP_CONFIG = {json.dumps({'apiBase': api_url.rstrip('/')})};\n".encode()


def plan(frontend: Path, api_url: str) -> list[Upload]:
    """Every file to upload, config.js included; hidden files and a local config.js are skipped."""
    uploads = []
    for path in sorted(p for p in frontend.rglob("*") if p.is_file()):
        rel = path.relative_to(frontend)
        if any(part.startswith(".") for part in rel.parts) or rel.as_posix() == "config.js":
            continue
        suffix = path.suffix.lower()
        content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        cache = REVALIDATE if suffix == ".html" else SHORT
        uploads.append(Upload(rel.as_posix(), path.read_bytes(), content_type, cache))
        if rel.name == "index.html" and len(rel.parts) > 1:
            uploads.append(Upload(rel.parent.as_posix() + "/", path.read_bytes(), content_type, cache))
    uploads.append(Upload("config.js", config_js(api_url), CONTENT_TYPES[".js"], REVALIDATE))
    return uploads


def publish(s3: Any, bucket: str, uploads: Iterable[Upload], *, prune: bool = False) -> list[str]:
    """Upload; with `prune`, delete objects that are not in `uploads`. Returns deleted keys."""
    uploads = list(uploads)
    for u in uploads:
        s3.put_object(Bucket=bucket, Key=u.key, Body=u.body, ContentType=u.content_type,
                      CacheControl=u.cache_control)
    if not prune:
        return []
    wanted = {u.key for u in uploads}
    stale: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        stale.extend(o["Key"] for o in page.get("Contents", []) if o["Key"] not in wanted)
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start:start + 1000]]})
    return stale


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    resp = cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"deploy-{time.time_ns()}"})
    return str(resp["Invalidation"]["Id"])


def api_url_from_deployed(stage: str, root: Path = ROOT) -> str | None:
    path = root / ".chalice" / "deployed" / f"{stage}.json"
    if not path.exists():
        return None
    for resource in json.loads(path.read_text(encoding="utf-8")).get("resources", []):
        if resource.get("resource_type") == "rest_api" and resource.get("rest_api_url"):
            return str(resource["rest_api_url"])
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--stack", required=True, help="stack with SiteBucketName/SiteDistributionId outputs")
    parser.add_argument("--api-url")
    parser.add_argument("--frontend", type=Path, default=FRONTEND)
    parser.add_argument("--prune", action="store_true", help="delete files no longer in frontend/")
    parser.add_argument("--region")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)

    import boto3

    stacks = boto3.client("cloudformation", region_name=args.region).describe_stacks(StackName=args.stack)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks["Stacks"][0].get("Outputs", [])}
    if outputs.get("Stage") and outputs["Stage"] != args.stage:
        print(f"error: stack {args.stack} serves stage {outputs['Stage']}", file=sys.stderr)
        return 1
    api_url = args.api_url or outputs.get("ApiURL") or outputs.get("EndpointURL") or api_url_from_deployed(args.stage)
    if not api_url:
        print("error: no API URL: pass --api-url, or run chalice deploy first", file=sys.stderr)
        return 1
    try:
        uploads = plan(args.frontend, api_url)
    except FrontendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    bucket = outputs["SiteBucketName"]
    print(f"{len(uploads)} files -> s3://{bucket}/ (apiBase {api_url.rstrip('/')})")
    if args.dry_run:
        for u in uploads:
            print(f"  {u.key}  {u.content_type}  {u.cache_control}")
        return 0
    deleted = publish(boto3.client("s3", region_name=args.region), bucket, uploads, prune=args.prune)
    for key in deleted:
        print(f"  deleted {key}")
    if outputs.get("SiteDistributionId"):
        inv = invalidate(boto3.client("cloudfront", region_name=args.region), outputs["SiteDistributionId"])
        print(f"CloudFront invalidation {inv} started")
    print(f"site: {outputs.get('SiteURL', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
