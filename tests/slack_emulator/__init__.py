"""A local Slack for billbot's tests: the Web API emulator (`SlackEmulator`), Block Kit
limits (`validate_blocks`, `validate_view`) and Slack's side of the conversation (`payloads`,
`signing`)."""

from .blockkit import validate_blocks, validate_view
from .payloads import (
    app_home_opened_event,
    block_actions,
    button_action,
    event_callback,
    file_shared_event,
    message_changed_event,
    message_deleted_event,
    message_event,
    new_trigger_id,
    state_values,
    url_verification,
    view_submission,
)
from .server import SlackEmulator
from .signing import (
    AppResponse,
    SlackRequest,
    apost_to_app,
    post_to_app,
    sign,
    signed_event,
    signed_headers,
    signed_interaction,
)
from .state import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, ApiError, Call

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "TEAM_ID",
    "ApiError",
    "AppResponse",
    "Call",
    "SlackEmulator",
    "SlackRequest",
    "apost_to_app",
    "app_home_opened_event",
    "block_actions",
    "button_action",
    "event_callback",
    "file_shared_event",
    "message_changed_event",
    "message_deleted_event",
    "message_event",
    "new_trigger_id",
    "post_to_app",
    "sign",
    "signed_event",
    "signed_headers",
    "signed_interaction",
    "state_values",
    "url_verification",
    "validate_blocks",
    "validate_view",
    "view_submission",
]
