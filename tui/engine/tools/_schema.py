"""A tiny validator for the JSON-schema subset the tool schemas use.

The tool's schema is the single source of truth: what the model is shown is
what its input is checked against. Supported keywords: `type` (one name or a
list), `required`, `properties`, `items`, `enum`, `minimum`, `maxItems`.
Unknown properties are allowed (models send extra keys; tools ignore them).
"""

from __future__ import annotations

import copy
from typing import Any

from tui.engine.tools.base import ToolInputError

MAX_ARRAY_ITEMS = 200

FILE_PATH: dict[str, Any] = {"type": "string", "description": "Absolute path, or relative to the workspace root."}
"""The `filePath` property every file tool shares."""
"""Arrays longer than this are refused unless the schema sets its own `maxItems`."""

_JSON_TYPES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}


def validate(value: Any, schema: dict[str, Any], where: str = "") -> None:
    """Check `value` against `schema`.

    Raises:
        ToolInputError: naming the field (e.g. `replacements[1].filePath`) and what was expected.
    """
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(value, t) for t in allowed):
            expected = " or ".join(_JSON_TYPES.get(t, t) for t in allowed)
            raise ToolInputError(f"{_name(where)} must be {expected}, got {describe(value)}")
    if "enum" in schema and value not in schema["enum"]:
        options = ", ".join(repr(v) for v in schema["enum"])
        raise ToolInputError(f"{_name(where)} must be one of {options}, got {describe(value)}")
    if "minimum" in schema and _is_type(value, "number") and value < schema["minimum"]:
        raise ToolInputError(f"{_name(where)} must be at least {schema['minimum']}, got {value}")
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value or value[key] is None:
                raise ToolInputError(f"{_name(_join(where, key))} is required")
        for key, sub in schema.get("properties", {}).items():
            if key in value and value[key] is not None:
                validate(value[key], sub, _join(where, key))
    if isinstance(value, list):
        limit = schema.get("maxItems", MAX_ARRAY_ITEMS)
        if len(value) > limit:
            raise ToolInputError(f"{_name(where)} has {len(value)} items; at most {limit} are allowed")
        if "items" in schema:
            for i, item in enumerate(value):
                validate(item, schema["items"], f"{where}[{i}]")


def check_args(args: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """Validate tool input: it must be an object matching `schema`. Returns it unchanged."""
    if not isinstance(args, dict):
        raise ToolInputError(f"the tool input must be a JSON object, got {describe(args)}")
    validate(args, schema)
    return args


def with_internal(schema: dict[str, Any], extra: dict[str, Any], at: tuple[str, ...] = ()) -> dict[str, Any]:
    """A copy of `schema` with `extra` properties added (at the object reached by the `at` keys).

    Used for the flags only an alias produces (`Write` overwrites): validated
    like the rest, never shown to the model.
    """
    full = copy.deepcopy(schema)
    node = full
    for key in at:
        node = node[key]
    node.setdefault("properties", {}).update(extra)
    return full


def public_only(args: dict[str, Any], public: dict[str, Any], full: dict[str, Any]) -> dict[str, Any]:
    """`args` without the alias-only keys `full` adds to `public` (at any depth)."""
    out: dict[str, Any] = {}
    public_props = public.get("properties", {})
    for key, value in args.items():
        if key in full.get("properties", {}) and key not in public_props:
            continue
        sub_public, sub_full = public_props.get(key), full.get("properties", {}).get(key)
        if isinstance(value, list) and sub_public and "items" in sub_public and sub_full:
            value = [
                public_only(item, sub_public["items"], sub_full["items"]) if isinstance(item, dict) else item
                for item in value
            ]
        out[key] = value
    return out


def describe(value: Any) -> str:
    """A short description of a JSON value for error messages: `integer 3`, `a string`, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"{'integer' if isinstance(value, int) else 'number'} {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "null":
        return value is None
    return False


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _name(where: str) -> str:
    return f"`{where}`" if where else "the input"
