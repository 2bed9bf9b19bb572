"""Every index of the application database in one place, so none depends on which modules a process imported.

`stores.db()` runs `ensure_indexes` once per process, at the first use of the database; creating an index
that exists is a no-op, so every process may run it. The unique ones are rules the code relies on: one account
per name ignoring case, one view per user, item and day, one catalogue entry per upload.
"""

from __future__ import annotations

import pymongo
import pymongo.errors
from pymongo.database import Database

ASC, DESC = pymongo.ASCENDING, pymongo.DESCENDING


def ensure_indexes(database: Database) -> None:
    database.users.create_index([("username_lower", ASC)], unique=True, name="username_lower_unique")
    database.users.create_index([("role", ASC)], name="role")

    database.content.create_index("upload_id", unique=True, name="upload_id_unique")
    database.content.create_index([("status", ASC), ("created_at", DESC)], name="status_created")
    database.content.create_index([("created_at", DESC)], name="created")
    database.progress.create_index([("user_id", ASC), ("updated_at", DESC)], name="user_recent")

    try:  # rooms expire by themselves where the server has TTL indexes; elsewhere the sweep removes them
        database.rooms.create_index("expires_at", expireAfterSeconds=0, name="rooms_expiry")
    except pymongo.errors.OperationFailure:
        database.rooms.create_index("expires_at", name="rooms_expiry_plain")
    database.rooms.create_index("peer_port")

    database.views.create_index([("user_id", ASC), ("content_id", ASC), ("day", ASC)],
                                unique=True, name="one_view_per_user_item_day")
    database.views.create_index([("day", ASC)], name="day")
    database.health.create_index([("at", DESC)], name="at")
