"""An invoice's PDF for the emails of one sending, rendered once and outside the write lock.

The turn that sends an invoice reads its document (figures, parties) in its transaction and
queues the emails with an attachment that names the rendering, `invoice-<id>-<sending>`,
instead of a digest. The PDF itself (reportlab, the slow part) is rendered after that
transaction commits, stored by content like any attachment, and the name is pointed at its
digest (`<attachments>/rendered/<name>`). Should the process die before it is rendered, the
sender renders it from the database before delivering (`ensure_rendered`).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlmodel import Session

from models.attachments import AttachmentError, attachment_path, store_bytes
from models.tables import Invoice

_NAME = re.compile(r"invoice-(\d+)-(\d+)")


def rendering_name(invoice_id: int, sending: int) -> str:
    return f"invoice-{invoice_id}-{sending}"


def _pointer(attachments_dir: Path, name: str) -> Path:
    if not _NAME.fullmatch(name):
        raise AttachmentError(f"{name!r} is not the name of a rendered document")
    return attachments_dir / "rendered" / name


def rendered_digest(attachments_dir: Path, name: str) -> str | None:
    """The digest of the stored PDF `name` points at; None while it is not rendered."""
    try:
        digest = _pointer(attachments_dir, name).read_text().strip()
        return digest if attachment_path(attachments_dir, digest).exists() else None
    except (OSError, AttachmentError):
        return None


def store_rendered(attachments_dir: Path, name: str, document: Mapping[str, Any]) -> str:
    """Render `document`, store the PDF and point `name` at it; returns its digest."""
    from models.pdf import render_invoice_pdf  # reportlab: imported when a PDF is made

    digest, _path = store_bytes(attachments_dir, render_invoice_pdf(document))
    pointer = _pointer(attachments_dir, name)
    pointer.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=pointer.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(digest)
        os.replace(tmp, pointer)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def ensure_rendered(session: Session, attachments_dir: Path, name: str) -> str:
    """The digest of `name`'s PDF, rendered now from the database if it is not yet."""
    found = rendered_digest(attachments_dir, name)
    if found is not None:
        return found
    match = _NAME.fullmatch(name)
    invoice = session.get(Invoice, int(match.group(1))) if match else None
    if invoice is None:
        raise AttachmentError(f"no invoice for the document {name!r}")
    from models.pdf import invoice_document

    return store_rendered(attachments_dir, name, invoice_document(session, invoice))


__all__ = ["ensure_rendered", "rendered_digest", "rendering_name", "store_rendered"]
