"""Folds shared out among forked processes (asnfp.workers): the same associations as
one process, byte for byte; a failure in a child is the failure one process gives."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asnfp.fast.workers as workers_module
from asnfp.api import rule_name
from asnfp.association import is_valid
from asnfp.cli import main
from asnfp.constraints import all_of, attr, lift
from asnfp.fast.drivers import Options, generate_per_candidate
from asnfp.fast.workers import Shared, run_folds, share_out
from asnfp.fold import RuleFailed
from asnfp.io import serialize
from asnfp.jwst import default_registry
from asnfp.pool import read_pool
from asnfp.row import make_row
from asnfp.rule import Rule, registry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "jw01234_imaging_pool.csv"
USER_RULES = ROOT / "examples" / "nircam_short_by_module.py"
forking = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork here")


def _files(rows, workers):
    asns = generate_per_candidate(default_registry, rows, Options(workers=workers))
    return [serialize(a, rule_name(a), "json") for a in asns if is_valid(a)]


@forking
@pytest.mark.parametrize("case", ["pool_004_wfs", "pool_013_coron_nircam", "pool_019_niriss_wfss",
                                  "pool_021_tso", "jw87800_20180412T163456_pool"])
def test_two_workers_write_what_one_writes(conformance_dir, case):
    import json

    spec = json.loads((conformance_dir / "cases" / case / "case.json").read_text())
    rows = read_pool(conformance_dir / spec["pool"]).rows
    one = _files(rows, 1)
    assert one and _files(rows, 2) == one and _files(rows, 3) == one


@forking
def test_the_shipped_example_with_a_user_rule_is_the_same_on_two_workers(tmp_path):
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / workers
        assert main(["generate", str(EXAMPLE), "-r", str(USER_RULES), "-p", str(out), "-j", workers]) == 0
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] and outputs[0] == outputs[1]


def _boom(row):
    if row["filter"] == "f2":
        raise ZeroDivisionError("no f2")
    return True


@forking
def test_a_rule_that_fails_in_a_child_fails_as_in_one_process():
    rule = Rule(name="Boom", asn_type="t", level=2, constraint=all_of(attr("f", "filter"), lift(_boom, "boom")))
    rows = [make_row(i, {"filter": f"f{i}", "asn_candidate": f"[('o00{i}', 'observation')]"}) for i in range(4)]
    messages = []
    for workers in (1, 2):
        with pytest.raises(RuleFailed) as failed:
            generate_per_candidate(lambda name: registry([rule], name=name), rows, Options(workers=workers))
        messages.append(str(failed.value))
    assert messages[0] == messages[1] == "rule Boom, row 3: raised ZeroDivisionError: no f2"


@settings(max_examples=100, deadline=None)
@given(weights=st.lists(st.integers(0, 1000), max_size=30), workers=st.integers(1, 4))
def test_every_fold_goes_to_one_worker_and_no_worker_waits_long(weights, workers):
    shares = share_out(weights, workers)
    assert sorted(i for share in shares for i in share) == list(range(len(weights)))
    assert all(share == sorted(share) for share in shares)
    loads = [sum(weights[i] for i in share) for share in shares]
    if weights:  # the heaviest-first greedy share: no worker has more than the least plus one fold
        assert max(loads) - min(loads) <= max(weights)


@forking
@settings(max_examples=20, deadline=None)
@given(weights=st.lists(st.integers(0, 1000), max_size=40))
def test_the_queue_gives_every_fold_once_heaviest_first(weights):
    order = sorted(range(len(weights)), key=lambda i: -weights[i])
    queue = workers_module._queued(order)
    try:
        taken = list(workers_module._taken(queue))
    finally:
        os.close(queue)
    assert taken == order


def _slowly(unit, cache):
    time.sleep(0.005)  # (so that both processes take folds)
    return unit, os.getpid(), [unit] * 50


@forking
@pytest.mark.parametrize("eager_bytes", [0, 1, 200])
def test_a_childs_results_kept_as_bytes_come_back_the_same(monkeypatch, eager_bytes):
    monkeypatch.setattr(workers_module, "EAGER_BYTES", eager_bytes)
    units = list(range(40))
    got = run_folds(units, _slowly, weights=[1] * 40, workers=2, shared=Shared)
    assert [(u, data) for u, _, data in got] == [(u, [u] * 50) for u in units]
    assert len({pid for _, pid, _ in got}) == 2  # the child's share came back through the pipe
    rows = [make_row(i, {"filter": f"f{i}", "asn_candidate": f"[('o00{i}', 'observation')]"}) for i in range(4)]
    rule = Rule(name="Boom", asn_type="t", level=2, constraint=all_of(attr("f", "filter"), lift(_boom, "boom")))
    with pytest.raises(RuleFailed, match="row 3"):
        generate_per_candidate(lambda name: registry([rule], name=name), rows, Options(workers=2))


@forking
def test_folds_that_do_not_fit_in_a_pipe_are_shared_out_before_the_fork(monkeypatch):
    monkeypatch.setattr(workers_module, "_queued", lambda order: None)
    units = list(range(100))
    got = run_folds(units, lambda u, cache: (u, os.getpid()), weights=[1] * 100, workers=2, shared=Shared)
    assert [u for u, _ in got] == units
    assert len({pid for _, pid in got}) == 2  # share_out gave each process half


@forking
@settings(max_examples=10, deadline=None)
@given(units=st.lists(st.integers(-50, 50), min_size=1, max_size=12), workers=st.integers(2, 3))
def test_folds_come_back_in_their_order(units, workers):
    got = run_folds(units, lambda u, cache: [u, -u], weights=[abs(u) for u in units], workers=workers,
                    shared=Shared)
    assert got == [[u, -u] for u in units]


def test_shared_objects_come_back_as_themselves_and_the_rest_by_value():
    leaf, row = attr("f", "filter", lambda b: "x"), make_row(0, {"filter": "x"})
    shared = Shared()
    shared.add(row)
    shared.add_tree(leaf)
    back = shared.loads(shared.dumps({"leaf": leaf, "row": row, "made": [row.index, "new"]}))
    assert back["leaf"] is leaf and back["row"] is row and back["made"] == [0, "new"]


def test_a_run_rule_made_after_the_fork_comes_back_as_the_run_rule_of_its_base_and_leaf():
    """A run's rules are made when first needed, in whichever process runs it: they are
    sent as their base and global leaf (shared), and made again where they arrive."""
    from asnfp.fast.run import Run
    from asnfp.rule import Rule, with_global

    base = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))
    leaf = attr("c", "asn_candidate", ".+(o001).+")
    tables = Run()
    run_rule = tables.run_rule
    shared = Shared(tables.derivation)
    shared.add(tables, base)
    shared.add_tree(base.constraint)
    shared.add_tree(leaf)
    run = run_rule(base, leaf)
    data = shared.dumps([run, run])
    back = shared.loads(data)
    assert back[0] is back[1] is run_rule(base, leaf)
    by_value = shared.dumps(with_global(base, leaf))  # (not made by run_rule: sent whole)
    assert shared.loads(by_value) is not run and len(data) < len(by_value) / 2


def test_workers_must_be_at_least_one(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["generate", str(EXAMPLE), "-j", "0"])
    assert exited.value.code == 2
    assert "-j/--workers: must be a whole number, at least 1: '0'" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the child")
def test_a_child_dies_with_its_parent(tmp_path):
    """kill -9 of asnfp leaves no child computing on its own."""
    import signal
    import subprocess
    import sys
    import time

    pool = tmp_path / "pool.csv"
    pool.write_text(_big_pool(6000))  # the child has seconds of work left when the parent dies
    proc = subprocess.Popen([sys.executable, "-m", "asnfp.cli", "generate", str(pool), "-p", str(tmp_path / "out"),
                             "-j", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[str] = []
    for _ in range(100):  # until the child is there
        time.sleep(0.05)
        children = _children(proc.pid)
        if children or proc.poll() is not None:
            break
    assert children, "no child seen"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _ in range(10):  # half a second: far less than the child's share
        time.sleep(0.05)
        if not any(Path(f"/proc/{c}").exists() and "zombie" not in _state(c) for c in children):
            break
    assert not any(Path(f"/proc/{c}").exists() and "zombie" not in _state(c) for c in children)


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def _state(pid: str) -> str:
    try:
        return next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State"))
    except (OSError, StopIteration):
        return "zombie"


def _big_pool(rows: int) -> str:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from make_pool import make_pool
    finally:
        sys.path.pop(0)
    return make_pool(rows, kind="nircam", seed=0)
