"""The contract holds only keys its readers know: every schema object only JSON Schema
2020-12 and OpenAPI 3.1 keywords, every other OpenAPI object only its own fields.

jsonschema ignores keywords it does not know, so a YAML slip such as
`{type: number, description: Air temperature, degC.}` (a flow mapping: the comma
ends the description and makes a key `degC.`) passes the response checks of
contract.py and only shows up in other tools. These checks need no server, except
the last one, which backs the 400 the operations routes list."""
import re

import yaml

from contract import SPEC, SPEC_PATH

# JSON Schema 2020-12, every vocabulary (core, applicator, unevaluated, validation,
# meta-data, format, content), plus the OpenAPI 3.1 base vocabulary.
SCHEMA_KEYWORDS = {
    "$schema", "$id", "$anchor", "$dynamicAnchor", "$dynamicRef", "$ref", "$defs",
    "$comment", "$vocabulary",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas",
    "prefixItems", "items", "contains", "properties", "patternProperties",
    "additionalProperties", "propertyNames", "unevaluatedItems", "unevaluatedProperties",
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
    "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties",
    "required", "dependentRequired",
    "format", "contentEncoding", "contentMediaType", "contentSchema",
    "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
    "discriminator", "xml", "externalDocs", "example",
}
# Keywords whose value is one schema, a list of schemas, or a map of names to schemas.
SUBSCHEMA = {"not", "if", "then", "else", "items", "contains", "additionalProperties",
             "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
SUBSCHEMA_LIST = {"allOf", "anyOf", "oneOf", "prefixItems"}
SUBSCHEMA_MAP = {"properties", "patternProperties", "$defs", "dependentSchemas"}
# Keywords with a value of one JSON type.
STRING_KEYWORDS = {"$schema", "$id", "$anchor", "$dynamicAnchor", "$dynamicRef", "$ref",
                   "$comment", "format", "pattern", "title", "description",
                   "contentEncoding", "contentMediaType"}
NUMBER_KEYWORDS = {"multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"}
COUNT_KEYWORDS = {"maxLength", "minLength", "maxItems", "minItems", "maxContains",
                  "minContains", "maxProperties", "minProperties"}
BOOL_KEYWORDS = {"uniqueItems", "deprecated", "readOnly", "writeOnly"}
JSON_TYPES = {"null", "boolean", "object", "array", "number", "string", "integer"}

# OpenAPI 3.1 objects: their fixed fields.
OBJECT_FIELDS = {
    "OpenAPI": {"openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks",
                "components", "security", "tags", "externalDocs"},
    "Info": {"title", "summary", "description", "termsOfService", "contact", "license",
             "version"},
    "Contact": {"name", "url", "email"},
    "License": {"name", "identifier", "url"},
    "Server": {"url", "description", "variables"},
    "ServerVariable": {"enum", "default", "description"},
    "Components": {"schemas", "responses", "parameters", "examples", "requestBodies",
                   "headers", "securitySchemes", "links", "callbacks", "pathItems"},
    "PathItem": {"$ref", "summary", "description", "get", "put", "post", "delete",
                 "options", "head", "patch", "trace", "servers", "parameters"},
    "Operation": {"tags", "summary", "description", "externalDocs", "operationId",
                  "parameters", "requestBody", "responses", "callbacks", "deprecated",
                  "security", "servers"},
    "ExternalDocs": {"description", "url"},
    "Parameter": {"name", "in", "description", "required", "deprecated", "allowEmptyValue",
                  "style", "explode", "allowReserved", "schema", "example", "examples",
                  "content"},
    "Header": {"description", "required", "deprecated", "allowEmptyValue", "style",
               "explode", "allowReserved", "schema", "example", "examples", "content"},
    "RequestBody": {"description", "content", "required"},
    "MediaType": {"schema", "example", "examples", "encoding"},
    "Encoding": {"contentType", "headers", "style", "explode", "allowReserved"},
    "Response": {"description", "headers", "content", "links"},
    "Example": {"summary", "description", "value", "externalValue"},
    "Link": {"operationRef", "operationId", "parameters", "requestBody", "description",
             "server"},
    "Tag": {"name", "description", "externalDocs"},
    "SecurityScheme": {"type", "description", "name", "in", "scheme", "bearerFormat",
                       "flows", "openIdConnectUrl"},
    "OAuthFlows": {"implicit", "password", "clientCredentials", "authorizationCode"},
    "OAuthFlow": {"authorizationUrl", "tokenUrl", "refreshUrl", "scopes"},
    "Discriminator": {"propertyName", "mapping"},
    "XML": {"name", "namespace", "prefix", "attribute", "wrapped"},
}
REFERENCE_FIELDS = {"$ref", "summary", "description"}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
STATUS = re.compile(r"^([1-5][0-9][0-9]|[1-5]XX|default)$")
PARAMETER_IN = {"query", "header", "path", "cookie"}
MEDIA_TYPE = re.compile(r"^[\w.+*-]+/[\w.+*-]+$")


def jp(path, key):
    """The JSON pointer of `key` under `path`."""
    return f"{path}/" + str(key).replace("~", "~0").replace("/", "~1")


def extension(key):
    return isinstance(key, str) and key.startswith("x-")


class Walker:
    """Collects every problem as 'json/pointer: reason'."""

    def __init__(self, spec):
        self.spec = spec
        self.problems = []

    def bad(self, path, reason):
        self.problems.append(f"{path or '/'}: {reason}")

    # -- JSON Schema -------------------------------------------------------------

    def schema(self, node, path):
        if isinstance(node, bool):
            return
        if not isinstance(node, dict):
            self.bad(path, f"a schema must be an object or a boolean, not {node!r}")
            return
        for key, value in node.items():
            at = jp(path, key)
            if extension(key):
                continue
            if key == "nullable":
                self.bad(at, "`nullable` is OpenAPI 3.0; in 3.1 write type: [T, 'null']")
                continue
            if key not in SCHEMA_KEYWORDS:
                self.bad(at, f"{key!r} is not a JSON Schema 2020-12 or OpenAPI 3.1 keyword")
                continue
            self.keyword_value(key, value, at)
            if key in SUBSCHEMA:
                self.schema(value, at)
            elif key in SUBSCHEMA_LIST:
                if isinstance(value, list) and value:
                    for i, sub in enumerate(value):
                        self.schema(sub, f"{at}/{i}")
                else:
                    self.bad(at, "must be a non-empty list of schemas")
            elif key in SUBSCHEMA_MAP:
                if isinstance(value, dict):
                    for name, sub in value.items():
                        self.schema(sub, jp(at, name))
                else:
                    self.bad(at, "must be a map of schemas")
            elif key == "discriminator":
                self.fields("Discriminator", value, at)
            elif key == "xml":
                self.fields("XML", value, at)
            elif key == "externalDocs":
                self.fields("ExternalDocs", value, at)

    def keyword_value(self, key, value, at):
        if key in STRING_KEYWORDS and not isinstance(value, str):
            self.bad(at, f"must be a string, not {value!r}")
        elif key in NUMBER_KEYWORDS and (isinstance(value, bool)
                                         or not isinstance(value, (int, float))):
            self.bad(at, f"must be a number, not {value!r}")
        elif key in COUNT_KEYWORDS and (isinstance(value, bool) or not isinstance(value, int)
                                        or value < 0):
            self.bad(at, f"must be a non-negative integer, not {value!r}")
        elif key in BOOL_KEYWORDS and not isinstance(value, bool):
            self.bad(at, f"must be true or false, not {value!r}")
        elif key == "type":
            types = value if isinstance(value, list) else [value]
            if not types or any(t not in JSON_TYPES for t in types):
                self.bad(at, f"{value!r} is not a JSON type or a list of them")
        elif key == "required" and not (isinstance(value, list)
                                        and all(isinstance(v, str) for v in value)):
            self.bad(at, f"must be a list of property names, not {value!r}")
        elif key in ("enum", "examples") and not isinstance(value, list):
            self.bad(at, f"must be a list, not {value!r}")
        elif key == "pattern" and isinstance(value, str):
            try:
                re.compile(value)
            except re.error as e:
                self.bad(at, f"not a regular expression: {e}")

    # -- OpenAPI objects ---------------------------------------------------------

    def fields(self, kind, node, path):
        """Checks that `node` is an object with only the fields of `kind`; true if so."""
        if not isinstance(node, dict):
            self.bad(path, f"a {kind} object must be a map, not {node!r}")
            return False
        for key in node:
            if key not in OBJECT_FIELDS[kind] and not extension(key):
                self.bad(jp(path, key), f"{key!r} is not a field of an OpenAPI {kind} object")
        return True

    def ref_or(self, kind, node, path, then=None):
        """A Reference object, or a `kind` object that `then` walks further."""
        if isinstance(node, dict) and "$ref" in node:
            for key in node:
                if key not in REFERENCE_FIELDS:
                    self.bad(jp(path, key), f"{key!r} is not a field of a Reference object")
            return
        if self.fields(kind, node, path) and then:
            then(node, path)

    def each(self, node, path, fn):
        if node is None:
            return
        if not isinstance(node, dict):
            self.bad(path, f"must be a map, not {node!r}")
            return
        for name, value in node.items():
            if not extension(name):
                fn(value, jp(path, name))

    def parameter(self, node, path, header=False):
        def walk(p, at):
            if not header:
                for key in ("name", "in"):
                    if not isinstance(p.get(key), str):
                        self.bad(f"{at}/{key}", "a parameter needs a name and an `in`")
                if p.get("in") not in PARAMETER_IN:
                    self.bad(f"{at}/in", f"{p.get('in')!r} is not one of {sorted(PARAMETER_IN)}")
            if not isinstance(p.get("description", ""), str):
                self.bad(f"{at}/description", "must be a string")
            if ("schema" in p) == ("content" in p):
                self.bad(at, "needs exactly one of `schema` and `content`")
            if "schema" in p:
                self.schema(p["schema"], f"{at}/schema")
            self.content(p.get("content"), f"{at}/content")
        self.ref_or("Header" if header else "Parameter", node, path, walk)

    def parameters(self, node, path):
        if node is None:
            return
        if not isinstance(node, list):
            self.bad(path, "must be a list")
            return
        for i, p in enumerate(node):
            self.parameter(p, f"{path}/{i}")

    def header(self, node, path):
        self.parameter(node, path, header=True)

    def content(self, node, path):
        """A map of media types (or ranges) to Media Type objects."""
        if node is None:
            return
        if not isinstance(node, dict):
            self.bad(path, f"must be a map of media types, not {node!r}")
            return
        for name, media in node.items():
            at = jp(path, name)
            if not MEDIA_TYPE.match(str(name)):
                self.bad(at, "not a media type")
            if not self.fields("MediaType", media, at):
                continue
            if "schema" in media:
                self.schema(media["schema"], f"{at}/schema")
            self.each(media.get("examples"), f"{at}/examples", self.example)
            self.each(media.get("encoding"), f"{at}/encoding", self.encoding)

    def encoding(self, node, path):
        if self.fields("Encoding", node, path):
            self.each(node.get("headers"), f"{path}/headers", self.header)

    def example(self, node, path):
        self.ref_or("Example", node, path)

    def request_body(self, node, path):
        self.ref_or("RequestBody", node, path,
                    lambda b, at: self.content(b.get("content"), f"{at}/content"))

    def response(self, node, path):
        def walk(r, at):
            if not isinstance(r.get("description"), str):
                self.bad(f"{at}/description", "a response needs a description")
            self.each(r.get("headers"), f"{at}/headers", self.header)
            self.content(r.get("content"), f"{at}/content")
            self.each(r.get("links"), f"{at}/links", lambda n, a: self.ref_or("Link", n, a))
        self.ref_or("Response", node, path, walk)

    def operation(self, node, path):
        def walk(op, at):
            self.parameters(op.get("parameters"), f"{at}/parameters")
            if "requestBody" in op:
                self.request_body(op["requestBody"], f"{at}/requestBody")
            responses = op.get("responses")
            if not isinstance(responses, dict) or not responses:
                self.bad(f"{at}/responses", "an operation needs responses")
                return
            for code, r in responses.items():
                if extension(code):
                    continue
                if not STATUS.match(str(code)):
                    self.bad(f"{at}/responses/{code}", "not a status code")
                self.response(r, f"{at}/responses/{code}")
            self.security(op.get("security"), f"{at}/security")
            if "externalDocs" in op:
                self.fields("ExternalDocs", op["externalDocs"], f"{at}/externalDocs")
        if self.fields("Operation", node, path):
            walk(node, path)

    def path_item(self, node, path):
        def walk(item, at):
            self.parameters(item.get("parameters"), f"{at}/parameters")
            for method in METHODS & set(item):
                self.operation(item[method], f"{at}/{method}")
        if self.fields("PathItem", node, path) and "$ref" not in node:
            walk(node, path)

    def security(self, node, path):
        if node is None:
            return
        schemes = self.spec.get("components", {}).get("securitySchemes", {})
        if not isinstance(node, list):
            self.bad(path, "must be a list of security requirements")
            return
        for i, req in enumerate(node):
            if not isinstance(req, dict):
                self.bad(f"{path}/{i}", "a security requirement must be a map")
                continue
            for name, scopes in req.items():
                if name not in schemes:
                    self.bad(jp(f"{path}/{i}", name), "names no security scheme")
                if not isinstance(scopes, list):
                    self.bad(jp(f"{path}/{i}", name), "must be a list of scopes")

    def document(self):
        spec = self.spec
        self.fields("OpenAPI", spec, "")
        if self.fields("Info", spec.get("info"), "/info"):
            for kind, key in (("Contact", "contact"), ("License", "license")):
                if key in spec["info"]:
                    self.fields(kind, spec["info"][key], f"/info/{key}")
        for i, server in enumerate(spec.get("servers", [])):
            if self.fields("Server", server, f"/servers/{i}"):
                self.each(server.get("variables"), f"/servers/{i}/variables",
                          lambda v, a: self.fields("ServerVariable", v, a))
        for i, tag in enumerate(spec.get("tags", [])):
            self.fields("Tag", tag, f"/tags/{i}")
        if "externalDocs" in spec:
            self.fields("ExternalDocs", spec["externalDocs"], "/externalDocs")
        self.security(spec.get("security"), "/security")
        for name, item in spec.get("paths", {}).items():
            if not extension(name):
                self.path_item(item, jp("/paths", name))
        self.each(spec.get("webhooks"), "/webhooks", self.path_item)
        comp = spec.get("components", {})
        if not self.fields("Components", comp, "/components"):
            return
        self.each(comp.get("schemas"), "/components/schemas", self.schema)
        self.each(comp.get("parameters"), "/components/parameters", self.parameter)
        self.each(comp.get("headers"), "/components/headers", self.header)
        self.each(comp.get("requestBodies"), "/components/requestBodies", self.request_body)
        self.each(comp.get("responses"), "/components/responses", self.response)
        self.each(comp.get("examples"), "/components/examples", self.example)
        self.each(comp.get("links"), "/components/links", lambda n, a: self.ref_or("Link", n, a))
        self.each(comp.get("pathItems"), "/components/pathItems", self.path_item)
        self.each(comp.get("securitySchemes"), "/components/securitySchemes",
                  lambda n, a: self.ref_or("SecurityScheme", n, a))


def problems(spec):
    w = Walker(spec)
    w.document()
    return w.problems


def refs(node, path=""):
    """(pointer, target) of every $ref in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            elif key not in ("example", "examples", "enum", "const", "default"):
                yield from refs(value, jp(path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from refs(value, f"{path}/{i}")


def resolve(spec, ref):
    if not ref.startswith("#/"):
        return False
    node = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def test_every_object_holds_only_known_keywords():
    found = problems(SPEC)
    assert found == [], "\n".join(found)


def test_every_ref_resolves_inside_the_document():
    broken = [f"{at}: {ref}" for at, ref in refs(SPEC) if not resolve(SPEC, ref)]
    assert broken == [], "\n".join(broken)


def test_no_duplicate_keys_and_no_keys_without_values_in_flow_mappings():
    """YAML loaders keep the last of two equal keys; a flow mapping's unquoted comma
    leaves a key with no value (the text after the comma)."""
    found = []

    def walk(node):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for k, v in node.value:
                line = k.start_mark.line + 1
                if k.value in seen:
                    found.append(f"line {line}: key {k.value!r} appears twice")
                seen.add(k.value)
                if (node.flow_style and isinstance(v, yaml.ScalarNode)
                        and v.tag == "tag:yaml.org,2002:null" and v.value == ""):
                    found.append(f"line {line}: key {k.value!r} has no value "
                                 "(an unquoted comma in a flow mapping?)")
                walk(v)
        elif isinstance(node, yaml.SequenceNode):
            for child in node.value:
                walk(child)

    with open(SPEC_PATH) as f:
        walk(yaml.compose(f))
    assert found == [], "\n".join(found)


def test_the_walker_finds_the_slips_it_is_for():
    """The checks above pass on the real document; here each slip is made once."""
    slip = yaml.safe_load("""
openapi: 3.1.0
info: {title: t, version: '1', summry: typo}
paths:
  /a:
    get:
      parameters:
        - {name: q, in: query, schema: {type: string}, description: A, B.}
        - {name: r, in: body, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  t: {type: number, description: Air temperature, degC.}
                  n: {type: string, nullable: true}
                  i: {type: array, items: {type: strng}}
                  o: {allOf: [{minimum: '3'}]}
                  p: {required: true}
        '2xx': {description: lower case}
components:
  schemas:
    S: {additionalProperties: {oneOf: [{type: string, maxLenght: 3}]}}
""")
    found = "\n".join(problems(slip))
    for expected in [
        "/info/summry: 'summry' is not a field of an OpenAPI Info object",
        "/paths/~1a/get/parameters/0/B.: 'B.' is not a field of an OpenAPI Parameter object",
        "/paths/~1a/get/parameters/1/in: 'body' is not one of",
        "/properties/t/degC.: 'degC.' is not a JSON Schema 2020-12 or OpenAPI 3.1 keyword",
        "/properties/n/nullable: `nullable` is OpenAPI 3.0",
        "/properties/i/items/type: 'strng' is not a JSON type",
        "/properties/o/allOf/0/minimum: must be a number",
        "/properties/p/required: must be a list of property names",
        "/responses/2xx: not a status code",
        "/components/schemas/S/additionalProperties/oneOf/0/maxLenght: 'maxLenght' is not",
    ]:
        assert expected in found, f"{expected!r} not found in:\n{found}"


def test_operations_routes_answer_the_400_they_list(anon):
    """The spec lists a 400 for /healthz, /readyz and /metrics: more query parameters
    than the server keeps is one (the client checks the answer against the spec)."""
    query = "&".join(f"p{i}=1" for i in range(40))
    for path in ("/healthz", "/readyz", "/metrics"):
        r = anon.get(f"{path}?{query}")
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert "query parameters" in r.json()["detail"], r.text
