"""room: a member's calls inside a room (state, heartbeat, playback, votes, host controls) and TURN credentials."""

from __future__ import annotations

from flmnchll import openapi
from flmnchll.auth import authenticate
from flmnchll.rooms import rooms, turn
from flmnchll.web import Request, Router

router = Router("room")

HEARTBEAT = {"type": "object", "properties": {"position": {"type": "number", "minimum": 0},
                                              "playing": {"type": "boolean"}}}
VOTE = {"type": "object", "required": ["content_id"],
        "properties": {"content_id": {"type": "string", "minLength": 1}, "remove": {"type": "boolean"}}}
NEXT = {"type": "object", "properties": {"ended": {"type": "string", "minLength": 1}}}
HOST = {"type": "object", "required": ["user_id"], "properties": {"user_id": {"type": "string", "minLength": 1}}}
LOCK = {"type": "object", "required": ["locked"], "properties": {"locked": {"type": "boolean"}}}


@router.route("GET", "/mine")
def mine(request: Request) -> dict:
    return rooms.mine(authenticate(request))


@router.route("GET", "/turn")
def turn_credentials(request: Request) -> dict:
    user = authenticate(request)
    return {"ice_servers": turn.ice_servers(user.id), "ttl": turn.credential_ttl()}


@router.route("GET", "/{id}")
def state(request: Request) -> dict:
    return rooms.state(authenticate(request), request.params["id"])


@router.route("POST", "/{id}/leave")
def leave(request: Request) -> dict:
    return rooms.leave(authenticate(request), request.params["id"])


@router.route("POST", "/{id}/heartbeat")
def heartbeat(request: Request) -> dict:
    user = authenticate(request)
    body = request.json(HEARTBEAT)
    return rooms.heartbeat(user, request.params["id"], body.get("position"), body.get("playing"))


@router.route("POST", "/{id}/playback")
def playback(request: Request) -> dict:
    user = authenticate(request)
    body = request.json(openapi.schema("Playback"))
    return rooms.playback(user, request.params["id"], body["action"], body.get("position"), body.get("rate"),
                          body.get("at"))


@router.route("POST", "/{id}/propose")
def propose(request: Request) -> dict:
    user = authenticate(request)
    return rooms.propose(user, request.params["id"], request.json(openapi.schema("ContentRef"))["content_id"])


@router.route("POST", "/{id}/vote")
def vote(request: Request) -> dict:
    user = authenticate(request)
    body = request.json(VOTE)
    return rooms.vote(user, request.params["id"], body["content_id"], bool(body.get("remove")))


@router.route("POST", "/{id}/next")
def play_next(request: Request) -> dict:
    user = authenticate(request)
    return rooms.play_next(user, request.params["id"], request.json(NEXT).get("ended"))


@router.route("POST", "/{id}/content")
def set_content(request: Request) -> dict:
    user = authenticate(request)
    return rooms.set_content(user, request.params["id"], request.json(openapi.schema("ContentRef"))["content_id"])


@router.route("POST", "/{id}/host")
def set_host(request: Request) -> dict:
    user = authenticate(request)
    return rooms.set_host(user, request.params["id"], request.json(HOST)["user_id"])


@router.route("POST", "/{id}/lock")
def set_lock(request: Request) -> dict:
    user = authenticate(request)
    return rooms.set_locked(user, request.params["id"], request.json(LOCK)["locked"])


handle = router.handler()
