"""Web API method handlers: each takes the workspace, the call's arguments and the caller's
user id, and returns the success body or raises `ApiError` with the error Slack would give."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..state import Workspace
from . import chat, files, people, views

Handler = Callable[[Workspace, dict[str, Any], str], dict[str, Any]]


METHODS: dict[str, Handler] = {
    "auth.test": people.auth_test,
    "chat.postMessage": chat.chat_post_message,
    "chat.update": chat.chat_update,
    "chat.postEphemeral": chat.chat_post_ephemeral,
    "conversations.open": people.conversations_open,
    "conversations.replies": chat.conversations_replies,
    "users.info": people.users_info,
    "users.lookupByEmail": people.users_lookup_by_email,
    "views.open": views.views_open,
    "views.push": views.views_open,
    "views.update": views.views_update,
    "views.publish": views.views_publish,
    "files.info": files.files_info,
    "files.getUploadURLExternal": files.files_get_upload_url_external,
    "files.completeUploadExternal": files.files_complete_upload_external,
    "apps.connections.open": people.apps_connections_open,
}
APP_TOKEN_METHODS = {"apps.connections.open"}
