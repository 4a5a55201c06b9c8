"""The OpenAPI document is the contract: routes and spec agree."""
import re
import subprocess

from cluster import BIN, ROOT
from contract import SPEC, spec_operations


def server_routes():
    out = subprocess.run([BIN, "--list-routes"], check=True, capture_output=True, text=True)
    return {tuple(line.split(" ", 1)) for line in out.stdout.splitlines()}


def test_routes_and_spec_paths_are_the_same_set():
    routes = server_routes()
    spec = spec_operations()
    assert routes - spec == set(), "routes the spec does not describe"
    assert spec - routes == set(), "spec operations the server does not route"


def test_every_operation_documents_its_errors():
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            codes = set(op["responses"])
            assert any(c.startswith("2") for c in codes), (method, path)
            if op.get("security"):
                assert {"401", "403"} <= codes, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "415", "422"} <= codes, (method, path)
            if "{" in path:
                assert {"400", "404"} <= codes, (method, path)


def test_every_problem_type_is_documented():
    with open(f"{ROOT}/server/problem.c") as f:
        types = set(re.findall(r'"urn:samenmeten:problem:([a-z-]+)"', f.read()))
    description = SPEC["info"]["description"]
    for t in types:
        assert f"`{t}`" in description, f"problem type {t} is not in the spec"
