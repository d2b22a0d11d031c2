"""Typed fields of a tool's JSON output (``ip -j``, ``bridge -j``, ``xl list -l``).

A field of the wrong type raises ``BadField`` with a short reason; the reader turns it
into a ParseError naming the command and the record, never a TypeError later::

    >>> text_field({"ifname": "eth0"}, "ifname"), int_field({"mtu": 1500}, "mtu")
    ('eth0', 1500)

(``int_field({"mtu": "x"}, "mtu")`` raises ``BadField("mtu is 'x', not a number")``.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fxkit.errors import ParseError
from fxkit.excerpt import excerpt


class BadField(Exception):
    """One field of one record has the wrong type (the reader says which record)."""


def load_json(text: str, what: str, hint: str = "") -> Any:
    """``json.loads`` whose every failure (a 5,000-digit number, nesting 100,000 deep, not
    JSON at all) is a ParseError naming ``what`` with an excerpt of ``text``."""
    if not isinstance(text, str):
        raise ParseError(f"{what}: expected its text output, got {type(text).__name__}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ParseError(f"{what}: not JSON ({str(e)[:80]}): {excerpt(text)}"
                         + (f"; {hint}" if hint else "")) from None


def text_field(item: Mapping[str, Any], key: str, default: str | None = None) -> Any:
    """``item[key]`` if it is a string, ``default`` if it is absent or null."""
    value = item.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadField(f"{key} is {excerpt(value, 30)}, not a string")
    return value


def int_field(item: Mapping[str, Any], key: str, default: int | None = None) -> Any:
    """``item[key]`` if it is a 64-bit integer (or its decimal digits), ``default`` if it
    is absent or null; a bool, a float or anything else is refused."""
    value = item.get(key)
    if value is None:
        return default
    if isinstance(value, str) and value.isascii() and value.isdecimal() and len(value) < 20:
        value = int(value)
    if type(value) is not int or not -2 ** 63 <= value < 2 ** 64:
        raise BadField(f"{key} is {excerpt(value, 30)}, not a number")
    return value


def object_field(item: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``item[key]`` if it is an object, ``{}`` if it is absent or null."""
    value = item.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadField(f"{key} is {excerpt(value, 30)}, not an object")
    return value


def objects_field(item: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """``item[key]`` if it is a list of objects, ``[]`` if it is absent or null."""
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadField(f"{key} is {excerpt(value, 30)}, not a list of objects")
    return value


def record_error(what: str, record: Any, e: Exception) -> ParseError:
    """The ParseError for one record of ``what`` that cannot be read."""
    return ParseError(f"{what}: record {excerpt(record)} cannot be read: {e}")
