"""A short excerpt of input fxkit could not read, for the message that says so.

Error messages show what was wrong, never a whole 5 MB output::

    >>> excerpt("x" * 1000, 10)
    "'xxxxxxxxxx'... (1000 characters)"
"""

from __future__ import annotations

import json
from typing import Any


def excerpt(value: Any, limit: int = 80) -> str:
    """``repr`` of ``value`` cut to about ``limit`` characters (JSON-like for containers)."""
    if not isinstance(value, str):
        try:
            text = json.dumps(value, ensure_ascii=False, default=repr)[:limit + 1]
        except (ValueError, RecursionError):
            text = repr(type(value))
        return text if len(text) <= limit else f"{text[:limit]}..."
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"
