"""Refused API tokens are counted per client address; past the limit the answer is 429."""

import logging

LIST = "/api/backend-resources/"


def get_with(api, key: str, address: str = "127.0.0.1"):
    return api.client.get(
        LIST, headers={"Authorization": f"Token {key}"}, environ_base={"REMOTE_ADDR": address}
    )


def test_too_many_bad_tokens_from_one_address_are_throttled(api, actors, app, caplog):
    app.config["CONSOLE_TOKEN_FAILURE_LIMITS"] = "3 per minute; 10 per hour"
    with caplog.at_level(logging.WARNING):
        statuses = [get_with(api, f"bad{n:037d}").status_code for n in range(3)]
    assert statuses == [401, 401, 401]
    throttled = get_with(api, "bad-again")
    assert throttled.status_code == 429
    assert throttled.get_json()["detail"].startswith(
        "Request was throttled. Expected available in "
    )
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    # A valid token still works from there, and other addresses are not affected.
    assert get_with(api, actors.tokens["agent"]).status_code == 200
    assert get_with(api, "bad", "10.1.2.3").status_code == 401
    logged = caplog.text
    assert "API token refused from 127.0.0.1: Invalid token. (GET /api/backend-resources/)" \
        in logged
    assert "bad0000" not in logged


def test_requests_without_credentials_are_not_counted(api, app):
    app.config["CONSOLE_TOKEN_FAILURE_LIMITS"] = "2 per minute"
    for _ in range(5):
        assert api.client.get(LIST).status_code == 401
