"""The portal's pages as the function serves them: French, every word from the catalogue, no
inline script, nothing typed rendered as HTML, assets only from its own folder."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import catalogue
import pages
import portal_handler

PORTAL = Path(portal_handler.__file__).parent
USED_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")


def serve(path: str) -> dict:
    return portal_handler.handler({"rawPath": path, "requestContext": {"http": {"method": "GET"}}}, None)


def page_paths() -> list[str]:
    return ["/portal" + ("/" + re.sub(r"\{[a-z_]+\}", "X-1", p.path) if p.path else "") for p in pages.PAGES]


class Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inline, self.handlers, self.lang = [], [], None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self.inline.append(attributes)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


@pytest.mark.parametrize("path", page_paths())
def test_every_page_is_french_and_runs_no_inline_script(path):
    answer = serve(path)
    assert answer["statusCode"] == 200
    policy = answer["headers"]["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    parsed = Scripts()
    parsed.feed(answer["body"])
    assert parsed.lang == "fr"
    assert parsed.inline == [] and parsed.handlers == []


def test_every_word_a_template_or_a_script_uses_is_in_the_french_catalogue():
    words = catalogue.words("fr")
    missing = {}
    for path in [*PORTAL.glob("templates/**/*.html"), *PORTAL.glob("static/js/**/*.js"),
                 *PORTAL.glob("pages/*.py")]:
        if "vendor" in path.parts:
            continue
        keys = set(USED_KEY.findall(path.read_text(encoding="utf-8")))
        if path.suffix == ".py":
            keys |= set(re.findall(r"""(?:title|nav)=["']([a-z0-9_.]+)["']""", path.read_text()))
        for key in keys - words.keys():
            missing.setdefault(str(path.relative_to(PORTAL)), []).append(key)
    assert not missing, missing


def test_the_words_a_page_embeds_are_its_areas_and_cannot_close_their_data_block(monkeypatch):
    monkeypatch.setitem(catalogue.words("fr"), "common.site.name", "</script><script>alert(1)</script>")
    monkeypatch.setitem(catalogue.catalogue("fr")["common"], "common.site.name", "</script><script>alert(1)</script>")
    body = serve("/portal/connexion")["body"]
    data = body.split('id="sv-words">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and "\\u003c/script>" in data


def test_a_path_parameter_is_escaped_where_the_page_shows_it(monkeypatch):
    page = pages.Page(path="essai/{thing_id}", template="common/home.html", title="common.home.title", roles=None)
    monkeypatch.setattr(pages, "PAGES", [page, *pages.PAGES])
    typed = '"><img src=x onerror=alert(1)>'
    path = "/portal/" + re.sub(r"\{[a-z_]+\}", typed, page.path)
    body = serve(path)["body"]
    assert typed not in body and "&#34;&gt;&lt;img" in body


def test_assets_have_their_types_and_nothing_outside_the_static_folder_is_served():
    assert serve("/portal/static/js/api.js")["headers"]["content-type"].startswith("text/javascript")
    assert serve("/portal/static/css/portal.css")["headers"]["content-type"].startswith("text/css")
    for escape in ("/portal/static/../portal_handler.py", "/portal/static/%2e%2e/catalogue.py",
                   "/portal/static//etc/passwd", "/portal/static/js"):
        assert serve(escape)["statusCode"] == 404


def test_a_binary_asset_arrives_base64_encoded(tmp_path, monkeypatch):
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n-bytes")
    monkeypatch.setattr(portal_handler, "STATIC", tmp_path.resolve())
    answer = serve("/portal/static/logo.png")
    assert answer["isBase64Encoded"] is True and answer["headers"]["content-type"] == "image/png"
    assert base64.b64decode(answer["body"]) == b"\x89PNG\r\n\x1a\n-bytes"


def test_an_unknown_page_is_a_french_404_and_only_reads_are_answered():
    answer = serve("/portal/nulle-part")
    assert answer["statusCode"] == 404 and "Page introuvable" in answer["body"]
    posted = portal_handler.handler({"rawPath": "/portal", "requestContext": {"http": {"method": "POST"}}}, None)
    assert posted["statusCode"] == 405


def test_the_login_page_reaches_the_local_cloud_s_pool_and_no_other_origin(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4599")
    monkeypatch.setenv("PEOPLE_POOL_CLIENT_ID", "client-123")
    answer = serve("/portal/connexion")
    assert "connect-src 'self' http://127.0.0.1:4599;" in answer["headers"]["content-security-policy"]
    assert '<meta name="sv-pool-endpoint" content="http://127.0.0.1:4599/">' in answer["body"]
    assert '<meta name="sv-client-id" content="client-123">' in answer["body"]
