"""Routes whose other methods answer 405 only after authentication, as DRF orders its checks."""

from flask import abort

from console.api import bp

STANDARD_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def refuse_other_methods(rule: str, allowed: tuple[str, ...]) -> None:
    """Route the methods a path does not offer to a view that answers 405 (auth runs first)."""
    others = [method for method in STANDARD_METHODS if method not in allowed]
    valid = list(allowed) + (["HEAD"] if "GET" in allowed else []) + ["OPTIONS"]

    def method_not_allowed(**_path_values):
        """Answer `Method "X" not allowed.` with the Allow header."""
        abort(405, valid_methods=valid)

    endpoint = "not_allowed_" + rule.strip("/").replace("/", "_").replace("<", "").replace(">", "")
    bp.add_url_rule(rule, endpoint=endpoint, view_func=method_not_allowed, methods=others)
