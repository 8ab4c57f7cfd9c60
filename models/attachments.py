"""Attachment bytes: content-addressed storage, filename sanitising and upload limits.

Channels (email, Slack, console) store the bytes here and hand the engine an
`AttachmentRef`; the bytes live at `attachments_dir/<sha256[:2]>/<sha256>`.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from models.i18n import ENGLISH, N_, Sentence, Words

MB = 1024 * 1024
MAX_FILENAME = 255

ALLOWED_EXTENSIONS = frozenset(
    {
        "pdf",
        "png", "jpg", "jpeg", "gif", "webp", "heic", "heif", "tif", "tiff", "bmp",
        "doc", "docx", "xls", "xlsx", "xlsm", "ppt", "pptx", "odt", "ods", "odp", "rtf",
        "csv", "txt",
        "zip",
    }
)  # fmt: skip
EXECUTABLE_EXTENSIONS = frozenset(
    {
        "exe", "com", "bat", "cmd", "msi", "scr", "pif", "cpl", "dll", "sys", "jar", "js",
        "jse", "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "sh", "bash", "app", "apk", "dmg",
        "deb", "rpm", "lnk", "hta", "reg", "py", "pl", "rb",
    }
)  # fmt: skip
ALLOWED_TYPE_PREFIXES = ("image/", "text/plain", "text/csv")
# Leading bytes of executables, refused whatever the file is called.
# What a refusal names as allowed: the common kinds, not the whole list.
ALLOWED_SHOWN = ", ".join(sorted({"pdf", "jpg", "png", "docx", "xlsx", "csv", "txt", "zip"}))
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")


class AttachmentError(ValueError):
    """An attachment that cannot be accepted: `sentence` is meant for the contact, worded in
    their language (`message` is it in English, for the log)."""

    def __init__(self, sentence: Sentence | str) -> None:
        self.sentence = sentence if isinstance(sentence, Sentence) else Sentence(sentence)
        self.message = self.sentence()
        super().__init__(self.message)

    def text(self, _: Words = ENGLISH) -> str:
        return self.sentence(_)


@dataclass(frozen=True)
class AttachmentRef:
    """A stored attachment as the conversation engine sees it."""

    filename: str
    content_type: str
    size: int
    sha256: str
    source: str = ""


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: int = 25 * MB
    max_count: int = 20
    extensions: frozenset[str] = field(default=ALLOWED_EXTENSIONS)


DEFAULT_LIMITS = AttachmentLimits()


def sanitize_filename(name: str) -> str:
    """A safe display/storage name: no directories, no control characters, at most 255 chars."""
    name = unicodedata.normalize("NFC", name or "")
    # Keep only the last path component, whichever separator the sender's OS used.
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().strip(".")
    name = re.sub(r'[<>:"/\\|?*]', "_", name)
    if not name:
        name = "attachment"
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_FILENAME - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_FILENAME]
    return name


def extension(filename: str) -> str:
    _, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


def guess_content_type(filename: str, declared: str | None = None) -> str:
    declared = (declared or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def human_size(size: int) -> str:
    """`2048` -> `"2 KB"`, `3_500_000` -> `"3.3 MB"`."""
    if size < 1024:
        return f"{size} bytes" if size != 1 else "1 byte"
    if size < MB:
        return f"{size / 1024:.0f} KB"
    return f"{size / MB:.1f} MB"


def check_attachment(
    *,
    filename: str,
    size: int,
    content_type: str | None = None,
    existing_count: int = 0,
    head: bytes = b"",
    limits: AttachmentLimits = DEFAULT_LIMITS,
) -> Sentence | None:
    """Why this file cannot be attached (a sentence for the contact), or None if it can."""
    ext = extension(filename)
    if existing_count >= limits.max_count:
        return Sentence(
            N_("{file} was not attached: an invoice can have at most {count} attachments."),
            {"file": filename, "count": limits.max_count},
        )
    if size > limits.max_bytes:
        return Sentence(
            N_(
                "{file} is {size}; the limit is {limit} per file. Please send a smaller file "
                "(for example a compressed PDF)."
            ),
            {"file": filename, "size": human_size(size), "limit": human_size(limits.max_bytes)},
        )
    if size == 0:
        return Sentence(N_("{file} is empty, so it was not attached."), {"file": filename})
    if ext in EXECUTABLE_EXTENSIONS or any(head.startswith(magic) for magic in EXECUTABLE_MAGIC):
        return Sentence(
            N_("{file} looks like a program; programs cannot be attached to an invoice."),
            {"file": filename},
        )
    kind = guess_content_type(filename, content_type)
    if ext not in limits.extensions and not kind.startswith(ALLOWED_TYPE_PREFIXES):
        return Sentence(
            N_("{file}: this type of file cannot be attached (allowed: {allowed}, images)."),
            {"file": filename, "allowed": ALLOWED_SHOWN},
        )
    return None


def attachment_path(attachments_dir: Path, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise AttachmentError(f"{sha256!r} is not a sha256 digest")
    return attachments_dir / sha256[:2] / sha256


def store_bytes(attachments_dir: Path, data: bytes) -> tuple[str, Path]:
    """Store `data` by content; returns (sha256, path). Storing the same bytes twice is a no-op."""
    digest = hashlib.sha256(data).hexdigest()
    path = attachment_path(attachments_dir, digest)
    if path.exists():
        return digest, path
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target then rename, so a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest, path


def store_attachment(
    attachments_dir: Path,
    *,
    filename: str,
    data: bytes,
    content_type: str | None = None,
    existing_count: int = 0,
    source: str = "",
    limits: AttachmentLimits = DEFAULT_LIMITS,
) -> AttachmentRef:
    """Check and store one file; raises `AttachmentError` with a message for the contact."""
    name = sanitize_filename(filename)
    problem = check_attachment(
        filename=name,
        size=len(data),
        content_type=content_type,
        existing_count=existing_count,
        head=data[:8],
        limits=limits,
    )
    if problem:
        raise AttachmentError(problem)
    digest, _ = store_bytes(attachments_dir, data)
    return AttachmentRef(
        filename=name,
        content_type=guess_content_type(name, content_type),
        size=len(data),
        sha256=digest,
        source=source,
    )
