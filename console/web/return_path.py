"""The reviewer's place: the list URL (filters, sort, page) carried through detail, import and
delete as `back`, so every step can lead back to it; and redirects that replace history."""

from urllib.parse import parse_qsl, urlsplit

from flask import make_response, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from console.web import bp
from console.web.list_state import ENDPOINT

BACK = "back"
# A POST sent by static/js/review-loop.js asks for the next address in a header rather than a
# redirect, so that it can replace the form's history entry instead of adding one.
REPLACE_HEADER = "X-Console-History"
LOCATION_HEADER = "X-Console-Location"


def safe_list_url(value: str | None) -> str | None:
    """The value if it is this console's list page (any query string), else None.

    Only the list's own path is accepted: never another host, scheme or page.
    """
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path != url_for(ENDPOINT):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def back_url() -> str | None:
    """The list URL this request carries (query string or form), if it is a safe one."""
    return safe_list_url(request.values.get(BACK))


def list_url() -> str:
    """Where "back to the list" leads: the carried list URL, else the plain list."""
    return back_url() or url_for(ENDPOINT)


def list_args(url: str) -> MultiDict:
    """The query arguments of a list URL, as the list view would read them."""
    return MultiDict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def with_back(endpoint: str, **values) -> str:
    """A URL of the review loop that keeps carrying the list URL."""
    return url_for(endpoint, **values, **{BACK: back_url()})


def go_to(url: str):
    """Send the browser on after a successful POST: a 303, or for review-loop.js a header that
    it follows with `location.replace`, so the form does not stay behind in history."""
    if request.headers.get(REPLACE_HEADER) == "replace":
        response = make_response("", 204)
        response.headers[LOCATION_HEADER] = url
        return response
    return redirect(url, 303)


def no_store(response):
    """Keep a page that shows a report out of the back/forward cache: it may be gone."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def review_loop_helpers() -> dict:
    """`list_url()` and `with_back()` for the templates of the review loop."""
    return {"list_url": list_url, "with_back": with_back, "back_url": back_url}
