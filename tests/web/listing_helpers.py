"""Reading the backend resource table out of rendered HTML, and counting a page's statements."""

import html
import re

from flask import g

from console.extensions import db

LIST_URL = "/backend-resources/"
HX = {"HX-Request": "true"}
ROW_NAME = re.compile(r'<td class="cell-name"><a href="[^"]*">([^<]*)</a></td>')
STATUS = re.compile(r'<p id="list-status"[^>]*>(.*?)</p>', re.S)
TAG = re.compile(r"<[^>]+>")
HIDDEN = re.compile(r'<span[^>]*aria-hidden="true"[^>]*>.*?</span>', re.S)


def row_names(page: str) -> list[str]:
    """The names in the table's rows, top to bottom."""
    return [html.unescape(name) for name in ROW_NAME.findall(page)]


def text_of(fragment: str) -> str:
    """Markup as plain text: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(TAG.sub("", fragment)).split())


def status_line(page: str) -> str:
    """The text of the aria-live status line (in the page or out of band in a fragment)."""
    match = STATUS.search(page)
    assert match, "no #list-status on the page"
    return text_of(match.group(1))


def links(page: str) -> dict[str, str]:
    """Each link's accessible text (its aria-label, else its text) mapped to its href."""
    found = {}
    for attrs, body in re.findall(r"<a ([^>]*)>(.*?)</a>", page, re.S):
        href = re.search(r'href="([^"]*)"', attrs)
        label = re.search(r'aria-label="([^"]*)"', attrs)
        name = html.unescape(label.group(1)) if label else text_of(HIDDEN.sub("", body))
        if href:
            found[name] = html.unescape(href.group(1))
    return found


def get_as_its_own_request(client, url: str, **request_args):
    """GET `url` as a request of its own would run: the factory's app context and session
    outlive requests, so what they hold is forgotten first."""
    g.pop("_login_user", None)
    db.session.expire_all()
    return client.get(url, **request_args)


def get_counting_statements(client, count_statements, url: str, **request_args):
    """GET `url` as a request of its own (`get_as_its_own_request`); return the response,
    which must be 200, and how many SQL statements it ran."""
    with count_statements() as statements:
        response = get_as_its_own_request(client, url, **request_args)
    assert response.status_code == 200
    return response, len(statements)
