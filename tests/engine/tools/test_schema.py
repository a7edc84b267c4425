from __future__ import annotations

import pytest

from tui.engine.tools._schema import check_args, public_only, validate, with_internal
from tui.engine.tools.base import ToolInputError

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "count": {"type": "integer", "minimum": 1},
        "ratio": {"type": "number"},
        "mode": {"type": "string", "enum": ["a", "b"]},
        "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
        "either": {"type": ["string", "integer"]},
    },
}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({}, "`name` is required"),
        ({"name": None}, "`name` is required"),
        ({"name": True}, "`name` must be a string, got boolean true"),
        ({"name": "n", "count": 1.5}, "`count` must be an integer, got number 1.5"),
        ({"name": "n", "count": True}, "`count` must be an integer, got boolean true"),
        ({"name": "n", "count": 0}, "`count` must be at least 1, got 0"),
        ({"name": "n", "ratio": "1"}, "`ratio` must be a number, got string '1'"),
        ({"name": "n", "mode": "c"}, "`mode` must be one of 'a', 'b', got string 'c'"),
        ({"name": "n", "tags": ["a", 2]}, "`tags[1]` must be a string, got integer 2"),
        ({"name": "n", "tags": ["a", "b", "c"]}, "`tags` has 3 items; at most 2 are allowed"),
        ({"name": "n", "either": []}, "`either` must be a string or an integer, got an array of 0 items"),
    ],
)
def test_errors_name_the_field(value, message):
    with pytest.raises(ToolInputError) as err:
        validate(value, SCHEMA)
    assert str(err.value) == message


def test_valid_values_and_extra_keys_pass():
    validate({"name": "n", "count": 2.0, "ratio": 1, "mode": "a", "tags": ["x"], "either": 3, "extra": {}}, SCHEMA)


def test_long_strings_are_shortened_in_messages():
    with pytest.raises(ToolInputError) as err:
        check_args({"name": "n", "count": "x" * 100}, SCHEMA)
    assert len(str(err.value)) < 100


def test_internal_properties_round_trip():
    full = with_internal(SCHEMA, {"secret": {"type": "boolean"}})
    assert "secret" not in SCHEMA["properties"]
    with pytest.raises(ToolInputError, match="`secret` must be a boolean"):
        validate({"name": "n", "secret": 1}, full)
    assert public_only({"name": "n", "secret": True}, SCHEMA, full) == {"name": "n"}
