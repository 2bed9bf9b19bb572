"""room: a member's calls inside a room (state, heartbeat, playback, votes, host controls) and TURN credentials."""

from __future__ import annotations

from flmnchll.auth import authenticate
from flmnchll.rooms import rooms, turn
from flmnchll.web import Request, Router

router = Router("room")

@router.route("GET", "/mine", operation="myRooms")
def mine(request: Request) -> dict:
    return rooms.mine(authenticate(request))


@router.route("GET", "/turn", operation="turnCredentials")
def turn_credentials(request: Request) -> dict:
    user = authenticate(request)
    return {"ice_servers": turn.ice_servers(user.id), "ttl": turn.credential_ttl()}


@router.route("GET", "/{id}", operation="roomState")
def state(request: Request) -> dict:
    return rooms.state(authenticate(request), request.params["id"])


@router.route("POST", "/{id}/leave", operation="roomLeave")
def leave(request: Request) -> dict:
    return rooms.leave(authenticate(request), request.params["id"])


@router.route("POST", "/{id}/heartbeat", operation="roomHeartbeat")
def heartbeat(request: Request) -> dict:
    user = authenticate(request)
    body = request.json()
    return rooms.heartbeat(user, request.params["id"], body.get("position"), body.get("playing"))


@router.route("POST", "/{id}/playback", operation="roomPlayback")
def playback(request: Request) -> dict:
    user = authenticate(request)
    body = request.json()
    return rooms.playback(user, request.params["id"], body["action"], body.get("position"), body.get("rate"),
                          body.get("at"))


@router.route("POST", "/{id}/propose", operation="roomPropose")
def propose(request: Request) -> dict:
    user = authenticate(request)
    return rooms.propose(user, request.params["id"], request.json()["content_id"])


@router.route("POST", "/{id}/vote", operation="roomVote")
def vote(request: Request) -> dict:
    user = authenticate(request)
    body = request.json()
    return rooms.vote(user, request.params["id"], body["content_id"], bool(body.get("remove")))


@router.route("POST", "/{id}/next", operation="roomNext")
def play_next(request: Request) -> dict:
    user = authenticate(request)
    return rooms.play_next(user, request.params["id"], request.json().get("ended"))


@router.route("POST", "/{id}/content", operation="roomContent")
def set_content(request: Request) -> dict:
    user = authenticate(request)
    return rooms.set_content(user, request.params["id"], request.json()["content_id"])


@router.route("POST", "/{id}/host", operation="roomHost")
def set_host(request: Request) -> dict:
    user = authenticate(request)
    return rooms.set_host(user, request.params["id"], request.json()["user_id"])


@router.route("POST", "/{id}/remove", operation="roomRemove")
def remove_member(request: Request) -> dict:
    user = authenticate(request)
    return rooms.remove_member(user, request.params["id"], request.json()["user_id"])


@router.route("POST", "/{id}/lock", operation="roomLock")
def set_lock(request: Request) -> dict:
    user = authenticate(request)
    return rooms.set_locked(user, request.params["id"], request.json()["locked"])


handle = router.handler()
