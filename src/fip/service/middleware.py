"""Content Security Policy: no inline script anywhere, resources from the service only."""

from __future__ import annotations

#: The policy of every page; a view may set a stricter one of its own (the citizen card).
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
#: Self-contained documents made by the library (citizen card, status note, star SVG): their
#: own inline styles and data: images, and no script at all.
DOCUMENT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                   "form-action 'none'; frame-ancestors 'self'")


class ContentSecurityPolicy:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
