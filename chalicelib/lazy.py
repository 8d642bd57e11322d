"""Modules loaded on first use, so that importing the API does not load every route's stack.

The API function imports `app.py` on every cold start, and with it every route module. A route
module names its service modules with `lazy_module(...)`: the name is bound at once and the real
module is imported the first time one of its attributes is read (inside a route body), so a
request for the certificate page does not pay for openpyxl or argon2 and a sign-in does not pay
for fpdf2 and pyHanko. See docs/architecture.md ("Cold start").

A proxy rather than `importlib.util.LazyLoader`: the import itself is a plain
`importlib.import_module` (with the interpreter's per-module import lock), so two threads of the
local stack touching the same module at once cannot see it half-initialised.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyModule(ModuleType):
    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__name__)
        return getattr(module, attr)


def lazy_module(name: str) -> ModuleType:
    """A stand-in for module `name` that imports it on first attribute access."""
    return _LazyModule(name)
