"""The review loop keeps the reviewer's place: the list URL travels through report, import and
delete, "Import and next" opens the next report of that list, and gone reports lead back."""

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.web.listing_helpers import LIST_URL, links
from tests.web.session_helpers import csrf_token, log_in

LIST = "/backend-resources/?q=run&o=name&page_size=10&page=2"


@pytest.fixture
def runs(factory, actors):
    """25 reports run-01 … run-25, reported a minute apart (run-25 newest)."""
    start = datetime.now(UTC) - timedelta(days=1)
    return [
        factory.backend_resource(
            actors.offering, actors.project, name=f"run-{n:02d}", backend_id=f"acct_{n:02d}",
            created=start + timedelta(minutes=n),
        )
        for n in range(1, 26)
    ]


@pytest.fixture
def staff(client, actors):
    assert log_in(client, "staff").status_code == 303
    return client


def detail_url(report, back=LIST) -> str:
    return f"/backend-resources/{report.uuid.hex}/?back={quote(back, safe='')}"


def back_of(url: str) -> str | None:
    """The `back` argument of a URL."""
    return parse_qs(urlsplit(url).query).get("back", [None])[0]


def test_rows_link_to_reports_carrying_the_list_url(staff, runs):
    page = staff.get(LIST)
    assert page.status_code == 200
    row_link = links(page.text)["run-11"]
    assert row_link.startswith(f"/backend-resources/{runs[10].uuid.hex}/?back=")
    assert back_of(row_link) == LIST


def test_the_plain_list_is_carried_too(staff, runs):
    assert back_of(links(staff.get(LIST_URL).text)["run-25"]) == LIST_URL


def test_the_report_page_leads_back_to_the_list_and_carries_it_on(staff, runs):
    page = staff.get(detail_url(runs[10]))
    found = links(page.text)
    assert found["Backend resources"] == LIST
    assert back_of(found["Import"]) == LIST
    assert back_of(found["Delete"]) == LIST
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "back",
    ["https://evil.example/backend-resources/", "//evil.example/backend-resources/",
     "/login?next=/", "/backend-resources/x/import", "javascript:alert(1)"],
)
def test_a_back_url_that_is_not_the_list_is_ignored(staff, runs, back):
    page = staff.get(detail_url(runs[0], back=back))
    assert page.status_code == 200
    assert links(page.text)["Backend resources"] == LIST_URL
    assert "evil" not in page.text and "javascript:" not in page.text


def post_import(client, report, back=LIST, headers=None, **fields):
    url = f"/backend-resources/{report.uuid.hex}/import?back={quote(back, safe='')}"
    token = csrf_token(client.get(url).text)
    return client.post(url, data={"csrf_token": token, **fields}, headers=headers or {})


def test_an_import_leads_to_the_resource_page_with_a_way_back(staff, runs, actors):
    response = post_import(staff, runs[10], plan=actors.plan.uuid.hex)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/marketplace-resources/")
    assert back_of(location) == LIST
    page = staff.get(location)
    assert "Imported run-11 into Climate modelling." in page.text
    assert links(page.text)["Back to your list"] == LIST
    assert links(page.text)["Backend resources"] == LIST


def test_import_and_next_opens_the_next_report_of_the_list(staff, runs, actors):
    # Sorted by name, run-11 is followed by run-12.
    response = post_import(staff, runs[10], plan=actors.plan.uuid.hex, then="next")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(f"/backend-resources/{runs[11].uuid.hex}/?back=")
    assert back_of(location) == LIST
    page = staff.get(response.headers["Location"])
    assert "Imported run-11 into Climate modelling." in page.text
    assert "<h1>run-12</h1>" in page.text


def test_import_and_next_follows_the_lists_own_order(staff, runs, actors):
    newest_first = "/backend-resources/?q=run"
    response = post_import(staff, runs[10], back=newest_first, plan=actors.plan.uuid.hex,
                           then="next")
    assert response.headers["Location"].startswith(f"/backend-resources/{runs[9].uuid.hex}/")


def test_import_and_next_after_the_last_report_returns_to_the_list(staff, runs, actors):
    response = post_import(staff, runs[24], plan=actors.plan.uuid.hex, then="next")
    assert response.headers["Location"] == LIST
    assert "That was the last report in your list." in staff.get(LIST).text


def test_a_refused_import_and_next_stays_on_the_form(staff, runs):
    response = post_import(staff, runs[10], then="next")  # shared offering: a plan is required
    assert response.status_code == 400
    assert "Plan is required" in html.unescape(response.text)


def test_a_delete_returns_to_the_list(staff, runs):
    url = f"/backend-resources/{runs[3].uuid.hex}/delete?back={quote(LIST, safe='')}"
    token = csrf_token(staff.get(url).text)
    response = staff.post(url, data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == LIST
    assert "Deleted the report run-04." in staff.get(LIST).text


def test_script_posts_get_the_next_address_in_a_header(staff, runs, actors):
    response = post_import(staff, runs[10], plan=actors.plan.uuid.hex,
                           headers={"X-Console-History": "replace"})
    assert response.status_code == 204
    assert response.headers["X-Console-Location"].startswith("/marketplace-resources/")
    assert "Location" not in response.headers


@pytest.mark.parametrize("suffix", ["", "import", "delete"])
def test_a_gone_report_reached_again_leads_back_to_the_list(staff, runs, actors, suffix):
    report_url = f"/backend-resources/{runs[10].uuid.hex}/{suffix}"
    post_import(staff, runs[10], plan=actors.plan.uuid.hex)
    response = staff.get(f"{report_url}?back={quote(LIST, safe='')}")
    assert response.status_code == 303
    assert response.headers["Location"] == LIST
    assert "That report is no longer here" in staff.get(LIST).text
    # Without a list to return to, it is still the plain 404.
    assert staff.get(report_url).status_code == 404


def test_the_list_link_of_each_report_page_is_escaped(staff, runs):
    back = '/backend-resources/?q="><script>'
    page = staff.get(detail_url(runs[0], back=back))
    assert "<script>" not in page.text.split("<main", 1)[1]
    assert re.search(r'href="/backend-resources/\?q=%22%3E%3Cscript%3E"', page.text) or \
        'href="/backend-resources/?q=&#34;&gt;&lt;script&gt;"' in page.text


def test_the_bulk_form_carries_the_list_url(staff, runs):
    page = staff.get(LIST).text
    assert re.search(r'name="back" value="([^"]*)"', page).group(1) == html.escape(LIST)


def post_bulk(client, action, selected, back=LIST):
    token = csrf_token(client.get(LIST).text)
    return client.post("/backend-resources/bulk", data={
        "csrf_token": token, "action": action, "query": urlsplit(LIST).query,
        "selected": [report.uuid.hex for report in selected], "back": back,
    })


def test_a_bulk_action_carries_the_list_url_to_its_result(staff, runs):
    response = post_bulk(staff, "delete", runs[11:13])
    assert response.status_code == 303
    job_url = response.headers["Location"]
    assert back_of(job_url) == LIST
    confirm = staff.get(job_url)
    assert links(confirm.text)["Cancel"] == LIST
    assert links(confirm.text)["Backend resources"] == LIST
    start_url = re.search(r'action="([^"]*/start[^"]*)"', confirm.text).group(1)
    assert back_of(html.unescape(start_url)) == LIST
    started = staff.post(html.unescape(start_url), data={"csrf_token": csrf_token(confirm.text)})
    assert started.status_code == 303
    assert back_of(started.headers["Location"]) == LIST
    work_url = started.headers["Location"].replace("/?", "/work?", 1)
    for _ in range(20):  # the no-JavaScript "Continue" button, until the job is done
        worked = staff.post(work_url, data={"csrf_token": csrf_token(confirm.text)})
        assert worked.status_code == 303, worked.text
        assert back_of(worked.headers["Location"]) == LIST, (work_url, worked.headers)
        result = staff.get(worked.headers["Location"]).text
        if "Done:" in result:
            break
    assert "2 deleted" in result
    assert links(result)["Back to the list"] == LIST
    assert "11–20 of 23" in staff.get(LIST).text


def test_a_bulk_action_ignores_a_back_url_that_is_not_the_list(staff, runs):
    response = post_bulk(staff, "delete", runs[:1], back="https://evil.example/backend-resources/")
    assert response.status_code == 303
    assert back_of(response.headers["Location"]) is None
    assert links(staff.get(response.headers["Location"]).text)["Cancel"] == LIST_URL


def test_a_dismiss_returns_to_the_list(staff, runs):
    url = f"/backend-resources/{runs[3].uuid.hex}/dismiss?back={quote(LIST, safe='')}"
    assert back_of(links(staff.get(detail_url(runs[3])).text)["Dismiss"]) == LIST
    form = staff.get(url)
    assert links(form.text)["Backend resources"] == LIST
    response = staff.post(url, data={"csrf_token": csrf_token(form.text), "reason": ""})
    assert response.status_code == 303
    assert response.headers["Location"] == LIST
    assert "Dismissed run-04" in staff.get(LIST).text
