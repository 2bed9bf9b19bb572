"""login: POST {username, password} → 200 {token, user}; 401 on wrong credentials, 429 after too many."""

from __future__ import annotations

from flmnchll import accounts, auth, ratelimit
from flmnchll.config import settings
from flmnchll.web import Request, Router

router = Router("login")


@router.route("POST", "/", operation="login")
def login(request: Request) -> dict:
    body = request.json()
    with ratelimit.login_attempt(body["username"], request.client_ip):
        user, token = accounts.sign_in(body["username"], body["password"])
    auth.identify(request, user.id)  # a login is the first call of the session: it counts the user active
    return {"token": token, "expires_in": settings().session_ttl_seconds, "user": user.public()}


handle = router.handler()
