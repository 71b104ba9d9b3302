"""Every call tokenvend makes to another server, each bounded by one deadline and a size cap.

Gemini, Google's key servers, Firebase App Check and Firestore are all reached through
one ``client``: a small ``pool`` of kept-alive connections per host, with one rule for
every call. The connect, the request, the answer's head and its body share one total
deadline, each read waiting at most for what is left of it (``connection``); the body
is refused past the call's cap, and a connection whose answer was not read to its end
is closed, never reused. A call ends in a whole ``answer`` or one of a few errors that
never quote what was sent or received. Where an upstream needs Google credentials,
``credentials`` finds and refreshes them through the same pool, inside the same deadline.

It is http.client rather than urllib3 because the per-call work is what a token costs
in CPU (docs/performance.md has the numbers).
"""

from tokenvend.outbound.answer import (
    Answer,
    Broken,
    Closed,
    CredentialsTimedOut,
    NoCredentials,
    OutboundError,
    TimedOut,
    TooLarge,
    Unreachable,
    Unreadable,
)
from tokenvend.outbound.client import DEFAULT_CONNECT_TIMEOUT_SECONDS, Authorization, Outbound
from tokenvend.outbound.credentials import (
    EMULATOR_AUTHORIZATION,
    MAX_CREDENTIAL_ANSWER_BYTES,
    CredentialTransport,
    EmulatorCredentials,
    GoogleCredentials,
)
from tokenvend.outbound.pool import IDLE_SECONDS

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT_SECONDS",
    "EMULATOR_AUTHORIZATION",
    "IDLE_SECONDS",
    "MAX_CREDENTIAL_ANSWER_BYTES",
    "Answer",
    "Authorization",
    "Broken",
    "Closed",
    "CredentialTransport",
    "CredentialsTimedOut",
    "EmulatorCredentials",
    "GoogleCredentials",
    "NoCredentials",
    "Outbound",
    "OutboundError",
    "TimedOut",
    "TooLarge",
    "Unreachable",
    "Unreadable",
]
