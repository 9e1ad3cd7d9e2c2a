"""Routes whose other methods answer 405 only after authentication, as DRF orders its checks."""

from flask import abort, request

from console.api import bp

STANDARD_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Full rule (with the blueprint's prefix) -> the methods it offers, as `Allow` lists them.
OFFERED_METHODS: dict[str, list[str]] = {}


def refuse_other_methods(rule: str, allowed: tuple[str, ...]) -> None:
    """Route the methods a path does not offer to a view that answers 405 (auth runs first)."""
    others = [method for method in STANDARD_METHODS if method not in allowed]
    valid = list(allowed) + (["HEAD"] if "GET" in allowed else []) + ["OPTIONS"]
    OFFERED_METHODS[bp.url_prefix + rule] = valid

    def method_not_allowed(**_path_values):
        """Answer `Method "X" not allowed.` with the Allow header."""
        abort(405, valid_methods=valid)

    endpoint = "not_allowed_" + rule.strip("/").replace("/", "_").replace("<", "").replace(">", "")
    bp.add_url_rule(rule, endpoint=endpoint, view_func=method_not_allowed, methods=others)


@bp.after_request
def allow_only_offered_methods(response):
    """OPTIONS lists the methods a path offers, not those routed to the 405 view."""
    rule = request.url_rule
    if request.method == "OPTIONS" and rule is not None and rule.rule in OFFERED_METHODS:
        response.headers["Allow"] = ", ".join(OFFERED_METHODS[rule.rule])
    return response
