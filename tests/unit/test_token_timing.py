"""When a service fetches its next token: at three quarters of a long lifetime (at the latest a
minute before the end), at half of a short one."""

import pytest

from security.client_credentials import AccessToken


@pytest.mark.parametrize(
    ("lifetime", "renew_after"),
    [(4, 2), (60, 30), (300, 225), (3600, 2700), (86400, 64800)],
)
def test_the_next_token_is_fetched_in_time(lifetime: float, renew_after: float) -> None:
    token = AccessToken("t", lifetime, fetched_at=1000.0)
    assert token.refresh_at == 1000.0 + renew_after
    assert token.refresh_at < token.expires_at
    if lifetime >= 240:  # long enough: at the latest a minute before the end
        assert token.expires_at - token.refresh_at >= 60
