"""The portal function: the people's pages and their assets, under `/portal` on the HTTP API.

It serves files and renders page skeletons; it reads no table and calls no service. Every
answer carries a Content-Security-Policy that allows no inline script and no other origin but
the people pool's (where the login page sends e-mail and password).
"""

from __future__ import annotations

import base64
import mimetypes
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger

import catalogue
import pages
import rendering

logger = Logger(service="portal")

STATIC = (Path(__file__).parent / "static").resolve()
PREFIX = "/portal"
TEXT_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
              ".json": "application/json; charset=utf-8", ".svg": "image/svg+xml",
              ".html": "text/html; charset=utf-8", ".map": "application/json; charset=utf-8",
              ".txt": "text/plain; charset=utf-8"}
# Assets change with each deploy; a short cache keeps a page's second load fast without
# serving yesterday's script for long.
ASSET_CACHE = "public, max-age=300"


def people_pool_endpoint() -> str:
    """Where a browser reaches the people pool: the local cloud's own port when the functions run
    there (it sets AWS_ENDPOINT_URL), Cognito's regional endpoint on AWS."""
    local_cloud = os.environ.get("AWS_ENDPOINT_URL")
    if local_cloud:
        return local_cloud.rstrip("/") + "/"
    return f"https://cognito-idp.{os.environ.get('AWS_REGION', 'eu-west-3')}.amazonaws.com/"


def page_config() -> dict[str, str]:
    return {"pool_endpoint": people_pool_endpoint(), "client_id": os.environ.get("PEOPLE_POOL_CLIENT_ID", ""),
            "region": os.environ.get("AWS_REGION", "eu-west-3")}


def content_security_policy(page: pages.Page | None = None) -> str:
    pool = urlsplit(people_pool_endpoint())
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data: blob:",
        "connect-src": f"'self' {pool.scheme}://{pool.netloc}",
        "media-src": "'self' blob: mediastream:",  # the camera that reads a label's QR code
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    for name, extra in (page.extra_csp if page else {}).items():
        directives[name] = f"{directives.get(name, '')} {extra}".strip()
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _headers(content_type: str, cache: str, page: pages.Page | None = None) -> dict[str, str]:
    return {
        "content-type": content_type,
        "cache-control": cache,
        "content-security-policy": content_security_policy(page),
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "permissions-policy": "camera=(self), microphone=(), geolocation=()",
    }


def _page(page: pages.Page, params: dict[str, str], status: int = 200) -> dict[str, Any]:
    return {"statusCode": status, "headers": _headers("text/html; charset=utf-8", "no-store", page),
            "body": rendering.render(page, params, page_config())}


NOT_FOUND = pages.Page(path="introuvable", template="common/not_found.html", title="common.not_found.title",
                       roles=None)


def _asset(relative: str) -> dict[str, Any]:
    path = (STATIC / relative).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file():
        return _page(NOT_FOUND, {}, 404)
    suffix = path.suffix.lower()
    if suffix in TEXT_TYPES:
        return {"statusCode": 200, "headers": _headers(TEXT_TYPES[suffix], ASSET_CACHE),
                "body": path.read_text(encoding="utf-8")}
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return {"statusCode": 200, "headers": _headers(content_type, ASSET_CACHE),
            "body": base64.b64encode(path.read_bytes()).decode(), "isBase64Encoded": True}


def route(path: str) -> dict[str, Any]:
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return _page(NOT_FOUND, {}, 404)
    relative = path[len(PREFIX):].lstrip("/")
    if relative.startswith("static/"):
        return _asset(relative[len("static/"):])
    found = pages.find(relative.rstrip("/"))
    if found is None:
        return _page(NOT_FOUND, {}, 404)
    return _page(*found)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "GET")
    if method not in ("GET", "HEAD"):
        return {"statusCode": 405, "headers": {"allow": "GET, HEAD"}, "body": ""}
    try:
        return route(event.get("rawPath") or PREFIX)
    except catalogue.MissingWord:
        logger.exception("a page names a word the catalogue lacks")
        raise
