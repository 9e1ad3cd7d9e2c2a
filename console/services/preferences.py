"""What each console user chose for themselves: how dense the backend resource table is."""

from console.models import LIST_DENSITIES, User
from console.services import ValidationFailed


def set_list_density(session, user: User, density: str) -> None:
    """Remember "compact" or "comfortable" rows for this user."""
    if density not in LIST_DENSITIES:
        raise ValidationFailed({"density": [f"Choose one of: {', '.join(LIST_DENSITIES)}."]})
    user.list_density = density
    session.commit()
