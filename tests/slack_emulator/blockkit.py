"""Block Kit validation with Slack's published limits, worded the way Slack words its errors.

Each problem is one string like Slack's `response_metadata.messages` entries:
`[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
"""

from __future__ import annotations

from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: dict[str, int] = {"message": 50, "modal": 100, "home": 100}
MAX_MESSAGE_TEXT = 40_000

_SELECTS = {
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
}
_PICKERS = {"datepicker", "timepicker", "datetimepicker"}
_CHOICES = {"checkboxes", "radio_buttons"}
_TEXT_INPUTS = {
    "plain_text_input",
    "number_input",
    "email_text_input",
    "url_text_input",
    "rich_text_input",
}
_ACTIONS_ELEMENTS = {"button", "overflow", *_SELECTS, *_PICKERS, *_CHOICES, "rich_text_input"}
_ACCESSORY_ELEMENTS = {"button", "overflow", "image", *_SELECTS, *_PICKERS, *_CHOICES}
_INPUT_ELEMENTS = {*_TEXT_INPUTS, *_SELECTS, *_PICKERS, *_CHOICES, "file_input"}
_CONTEXT_ELEMENTS = {"image", "plain_text", "mrkdwn"}
_MAX_OPTIONS = {"overflow": 5, "checkboxes": 10, "radio_buttons": 10}


class _Checker:
    def __init__(self, surface: Surface) -> None:
        self.surface = surface
        self.errors: list[str] = []

    def error(self, message: str, pointer: str) -> None:
        self.errors.append(f"[ERROR] {message} [json-pointer:{pointer}]")

    def max_len(self, obj: dict[str, Any], key: str, limit: int, pointer: str) -> None:
        value = obj.get(key)
        if value is None:
            return
        if not isinstance(value, str):
            self.error("must be a string", f"{pointer}/{key}")
        elif len(value) > limit:
            self.error(f"must be less than {limit + 1} characters", f"{pointer}/{key}")

    def items(self, obj: dict[str, Any], key: str, pointer: str, *, low: int, high: int) -> list:
        value = obj.get(key)
        if not isinstance(value, list):
            self.error(f"missing required field: {key}", pointer)
            return []
        if len(value) < low:
            self.error(f"must provide at least {low} items", f"{pointer}/{key}")
        if len(value) > high:
            self.error(f"no more than {high} items allowed", f"{pointer}/{key}")
        return value

    def text(
        self,
        obj: dict[str, Any],
        key: str,
        pointer: str,
        *,
        limit: int,
        plain: bool = False,
        required: bool = True,
    ) -> None:
        if obj.get(key) is None:
            if required:
                self.error(f"missing required field: {key}", pointer)
            return
        self.text_object(obj[key], f"{pointer}/{key}", limit=limit, plain=plain)

    def text_object(self, value: Any, pointer: str, *, limit: int, plain: bool = False) -> None:
        if not isinstance(value, dict):
            self.error("must be a text object", pointer)
            return
        allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if value.get("type") not in allowed:
            self.error(f"must be one of {', '.join(allowed)}", f"{pointer}/type")
        text = value.get("text")
        if not isinstance(text, str):
            self.error("missing required field: text", pointer)
        elif not text:
            self.error("must be more than 0 characters", f"{pointer}/text")
        elif len(text) > limit:
            self.error(f"must be less than {limit + 1} characters", f"{pointer}/text")

    def option(self, option: Any, pointer: str) -> None:
        if not isinstance(option, dict):
            self.error("must be an option object", pointer)
            return
        self.text(option, "text", pointer, limit=75)
        self.text(option, "description", pointer, limit=75, plain=True, required=False)
        if not option.get("value"):
            self.error("missing required field: value", pointer)
        self.max_len(option, "value", 150, pointer)

    def confirm(self, element: dict[str, Any], pointer: str) -> None:
        dialog = element.get("confirm")
        if dialog is None:
            return
        where = f"{pointer}/confirm"
        if not isinstance(dialog, dict):
            self.error("must be a confirmation dialog object", where)
            return
        self.text(dialog, "title", where, limit=100, plain=True)
        self.text(dialog, "text", where, limit=300)
        self.text(dialog, "confirm", where, limit=30, plain=True)
        self.text(dialog, "deny", where, limit=30, plain=True)

    def element(self, element: Any, pointer: str, allowed: set[str]) -> None:
        kind = element.get("type") if isinstance(element, dict) else None
        if kind not in allowed:
            self.error(f"failed to match all allowed schemas (unsupported type: {kind})", pointer)
            return
        self.max_len(element, "action_id", 255, pointer)
        self.text(element, "placeholder", pointer, limit=150, plain=True, required=False)
        self.confirm(element, pointer)
        if kind == "button":
            self.text(element, "text", pointer, limit=75, plain=True)
            self.max_len(element, "value", 2000, pointer)
            self.max_len(element, "url", 3000, pointer)
            self.max_len(element, "accessibility_label", 75, pointer)
            if element.get("style") not in (None, "primary", "danger"):
                self.error("must be a valid enum value", f"{pointer}/style")
        elif kind == "image":
            self.max_len(element, "image_url", 3000, pointer)
            self.max_len(element, "alt_text", 2000, pointer)
            if "alt_text" not in element:
                self.error("missing required field: alt_text", pointer)
        elif kind == "plain_text_input":
            for key in ("min_length", "max_length"):
                length = element.get(key)
                if length is not None and not (0 <= length <= 3000):
                    self.error("must be between 0 and 3000", f"{pointer}/{key}")
        elif kind == "number_input":
            if not isinstance(element.get("is_decimal_allowed"), bool):
                self.error("missing required field: is_decimal_allowed", pointer)
        elif kind == "file_input":
            if self.surface != "modal":
                self.error("file_input is only supported in modals", pointer)
            max_files = element.get("max_files", 10)
            if not (isinstance(max_files, int) and 1 <= max_files <= 10):
                self.error("must be between 1 and 10", f"{pointer}/max_files")
        if kind in _MAX_OPTIONS or kind in {"static_select", "multi_static_select"}:
            high = _MAX_OPTIONS.get(kind, 100)
            if "option_groups" in element:
                groups = self.items(element, "option_groups", pointer, low=1, high=100)
                for g, group in enumerate(groups):
                    where = f"{pointer}/option_groups/{g}"
                    self.text(group, "label", where, limit=75, plain=True)
                    for i, option in enumerate(
                        self.items(group, "options", where, low=1, high=100)
                    ):
                        self.option(option, f"{where}/options/{i}")
            else:
                low = 2 if kind == "overflow" else 1
                for i, option in enumerate(
                    self.items(element, "options", pointer, low=low, high=high)
                ):
                    self.option(option, f"{pointer}/options/{i}")

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            self.error("must be an object", pointer)
            return
        kind = block.get("type")
        self.max_len(block, "block_id", 255, pointer)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.error("must provide at least one of text, fields", pointer)
            self.text(block, "text", pointer, limit=3000, required=False)
            if "fields" in block:
                for i, field in enumerate(self.items(block, "fields", pointer, low=1, high=10)):
                    self.text_object(field, f"{pointer}/fields/{i}", limit=2000)
            if "accessory" in block:
                self.element(block["accessory"], f"{pointer}/accessory", _ACCESSORY_ELEMENTS)
        elif kind == "header":
            self.text(block, "text", pointer, limit=150, plain=True)
        elif kind == "divider":
            pass
        elif kind == "context":
            for i, element in enumerate(self.items(block, "elements", pointer, low=1, high=10)):
                where = f"{pointer}/elements/{i}"
                if isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
                    self.text_object(element, where, limit=3000)
                else:
                    self.element(element, where, _CONTEXT_ELEMENTS)
        elif kind == "actions":
            elements = self.items(block, "elements", pointer, low=1, high=25)
            seen: set[str] = set()
            for i, element in enumerate(elements):
                self.element(element, f"{pointer}/elements/{i}", _ACTIONS_ELEMENTS)
                action_id = element.get("action_id") if isinstance(element, dict) else None
                if action_id is not None and action_id in seen:
                    self.error(
                        f"action_id '{action_id}' is already used in this block",
                        f"{pointer}/elements/{i}/action_id",
                    )
                if action_id is not None:
                    seen.add(action_id)
        elif kind == "input":
            self.text(block, "label", pointer, limit=2000, plain=True)
            self.text(block, "hint", pointer, limit=2000, plain=True, required=False)
            if "element" not in block:
                self.error("missing required field: element", pointer)
            else:
                self.element(block["element"], f"{pointer}/element", _INPUT_ELEMENTS)
        elif kind == "image":
            if "image_url" not in block and "slack_file" not in block:
                self.error("missing required field: image_url", pointer)
            self.max_len(block, "image_url", 3000, pointer)
            self.max_len(block, "alt_text", 2000, pointer)
            if "alt_text" not in block:
                self.error("missing required field: alt_text", pointer)
            self.text(block, "title", pointer, limit=2000, plain=True, required=False)
        elif kind == "markdown":
            self.max_len(block, "text", 12_000, pointer)
        elif kind == "rich_text":
            self.items(block, "elements", pointer, low=0, high=10_000)
        elif kind not in ("file", "video"):
            self.error(f"unsupported type: {kind}", f"{pointer}/type")


def validate_blocks(blocks: Any, *, surface: Surface, pointer: str = "/blocks") -> list[str]:
    """Check `blocks` against Slack's limits for the surface; [] when Slack would accept them."""
    checker = _Checker(surface)
    if not isinstance(blocks, list):
        checker.error("must be an array", pointer)
        return checker.errors
    if len(blocks) > MAX_BLOCKS[surface]:
        checker.error(f"no more than {MAX_BLOCKS[surface]} items allowed", pointer)
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        checker.block(block, f"{pointer}/{i}")
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is not None:
            if block_id in block_ids:
                checker.error(f"duplicate block_id '{block_id}'", f"{pointer}/{i}/block_id")
            block_ids.add(block_id)
    return checker.errors


def validate_view(view: Any, *, pointer: str = "/view") -> list[str]:
    """Check a modal or App Home view object; [] when Slack would accept it."""
    checker = _Checker("modal")
    if not isinstance(view, dict):
        checker.error("must be an object", pointer)
        return checker.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.error("must be a valid enum value (modal, home)", f"{pointer}/type")
        return checker.errors
    if kind == "modal":
        checker.text(view, "title", pointer, limit=24, plain=True)
        checker.text(view, "close", pointer, limit=24, plain=True, required=False)
        checker.text(view, "submit", pointer, limit=24, plain=True, required=False)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            checker.error(
                "submit is required when an input block is within the blocks array", pointer
            )
    checker.max_len(view, "private_metadata", 3000, pointer)
    checker.max_len(view, "callback_id", 255, pointer)
    checker.max_len(view, "external_id", 255, pointer)
    if "blocks" not in view:
        checker.error("missing required field: blocks", pointer)
        return checker.errors
    blocks_pointer = f"{pointer}/blocks"
    return checker.errors + validate_blocks(view["blocks"], surface=kind, pointer=blocks_pointer)
