"""The plan select of an import: the single form and each offering of a bulk import."""

from console.models import Offering, Plan

NO_PLAN = ""


def plan_choices(offering: Offering, plans: list[Plan]) -> list[tuple[str, str]]:
    """Options of the plan select: "No plan" only for private offerings, else a prompt."""
    if not offering.shared:
        first = [(NO_PLAN, "No plan")]
    elif len(plans) != 1:
        first = [(NO_PLAN, "Choose a plan…")]
    else:
        first = []
    return first + [(plan.uuid.hex, plan_label(plan)) for plan in plans]


def plan_label(plan: Plan) -> str:
    """The text of a plan option: name, unit and description."""
    label = f"{plan.name} (per {plan.unit})" if plan.unit else plan.name
    return f"{label} — {plan.description}" if plan.description else label
