"""Reading the backend resource table out of rendered HTML."""

import html
import re

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
