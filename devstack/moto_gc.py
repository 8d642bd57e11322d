"""moto's server process: the cyclic garbage collector stops re-reading the stored items.

Why this exists: moto keeps every stored item as Python objects (an item of a member record is
some forty of them), all long-lived. CPython's cyclic collector walks every tracked object of the
process on each full collection, and starts one whenever the objects that survived since the
last one reach a quarter of those it kept then: a bulk load (60,000 members imported, 240,000
items) makes the server walk its whole store again and again as it grows. In a 6,000-member
import that was a fifth of the server's CPU; DynamoDB's cost has nothing like it.

Here, after each full collection (everything still tracked then was just found reachable), the
server's next request first moves those objects to the collector's permanent generation
(`gc.freeze()`): later collections walk only what was allocated since. Nothing a request returns
changes. Reference counting still frees every object the moment nothing refers to it (a replaced
or deleted item, frozen or not); only a reference cycle among objects that were frozen while
reachable and became garbage later is not reclaimed (moto's items and values hold no cycles).
"""

from __future__ import annotations

import gc
from typing import Any

_FITTED: list[bool] = []
_DUE: list[bool] = [False]


def _after_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == 2:
        _DUE[0] = True  # frozen at the next request, not from inside the collector


def fit_gc() -> None:
    """Idempotent: freeze what a full collection kept, at the moto server's next request."""
    if _FITTED:
        return
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    stock = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        if _DUE[0]:
            _DUE[0] = False
            gc.freeze()
        return stock(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]
    gc.callbacks.append(_after_collection)
    _FITTED.append(True)
