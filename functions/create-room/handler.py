"""create-room: POST {name, pin?, content_id?} → 201 the room with its PeerJS server `peer: {host, port, path, key}`."""

from __future__ import annotations

from flmnchll.auth import authenticate
from flmnchll.rooms import rooms
from flmnchll.web import Request, Response, Router

router = Router("create-room")


@router.route("POST", "/", operation="createRoom")
def create(request: Request) -> Response:
    user = authenticate(request)
    body = request.json()
    room = rooms.create(user, body["name"], body.get("pin"), body.get("content_id"))
    return Response(room, status=201, headers={"Location": f"/function/room/{room['id']}"})


handle = router.handler()
