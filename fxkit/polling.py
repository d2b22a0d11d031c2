"""Wait for a host to finish a change that its command reported before it was complete."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(done: Callable[[], bool], seconds: float, *, first: float = 0.25,
               cap: float = 2.0) -> bool:
    """Poll ``done`` until it returns True (then True) or ``seconds`` pass (then False).

    The pause between polls doubles from ``first`` up to ``cap``: most changes settle in a
    few seconds, and a slow host is not polled hard.
    """
    deadline = time.monotonic() + seconds
    delay = first
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, cap)
    return True
