#!/usr/bin/env python3
"""Generates the typed models of the node's and the oracle's HTTP APIs from their
OpenAPI documents (`crates/node/openapi.yaml`, `crates/oracle/openapi.yaml`).

    python3 clients/python/tools/gen_models.py           # rewrites plinth/{node,oracle}_models.py
    python3 clients/python/tools/gen_models.py --check   # fails if they differ from a fresh run

Each object schema becomes a frozen dataclass (a `plinth._schema.Model`) with a
table of typed fields that `from_json` checks values against. Names:

- a component schema keeps its name (`Account`, `Device`, `Manifest`);
- an object inside another takes its parent's name and its property's
  (`Account.unbonding`'s items are `AccountUnbonding`);
- a response defined in place takes its path's fixed words, and `Response`
  for an object or `Item` for an array's items (`GET /v1/supply/epochs` →
  `SupplyEpochsItem`, `POST /v1/reports` → `ReportsResponse`);
- the variants of a `oneOf` take the value of the property that tells them
  apart (`StakeTarget` → `StakeTargetDevice | StakeTargetValidator`).

`ROUTES` maps each `(method, path)` with a JSON success answer to the type of
that answer; the clients decode through it, so a client method cannot use
another model than the document gives its route. Two schemas that would get
the same name stop the generator.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "plinth"
REPO = HERE.parents[2]
APIS = {
    "node": REPO / "crates/node/openapi.yaml",
    "oracle": REPO / "crates/oracle/openapi.yaml",
}


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans only: `yes`, `no`, `on`, `off` stay strings (the
    governance tally has properties named `yes` and `no`)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false|True|False|TRUE|FALSE)$"), list("tTfF")
)


def load(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_Loader)


def camel(text: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", text) if p)


def attr_name(name: str) -> str:
    a = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if keyword.iskeyword(a) or a in ("extra",):
        a += "_"
    return a


def path_name(path: str) -> str:
    words = [s for s in path.strip("/").split("/") if s != "v1" and not s.startswith("{")]
    return camel(" ".join(words)) or "Root"


def doc_text(text: str | None) -> str:
    if not text:
        return ""
    return " ".join(text.split()).replace("\\", "\\\\").replace('"""', "'''")


class Generator:
    """Walks one document's schemas and writes its module."""

    def __init__(self, api: str, spec: dict):
        self.api = api
        self.spec = spec
        self.module = f"plinth.{api}_models"
        self.components = spec.get("components", {}).get("schemas", {})
        # name -> (description, [(json, attr, descriptor, annotation, required, description)])
        self.classes: dict[str, tuple[str, list[tuple]]] = {}
        self.origins: dict[str, str] = {}
        self.aliases: dict[str, tuple[str, str]] = {}  # name -> (annotation, descriptor)
        self.routes: list[tuple[str, str, str, str]] = []

    # -- schemas --------------------------------------------------------------

    def resolve(self, schema: dict) -> tuple[str | None, dict]:
        ref = schema.get("$ref")
        if ref is None:
            return None, schema
        name = ref.rsplit("/", 1)[-1]
        return name, self.components[name]

    def merged(self, schema: dict) -> dict:
        """An `allOf` of objects as one object."""
        required: list[str] = list(schema.get("required", []))
        props: dict = dict(schema.get("properties", {}))
        for part in schema["allOf"]:
            _, p = self.resolve(part)
            if "allOf" in p:
                p = self.merged(p)
            required += [r for r in p.get("required", []) if r not in required]
            props.update(p.get("properties", {}))
        out = {k: v for k, v in schema.items() if k != "allOf"}
        out.update(type="object", properties=props, required=required)
        return out

    def define(self, name: str, schema: dict, origin: str) -> None:
        if name in self.origins:
            if self.origins[name] != origin:
                raise SystemExit(
                    f"{self.api}: two schemas named {name}: {self.origins[name]} and {origin}"
                )
            return
        self.origins[name] = origin
        self.classes[name] = ("", [])  # reserve (recursion)
        required = set(schema.get("required", []))
        fields = []
        for prop, sub in schema.get("properties", {}).items():
            desc, ann = self.type_of(sub, name + camel(prop), f"{origin}.{prop}")
            if prop not in required and not ann.endswith("| None"):
                ann += " | None"
            _, resolved = self.resolve(sub)
            about = sub.get("description") or resolved.get("description")
            fields.append((prop, attr_name(prop), desc, ann, prop in required, about))
        self.classes[name] = (schema.get("description", ""), fields)

    def type_of(self, schema: dict, name: str, origin: str) -> tuple[str, str]:
        """The descriptor expression and the annotation of a schema."""
        ref, s = self.resolve(schema)
        nullable = bool(schema.get("nullable") or (ref is None and s.get("nullable")))
        if ref is None and "allOf" in s and len(s["allOf"]) == 1:
            desc, ann = self.type_of(s["allOf"][0], name, origin)
        elif ref is not None and (s.get("type") == "object" or "allOf" in s or "oneOf" in s):
            desc, ann = self.type_of(s, ref, f"#/components/schemas/{ref}")
        elif "allOf" in s:
            desc, ann = self.type_of(self.merged(s), name, origin)
        elif "oneOf" in s or "anyOf" in s:
            descs, anns = [], []
            for i, option in enumerate(s.get("oneOf") or s.get("anyOf")):
                tag = self.variant_tag(option) or str(i + 1)
                d, a = self.type_of(option, name + camel(tag), f"{origin}/{tag}")
                descs.append(d)
                anns.append(a)
            desc, ann = f"Union({', '.join(descs)})", " | ".join(dict.fromkeys(anns))
            if "oneOf" in s and ref is not None:
                self.aliases[ref] = (ann, desc)
        else:
            desc, ann = self.simple(s, name, origin)
        if nullable and not ann.endswith("| None"):
            desc, ann = f"Nullable({desc})", f"{ann} | None"
        return desc, ann

    def variant_tag(self, option: dict) -> str | None:
        _, s = self.resolve(option)
        for prop, sub in s.get("properties", {}).items():
            if len(sub.get("enum", [])) == 1 and prop in s.get("required", []):
                return str(sub["enum"][0])
        return None

    def simple(self, s: dict, name: str, origin: str) -> tuple[str, str]:
        t = s.get("type")
        if t == "string":
            args = []
            if "pattern" in s:
                args.append(f"pattern={s['pattern']!r}")
            if "enum" in s:
                args.append(f"enum={tuple(str(e) for e in s['enum'])!r}")
            ann = "str"
            if "enum" in s:
                ann = "Literal[" + ", ".join(repr(str(e)) for e in s["enum"]) + "]"
            return f"Str({', '.join(args)})", ann
        if t == "integer":
            args = []
            if "minimum" in s:
                args.append(f"minimum={s['minimum']}")
            if "maximum" in s:
                args.append(f"maximum={s['maximum']}")
            return f"Int({', '.join(args)})", "int"
        if t == "number":
            return "Num()", "float"
        if t == "boolean":
            return "Bool()", "bool"
        if t == "array":
            d, a = self.type_of(s.get("items", {}), name, origin + "[]")
            args = [d]
            if "minItems" in s:
                args.append(f"min_items={s['minItems']}")
            if "maxItems" in s:
                args.append(f"max_items={s['maxItems']}")
            return f"Arr({', '.join(args)})", f"list[{a}]"
        if t == "object" or "properties" in s:
            if s.get("properties"):
                self.define(name, s, origin)
                return f"Obj(_M, {name!r})", name
            extra = s.get("additionalProperties")
            if isinstance(extra, dict):
                d, a = self.type_of(extra, name, origin + "{}")
                req = tuple(s.get("required", []))
                return (f"Map({d}, required={req!r})" if req else f"Map({d})"), f"dict[str, {a}]"
            return "AnyObj()", "dict[str, Any]"
        return "AnyValue()", "Any"

    # -- routes ---------------------------------------------------------------

    def walk(self) -> None:
        for name, schema in self.components.items():
            if schema.get("type") == "object" and schema.get("properties"):
                self.define(name, schema, f"#/components/schemas/{name}")
            elif "allOf" in schema:
                self.define(name, self.merged(schema), f"#/components/schemas/{name}")
            elif "oneOf" in schema:
                self.type_of({"$ref": f"#/components/schemas/{name}"}, name, name)
        for path, ops in self.spec["paths"].items():
            for method, op in ops.items():
                for status, resp in op.get("responses", {}).items():
                    if not status.startswith("2"):
                        continue
                    schema = resp.get("content", {}).get("application/json", {}).get("schema")
                    if schema is None:
                        continue
                    _, s = self.resolve(schema)
                    base = path_name(path)
                    suffix = "Item" if s.get("type") == "array" else "Response"
                    desc, ann = self.type_of(schema, base + suffix, f"{method.upper()} {path}")
                    self.routes.append((method.upper(), path, desc, ann))

    # -- output ---------------------------------------------------------------

    def render(self) -> str:
        self.walk()
        info = self.spec["info"]
        source = APIS[self.api].relative_to(REPO)
        out = [
            f'"""Typed models of the {info["title"]} (version {info["version"]}).',
            "",
            f"Generated from `{source}` by `clients/python/tools/gen_models.py`;",
            "do not edit (run it again after changing the document).",
            '"""',
            "",
            "# fmt: off",
            "from __future__ import annotations",
            "",
            "from dataclasses import dataclass",
            "from typing import Any, Literal",
            "",
            "from ._schema import (  # noqa: F401",
            "    AnyObj, AnyValue, Arr, Bool, Field, Int, Map, Model, Nullable, Num, Obj, Str, Type, Union,",
            ")",
            "",
            f"_M = {self.module!r}",
            "",
        ]
        names = sorted(self.classes)
        for name in names:
            about, fields = self.classes[name]
            out += ["", "@dataclass(frozen=True, kw_only=True)", f"class {name}(Model):"]
            text = doc_text(about) or f"`{self.origins[name]}`."
            out.append(f'    """{text}"""')
            out.append("")
            ordered = [f for f in fields if f[4]] + [f for f in fields if not f[4]]
            for json_name, attr, _desc, ann, required, about in ordered:
                line = f"    {attr}: {ann}" + ("" if required else " = None")
                out.append(line)
                if about:
                    out.append(f'    """{doc_text(about)}"""')
            if not fields:
                out.append("    pass")
            out.append("")
        for alias in sorted(self.aliases):
            ann, _ = self.aliases[alias]
            out += ["", f"{alias} = {ann}", f'"""`#/components/schemas/{alias}`: one of its variants."""']
        out += ["", "", "# The fields of each model: JSON name, attribute, type, required."]
        for name in names:
            _, fields = self.classes[name]
            out.append(f"{name}._fields = (")
            for json_name, attr, desc, _ann, required, _about in fields:
                out.append(f"    Field({json_name!r}, {attr!r}, {desc}, {required}),")
            out.append(")")
        out += [
            "",
            "#: The type of each route's JSON success answer, by (method, path).",
            "ROUTES: dict[tuple[str, str], Type] = {",
        ]
        for method, path, desc, _ann in self.routes:
            out.append(f"    ({method!r}, {path!r}): {desc},")
        out += ["}", "", "#: The annotation of each route's answer (what the client methods return).", "ROUTE_TYPES: dict[tuple[str, str], str] = {"]
        for method, path, _desc, ann in self.routes:
            out.append(f"    ({method!r}, {path!r}): {ann!r},")
        out += ["}", ""]
        return "\n".join(out)


def generate(api: str) -> str:
    """The module text for `api` (`node` or `oracle`)."""
    return Generator(api, load(APIS[api])).render()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed models differ")
    args = parser.parse_args()
    stale = []
    for api in APIS:
        target = PACKAGE / f"{api}_models.py"
        text = generate(api)
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target))
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if stale:
        print(
            "out of date with the OpenAPI documents: " + ", ".join(stale)
            + "\nrun python3 clients/python/tools/gen_models.py and commit the result",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
