"""Secrets scrubbed where they live: in the runbook's kernel, and in the notebook it leaves.

A secret the kernel alone knows (a ``Secret`` made in a cell, an environment variable
marked secret, a private key a cell prints, even in two parts) is masked by the kernel
itself before an output leaves it, so papermill never writes it::

    protect_kernel(get_ipython())     # the check cell of every runbook does this

``scrub_notebook`` then masks what the runner's own process knows in the executed
notebook (its parameters, metadata and outputs), a key block split across outputs
included. See ``fxkit.secrets`` for what is masked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fxkit.secrets import BlockScrubber, mask

# Kernel messages whose content can carry what a cell printed, displayed or raised.
SCRUBBED = {"stream", "display_data", "update_display_data", "execute_result", "error",
            "execute_reply"}


class Scrubber:
    """Masks kernel message contents, keeping one ``BlockScrubber`` per output stream."""

    def __init__(self) -> None:
        self.streams: dict[str, BlockScrubber] = {}
        self.lock = threading.Lock()

    def stream(self, key: str) -> Callable[[str], str]:
        return self.streams.setdefault(key, BlockScrubber())

    def content(self, msg_type: str, content: Any) -> Any:
        if not isinstance(content, dict):
            return content
        with self.lock:
            if msg_type == "stream" and isinstance(content.get("text"), str):
                key = f"stream:{content.get('name')}"
                return {**content, "text": self.stream(key)(content["text"])}
            if isinstance(content.get("data"), dict):
                data = {mime: self.stream(f"data:{mime}")(v) if isinstance(v, str) else
                        mask_all(v) for mime, v in content["data"].items()}
                return {**content, "data": data}
            return mask_all(content)   # error, execute_reply: ename, evalue, traceback


def mask_all(value: Any) -> Any:
    """``value`` with ``mask`` applied to every string in it (dicts and lists walked)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [mask_all(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_all(v) for k, v in value.items()}
    return value


def protect_kernel(shell: Any) -> bool:
    """Mask every output of this IPython kernel before it is sent (once per kernel).

    Every output, result, error and reply leaves an ipykernel kernel through its one
    ``Session.send``; wrapping it there covers the IOPub thread's streams too.
    Returns False outside a kernel (plain Python, nbval's in-process runs).
    """
    session = getattr(getattr(shell, "kernel", None), "session", None)
    if session is None or not callable(getattr(session, "send", None)):
        return False
    if getattr(session, "_fxkit_scrubber", None) is not None:
        return True
    scrubber = Scrubber()
    original = session.send

    def send(stream: Any, msg_or_type: Any, content: Any = None, *args: Any,
             **kw: Any) -> Any:
        if isinstance(msg_or_type, dict):
            kind = (msg_or_type.get("header") or {}).get("msg_type")
            if kind in SCRUBBED:
                msg_or_type = {**msg_or_type,
                               "content": scrubber.content(kind, msg_or_type.get("content"))}
        elif msg_or_type in SCRUBBED:
            content = scrubber.content(msg_or_type, content)
        return original(stream, msg_or_type, content, *args, **kw)

    session.send = send
    session._fxkit_scrubber = scrubber
    return True


def scrub_notebook(path: str | Path) -> None:
    """Mask secrets and private keys anywhere in the notebook, metadata included.

    papermill keeps injected parameters in the notebook and its metadata
    (papermill #706); parameters are never secrets, but a runbook could print one. The
    file is rewritten only when something was masked.
    """
    p = Path(path)
    text = p.read_text()
    try:
        nb = json.loads(text)
    except ValueError:
        clean = mask(text)
    else:
        scrubbed = scrub_cells(nb)
        if scrubbed == nb:
            return
        clean = json.dumps(scrubbed, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if clean != text:
        p.write_text(clean)


def scrub_cells(nb: dict[str, Any]) -> dict[str, Any]:
    """A notebook (nbformat 4 JSON) with every string masked; outputs of one stream, in
    order across cells, go through one ``BlockScrubber`` (a key printed in two parts)."""
    scrubber = Scrubber()
    cells = []
    for cell in nb.get("cells") or []:
        if not isinstance(cell, dict):
            continue
        outputs = [_scrub_output(scrubber, o) for o in cell.get("outputs") or []]
        cell = {k: mask_all(v) for k, v in cell.items() if k != "outputs"} | (
            {"outputs": outputs} if "outputs" in cell else {})
        cells.append(cell)
    return {**{k: mask_all(v) for k, v in nb.items() if k != "cells"}, "cells": cells}


def _scrub_output(scrubber: Scrubber, output: Any) -> Any:
    if not isinstance(output, dict):
        return mask_all(output)
    kind = output.get("output_type")
    if kind == "stream":
        text = _joined(output.get("text"))
        return {**mask_all({k: v for k, v in output.items() if k != "text"}),
                "text": _like(output.get("text"), scrubber.stream(f"stream:{output.get('name')}")
                              (text))}
    if isinstance(output.get("data"), dict):
        data = {mime: _like(v, scrubber.stream(f"data:{mime}")(_joined(v)))
                if isinstance(v, (str, list)) and all(isinstance(x, str) for x in v)
                else mask_all(v) for mime, v in output["data"].items()}
        return {**mask_all({k: v for k, v in output.items() if k != "data"}), "data": data}
    return mask_all(output)


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _like(original: Any, text: str) -> Any:
    """``text`` stored as ``original`` was: nbformat keeps multi-line strings as lists."""
    return text.splitlines(keepends=True) if isinstance(original, list) else text
