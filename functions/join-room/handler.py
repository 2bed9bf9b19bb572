"""join-room: POST {room_id, pin?} → the room's state, a peer token for its PeerJS server, and ICE servers."""

from __future__ import annotations

from flmnchll.auth import authenticate
from flmnchll.rooms import rooms
from flmnchll.web import Request, Router

router = Router("join-room")


@router.route("POST", "/", operation="joinRoom")
def join(request: Request) -> dict:
    user = authenticate(request)
    body = request.json()
    return rooms.join(user, body["room_id"].strip().lower(), body.get("pin"), request.client_ip)


handle = router.handler()
