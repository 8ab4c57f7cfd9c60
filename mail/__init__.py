"""The email channel: IMAP in (imap-tools, in a thread), SMTP out (aiosmtplib)."""
