"""In real Chromium: choosing a customer narrows the project select, and every option shows how
many reports it has under the other filters, kept up to date as the filters change."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(factory, actors):
    climate = factory.customer(name="Institute of Climate Science")
    medicine = factory.customer(name="Faculty of Medicine")
    sea_ice = factory.project(climate, name="Sea ice")
    glaciers = factory.project(climate, name="Glaciers")
    genomics = factory.project(medicine, name="Genomics")
    vms = factory.offering(name="Nimbus VMs")
    for name, project, offering in [
        ("ice-1", sea_ice, actors.offering), ("ice-2", sea_ice, vms),
        ("glacier-1", glaciers, actors.offering), ("genome-1", genomics, vms),
        ("genome-2", genomics, vms), ("genome-3", genomics, actors.offering),
    ]:
        factory.backend_resource(offering, project, name=name)
    return {"climate": climate}


def options(page, label):
    return page.get_by_label(label, exact=True).locator("option").all_inner_texts()


def test_a_customer_narrows_the_projects_and_counts_follow_the_filters(page, world):
    log_in(page)
    assert options(page, "Project") == [
        "All projects", "Genomics (3)", "Glaciers (1)", "Sea ice (2)"
    ]
    customer = page.get_by_label("Customer", exact=True)
    customer.focus()
    customer.select_option(label="Institute of Climate Science (3)")
    expect(page).to_have_url(re.compile(rf"\?customer_uuid={world['climate'].uuid.hex}$"))
    expect(page.get_by_label("Project", exact=True).locator("option")).to_have_text(
        ["All projects", "Glaciers (1)", "Sea ice (2)"]
    )
    expect(page.get_by_label("Offering", exact=True).locator("option")).to_have_text(
        ["All offerings", re.compile(r"\((1|2)\)$"), re.compile(r"\((1|2)\)$")]
    )
    assert sorted(options(page, "Offering")[1:]) == ["HPC SLURM (2)", "Nimbus VMs (1)"]
    expect(customer).to_be_focused()
    expect(customer).to_have_value(world["climate"].uuid.hex)

    page.get_by_label("Search").fill("ice")
    expect(page.get_by_label("Project", exact=True).locator("option")).to_have_text(
        ["All projects", "Sea ice (2)"]
    )
    # Back restores the earlier options with the earlier state.
    page.go_back()
    expect(page.get_by_label("Project", exact=True).locator("option")).to_have_text(
        ["All projects", "Glaciers (1)", "Sea ice (2)"]
    )
