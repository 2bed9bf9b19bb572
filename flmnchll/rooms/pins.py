"""Room PINs: bcrypt hashes at rest, and guessing slowed by the shared guess throttle.

A 4-digit PIN falls to a few thousand guesses, so each (room, member) pair gets a few free tries and then waits
that double with every further failure; failures against the room from everyone, and from one address across
rooms, lengthen the waits of members who have failed themselves. No one's failures ever delay another member's
first try, so no stranger can keep a member with the right PIN out of a room (docs/accounts.md).
"""

from __future__ import annotations

import re

import bcrypt

from flmnchll.config import settings
from flmnchll.errors import BadRequest, Forbidden
from flmnchll.ratelimit import GuessPolicy, GuessThrottle

PIN_RE = re.compile(r"^[0-9]{4,12}$")

PIN_DEFAULTS = GuessPolicy(free_failures=3, free_failures_under_pressure=1, first_delay=2.0, max_delay=3600.0,
                           memory=86400, pressure_window=900, target_pressure_step=10, address_pressure_step=10)


def pin_policy() -> GuessPolicy:
    return GuessPolicy.from_env("ROOM_PIN", "room", PIN_DEFAULTS)


PIN_GUESSES = GuessThrottle(kind="pin", target="room", policy=pin_policy,
                            refusal="Too many wrong PINs for this room.", code="too_many_pin_tries",
                            failure=Forbidden)


def check_format(pin: str) -> str:
    if not isinstance(pin, str) or not PIN_RE.match(pin):
        raise BadRequest("The PIN must be 4 to 12 digits.", code="invalid_pin")
    return pin


def hash_pin(pin: str) -> str:
    check_format(pin)
    return bcrypt.hashpw(pin.encode(), bcrypt.gensalt(rounds=settings().bcrypt_rounds)).decode()


def check_pin(pin_hash: str, given: str | None, *, room_id: str, user_id: str, client_ip: str) -> None:
    """Pass silently for the right PIN; 403 for a wrong or missing one; 429 while this member must wait."""
    if not given:
        raise Forbidden("This room needs a PIN.", code="pin_required")
    with PIN_GUESSES.attempt(room_id, user_id, client_ip):
        if not (PIN_RE.match(given) and bcrypt.checkpw(given.encode(), pin_hash.encode())):
            raise Forbidden("Wrong PIN for this room.", code="wrong_pin")
