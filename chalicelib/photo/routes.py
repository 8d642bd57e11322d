"""HTTP routes of the photo area (thin: read the request, call one service function, return)."""

from __future__ import annotations

from chalicelib.auth.authorizer import token_authorizer
from chalicelib.web import Api

api = Api(__name__, authorizer=token_authorizer)
