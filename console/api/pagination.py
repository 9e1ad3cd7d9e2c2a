"""Waldur's LinkHeaderPagination: a plain JSON array, `X-Result-Count` and a `Link` header."""

from urllib.parse import urlencode

from flask import current_app, request

from console.api.auth import QUERY_PARAMETER
from console.api.responses import json_response
from console.services.queries import Page, paginate, parse_paging


def page_and_size(args) -> tuple[str, int]:
    """Return the requested page and page size, with the app's default and maximum sizes."""
    return parse_paging(
        args,
        default_page_size=current_app.config["CONSOLE_DEFAULT_PAGE_SIZE"],
        max_page_size=current_app.config["CONSOLE_MAX_PAGE_SIZE"],
    )


def query_parts() -> list[tuple[str, str]]:
    """The request's query parameters but `page`, by key: (key, its percent-encoded pairs).

    Encoded as DRF's replace_query_param does, so no raw comma reaches the header (the official
    client splits the header on commas). A token given as `?x-auth-token=` is left out: links
    must not spread it.
    """
    return sorted(
        (key, urlencode([(key, values)], doseq=True))
        for key, values in request.args.lists()
        if key not in ("page", QUERY_PARAMETER)
    )


def page_url(number: int | None, parts: list[tuple[str, str]]) -> str:
    """Return the request's absolute URL with the query `parts` and `page` set (page 1 and
    None: left out, as DRF's first link does), parameters sorted by name."""
    if number is not None and number != 1:
        parts = sorted([*parts, ("page", f"page={number}")])
    encoded = "&".join(pair for _key, pair in parts)
    return request.base_url + (f"?{encoded}" if encoded else "")


def link_header(page: Page) -> str:
    """Return the Link header: first, prev, next, last (prev and next only when they exist)."""
    parts = query_parts()
    links = [("first", page_url(None, parts))]
    if page.has_previous:
        links.append(("prev", page_url(page.number - 1, parts)))
    if page.has_next:
        links.append(("next", page_url(page.number + 1, parts)))
    links.append(("last", page_url(page.pages, parts)))
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links)


def page_headers(page: Page) -> dict:
    """Return the count and link headers of a page."""
    return {"X-Result-Count": str(page.total), "Link": link_header(page)}


def paginated_response(page: Page, items: list):
    """Return one page as a JSON array with the count and link headers."""
    return json_response(items, headers=page_headers(page))


def paginated(session, statement, represent):
    """Run `statement` for the requested page and render each row with `represent`."""
    number, size = page_and_size(request.args)
    page = paginate(session, statement, number, size)
    return paginated_response(page, [represent(item) for item in page.items])
