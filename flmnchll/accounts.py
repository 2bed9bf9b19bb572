"""User accounts: names, passwords, roles, and the first administrator.

Usernames are unique case-insensitively through a unique index on `username_lower`; a signup inserts and lets
the index decide, so two signups racing for one name end as one success and one clean 409 (no read-then-write
window). Updates never touch the unique field: FerretDB 1.x reports a unique violation on update differently
from MongoDB, and usernames do not change.

Passwords are hashed with bcrypt. bcrypt only reads 72 bytes, and a 128-character password can be up to 512
bytes of UTF-8, so the password is first reduced with SHA-256 (base64, 44 bytes): every character counts.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import bcrypt
import pymongo
import pymongo.errors

from flmnchll import auth
from flmnchll.config import MissingSecret, read_secret, settings
from flmnchll.errors import BadRequest, Conflict, NotFound, ServiceUnavailable, Unauthorized
from flmnchll.stats import users
from flmnchll.stores import db, redis_client

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
ROLES = auth.ROLES
ADMIN_USERNAME = "admin"
ROLE_LOCK = "lock:admin-roles"

WRONG_CREDENTIALS = "Wrong username or password."
#: Sessions a login makes before giving up on an account whose role or name keeps changing under it.
SIGN_IN_TRIES = 3


@dataclass(frozen=True)
class User:
    id: str
    username: str
    role: str
    created_at: datetime | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> User:
        return cls(id=str(doc["_id"]), username=doc["username"], role=doc.get("role", "viewer"),
                   created_at=doc.get("created_at"))

    def principal(self) -> auth.Principal:
        return auth.Principal(id=self.id, username=self.username, role=self.role)

    def public(self) -> dict[str, Any]:
        """What the API shows about a user (never the password hash)."""
        data: dict[str, Any] = {"id": self.id, "username": self.username, "role": self.role}
        if self.created_at is not None:
            data["created_at"] = self.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return data


# --- rules -------------------------------------------------------------------------------------------------------

def check_username(username: Any) -> str:
    """The username if it follows the rules; a 400 that states them otherwise."""
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise BadRequest("A username is 3 to 32 characters: letters, digits, '_', '.' or '-'.",
                         code="invalid_username")
    return username


def check_password(password: Any, field: str = "password") -> str:
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise BadRequest(f"'{field}' must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long.",
                         code="invalid_password")
    return password


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8", "surrogatepass")).digest())


def hash_password(password: str, rounds: int | None = None) -> str:
    salt = bcrypt.gensalt(rounds=rounds or settings().bcrypt_rounds)
    return bcrypt.hashpw(_prehash(password), salt).decode("ascii")


def password_matches(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), hashed.encode("ascii"))
    except ValueError:  # a damaged hash in the database must not become a 500 or a way in
        return False


_dummy_hash: str | None = None


def _burn_time(password: str) -> None:
    """Spend one bcrypt check so an unknown name takes as long as a wrong password (no name probing by timing)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_hex(16))
    password_matches(password, _dummy_hash)


def _now() -> datetime:
    return datetime.now(UTC)


# --- reads -------------------------------------------------------------------------------------------------------

def _name_key(lower: str) -> str:
    return f"user-name:{lower}"


def find_by_username(username: str) -> dict[str, Any] | None:
    """The user document for a name, in any letter case.

    FerretDB 1.x does not use secondary indexes for queries (it scans), so a login would cost a full pass over
    the users. Redis remembers name → id (names never change) and the lookup goes by `_id`, which FerretDB
    does use; the database stays the authority: a stale or missing entry falls back to the query.
    """
    lower = username.lower()
    cache = redis_client()
    cached = cache.get(_name_key(lower))
    if cached:
        doc = db().users.find_one({"_id": cached})
        if doc is not None and doc.get("username_lower") == lower:
            return doc
    doc = db().users.find_one({"username_lower": lower})
    if doc is not None:
        cache.set(_name_key(lower), str(doc["_id"]))
    elif cached:
        cache.delete(_name_key(lower))
    return doc


def get_user(user_id: str) -> User:
    doc = db().users.find_one({"_id": user_id})
    if doc is None:
        raise NotFound("This account no longer exists.", code="user_not_found")
    return User.from_doc(doc)


def get_by_username(username: str) -> User:
    doc = find_by_username(username)
    if doc is None:
        raise NotFound(f"There is no user named '{username}'.", code="user_not_found")
    return User.from_doc(doc)


def list_users(page: int = 1, per_page: int = 50, role: str | None = None) -> tuple[list[User], int]:
    query: dict[str, Any] = {"role": role} if role else {}
    users = db().users
    total = users.count_documents(query)
    cursor = users.find(query, {"password_hash": 0}).sort("username_lower", 1).skip((page - 1) * per_page)
    return [User.from_doc(d) for d in cursor.limit(per_page)], total


def count_users() -> int:
    return db().users.count_documents({})


# --- writes ------------------------------------------------------------------------------------------------------

def create_user(username: str, password: str, role: str = "viewer") -> User:
    """Insert a new account; the unique index turns a taken name (any letter case) into a 409."""
    check_username(username)
    check_password(password)
    if role not in ROLES:
        raise BadRequest(f"Unknown role '{role}'.", code="invalid_role")
    now = _now()
    doc: dict[str, Any] = {
        "_id": uuid.uuid4().hex,
        "username": username,
        "username_lower": username.lower(),
        "role": role,
        "password_hash": hash_password(password),
        "created_at": now,
        "updated_at": now,
        "password_changed_at": now,
    }
    try:
        db().users.insert_one(doc)
    except pymongo.errors.DuplicateKeyError as exc:
        raise Conflict(f"The username '{username}' is already taken. Please choose another.",
                       code="username_taken") from exc
    redis_client().set(_name_key(doc["username_lower"]), doc["_id"])
    users.user_added()
    return User.from_doc(doc)


def _opened_account(username: str, password: str) -> dict[str, Any]:
    """The stored account these credentials open, or one 401 that does not say which part was wrong."""
    doc = find_by_username(username) if isinstance(username, str) and USERNAME_RE.match(username) else None
    if doc is None:
        _burn_time(password)
        raise Unauthorized(WRONG_CREDENTIALS, code="invalid_credentials")
    if not password_matches(password, doc.get("password_hash", "")):
        raise Unauthorized(WRONG_CREDENTIALS, code="invalid_credentials")
    return doc


def sign_in(username: str, password: str) -> tuple[User, str]:
    """Check the credentials and open a session: (the account as it is now, the session's token).

    The password check takes a while, and the account may change meanwhile: a new password, a reset, another
    role, removal. Each of those writes the account before it touches its sessions, so the account is read
    again once this session exists: either that read sees the change, or the change finds this session among
    the user's and ends or rewrites it. A session never outlives the password that opened it, nor keeps a role
    taken away. A session made from a role or name that changed meanwhile is ended and made again from the
    account as read (never by rewriting the user's other sessions, which a later change may have rewritten
    already).
    """
    checked = _opened_account(username, password)
    user = User.from_doc(checked)
    for _ in range(SIGN_IN_TRIES):
        token = auth.issue_session(user.principal())
        now = db().users.find_one({"_id": checked["_id"]})
        if now is None or now.get("password_hash") != checked.get("password_hash"):
            auth.revoke_session(token)
            raise Unauthorized(WRONG_CREDENTIALS, code="invalid_credentials")
        current = User.from_doc(now)
        if current.principal() == user.principal():
            return current, token
        auth.revoke_session(token)
        user = current
    raise ServiceUnavailable("This account is being changed right now; please log in again in a moment.",
                      code="account_changing")


def _set_password(user_id: str, new_password: str) -> None:
    now = _now()
    result = db().users.update_one(
        {"_id": user_id},
        {"$set": {"password_hash": hash_password(new_password), "password_changed_at": now, "updated_at": now}},
    )
    if result.matched_count == 0:
        raise NotFound("This account no longer exists.", code="user_not_found")


def change_password(user_id: str, current_password: str, new_password: str, keep_token: str | None) -> int:
    """Change one's own password; every other session ends. Returns how many sessions ended."""
    check_password(new_password, "new_password")
    doc = db().users.find_one({"_id": user_id})
    if doc is None:
        raise NotFound("This account no longer exists.", code="user_not_found")
    if not password_matches(current_password, doc.get("password_hash", "")):
        raise Unauthorized("The current password is not correct.", code="wrong_current_password")
    _set_password(user_id, new_password)
    return auth.revoke_all_sessions(user_id, keep_token=keep_token)


def reset_password(username: str, new_password: str | None = None) -> tuple[User, str]:
    """An administrator sets a new password (random if none given); the user's sessions all end."""
    password = new_password if new_password is not None else secrets.token_urlsafe(12)
    check_password(password)
    user = get_by_username(username)
    _set_password(user.id, password)
    auth.revoke_all_sessions(user.id)
    return user, password


def _admin_count() -> int:
    return db().users.count_documents({"role": "admin"})


def set_role(username: str, role: str) -> User:
    """Promote or demote; live sessions see the new role on their next call. The last admin stays an admin."""
    if role not in ROLES:
        raise BadRequest(f"Unknown role '{role}'.", code="invalid_role")
    # A Redis lock serialises role changes: counting admins then updating is otherwise a race (and FerretDB
    # offers no atomic conditional update to lean on).
    with redis_client().lock(ROLE_LOCK, timeout=10, blocking_timeout=5):
        user = get_by_username(username)
        if user.role == role:
            return user
        if user.role == "admin" and _admin_count() <= 1:
            raise Conflict("This is the last administrator; promote someone else first.", code="last_admin")
        db().users.update_one({"_id": user.id}, {"$set": {"role": role, "updated_at": _now()}})
    changed = User(id=user.id, username=user.username, role=role, created_at=user.created_at)
    auth.refresh_sessions(changed.principal())
    return changed


def delete_user(username: str) -> User:
    """Remove an account and end its sessions. The last admin cannot be removed."""
    with redis_client().lock(ROLE_LOCK, timeout=10, blocking_timeout=5):
        user = get_by_username(username)
        if user.role == "admin" and _admin_count() <= 1:
            raise Conflict("This is the last administrator and cannot be deleted.", code="last_admin")
        db().users.delete_one({"_id": user.id})
    redis_client().delete(_name_key(user.username.lower()))
    users.user_removed()
    auth.revoke_all_sessions(user.id)
    return user


def ensure_admin(password: str, username: str = ADMIN_USERNAME) -> str:
    """Make sure the first administrator exists: create it, or give it back the admin role.

    An existing account keeps its password, so an admin who changed it is not reset on every start.
    Returns "created", "promoted" or "exists".
    """
    doc = find_by_username(username)
    if doc is None:
        try:
            create_user(username, password, role="admin")
            return "created"
        except Conflict:  # another process created it a moment ago
            doc = find_by_username(username)
            if doc is None:
                raise
    if doc.get("role") != "admin":
        db().users.update_one({"_id": doc["_id"]}, {"$set": {"role": "admin", "updated_at": _now()}})
        auth.refresh_sessions(auth.Principal(id=str(doc["_id"]), username=doc["username"], role="admin"))
        return "promoted"
    return "exists"


def main(argv: list[str] | None = None) -> int:
    """`python -m flmnchll.accounts ensure-admin`: create the first admin from the `admin-password` secret."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["ensure-admin"]:
        print("usage: python -m flmnchll.accounts ensure-admin", file=sys.stderr)
        return 2
    try:
        password = read_secret("admin-password", "ADMIN_PASSWORD")
    except MissingSecret as exc:
        print(f"cannot create the admin account: {exc}", file=sys.stderr)
        return 1
    outcome = ensure_admin(password)
    print(f"admin account '{ADMIN_USERNAME}': {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
