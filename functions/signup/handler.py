"""signup: POST {username, password} → 201 {id, username}; 409 when the name is taken (in any letter case)."""

from __future__ import annotations

from flmnchll import accounts, signup_limit
from flmnchll.web import Request, Response, Router

router = Router("signup")


@router.route("POST", "/", operation="signup")
def signup(request: Request) -> Response:
    body = request.json()
    signup_limit.check_signup_allowed(request.client_ip)
    user = accounts.create_user(body["username"], body["password"])
    return Response({"id": user.id, "username": user.username, "role": user.role}, status=201)


handle = router.handler()
