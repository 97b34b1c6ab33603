"""The one way this project opens a Redis client: with time limits on every socket.

Without them a connection that dies without a reset (a restarted server behind NAT, a host that
vanished) leaves a command waiting for ever, and the sender loop or a request with it.
"""

from __future__ import annotations

import redis.asyncio as redis

# Longer than any command of ours may block: XREADGROUP waits at most the sender's 1 s poll.
SOCKET_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 5.0
# A connection idle this long is pinged before it is used again, so a dead one is replaced.
HEALTH_CHECK_INTERVAL_S = 30


def redis_client(url: str, decode_responses: bool = False) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=decode_responses,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_keepalive=True,
        health_check_interval=HEALTH_CHECK_INTERVAL_S,
    )
