"""The channel-neutral dialogue engine that guides a contact through an invoice (DESIGN §2).

Pure core: `flow.step(state, turn, ctx) -> (state, replies)`, built from `parse`
(the answer grammar), `handlers`/`commands` (what a turn changes), `replies`/`render`
(the wording) and `FLOW`, the table of steps.

Shell: `service.ConversationService.handle(person_id=..., turn=Turn(...),
commitment_id=..., period_id=...)` runs one turn in one transaction and queues the
replies in the channel's `Outbox`. Channels render a `Reply` with `plaintext.as_text`
(email text, console) or from its structured parts (Slack blocks).

Nothing here imports `bot/` or `mail/`.
"""
