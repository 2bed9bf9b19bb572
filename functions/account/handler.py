"""account: the signed-in user's own account.

GET /me, POST /logout, POST /logout-all, POST /password {current_password, new_password}.
"""

from __future__ import annotations

from flmnchll import accounts, auth, ratelimit
from flmnchll.web import Request, Router

router = Router("account")


@router.route("GET", "/me", operation="accountMe")
def me(request: Request) -> dict:
    principal = auth.authenticate(request)
    return accounts.get_user(principal.id).public()


@router.route("POST", "/logout", operation="accountLogout")
def logout(request: Request) -> dict:
    auth.authenticate(request)
    auth.revoke_session(request.bearer_token() or "")
    return {"ok": True, "sessions_ended": 1}


@router.route("POST", "/logout-all", operation="accountLogoutAll")
def logout_all(request: Request) -> dict:
    principal = auth.authenticate(request)
    return {"ok": True, "sessions_ended": auth.revoke_all_sessions(principal.id)}


@router.route("POST", "/password", operation="accountPassword")
def change_password(request: Request) -> dict:
    principal = auth.authenticate(request)
    body = request.json()
    with ratelimit.password_check_attempt(principal.id, request.client_ip):
        ended = accounts.change_password(principal.id, body["current_password"], body["new_password"],
                                         keep_token=request.bearer_token())
    return {"ok": True, "sessions_ended": ended}


handle = router.handler()
