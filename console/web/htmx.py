"""The one place that decides whether a request gets a whole page or just an htmx fragment."""

from flask import make_response, render_template, request


def wants_fragment() -> bool:
    """Tell whether htmx asked for a fragment.

    History restores (a cache miss after back/forward) and boosted links replace the whole
    body, so they get the full page even though htmx sent them.
    """
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-History-Restore-Request") != "true"
        and headers.get("HX-Boosted") != "true"
    )


def render_page_or_fragment(
    page_template: str, fragment_template: str, status: int = 200, **context
):
    """Render the full page or only its fragment; the answer varies with HX-Request."""
    fragment_only = wants_fragment()
    template = fragment_template if fragment_only else page_template
    response = make_response(render_template(template, fragment_only=fragment_only, **context))
    response.status_code = status
    response.vary.add("HX-Request")
    return response
