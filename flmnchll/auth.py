"""Who is calling: user sessions (opaque tokens in Redis).

Admin authority (sessions of admins and signed admin tasks) is `flmnchll.admin_tasks`; calls between our own
services are `flmnchll.service_calls`. Each reads its own key, so code that only needs sessions holds neither.

Tokens are random and opaque; Redis keeps only their SHA-256, so a copy of the store holds no usable token.
Revocation is deleting keys, so logout and password changes take effect on the very next call.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass

from flmnchll.config import settings
from flmnchll.errors import Unauthorized
from flmnchll.stats.activity import mark_active
from flmnchll.stores import redis_client
from flmnchll.web import Request

ROLES = ("viewer", "admin")


@dataclass(frozen=True)
class Principal:
    id: str
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def public(self) -> dict[str, str]:
        return asdict(self)


# Who an admin task (`flmnchll.admin_tasks`) runs as.
ADMIN_TASK = Principal(id="admin-task", username="admin-task", role="admin")


def _session_key(token: str) -> str:
    return "session:" + hashlib.sha256(token.encode()).hexdigest()


def _user_sessions_key(user_id: str) -> str:
    return f"user-sessions:{user_id}"


def issue_session(user: Principal) -> str:
    token = secrets.token_urlsafe(32)
    key = _session_key(token)
    ttl = settings().session_ttl_seconds
    pipe = redis_client().pipeline()
    pipe.set(key, json.dumps(user.public()), ex=ttl)
    pipe.sadd(_user_sessions_key(user.id), key)
    pipe.expire(_user_sessions_key(user.id), ttl)
    pipe.execute()
    return token


def principal_for(token: str) -> Principal | None:
    raw = redis_client().get(_session_key(token))
    if raw is None:
        return None
    data = json.loads(raw)
    return Principal(id=data["id"], username=data["username"], role=data["role"])


def revoke_session(token: str) -> None:
    key = _session_key(token)
    client = redis_client()
    raw = client.get(key)
    pipe = client.pipeline()
    pipe.delete(key)
    if raw:
        pipe.srem(_user_sessions_key(json.loads(raw)["id"]), key)
    pipe.execute()


def revoke_all_sessions(user_id: str, keep_token: str | None = None) -> int:
    """End every session of a user (log out everywhere, password change, account removal).

    `keep_token` spares the caller's own session, so changing one's password does not log out the tab doing it.
    """
    client = redis_client()
    keep = _session_key(keep_token) if keep_token else None
    keys = [k for k in client.smembers(_user_sessions_key(user_id)) if k != keep]
    pipe = client.pipeline()
    if keys:
        pipe.delete(*keys)
        pipe.srem(_user_sessions_key(user_id), *keys)
    if keep is None:
        pipe.delete(_user_sessions_key(user_id))
    pipe.execute()
    return len(keys)


def refresh_sessions(user: Principal) -> None:
    """Rewrite a user's live sessions after a change to name or role, keeping their expiry."""
    client = redis_client()
    for key in client.smembers(_user_sessions_key(user.id)):
        ttl = client.ttl(key)
        if ttl and ttl > 0:
            client.set(key, json.dumps(user.public()), ex=ttl)
        else:
            client.srem(_user_sessions_key(user.id), key)


def authenticate(request: Request) -> Principal:
    """The signed-in user, or a 401 that says how to sign in; the request remembers who it is (`Request.user_id`)."""
    token = request.bearer_token()
    if not token:
        raise Unauthorized("Please log in: this call needs an 'Authorization: Bearer <token>' header.",
                           code="not_logged_in")
    principal = principal_for(token)
    if principal is None:
        raise Unauthorized("Your session has expired or was ended. Please log in again.", code="session_expired")
    identify(request, principal.id)
    return principal


def identify(request: Request, user_id: str) -> None:
    """The request is this user's: DAU/MAU count them once the call is over, answered or not.

    Here rather than in the Router, so that functions nobody signs in to (openapi, clock) hold no store key.
    """
    if request.user_id is None:
        request.when_done.append(lambda: mark_active(user_id))
    request.user_id = user_id
