"""Helpers for the API tests: authenticated requests by actor name."""

import pytest
from waldur_api_client import AuthenticatedClient


class Api:
    """Sends requests to the test client as one of the actors (or anonymously)."""

    def __init__(self, client, actors):
        self.client = client
        self.actors = actors

    def request(self, method: str, path: str, who: str | None = "staff", **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers.update(self.actors.headers(who))
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, who="staff", **kwargs):
        return self.request("GET", path, who, **kwargs)

    def head(self, path, who="staff", **kwargs):
        return self.request("HEAD", path, who, **kwargs)

    def post(self, path, who="staff", **kwargs):
        return self.request("POST", path, who, **kwargs)

    def delete(self, path, who="staff", **kwargs):
        return self.request("DELETE", path, who, **kwargs)


@pytest.fixture
def api(client, actors):
    """Requests as an actor: `api.get(path, "agent")`."""
    return Api(client, actors)


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
