"""The Scan button, the Scans page and Send again, through the test client on both databases."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from console.extensions import db
from console.models import SCAN_STATES, BackendResourceRequest
from console.web.scans import describe_duration
from tests.web.listing_helpers import (
    HX,
    LIST_URL,
    get_counting_statements,
    links,
    row_names,
    text_of,
)
from tests.web.scan_helpers import add_identity, add_scan
from tests.web.session_helpers import csrf_token, log_in

SCANS_URL = "/scans/"
BUTTON = '<button type="submit" class="compact">Scan for new resources</button>'
NO_BROKER = (
    "No broker is configured (CONSOLE_BROKER_URL): the request is recorded but no agent will be "
    "notified."
)
POLLING = 'hx-trigger="every 2s"'
DOWN_BROKER = {
    "CONSOLE_BROKER_URL": "amqp://guest:guest@127.0.0.1:1/",
    "CONSOLE_BROKER_MANAGEMENT_URL": "http://guest:guest@127.0.0.1:1",
}


@pytest.fixture
def staff(client, actors):
    log_in(client, "staff")
    return client


@pytest.fixture
def support(client, actors):
    log_in(client, "support")
    return client


def scans() -> list[BackendResourceRequest]:
    """Every scan request in the database, oldest first, read afresh."""
    db.session.expire_all()
    statement = select(BackendResourceRequest).order_by(BackendResourceRequest.id)
    return list(db.session.scalars(statement))


def scan_form(page: str) -> dict:
    """The Scan button's form on a page: its action, offering and CSRF token."""
    match = re.search(r'<form method="post" action="([^"]+)" class="inline-form scan-form">'
                      r"(.*?)</form>", page, re.S)
    assert match, "no Scan for new resources form on the page"
    offering = re.search(r'name="offering" value="([^"]*)"', match.group(2)).group(1)
    assert BUTTON in match.group(2)
    return {"action": match.group(1), "offering": offering,
            "csrf_token": csrf_token(match.group(2))}


def press_scan(client, page: str):
    """Submit the Scan button's form found on a page, as a browser would."""
    form = scan_form(page)
    return client.post(form["action"], data={"offering": form["offering"],
                                             "csrf_token": form["csrf_token"]})


def flashes(page: str) -> list[str]:
    """The flash messages on a page."""
    found = re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', page, re.S)
    return [text_of(message) for message in found]


def row(page: str, scan) -> str:
    """The markup of a scan request's rows (its <tbody>) on the Scans page."""
    match = re.search(rf'<tbody class="scan">\s*<tr id="scan-{scan.uuid.hex}".*?</tbody>', page,
                      re.S)
    assert match, f"scan {scan.uuid.hex} is not on the page"
    return match.group(0)


def shown_scans(page: str) -> list[str]:
    """The uuids of the scan requests on a page, top to bottom."""
    return re.findall(r'<tr id="scan-([0-9a-f]{32})"', page)


# The Scan button


def test_staff_scans_from_the_table_narrowed_to_one_offering(staff, actors, factory):
    factory.backend_resource(actors.offering, actors.project)
    page = staff.get(LIST_URL, query_string={"offering_uuid": actors.offering.uuid.hex}).text
    assert scan_form(page) == {"action": SCANS_URL, "offering": actors.offering.uuid.hex,
                               "csrf_token": csrf_token(page)}
    response = press_scan(staff, page)
    assert response.status_code == 303
    assert response.headers["Location"] == SCANS_URL
    [scan] = scans()
    assert (scan.offering_id, scan.state, scan.delivery) == (actors.offering.id, "Sent",
                                                             "not_configured")
    assert scan.created_by.username == "staff"
    landed = staff.get(SCANS_URL).text
    assert flashes(landed) == [NO_BROKER]
    assert "HPC SLURM" in row(landed, scan)


def test_the_button_comes_with_the_table_fragment_htmx_swaps_in(staff, actors):
    hex_ = actors.offering.uuid.hex
    fragment = staff.get(LIST_URL, query_string={"offering_uuid": hex_}, headers=HX).text
    assert "<html" not in fragment
    assert scan_form(fragment)["offering"] == hex_
    assert "Missing something from <strong>HPC SLURM</strong>?" in fragment
    # The offering has no reports yet: the button is offered all the same, above the empty state.
    assert "No backend resources match these filters." in fragment


@pytest.mark.parametrize(
    "query",
    [{}, {"offering_uuid": "0" * 32}, {"offering_uuid": "nonsense"},
     {"project_uuid": "0" * 32}],
)
def test_no_button_unless_the_table_is_narrowed_to_one_existing_offering(staff, actors, query):
    assert BUTTON not in staff.get(LIST_URL, query_string=query).text


def test_staff_scans_from_a_reports_detail_page(staff, actors, factory):
    report = factory.backend_resource(actors.offering, actors.project)
    page = staff.get(f"/backend-resources/{report.uuid.hex}/").text
    offering_article = re.search(r'<article aria-labelledby="offering-heading">.*?</article>',
                                 page, re.S).group(0)
    assert BUTTON in offering_article
    response = press_scan(staff, page)
    assert response.status_code == 303
    assert [scan.offering_id for scan in scans()] == [actors.offering.id]
    assert flashes(staff.get(response.headers["Location"]).text) == [NO_BROKER]


def test_import_and_delete_pages_offer_no_scan(staff, actors, factory):
    report = factory.backend_resource(actors.offering, actors.project)
    for path in ("import", "delete"):
        assert BUTTON not in staff.get(f"/backend-resources/{report.uuid.hex}/{path}").text


def test_support_gets_no_button_and_a_403(support, actors, factory):
    report = factory.backend_resource(actors.offering, actors.project)
    table = support.get(LIST_URL, query_string={"offering_uuid": actors.offering.uuid.hex}).text
    detail = support.get(f"/backend-resources/{report.uuid.hex}/").text
    assert "Scan for new resources" not in table + detail
    response = support.post(SCANS_URL, data={"offering": actors.offering.uuid.hex,
                                              "csrf_token": csrf_token(table)})
    assert response.status_code == 403
    assert scans() == []


def test_a_scan_without_the_csrf_token_is_refused(staff, actors):
    response = staff.post(SCANS_URL, data={"offering": actors.offering.uuid.hex})
    assert response.status_code == 400
    assert "The form could not be accepted" in response.text
    assert scans() == []


def test_a_scan_of_an_offering_that_is_gone_says_so(staff, actors):
    token = csrf_token(staff.get(SCANS_URL).text)
    response = staff.post(SCANS_URL, data={"offering": "0" * 32, "csrf_token": token})
    assert response.status_code == 303
    assert flashes(staff.get(SCANS_URL).text) == [
        "No scan was requested: the offering no longer exists."
    ]
    assert scans() == []


def test_with_a_broker_but_no_agent_queue_the_flash_says_no_agent_was_told(app, staff, actors):
    app.config.update(DOWN_BROKER)  # never contacted: nobody has a queue to publish to
    page = staff.get(LIST_URL, query_string={"offering_uuid": actors.offering.uuid.hex}).text
    assert press_scan(staff, page).status_code == 303
    assert [scan.delivery for scan in scans()] == ["no_agent"]
    assert flashes(staff.get(SCANS_URL).text) == [
        "Scan of HPC SLURM recorded, but no agent of this offering has registered a queue: "
        "none was notified."
    ]


def test_a_broker_that_is_down_keeps_the_request_for_send_again(app, staff, actors):
    app.config.update(DOWN_BROKER)
    add_identity(actors.offering, actors.agent, queue=True)
    page = staff.get(LIST_URL, query_string={"offering_uuid": actors.offering.uuid.hex}).text
    response = press_scan(staff, page)
    assert response.status_code == 303
    [scan] = scans()
    assert (scan.state, scan.delivery, scan.delivered_queues) == ("Sent", "failed", 0)
    assert scan.delivery_error.startswith("The broker cannot be reached")
    landed = staff.get(SCANS_URL)
    assert landed.status_code == 200
    [message] = flashes(landed.text)
    assert message.startswith(
        "The broker could not be reached: the request is kept, marked not delivered; press Send "
        "again to retry."
    )
    assert 'class="flash flash-error" role="alert"' in landed.text
    shown = row(landed.text, scan)
    assert "Not delivered: the broker could not be reached" in text_of(shown)
    assert scan.delivery_error in text_of(shown)
    assert f'id="resend-{scan.uuid.hex}"' in shown

    again = staff.post(f"/scans/{scan.uuid.hex}/resend", data={"csrf_token": csrf_token(shown)})
    assert again.status_code == 303
    [message] = flashes(staff.get(SCANS_URL).text)
    assert message.startswith("The broker could not be reached")
    [scan] = scans()
    assert (scan.state, scan.delivery) == ("Sent", "failed")


# The Scans page


def test_the_page_shows_state_delivery_people_and_times(staff, actors, factory):
    started = datetime(2025, 3, 1, 12, 0, 5, tzinfo=UTC)
    done = add_scan(actors.offering, actors.staff, state="Done", delivery="delivered",
                    delivered_queues=2, created=started - timedelta(seconds=5), started=started,
                    finished=started + timedelta(minutes=4, seconds=12))
    page = staff.get(SCANS_URL).text
    shown = row(page, done)
    assert re.search(r'<span class="badge scan-state scan-state-done">Done</span>', shown)
    assert "Delivered to 2 agent queues" in text_of(shown)
    assert "by staff" in shown
    assert '<time datetime="2025-03-01T12:00:05Z" title="2025-03-01 12:00:05 UTC">' in shown
    assert "2025-03-01 12:04:17 UTC" in shown
    assert '<td class="cell-duration">4 min 12 s</td>' in shown
    assert links(page)["HPC SLURM"] == f"{LIST_URL}?offering_uuid={actors.offering.uuid.hex}"
    assert "stuck" not in shown and POLLING not in page


def test_an_erred_request_shows_its_message_and_folds_its_traceback(staff, actors):
    erred = add_scan(actors.offering, actors.staff, state="Erred",
                     finished=datetime.now(UTC), error_message="sacctmgr failed: <permission>",
                     error_traceback=(
                         'Traceback (most recent call last):\n  File "scan.py"\nOSError'))
    shown = row(staff.get(SCANS_URL).text, erred)
    assert "<strong>Error:</strong> sacctmgr failed: &lt;permission&gt;" in shown
    traceback = re.search(r"<details[^>]*>\s*<summary>Traceback</summary>(.*?)</details>",
                          shown, re.S)
    assert traceback, "the traceback is not folded in a <details>"
    assert "<details open" not in shown
    assert ("Traceback (most recent call last):\n  File &#34;scan.py&#34;\nOSError"
            in traceback.group(1))


def test_a_request_sent_or_processing_too_long_is_stuck(app, staff, actors):
    now = datetime.now(UTC)
    old_sent = add_scan(actors.offering, actors.staff, created=now - timedelta(minutes=45))
    new_sent = add_scan(actors.offering, actors.staff, created=now - timedelta(minutes=5))
    old_processing = add_scan(actors.offering, actors.staff, state="Processing",
                              created=now - timedelta(hours=3), started=now - timedelta(hours=2))
    old_done = add_scan(actors.offering, actors.staff, state="Done",
                        created=now - timedelta(days=1), started=now - timedelta(days=1),
                        finished=now - timedelta(hours=20))
    page = staff.get(SCANS_URL).text
    stuck = '<span class="badge scan-stuck">stuck</span>'
    assert stuck in row(page, old_sent)
    assert "No agent has started it in 30 min" in row(page, old_sent)
    assert stuck in row(page, old_processing)
    assert "Processing for more than 30 min" in row(page, old_processing)
    assert "running for 2 h" in row(page, old_processing)
    assert stuck not in row(page, new_sent) and stuck not in row(page, old_done)

    app.config["CONSOLE_SCAN_STUCK_MINUTES"] = 60
    page = staff.get(SCANS_URL).text
    assert stuck not in row(page, old_sent) and stuck in row(page, old_processing)


def test_the_reports_received_while_a_scan_ran_are_counted_and_linked(staff, actors, factory):
    started = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    finished = started + timedelta(minutes=10)
    scan = add_scan(actors.offering, actors.staff, state="Done", created=started,
                    started=started, finished=finished)
    other = factory.offering(name="Nimbus VMs")
    for name, moment, offering in [
        ("before", started - timedelta(seconds=1), actors.offering),
        ("at-start", started, actors.offering),
        ("during", started + timedelta(minutes=5), actors.offering),
        ("at-finish", finished, actors.offering),
        ("after", finished + timedelta(seconds=1), actors.offering),
        ("other-offering", started + timedelta(minutes=5), other),
    ]:
        factory.backend_resource(offering, actors.project, name=name, created=moment,
                                 modified=moment)
    page = staff.get(SCANS_URL).text
    label = "3 reports received from HPC SLURM while it ran"
    url = links(page)[label]
    assert url == (f"{LIST_URL}?offering_uuid={actors.offering.uuid.hex}"
                   "&created=2025-03-01T12:00:00Z&created_before=2025-03-01T12:10:00Z")
    assert f'id="reports-{scan.uuid.hex}"' in row(page, scan)
    table = staff.get(url)
    assert table.status_code == 200
    assert row_names(table.text) == ["at-finish", "during", "at-start"]


def test_a_running_scan_counts_reports_since_it_started_with_an_open_ended_link(staff, actors,
                                                                                factory):
    started = datetime.now(UTC) - timedelta(minutes=2)
    scan = add_scan(actors.offering, actors.staff, state="Processing", started=started)
    factory.backend_resource(actors.offering, actors.project, name="new")
    url = links(staff.get(SCANS_URL).text)["1 report received from HPC SLURM while it ran"]
    assert "created_before" not in url
    assert row_names(staff.get(url).text) == ["new"]
    assert scan.finished is None


def test_the_table_polls_only_while_something_runs_and_keeps_the_filters(staff, actors):
    scan = add_scan(actors.offering, actors.staff)
    query = {"offering_uuid": actors.offering.uuid.hex, "state": ["Sent", "Processing", "Done"]}
    expected = (f'hx-get="/scans/?offering_uuid={actors.offering.uuid.hex}&amp;state=Sent'
                f'&amp;state=Processing&amp;state=Done" {POLLING}')
    page = staff.get(SCANS_URL, query_string=query).text
    assert expected in page
    fragment = staff.get(SCANS_URL, query_string=query, headers=HX)
    assert "<html" not in fragment.text and expected in fragment.text
    assert "HX-Request" in fragment.vary

    scan.state = "Processing"
    db.session.commit()
    assert POLLING in staff.get(SCANS_URL, query_string=query, headers=HX).text
    scan.state = "Done"
    db.session.commit()
    fragment = staff.get(SCANS_URL, query_string=query, headers=HX).text
    assert POLLING not in fragment and 'id="scan-poll"' not in fragment
    assert "scan-state-done" in row(fragment, scan)


def test_send_again_redelivers_a_sent_request_and_returns_to_the_same_list(staff, actors):
    scan = add_scan(actors.offering, actors.staff, delivery="pending")
    page = staff.get(SCANS_URL, query_string={"state": "Sent", "page_size": 10}).text
    action = re.search(r'<form method="post" action="([^"]+)"', row(page, scan)).group(1)
    assert html.unescape(action) == f"/scans/{scan.uuid.hex}/resend?state=Sent&page_size=10"
    response = staff.post(html.unescape(action), data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/scans/?state=Sent&page_size=10"
    assert flashes(staff.get(response.headers["Location"]).text) == [NO_BROKER]
    [scan] = scans()
    assert scan.delivery == "not_configured" and scan.delivery_attempted is not None


def test_send_again_on_a_finished_request_is_refused_with_a_flash(staff, actors):
    scan = add_scan(actors.offering, actors.staff, state="Done", finished=datetime.now(UTC))
    page = staff.get(SCANS_URL).text
    assert "Send again" not in row(page, scan)
    response = staff.post(f"/scans/{scan.uuid.hex}/resend", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert flashes(staff.get(SCANS_URL).text) == [
        "The scan of HPC SLURM is Done now: only a request still Sent can be sent again."
    ]
    [scan] = scans()
    assert scan.delivery_attempted is None


def test_send_again_of_an_unknown_request_is_a_404(staff, actors):
    token = csrf_token(staff.get(SCANS_URL).text)
    response = staff.post(f"/scans/{'0' * 32}/resend", data={"csrf_token": token})
    assert response.status_code == 404


def test_support_reads_the_page_but_may_not_send_again(support, actors):
    scan = add_scan(actors.offering, actors.staff)
    page = support.get(SCANS_URL)
    assert page.status_code == 200
    assert shown_scans(page.text) == [scan.uuid.hex]
    assert "Send again" not in page.text and "Actions" not in page.text
    response = support.post(f"/scans/{scan.uuid.hex}/resend",
                            data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 403
    assert scans()[0].delivery_attempted is None


def test_outsiders_may_not_see_the_page(client, actors):
    assert client.get(SCANS_URL).status_code == 302  # to the login page
    log_in(client, "agent")
    assert client.get(SCANS_URL).status_code == 403


def test_filters_by_state_and_offering(staff, actors, factory):
    nimbus = factory.offering(name="Nimbus VMs")
    sent = add_scan(actors.offering, actors.staff)
    erred = add_scan(actors.offering, actors.staff, state="Erred")
    nimbus_done = add_scan(nimbus, actors.staff, state="Done")
    nimbus_sent = add_scan(nimbus, actors.staff)
    everything = staff.get(SCANS_URL).text
    assert set(shown_scans(everything)) == {s.uuid.hex for s in (sent, erred, nimbus_done,
                                                                 nimbus_sent)}
    assert re.findall(r'<option value="([0-9a-f]{32})"', everything) == [
        actors.offering.uuid.hex, nimbus.uuid.hex]
    by_state = staff.get(SCANS_URL, query_string={"state": "Erred"}).text
    assert shown_scans(by_state) == [erred.uuid.hex]
    assert '<input type="checkbox" name="state" value="Erred" checked>' in by_state
    by_both = staff.get(SCANS_URL, query_string={"offering_uuid": nimbus.uuid.hex,
                                                 "state": ["Sent", "Done"]}).text
    assert set(shown_scans(by_both)) == {nimbus_done.uuid.hex, nimbus_sent.uuid.hex}
    assert f'<option value="{nimbus.uuid.hex}" selected>Nimbus VMs</option>' in by_both
    assert links(by_both)["Clear filters"] == SCANS_URL
    none = staff.get(SCANS_URL, query_string={"offering_uuid": nimbus.uuid.hex,
                                              "state": "Processing"}).text
    assert "No scan requests match these filters." in none


def test_a_bad_state_is_a_400_that_says_so(staff, actors):
    response = staff.get(SCANS_URL, query_string={"state": "Lost"})
    assert response.status_code == 400
    assert "Select a valid choice. Lost is not one of the available choices." in response.text
    assert "<table" not in response.text


def test_pages_of_scans_and_a_page_past_the_end(staff, actors):
    start = datetime(2025, 3, 1, tzinfo=UTC)
    made = [add_scan(actors.offering, actors.staff, state="Done",
                     created=start + timedelta(minutes=n)) for n in range(12)]
    first = staff.get(SCANS_URL, query_string={"page_size": 10}).text
    assert shown_scans(first) == [scan.uuid.hex for scan in reversed(made[2:])]
    assert '<p class="pager-range">1–10 of 12</p>' in first
    assert links(first)["Next ›"] == "/scans/?page_size=10&page=2"
    second = staff.get(SCANS_URL, query_string={"page_size": 10, "page": 2}, headers=HX).text
    assert shown_scans(second) == [made[1].uuid.hex, made[0].uuid.hex]
    missing = staff.get(SCANS_URL, query_string={"page_size": 10, "page": 5})
    assert missing.status_code == 404
    assert "There is no page 5." in missing.text
    assert links(missing.text)["Go to page 1"] == "/scans/?page_size=10"


def test_statement_count_does_not_grow_with_the_page(staff, actors, factory, count_statements):
    offerings = [actors.offering, factory.offering(), factory.offering()]
    people = [actors.staff, factory.user(is_staff=True), None]
    for n in range(60):
        add_scan(offerings[n % 3], people[n % 3], state=SCAN_STATES[n % 4],
                 started=datetime.now(UTC) if n % 4 else None)
    for n in range(20):
        factory.backend_resource(offerings[n % 3], actors.project)
    counts = {}
    for size in (10, 50):
        for headers in ({}, HX):
            response, statements = get_counting_statements(
                staff, count_statements, SCANS_URL, query_string={"page_size": size},
                headers=headers,
            )
            assert len(shown_scans(response.text)) == size
            counts[(size, bool(headers))] = statements
    # The user, the offering options (full page only), the count, the rows, their offerings,
    # who asked, and the reports received: one statement for the whole page.
    assert counts == {(10, False): 7, (50, False): 7, (10, True): 6, (50, True): 6}


def test_the_page_has_no_inline_scripts_or_styles(staff, actors):
    add_scan(actors.offering, actors.staff, state="Erred", error_traceback="boom")
    page = staff.get(SCANS_URL).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert not re.search(r"\son[a-z]+=", page)
    assert not re.search(r"\sstyle=", page)
    assert '<a href="/scans/"\n                 aria-current="page">Scans</a>' in page


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "0 s"), (45, "45 s"), (252, "4 min 12 s"), (3600, "1 h"), (3605, "1 h"),
     (3660, "1 h 1 min"), (100_859, "1 d 4 h"), (-5, "0 s")],
)
def test_durations_read_in_their_largest_unit_and_the_next(seconds, words):
    assert describe_duration(timedelta(seconds=seconds)) == words
