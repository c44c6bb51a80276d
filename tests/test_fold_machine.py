"""The FoldMachine: the fold on the indexed machine (with its classes and its memo of
answers) against the fold on the plain machine, which offers every row to every
association and checks everything, step by step, on rows from ``asnfp.testing``."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from msgspec.structs import asdict

from asnfp.candidates import candidate_leaf
from asnfp.constraints import Category
from asnfp.fast.machine import IndexedMachine
from asnfp.fold import Generation, PlainMachine, Work, plan, run_work, step
from asnfp.jwst import default_registry
from asnfp.row import Row
from asnfp.testing import imaging_rows


def _view(state: Generation) -> dict[int, tuple]:
    """Each association as plain data (the two plans hold equal, not identical, rules)."""
    return {
        slot: (asn.rule.name, *(v for k, v in asdict(asn).items() if k != "rule"))
        for slot, asn in state.associations.items()
    }


class FoldMachine(RuleBasedStateMachine):
    """Offer rows one at a time to both folds; drain their work lists now and then."""

    def __init__(self) -> None:
        super().__init__()
        registry = default_registry("candidate")
        leaf = candidate_leaf(["o001"], registry.empty)
        self.fast = IndexedMachine(plan(registry, global_leaf=leaf))
        self.simple = PlainMachine(plan(registry, global_leaf=leaf))
        self.fast_state = Generation.start((), self.fast.empty)
        self.simple_state = Generation.start((), self.simple.empty)
        self.seen: list[int] = []

    @rule(row=imaging_rows(candidates=("o001",)))
    def offer(self, row: Row) -> None:
        index = len(self.seen)
        head, _, tail = row.cells["filename"].partition("_02101_")
        cells = {**row.cells, "filename": f"{head}_02101_{index:05d}_{tail.split('_', 1)[1]}"}
        row = Row(index, cells, row.meta)
        work = Work((), (), Category.BOTH)
        self.fast_state = step(self.fast, work, self.fast_state, row)
        self.simple_state = step(self.simple, work, self.simple_state, row)
        self.seen.append(index)

    @rule(again=st.booleans())
    def offer_an_earlier_row_again(self, again: bool) -> None:
        if not self.seen or not again:
            return
        for state_name, machine in (("fast_state", self.fast), ("simple_state", self.simple)):
            state = getattr(self, state_name)
            members = [m.row for a in state.associations.values() for p in a.products for m in p.members
                       if m.row is not None]
            if members:
                setattr(self, state_name, step(machine, Work((), (), Category.EXISTING), state, members[0]))

    @precondition(lambda self: bool(self.seen))
    @rule(row=imaging_rows(candidates=("o001",)), which=st.integers(min_value=0))
    def offer_another_row_under_a_taken_file_name(self, row: Row, which: int) -> None:
        """A pool may list one file twice with other values: a member's file name is
        taken by its association without any check (the reference's short-cut)."""
        taken = sorted({m.row.cells["filename"] for a in self.fast_state.associations.values()
                        for p in a.products for m in p.members if m.row is not None})
        if not taken:
            return
        index = len(self.seen)
        row = Row(index, {**row.cells, "filename": taken[which % len(taken)]}, row.meta)
        work = Work((), (), Category.BOTH)
        self.fast_state = step(self.fast, work, self.fast_state, row)
        self.simple_state = step(self.simple, work, self.simple_state, row)
        self.seen.append(index)

    @precondition(lambda self: bool(self.seen))
    @rule()
    def drain(self) -> None:
        self.fast_state = run_work(self.fast, self.fast_state)
        self.simple_state = run_work(self.simple, self.simple_state)

    @invariant()
    def both_folds_hold_the_same_associations(self) -> None:
        assert _view(self.fast_state) == _view(self.simple_state)
        assert self.fast_state.queue == self.simple_state.queue

    @invariant()
    def members_come_from_offered_rows(self) -> None:
        rows = {m.row.index for a in self.fast_state.associations.values() for p in a.products
                for m in p.members if m.row is not None}
        assert rows <= set(self.seen)


FoldMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestFoldMachine = FoldMachine.TestCase
