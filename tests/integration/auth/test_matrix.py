"""The authorization matrix, generated from the app's own route table.

Every route and method that exists when the suite runs is called as: anonymous, a member (self),
association staff of the same association, association staff of another association, national
staff — and, where the path names a resource of a Beijing member, as each persona that must not
see it. A route added later without a role list or a scope check fails here without anyone
having to remember to add a test for it.

Expectations:
- every route goes through `web.Api` (its view carries `roles`); a public route (roles None) is
  one of the known public routes; every other route has the token authorizer;
- anonymous callers get 401/403 on every non-public route;
- a role not listed for a route gets 403;
- a token that still carries the initial password gets 403 PASSWORD_CHANGE_REQUIRED everywhere
  except the few routes that exist to get out of that state;
- a path naming a Beijing member (or that member's upload, review item or application) answers
  404 to staff of another association, to national staff and to another member — never 200;
- staff of the member's own association are not refused with MEMBER_NOT_FOUND (the check is not
  simply "deny everything");
- no refused answer carries the member's name, ID number, phone or e-mail, and routes that
  name no member (lists, queues) never show staff of another association the Beijing member's
  number, ID number, phone or e-mail;
- no route crashes (500).

A refusal other than 404 for an out-of-scope resource is accepted only when it is byte-identical
to the answer for a resource that does not exist (the input was refused before any lookup), so
it can reveal nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

import app as app_module
from chalicelib.auth import tokens
from chalicelib.members.models import ApplicationModel
from chalicelib.photo.models import UploadModel
from chalicelib.principal import ANY_SIGNED_IN, ASSOCIATION_STAFF, MEMBER, NATIONAL_STAFF

# Routes anyone may call. Everything under /public/ is public by design (DESIGN section 9).
PUBLIC_ROUTES = {
    ("GET", "/health"), ("GET", "/meta"), ("GET", "/meta/fields"), ("GET", "/meta/messages"), ("GET", "/openapi.json"),
    ("GET", "/auth/captcha"), ("POST", "/auth/login"),
    ("POST", "/auth/password/forgot"), ("POST", "/auth/password/reset"),
}
PUBLIC_PREFIX = "/public/"
# Routes a token with an unchanged initial password may still call.
INITIAL_PASSWORD_ROUTES = {("POST", "/auth/logout"), ("POST", "/auth/password/change"), ("GET", "/auth/session")}

PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    roles: tuple[str, ...] | None
    has_authorizer: bool
    content_types: tuple[str, ...]

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    @property
    def public(self) -> bool:
        return self.roles is None

    def allows(self, role: str) -> bool:
        return self.roles is not None and role in self.roles

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _accepted(entry: Any) -> tuple[str, ...]:
    """The media types a route accepts (web.Api checks them; Chalice is told */*)."""
    contract = getattr(entry.view_function, "contract", None)
    return (contract.content_types if contract else ()) or ("application/json",)


def all_routes() -> list[Route]:
    out = []
    for path, methods in app_module.app.routes.items():
        for method, entry in methods.items():
            out.append(Route(method, path, getattr(entry.view_function, "roles", "MISSING"),
                             entry.authorizer is not None, _accepted(entry)))
    return sorted(out, key=lambda r: (r.path, r.method))


ROUTES = all_routes()


def test_the_route_table_is_not_empty():
    assert {("POST", "/auth/login"), ("POST", "/auth/logout"), ("POST", "/public/lookup")} <= {
        (r.method, r.path) for r in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_declares_who_may_call_it(route):
    assert route.roles != "MISSING", f"{route} is not registered through chalicelib.web.Api"
    if route.public:
        assert (route.method, route.path) in PUBLIC_ROUTES or route.path.startswith(PUBLIC_PREFIX), (
            f"{route} is public (roles=None) but not a known public route")
        assert not route.has_authorizer
    else:
        assert route.roles and set(route.roles) <= set(ANY_SIGNED_IN), route.roles
        assert route.has_authorizer, f"{route} has roles but no token authorizer"
    if "member_no" in route.params:
        assert not route.public or route.path.startswith(PUBLIC_PREFIX)


# -- the world the matrix runs in ------------------------------------------------------------------

@dataclass
class World:
    key: str
    me: Any  # the member persona's own record (Beijing)
    other: Any  # another Beijing member: the target of every out-of-scope call
    shanghai: Any
    overseas: Any
    upload_id: str  # an upload of `other`, waiting in Beijing's review queue
    application_id: str  # a Beijing membership application

    def token(self, role: str, association: str, member_no: str = "", *, mcp: bool = False) -> str:
        sub = f"member:{member_no}" if role == MEMBER else f"staff:{association}_{role}"
        return tokens.issue(self.key, sub=sub, role=role, association=association, member_no=member_no,
                            must_change_password=mcp)[0]

    def markers_of(self, member: Any) -> list[str]:
        """Values that identify `member` unambiguously (names may repeat between fake people)."""
        p = member.fields()
        return [v for v in (member.member_no, p.get("id_number"), p.get("mobile"), p.get("email")) if v]

    def secrets_of(self, member: Any) -> list[str]:
        p = member.fields()
        return [v for v in (member.name, p.get("id_number"), p.get("mobile"), p.get("email")) if v]


@pytest.fixture()
def world(aws, make_member, persona) -> World:
    me, other = make_member("110000"), make_member("110000")
    shanghai, overseas = make_member("310000"), make_member("100000")
    for role, assoc in ((ASSOCIATION_STAFF, "110000"), (ASSOCIATION_STAFF, "310000"), (NATIONAL_STAFF, "100000")):
        persona(role, assoc)  # creates the staff account the tokens refer to
    upload = UploadModel("0f1e2d3c4b5a69788796a5b4c3d2e1f0", member_no=other.member_no, association="110000",
                         kind="member", actor=other.member_no, s3_key=f"uploads/{other.member_no}/x.jpg",
                         status="review", review_association="110000", message="待注协审核")
    upload.save()
    application = ApplicationModel("a1b2c3d4e5f60718293a4b5c6d7e8f90", association="110000",
                                   profile={"name": other.name, "id_type": "居民身份证",
                                            "id_number": other.fields()["id_number"]})
    application.save()
    return World(aws.settings.token_key, me, other, shanghai, overseas, upload.upload_id, application.app_id)


KNOWN_PARAMS = ("member_no", "upload_id", "review_id", "application_id", "app_id", "id")


GHOST_MEMBER_NO = "110000999999"
GHOST_ID = "ffffffffffffffffffffffffffffffff"


def fill(route: Route, world: World, member: Any, *, ghost: bool = False) -> str:
    """The route's path with every parameter filled in, naming `member` and Beijing resources
    (or, with `ghost`, a member and resources that do not exist)."""
    values = {}
    for name in route.params:
        if name == "member_no":
            values[name] = GHOST_MEMBER_NO if ghost else member.member_no
        elif "upload" in name or "review" in name or route.path.startswith(("/reviews", "/uploads")):
            values[name] = GHOST_ID if ghost else world.upload_id
        elif "application" in name or route.path.startswith("/applications"):
            values[name] = GHOST_ID if ghost else world.application_id
        else:
            values[name] = "000000000000"
    return PARAM.sub(lambda m: values[m.group(1)], route.path)


def names_beijing_resource(route: Route) -> bool:
    """True if the filled-in path names something that belongs to the Beijing member `other`."""
    return not route.public and any(p in KNOWN_PARAMS or "upload" in p or "review" in p
                                    or "application" in p for p in route.params)


# Enough for the usual input validation to pass, so that the scope check is what decides.
PLAUSIBLE_BODY = {"POST": {"reason": "授权矩阵测试", "text_version": "1"},
                  "PATCH": {"version": 1, "changes": {}}, "PUT": {"version": 1}}


def call(client: Any, route: Route, path: str, token: str | None) -> Any:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body: bytes | None = None
    if route.method in ("POST", "PUT", "PATCH"):
        ctype = "application/json" if "application/json" in route.content_types else route.content_types[0]
        headers["Content-Type"] = ctype
        body = json.dumps(PLAUSIBLE_BODY[route.method]).encode() if ctype == "application/json" else b""
    return client.http.request(route.method, path, headers=headers, body=body)


def _code(resp: Any) -> str:
    try:
        return str(json.loads(resp.body or b"{}").get("code", ""))
    except (ValueError, AttributeError):
        return ""


# -- the matrix -----------------------------------------------------------------------------------

Case = tuple[str, Route, Any, "str | None", "set[int] | None", list[str]]


def matrix(world: World, routes: list[Route] = ROUTES) -> Iterator[Case]:
    """(persona, route, member the path names, token, allowed statuses or None, must-not-leak values).

    `other` (Beijing) is the member every out-of-scope call names; `me` (Beijing) is the member
    persona. Allowed statuses None means an in-scope call: anything but a refusal-as-out-of-scope
    or a crash.
    """
    bj = "110000"
    me, other = world.me, world.other
    for route in routes:
        yield ("anonymous", route, other, None, None if route.public else {401, 403},
               world.secrets_of(other))
        if route.public:
            continue
        scoped = names_beijing_resource(route)

        member_token = world.token(MEMBER, bj, me.member_no)
        if not route.allows(MEMBER):
            yield "member", route, me, member_token, {403}, []
        elif scoped:  # e.g. /me/photo/uploads/{upload_id} naming another member's upload
            yield "member, another member's resource", route, other, member_token, {404}, world.secrets_of(other)
        else:
            yield "member", route, me, member_token, None, []

        for label, role, assoc in (("staff, same association", ASSOCIATION_STAFF, bj),
                                   ("staff, another association", ASSOCIATION_STAFF, "310000"),
                                   ("national staff", NATIONAL_STAFF, "100000")):
            token = world.token(role, assoc)
            if not route.allows(role):
                yield label, route, other, token, {403}, world.secrets_of(other)
            elif assoc == bj:
                yield label, route, other, token, None, []
            elif not scoped:
                # e.g. a list or a queue: it may answer, but never with the Beijing member in it.
                yield label, route, other, token, None, world.markers_of(other)
            else:
                yield label, route, other, token, {404}, world.secrets_of(other)
        if "member_no" in route.params and route.allows(ASSOCIATION_STAFF):
            # Beijing staff naming a Shanghai and an overseas member.
            for target in (world.shanghai, world.overseas):
                yield ("staff, member of another association", route, target, world.token(ASSOCIATION_STAFF, bj),
                       {404}, world.secrets_of(target))


def same_as_ghost(client: Any, route: Route, world: World, token: str | None, resp: Any) -> bool:
    """A refusal other than 404 is acceptable only when the request was refused before anything
    was looked up: a 4xx byte-identical to the answer for a member/resource that does not exist
    (so it reveals nothing and returns nothing)."""
    if not 400 <= resp.status_code < 500 or resp.status_code in (401, 403) or not route.params:
        return False
    ghost = call(client, route, fill(route, world, world.other, ghost=True), token)
    return (ghost.status_code, ghost.body) == (resp.status_code, resp.body)


def run_matrix(client: Any, world: World, routes: list[Route] = ROUTES) -> tuple[list[str], set[str]]:
    """Every case of the matrix: (problems found, member-number routes checked for 404)."""
    problems: list[str] = []
    covered_member_routes: set[str] = set()
    for label, route, target, token, allowed, secrets in matrix(world, routes):
        resp = call(client, route, fill(route, world, target), token)
        text = (resp.body or b"").decode("utf-8", "replace")
        where = f"{route} as {label}: {resp.status_code} {text[:160]!r}"
        if resp.status_code >= 500 and resp.status_code != 503:
            problems.append(f"crash: {where}")
        if any(s in text for s in secrets):
            problems.append(f"answer carries another member's data: {where}")
        if allowed is not None:
            if resp.status_code not in allowed and not same_as_ghost(client, route, world, token, resp):
                problems.append(f"expected {sorted(allowed)}: {where}")
            if "member_no" in route.params and allowed == {404}:
                covered_member_routes.add(str(route))
        elif label == "staff, same association" and _code(resp) == "MEMBER_NOT_FOUND":
            problems.append(f"in-scope staff refused as out of scope: {where}")
    return problems, covered_member_routes


def test_authorization_matrix(client, world):
    problems, covered = run_matrix(client, world)
    # Every staff route naming a member was called out of scope and had to answer 404.
    assert covered == {str(r) for r in ROUTES if "member_no" in r.params and not r.public
                       and (r.allows(ASSOCIATION_STAFF) or r.allows(NATIONAL_STAFF))}
    assert not problems, "\n".join(problems)


def test_matrix_catches_a_route_without_a_scope_check(client, world, monkeypatch):
    """The matrix can fail: with the scope rule switched off, out-of-scope calls get through."""
    from chalicelib.members import access

    reads = [r for r in ROUTES if r.method == "GET" and "member_no" in r.params and r.allows(ASSOCIATION_STAFF)]
    assert reads, "no staff route reads a member: the matrix check below would prove nothing"
    monkeypatch.setattr(access, "can_access", lambda principal, member: True)
    problems, _ = run_matrix(client, world, reads[:2])
    assert any(p.startswith("expected [404]") for p in problems), problems


def test_route_table_check_catches_unprotected_routes():
    for bad in (Route("GET", "/members/{member_no}/secret", "MISSING", True, ()),
                Route("GET", "/members/{member_no}/secret", None, False, ()),
                Route("POST", "/admin/things", None, False, ()),
                Route("GET", "/members/stats", ("association_staff",), False, ())):
        with pytest.raises(AssertionError):
            test_every_route_declares_who_may_call_it(bad)


def test_initial_password_token_is_refused_everywhere_else(client, world):
    problems = []
    personas = ((MEMBER, "110000", world.me.member_no), (ASSOCIATION_STAFF, "110000", ""),
                (NATIONAL_STAFF, "100000", ""))
    for route in ROUTES:
        if route.public:
            continue
        for role, assoc, member_no in personas:
            if not route.allows(role):
                continue
            token = world.token(role, assoc, member_no, mcp=True)
            resp = call(client, route, fill(route, world, world.me if role == MEMBER else world.other), token)
            exempt = (route.method, route.path) in INITIAL_PASSWORD_ROUTES
            refused = resp.status_code == 403 and _code(resp) == "PASSWORD_CHANGE_REQUIRED"
            if exempt == refused:
                problems.append(f"{route} as {role}: {resp.status_code} {_code(resp)} (exempt={exempt})")
            break
    assert not problems, "\n".join(problems)
