"""`make people`: the command line drives /access/people as an administrator, names people by their
e-mail without ever putting one in a URL, prints a temporary password once and never takes the
admin key from its arguments. Its requests reach the keys API's handler in-process (moto behind)."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

import keys_api
from devtools import people
from tests.unit.support import LambdaContext, http_event

BASE_URL = "https://api.example.test"


class HandlerAdapter(BaseAdapter):
    """Answers each request with the keys API's handler, as the admin key would be authorized; records the URLs."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.authorizations: set[str] = set()

    def send(self, request, **kwargs):
        self.urls.append(request.url)
        self.authorizations.add(request.headers.get("Authorization", ""))
        url = urlsplit(request.url)
        event = http_event(request.method, url.path, "admin", territory="", query=dict(parse_qsl(url.query)))
        if request.body:
            event["body"] = request.body.decode() if isinstance(request.body, bytes) else request.body
        answer = keys_api.handler(event, LambdaContext())
        response = requests.Response()
        response.status_code, response.url = answer["statusCode"], request.url
        response._content = (answer.get("body") or "").encode()
        response.request = request
        return response

    def close(self):
        pass


@pytest.fixture
def http(people_pool, monkeypatch):
    adapter = HandlerAdapter()
    original = requests.Session

    def session_through_the_handler():
        session = original()
        session.mount(BASE_URL, adapter)
        return session

    monkeypatch.setattr(requests, "Session", session_through_the_handler)  # the /access client's session
    return adapter


def cli(*args: str) -> str:
    out = io.StringIO()
    assert people.main(["--base-url", BASE_URL, *args], out=out, stdin=io.StringIO("dev-admin-key\n")) == 0
    return out.getvalue()


def test_create_list_disable_enable_and_reset_by_email(http, people_pool):
    created = cli("create", "--email", "a.martin@ccas-rennes.fr", "--role", "referrer",
                  "--partner-id", "social-services-35", "--territory", "35")
    temporary = created.strip().splitlines()[-1]
    assert created.count(temporary) == 1 and "temporary" in created
    assert people_pool.login("a.martin@ccas-rennes.fr", temporary)["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    listed = cli("list", "--role", "referrer")
    assert "a.martin@ccas-rennes.fr" in listed and "active" in listed and temporary not in listed
    assert "disabled" in cli("disable", "a.martin@ccas-rennes.fr")
    assert "disabled" in cli("list", "--partner-id", "social-services-35")
    assert "active" in cli("enable", "A.Martin@ccas-rennes.fr")
    reset = cli("reset-password", "a.martin@ccas-rennes.fr")
    assert reset.strip().splitlines()[-1] != temporary

    assert http.authorizations == {"Bearer dev-admin-key"}
    assert not any("@" in url or "martin" in url for url in http.urls), http.urls


def test_an_unknown_email_is_said_so(http):
    with pytest.raises(SystemExit, match="no account has the e-mail nobody@example.org"):
        cli("disable", "nobody@example.org")


def test_there_is_no_option_that_takes_the_admin_key():
    with pytest.raises(SystemExit):
        people.parser().parse_args(["--admin-key", "dev-admin-key", "list"])
