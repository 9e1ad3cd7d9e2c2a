"""The official waldur-api-client pointed at the live test server, as an actor."""

import pytest
from waldur_api_client import AuthenticatedClient, errors


@pytest.fixture
def official(live_server, actors):
    """Open an AuthenticatedClient as an actor by name (or with a raw token)."""
    clients = []

    def open_client(who: str = "staff", token: str | None = None) -> AuthenticatedClient:
        client = AuthenticatedClient(
            base_url=live_server, token=token or actors.tokens[who], timeout=30
        )
        clients.append(client.__enter__())
        return client

    yield open_client
    for client in clients:
        client.__exit__(None, None, None)


def status_of(call) -> int:
    """Run a client call that must fail and return the HTTP status it failed with."""
    with pytest.raises(errors.UnexpectedStatus) as raised:
        call()
    return raised.value.status_code
