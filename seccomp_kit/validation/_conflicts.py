"""Which earlier rules for one syscall a later rule must be compared with: linear, not pairwise.

Comparing every pair of rules that name a syscall is quadratic (10,000 alternating rules for
one name: 50 million pairs, and a report as long). Every finding but one is about an exact
match (the same action, another action, the same conditions), and for those the first earlier
rule of each kind is the one worth naming: this index keeps exactly those, so each rule is
compared with a bounded number of earlier ones. The exception, conditional rules with other
actions whose conditions overlap (SK407, advice), is looked for among the first
``MAX_COMPARED`` distinct conditional rules.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Generic, Protocol, TypeVar

__all__ = ["MAX_COMPARED", "Earlier"]

MAX_COMPARED = 64


class _Entry(Protocol):
    @property
    def action(self) -> Hashable: ...

    @property
    def conds(self) -> frozenset[tuple[int, str, int, int]]: ...


E = TypeVar("E", bound=_Entry)


class _Firsts(Generic[E]):
    """The first entry per action, and the first two actions seen (so the first entry with
    an action other than any given one is at hand)."""

    def __init__(self) -> None:
        self.by_action: dict[Hashable, E] = {}
        self.order: list[E] = []

    def add(self, entry: E) -> None:
        if entry.action not in self.by_action:
            self.by_action[entry.action] = entry
            if len(self.order) < 2:
                self.order.append(entry)

    def candidates(self, action: Hashable) -> Iterator[E]:
        same = self.by_action.get(action)
        if same is not None:
            yield same
        other = next((e for e in self.order if e.action != action), None)
        if other is not None:
            yield other


class Earlier(Generic[E]):
    """The earlier entries for one syscall (of one includes/excludes signature) that a new
    entry is compared with."""

    def __init__(self) -> None:
        self.unconditional: _Firsts[E] = _Firsts()
        self.conditional: _Firsts[E] = _Firsts()
        self.by_conds: dict[frozenset[tuple[int, str, int, int]], _Firsts[E]] = {}
        self.distinct: list[E] = []
        self._classes: set[tuple[Hashable, frozenset[tuple[int, str, int, int]]]] = set()

    def candidates(self, entry: E) -> Iterator[E]:
        """Earlier entries that may form a finding with ``entry``, each once, in no order."""
        seen: set[int] = set()
        pools: list[Iterator[E]] = [self.unconditional.candidates(entry.action)]
        if entry.conds:
            same = self.by_conds.get(entry.conds)
            if same is not None:
                pools.append(same.candidates(entry.action))
            pools.append(iter(self.distinct[:MAX_COMPARED]))
        else:
            pools.append(self.conditional.candidates(entry.action))
        for pool in pools:
            for earlier in pool:
                if id(earlier) not in seen:
                    seen.add(id(earlier))
                    yield earlier

    def add(self, entry: E) -> None:
        if not entry.conds:
            self.unconditional.add(entry)
            return
        self.conditional.add(entry)
        self.by_conds.setdefault(entry.conds, _Firsts()).add(entry)
        cls = (entry.action, entry.conds)
        if cls not in self._classes:
            self._classes.add(cls)
            self.distinct.append(entry)
