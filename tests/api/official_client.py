"""Helpers for tests that drive the official waldur-api-client."""

import pytest
from waldur_api_client import errors


def status_of(call) -> int:
    """Run a client call that must fail and return the HTTP status it failed with."""
    with pytest.raises(errors.UnexpectedStatus) as raised:
        call()
    return raised.value.status_code
