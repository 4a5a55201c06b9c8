"""The OpenAPI document as a test oracle: every response a test receives is checked
against the operation the spec gives for its path, method and status."""
import os
import re

import jsonschema
import requests
import yaml

from cluster import ROOT

SPEC_PATH = os.path.join(ROOT, "api", "openapi.yaml")

with open(SPEC_PATH) as f:
    SPEC = yaml.safe_load(f)

_resolver = jsonschema.RefResolver(base_uri="", referrer=SPEC)


def _template_regex(template):
    # "/v1/projects/{slug}" -> ^/v1/projects/[^/]+$
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


_TEMPLATES = [(t, _template_regex(t)) for t in SPEC["paths"]]


def spec_operations():
    """{(METHOD, path template)} the spec describes."""
    ops = set()
    for path, item in SPEC["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                ops.add((method.upper(), path))
    return ops


def _deref(node):
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        _, node = _resolver.resolve(node["$ref"])
    return node


def find_template(path):
    matches = [t for t, rx in _TEMPLATES if rx.match(path)]
    # Prefer literal segments over parameters.
    matches.sort(key=lambda t: t.count("{"))
    return matches[0] if matches else None


def check(response):
    """Asserts that `response` is one the spec allows. Returns the response."""
    req = response.request
    path = requests.utils.urlparse(req.url).path
    method = req.method.lower()
    if method == "head":
        method = "get"
    template = find_template(path)
    if method == "options" and response.status_code == 204:
        # A CORS preflight, which the spec's introduction describes: open data only.
        assert template is not None and "get" in SPEC["paths"][template], path
        assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
        return response
    if template is None or method not in SPEC["paths"][template]:
        # Routing errors are answered for any path; they must be problems.
        assert response.status_code in (404, 405), (path, method, response.status_code)
        _check_problem(response)
        return response
    op = SPEC["paths"][template][method]
    status = str(response.status_code)
    assert status in op["responses"], \
        f"{req.method} {template} answered {status}, which the spec does not list"
    spec_resp = _deref(op["responses"][status])
    if "content" not in spec_resp:  # 304, or an early 413
        assert not response.content or response.status_code == 413, response.content[:200]
        return response
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip()
    content = spec_resp.get("content", {})
    assert ctype in content, f"{req.method} {template} {status}: content type {ctype!r} not in spec"
    if req.method == "HEAD":
        return response
    schema = content[ctype].get("schema")
    # Bodies the spec describes as plain text (CSV, NDJSON, streamed GeoJSON) are
    # checked by the tests that read them.
    if schema and ctype.endswith("json") and schema.get("type") != "string":
        validator = jsonschema.Draft202012Validator(
            schema, resolver=_resolver, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        validator.validate(response.json())
    return response


def _check_problem(response):
    assert response.headers["Content-Type"].startswith("application/problem+json")
    jsonschema.Draft202012Validator(
        SPEC["components"]["schemas"]["Problem"], resolver=_resolver).validate(response.json())


class Client:
    """requests, with every answer checked against the contract."""

    def __init__(self, base, token=None):
        self.base = base
        self.session = requests.Session()
        self.token = token

    def request(self, method, path, token=..., **kw):
        headers = dict(kw.pop("headers", {}))  # never the caller's dict
        token = self.token if token is ... else token
        if token:
            headers.setdefault("Authorization", f"Bearer {token}")
        resp = self.session.request(method, self.base + path, headers=headers, timeout=30, **kw)
        return check(resp)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)
