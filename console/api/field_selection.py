"""Waldur's `?field=` projection (RestrictedSerializerMixin): only the keys asked for."""

FIELD_PARAMETER = "field"


def restrict(body: dict, args) -> dict:
    """Keep only the keys named by `field` parameters, in the body's order.

    Names the body does not have are ignored; when none of the names is a key, the whole body
    is returned, as upstream does.
    """
    wanted = {name for name in args.getlist(FIELD_PARAMETER) if name in body}
    if not wanted:
        return body
    return {key: value for key, value in body.items() if key in wanted}


def restricted(represent, args):
    """Wrap a row's representation so that it keeps only the keys `field` asks for."""
    return lambda item: restrict(represent(item), args)
