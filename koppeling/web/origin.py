"""Same-origin form posts: a page on another site cannot press the harness's buttons.

A browser lets any site post an HTML form to the harness (it reads no answer, but the post takes
effect: the clock moves, an aanvraag is approved). Every such post carries the site's ``Origin``
(older browsers: at least a ``Referer``), so a post whose Origin — or, without one, Referer —
names another origin than the one it was sent to is refused and changes nothing. A post with
neither header is served: browsers always send Origin on a cross-origin form post, and scripts,
curl and the partners' own clients send neither.

Only what a form can send is checked (the form encodings and ``text/plain``, or no body at all):
any other body makes a browser ask first (a CORS preflight), which no service answers yes to.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

#: The body types an HTML form (or a fetch without a preflight) can send.
FORM_TYPES = frozenset(
    {"", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def foreign_origin() -> str | None:
    """The other origin a form post came from, or None when it may be served."""
    environ = request.environ
    if "HTTP_ORIGIN" not in environ and "HTTP_REFERER" not in environ:
        return None  # the common case, checked first: scripts and partners send neither
    if request.method in SAFE_METHODS or request.mimetype not in FORM_TYPES:
        return None
    sender = sending_origin()
    return None if sender is None or sender == own_origin() else sender


def sending_origin() -> str | None:
    """The origin named by the request's Origin header, else by its Referer, else None."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.strip().lower()
    referer = request.headers.get("Referer")
    if not referer:
        return None
    parts = urlsplit(referer.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origin() -> str:
    """The origin this request was sent to: its scheme and its Host header."""
    return f"{request.scheme}://{request.host}".lower()
