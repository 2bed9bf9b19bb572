"""admin-users: POST {action: list|promote|demote|reset-password|delete, username?, password?}.

For an admin's session, or an admin task signed by `faas-cli invoke admin-users --sign X-Hub-Signature --key
<admin-task-key>` (body built by `python -m flmnchll.admin_tasks admin-users '{"action": "list"}'`). The
signature is checked before the body is even parsed.
"""

from __future__ import annotations

from typing import Any

from flmnchll import accounts
from flmnchll.admin_tasks import require_admin
from flmnchll.web import Request, Router

router = Router("admin-users")


def _list(body: dict[str, Any]) -> dict[str, Any]:
    page, per_page = int(body.get("page", 1)), int(body.get("per_page", 50))  # JSON's 2.0 is an integer too
    users, total = accounts.list_users(page=page, per_page=per_page, role=body.get("role"))
    return {"action": "list", "users": [u.public() for u in users], "total": total, "page": page,
            "per_page": per_page}


def _promote(body: dict[str, Any]) -> dict[str, Any]:
    return {"action": "promote", "user": accounts.set_role(body["username"], "admin").public()}


def _demote(body: dict[str, Any]) -> dict[str, Any]:
    return {"action": "demote", "user": accounts.set_role(body["username"], "viewer").public()}


def _reset_password(body: dict[str, Any]) -> dict[str, Any]:
    user, password = accounts.reset_password(body["username"], body.get("password"))
    answer: dict[str, Any] = {"action": "reset-password", "user": user.public()}
    if "password" not in body:
        answer["password"] = password  # generated: the admin has to pass it on
    return answer


def _delete(body: dict[str, Any]) -> dict[str, Any]:
    return {"action": "delete", "user": accounts.delete_user(body["username"]).public()}


ACTIONS = {"list": _list, "promote": _promote, "demote": _demote, "reset-password": _reset_password,
           "delete": _delete}


@router.route("POST", "/", operation="adminUsers")
def admin_users(request: Request) -> dict[str, Any]:
    require_admin(request)
    body = request.json()
    return ACTIONS[body["action"]](body)


handle = router.handler()
