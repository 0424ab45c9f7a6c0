"""The runtime half of the generated models: type descriptors and JSON decoding.

`tools/gen_models.py` turns each schema of an OpenAPI document into a frozen
dataclass (a `Model`) and a table of `Field`s whose types are the descriptors
below. `Model.from_json` checks every value against its schema as it decodes:
types, required fields, enums, integer bounds and string patterns. A value that
does not fit raises `ModelError` naming where it is (`Account.bonds[0].amount`).

Fields the document does not list are kept in the model's `extra` (a newer
server may send more); with `strict=True` they are refused instead, which is
how the tests hold the documents to what the servers send.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from typing import Any, ClassVar, Mapping

from .errors import ModelError


class Type:
    """A JSON schema, as a decoder."""

    def decode(self, value: Any, where: str, strict: bool) -> Any:  # pragma: no cover
        raise NotImplementedError


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class Str(Type):
    """A string, optionally of a pattern or one of an enum."""

    def __init__(self, pattern: str | None = None, enum: tuple[str, ...] | None = None):
        self.pattern = re.compile(pattern) if pattern else None
        self.enum = enum

    def decode(self, value: Any, where: str, strict: bool) -> str:
        if not isinstance(value, str):
            raise ModelError(where, f"expected a string, found {_kind(value)}")
        if self.enum is not None and value not in self.enum:
            raise ModelError(where, f"{value!r} is not one of {list(self.enum)}")
        if self.pattern is not None and not self.pattern.search(value):
            raise ModelError(where, f"{value!r} does not match {self.pattern.pattern}")
        return value


class Int(Type):
    """An integer within optional bounds (booleans are not integers)."""

    def __init__(self, minimum: int | None = None, maximum: int | None = None):
        self.minimum = minimum
        self.maximum = maximum

    def decode(self, value: Any, where: str, strict: bool) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ModelError(where, f"expected an integer, found {_kind(value)}")
        if self.minimum is not None and value < self.minimum:
            raise ModelError(where, f"{value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ModelError(where, f"{value} is above the maximum {self.maximum}")
        return value


class Num(Type):
    """A number (an integer is one too)."""

    def decode(self, value: Any, where: str, strict: bool) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ModelError(where, f"expected a number, found {_kind(value)}")
        return float(value)


class Bool(Type):
    """A boolean."""

    def decode(self, value: Any, where: str, strict: bool) -> bool:
        if not isinstance(value, bool):
            raise ModelError(where, f"expected a boolean, found {_kind(value)}")
        return value


class AnyObj(Type):
    """An object the document leaves open (`type: object` without properties)."""

    def decode(self, value: Any, where: str, strict: bool) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ModelError(where, f"expected an object, found {_kind(value)}")
        return value


class AnyValue(Type):
    """Any JSON value (a schema with no type)."""

    def decode(self, value: Any, where: str, strict: bool) -> Any:
        return value


class Arr(Type):
    """An array of one item type, optionally of bounded length."""

    def __init__(self, item: Type, min_items: int | None = None, max_items: int | None = None):
        self.item = item
        self.min_items = min_items
        self.max_items = max_items

    def decode(self, value: Any, where: str, strict: bool) -> list[Any]:
        if not isinstance(value, list):
            raise ModelError(where, f"expected an array, found {_kind(value)}")
        if self.min_items is not None and len(value) < self.min_items:
            raise ModelError(where, f"{len(value)} items, fewer than {self.min_items}")
        if self.max_items is not None and len(value) > self.max_items:
            raise ModelError(where, f"{len(value)} items, more than {self.max_items}")
        return [self.item.decode(v, f"{where}[{i}]", strict) for i, v in enumerate(value)]


class Map(Type):
    """An object used as a map: any keys (some required), values of one type."""

    def __init__(self, value: Type, required: tuple[str, ...] = ()):
        self.value = value
        self.required = required

    def decode(self, value: Any, where: str, strict: bool) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ModelError(where, f"expected an object, found {_kind(value)}")
        for key in self.required:
            if key not in value:
                raise ModelError(where, f"required key {key!r} is missing")
        return {k: self.value.decode(v, f"{where}.{k}", strict) for k, v in value.items()}


class Nullable(Type):
    """`null` or a value of the inner type."""

    def __init__(self, inner: Type):
        self.inner = inner

    def decode(self, value: Any, where: str, strict: bool) -> Any:
        return None if value is None else self.inner.decode(value, where, strict)


class Obj(Type):
    """A generated model, named so that models may refer to each other in any order."""

    def __init__(self, module: str, name: str):
        self.module = module
        self.name = name

    @property
    def model(self) -> type[Model]:
        return getattr(sys.modules[self.module], self.name)

    def decode(self, value: Any, where: str, strict: bool) -> Model:
        return self.model._decode(value, where, strict)


class Union(Type):
    """One of several types (`oneOf`, `anyOf`): the first that decodes strictly,
    else the first that decodes at all."""

    def __init__(self, *options: Type):
        self.options = options

    def decode(self, value: Any, where: str, strict: bool) -> Any:
        errors = []
        for option in self.options:
            try:
                return option.decode(value, where, True)
            except ModelError as e:
                errors.append(e.problem)
        if not strict:
            for option in self.options:
                try:
                    return option.decode(value, where, False)
                except ModelError:
                    pass
        raise ModelError(where, "matches none of its schemas: " + "; ".join(errors))


@dataclasses.dataclass(frozen=True)
class Field:
    """One property of a model: its JSON name, attribute, type and whether required."""

    json: str
    attr: str
    type: Type
    required: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class Model:
    """Base of every generated model: a frozen dataclass decoded from JSON."""

    #: Fields the document does not list (refused under `strict`).
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    _fields: ClassVar[tuple[Field, ...]] = ()

    @classmethod
    def from_json(cls, value: Any, *, strict: bool = False):
        """Decodes `value` (parsed JSON), checking it against the schema."""
        return cls._decode(value, cls.__name__, strict)

    @classmethod
    def _decode(cls, value: Any, where: str, strict: bool):
        if not isinstance(value, dict):
            raise ModelError(where, f"expected an object, found {_kind(value)}")
        args: dict[str, Any] = {}
        known = set()
        for f in cls._fields:
            known.add(f.json)
            if f.json in value:
                args[f.attr] = f.type.decode(value[f.json], f"{where}.{f.json}", strict)
            elif f.required:
                raise ModelError(where, f"required field {f.json!r} is missing")
        extra = {k: v for k, v in value.items() if k not in known}
        if extra and strict:
            raise ModelError(where, f"fields the document does not list: {sorted(extra)}")
        return cls(extra=extra, **args)


def decode(t: Type, value: Any, where: str, *, strict: bool = False) -> Any:
    """Decodes `value` as `t` (a route's response type)."""
    return t.decode(value, where, strict)
