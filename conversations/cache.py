"""What a worker keeps of a commitment between turns (DESIGN §7): its parties (commitment,
project, period, administrator) and its ledger for one period (lines, terms with change
orders, the sums of earlier invoices), under the data revision they were read at.

What is kept is tagged with the revision read in the same statement as the parties (the
ledger is read after it, so it is at least that new); a turn reads the revision again in its
first statement (`store.read_conversation`) and uses what is kept only under that same
revision. The database's triggers change the revision with any change to that data
(`models.revision`), so a worker never bills from an old schedule or an old history.

The invoice being answered, its conversation and the commitment's invoices are not kept: they
are read by every turn. Entries are added only after the turn that read them has committed,
so nothing read by a transaction that was rolled back is kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from conversations.gather import Parties
from models.ledger import CommitmentLedger

Key = tuple[int, int]  # (commitment id, period id)


@dataclass(frozen=True)
class Kept:
    revision: int
    parties: Parties  # `contact` is True: it was read for one of `contacts`
    ledger: CommitmentLedger
    contacts: frozenset[int]  # people found to be invoice contacts under `revision`


class CommitmentCache:
    """A map bounded by the SOV lines it holds (least recently used out first; about 2.6 KB a
    line as `bench/bench_memory.py` measures it, so some 50 MB at the default), shared by a
    worker's threads. Its rows are detached
    ORM rows that nobody changes: a turn reads them and never adds them to its session."""

    def __init__(self, lines: int = 20_000) -> None:
        self.lines = lines
        self._held = 0
        self._kept: OrderedDict[Key, Kept] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Key, revision: int | None, person_id: int) -> Kept | None:
        """What is kept for `key` if it was read under `revision` and `person_id` was one of
        its invoice contacts then; None otherwise."""
        with self._lock:
            kept = self._kept.get(key)
            if (
                revision is None
                or kept is None
                or kept.revision != revision
                or person_id not in kept.contacts
            ):
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return kept

    def put(
        self,
        key: Key,
        *,
        revision: int,
        person_id: int,
        parties: Parties,
        ledger: CommitmentLedger,
    ) -> None:
        """Keep what a committed turn read under `revision` for `person_id`, an invoice
        contact (`parties.contact`)."""
        if not parties.contact:
            return
        with self._lock:
            kept = self._kept.get(key)
            contacts: frozenset[int] = frozenset()
            if kept is not None:
                self._held -= _weight(kept)
                if kept.revision == revision:
                    contacts = kept.contacts
            kept = Kept(revision, parties, ledger, contacts | {person_id})
            self._kept[key] = kept
            self._kept.move_to_end(key)
            self._held += _weight(kept)
            while self._held > self.lines and len(self._kept) > 1:
                _, dropped = self._kept.popitem(last=False)
                self._held -= _weight(dropped)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._held = 0

    def __len__(self) -> int:
        return len(self._kept)


def _weight(kept: Kept) -> int:
    return len(kept.ledger.lines) + 1
