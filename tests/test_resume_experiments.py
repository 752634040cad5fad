"""Sweeps and comparisons checkpointed to zarr (#21): killed, resumed, same bits, no chunk twice.

The small growth model of ``test_sweep_compare`` keeps these fast. In the kill tests a subprocess
runs the sweep (or comparison) with its kernel calls from a given one on made to block, so that
the SIGKILL always lands after a known number of finished chunks, never during the last one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed", reason="dask[distributed] is in the dev extra")
pytest.importorskip("zarr", reason="zarr is in the dev extra")

# distributed leaves sockets of closed clusters to the garbage collector (ResourceWarning, raised
# as unraisable exceptions at teardown): not jzsim's to fix
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

import jzsim  # noqa: E402
from jzsim.uncertainty.distributed import DaskExecution  # noqa: E402
from jzsim.uncertainty.store import RunStore, StoreMismatch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from test_sweep_compare import growth_model, targets  # noqa: E402

from _helpers import disk_full_at  # noqa: E402

KW = dict(model=growth_model(), targets=targets(), progress=False)
LEVER, GRID = "lever", [0.0, 0.02, 0.04]
SWEEP = dict(draws=9 * 1365 + 17, seed=3, execution=jzsim.Execution(chunk_size=4096))  # 1365 draws x 3 per call
SWEEP_CALLS = 10
SCEN = {"base": {"lever": 0.0}, "boost": {"lever": 0.03}, "fixed_g": {"g": 0.08}}
COMPARE_DRAWS, COMPARE_CHUNKS = 4 * 4096 + 33, 5  # chunks per scenario


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
    with Client(cluster) as c:
        yield c
    cluster.close()


def assert_same(ref, got, dims=True):
    """Same variables, bits, dtypes and variable attrs (and dims)."""
    got = got.compute()
    assert set(ref.data_vars) == set(got.data_vars)
    for v in ref.variables:
        a, b = ref[v].values, got[v].values
        assert a.dtype.kind == b.dtype.kind, v
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{v} differs"
        assert ref[v].attrs == got[v].attrs, v
        assert not dims or ref[v].dims == got[v].dims, v


# --------------------------------------------------------------------------- sweeps
def test_stored_sweep_equals_the_in_memory_one_and_a_rerun_computes_nothing(tmp_path):
    path = tmp_path / "sweep.zarr"
    ref = jzsim.sweep(LEVER, GRID, **SWEEP, **KW)
    ds = jzsim.sweep(LEVER, GRID, out=path, **SWEEP, **KW)
    assert ds["p_met"].chunks is not None  # read back from the store
    assert_same(ref, ds)
    again = jzsim.open_run(path)
    assert_same(ref, again)
    timing = {"elapsed_seconds", "store", "chunks_resumed"}
    assert {k: v for k, v in again.attrs.items() if k not in timing} == {
        k: v for k, v in ref.attrs.items() if k not in timing
    }
    assert again.attrs["store"] == str(path.resolve()) and again.attrs["chunks_resumed"] == 0
    assert RunStore(path).computed() == list(range(SWEEP_CALLS))
    jzsim.sweep(LEVER, GRID, out=path, **SWEEP, **KW)  # finished: read back, nothing computed
    assert RunStore(path).computed() == list(range(SWEEP_CALLS))


def test_sweep_resume_recomputes_only_calls_without_a_marker(tmp_path, client):
    """A call whose increments were written but whose marker was not (killed in between) is
    computed again; the resumed sweep (here on Dask, started in process) has the same bits."""
    path = tmp_path / "sweep.zarr"
    ref = jzsim.sweep(LEVER, GRID, out=path, **SWEEP, **KW).compute()
    for c in (2, 7):
        os.remove(path / "_jzsim" / "done" / f"{c:07d}")
    for var in ("setting", "p_met"):  # and as if killed before the result was written
        shutil.rmtree(path / var)
    ex = DaskExecution(client=client, kernel_backend="numpy", chunk_size=4096)
    ds = jzsim.sweep(LEVER, GRID, out=path, backend="dask", **{**SWEEP, "execution": ex}, **KW)
    assert ds.attrs["chunks_resumed"] == SWEEP_CALLS - 2 and ds.attrs["backend"] == "dask"
    assert sorted(RunStore(path).computed()) == sorted([*range(SWEEP_CALLS), 2, 7])
    assert_same(ref, ds)


def test_sweep_disk_full_is_one_clear_error_and_keeps_earlier_calls(tmp_path, monkeypatch):
    path = tmp_path / "sweep.zarr"
    disk_full_at(monkeypatch, 4)
    with pytest.raises(OSError, match="disk full .* calls finished before are intact: free space and run the same"):
        jzsim.sweep(LEVER, GRID, out=path, **SWEEP, **KW)
    assert RunStore(path).done() == {0, 1, 2, 3}
    monkeypatch.undo()  # the disk has room again
    assert_same(jzsim.sweep(LEVER, GRID, **SWEEP, **KW), jzsim.sweep(LEVER, GRID, out=path, **SWEEP, **KW))
    assert RunStore(path).computed() == list(range(SWEEP_CALLS))


def test_sweep_resume_with_another_seed_or_grid_is_refused(tmp_path):
    path = tmp_path / "sweep.zarr"
    jzsim.sweep(LEVER, GRID, out=path, **SWEEP, **KW)
    with pytest.raises(StoreMismatch, match=r"seed: store has 3, this run 4"):
        jzsim.sweep(LEVER, GRID, out=path, **{**SWEEP, "seed": 4}, **KW)
    with pytest.raises(StoreMismatch, match=r"grid: store has \[\[0.0\], \[0.02\], \[0.04\]\], this run \[\[0.0\]"):
        jzsim.sweep(LEVER, [0.0, 0.03], out=path, **SWEEP, **KW)
    with pytest.raises(StoreMismatch, match=r"draws: store has 12302, this run 100"):
        jzsim.sweep(LEVER, GRID, out=path, **{**SWEEP, "draws": 100}, **KW)
    with pytest.raises(StoreMismatch, match=r"levers: store has \['lever'\], this run \['g'\]"):
        jzsim.sweep("g", GRID, out=path, **SWEEP, **KW)
    with pytest.raises(ValueError, match=r"out is 'x.nc'; allowed: a path ending in .zarr"):
        jzsim.sweep(LEVER, GRID, out="x.nc", **SWEEP, **KW)
    assert RunStore(path).computed() == list(range(SWEEP_CALLS))


# --------------------------------------------------------------------------- comparisons
def test_stored_comparison_equals_the_in_memory_one(tmp_path, client):
    path = tmp_path / "compare.zarr"
    ex = DaskExecution(client=client, kernel_backend="numpy", chunk_size=4096)
    ref = jzsim.compare(SCEN, draws=COMPARE_DRAWS, seed=5, outcomes=True, backend="dask", execution=ex, **KW)
    ds = jzsim.compare(SCEN, draws=COMPARE_DRAWS, seed=5, outcomes=True, backend="dask", execution=ex, out=path, **KW)
    assert_same(ref, ds)
    assert_same(ref, jzsim.open_run(path))
    for k, v in ref.attrs.items():
        if k not in ("elapsed_seconds", "draws_per_second", "chunks_resumed"):
            assert ds.attrs[k] == v, k
    # and the in-process numpy comparison (one chunk of 32768) has the same bits
    inproc = jzsim.compare(SCEN, draws=COMPARE_DRAWS, seed=5, outcomes=True, **KW)
    assert_same(inproc, ds)
    members = sorted(p.name for p in (path / "_jzsim" / "members").iterdir())
    assert members == ["00-base.zarr", "01-boost.zarr", "02-fixed_g.zarr"]
    assert jzsim.open_run(path / "_jzsim" / "members" / "01-boost.zarr").attrs["scenario"] == "boost"


def test_comparison_resume_with_another_seed_list_or_override_is_refused(tmp_path, client):
    path = tmp_path / "compare.zarr"
    ex = DaskExecution(client=client, kernel_backend="numpy", chunk_size=4096)
    run = dict(draws=4096 + 5, backend="dask", execution=ex, out=path, **KW)
    jzsim.compare(SCEN, seed=5, **run)
    with pytest.raises(StoreMismatch, match=r"seed: store has 5, this run 6"):
        jzsim.compare(SCEN, seed=6, **run)
    with pytest.raises(StoreMismatch, match=r"scenarios: store has \['base', 'boost', 'fixed_g'\], this run \['base'"):
        jzsim.compare({"base": {}, "boost": {"lever": 0.03}}, seed=5, **run)
    with pytest.raises(StoreMismatch, match=r"01-boost.zarr holds another run \(model_hash"):
        jzsim.compare({**SCEN, "boost": {"lever": 0.04}}, seed=5, **run)
    with pytest.raises(ValueError, match=r"out= with backend='numpy': allowed with backend='dask' only"):
        jzsim.compare(SCEN, seed=5, **{**run, "backend": "numpy", "execution": None})


# --------------------------------------------------------------------------- killed and resumed
BLOCKING = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {tests!r})
    import jzsim
    from jzsim.uncertainty import store, sweep
    from jzsim.uncertainty.distributed import DaskExecution
    from test_sweep_compare import growth_model, targets

    BLOCK_FROM = int(os.environ.get("BLOCK_FROM", "-1"))  # kernel calls from this one on block (-1: none)

    def blocking(f, first_draw):
        def g(*args):
            if BLOCK_FROM >= 0 and first_draw(args) >= BLOCK_FROM:
                time.sleep(3600)  # until SIGKILL
            return f(*args)
        return g
""")

SWEEP_SCRIPT = BLOCKING + textwrap.dedent("""
    sweep._run_block = blocking(sweep._run_block, lambda a: a[4] // 1365)  # (plan, chunks, rows, values, a, b)
    if __name__ == "__main__":
        ex = jzsim.Execution(chunk_size=4096)
        if os.environ.get("DASK"):
            ex = DaskExecution(n_workers=2, processes=False, kernel_backend="numpy", chunk_size=4096)
        backend = "dask" if os.environ.get("DASK") else "numpy"
        jzsim.sweep("lever", [0.0, 0.02, 0.04], draws={draws}, seed=3, execution=ex, backend=backend,
                    model=growth_model(), targets=targets(), progress=False, out=sys.argv[1])
        print("finished")
""")

COMPARE_SCRIPT = BLOCKING + textwrap.dedent("""
    # chunk c of scenario s is number s * CHUNKS + c in the order the comparison runs them; a chunk
    # blocks after its data is written, before its summary and marker (the task function itself is
    # sent to the workers by reference, so it is not the one patched)
    member = lambda a: int(a[0].path.name[:2]) * {chunks} + a[1]  # (store, c, state)
    store.RunStore.write_summary = blocking(store.RunStore.write_summary, member)
    if __name__ == "__main__":
        ex = DaskExecution(n_workers=2, processes=False, kernel_backend="numpy", chunk_size=4096)
        scen = {{"base": {{"lever": 0.0}}, "boost": {{"lever": 0.03}}, "fixed_g": {{"g": 0.08}}}}
        jzsim.compare(scen, draws={draws}, seed=5, outcomes=True, backend="dask", execution=ex,
                      model=growth_model(), targets=targets(), progress=False, out=sys.argv[1])
        print("finished")
""")


def _run(script: str, path: Path, block_from: int, **env) -> subprocess.Popen:
    env = {**os.environ, "BLOCK_FROM": str(block_from), **env}
    return subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )


def _kill_after(proc: subprocess.Popen, count, n: int, timeout: float = 120) -> None:
    """SIGKILL ``proc`` once ``count()`` reaches ``n`` (its later chunks block, so it stays at n)."""
    t0 = time.monotonic()
    while count() < n:
        assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
        assert time.monotonic() - t0 < timeout, f"{count()} chunks after {timeout} s"
        time.sleep(0.05)
    time.sleep(0.2)  # a chunk past n would have had time to finish (it cannot: it blocks)
    assert count() == n
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _finish(script: str, path: Path, **env) -> None:
    proc = _run(script, path, -1, **env)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and b"finished" in out, err.decode()[-3000:]


@pytest.mark.slow
def test_sweep_killed_twice_and_resumed_equals_an_uninterrupted_sweep(tmp_path):
    """Killed after 3 kernel calls (in process), then after 7 (on Dask threads), then finished in
    process: the same bits as an uninterrupted sweep, each call computed once."""
    path = tmp_path / "sweep.zarr"
    script = SWEEP_SCRIPT.format(tests=str(Path(__file__).parent), draws=SWEEP["draws"])
    store = RunStore(path)
    done_at_kill = []
    for n, env in ((3, {}), (7, {"DASK": "1"})):
        _kill_after(_run(script, path, n, **env), lambda: len(store.done()), n)
        done_at_kill.append(store.done())
    assert done_at_kill == [set(range(3)), set(range(7))]
    _finish(script, path)
    computed = store.computed()
    assert sorted(computed) == list(range(SWEEP_CALLS)), "each kernel call computed exactly once"
    assert computed[:3] == [0, 1, 2]  # the first run's calls were never recomputed
    got = jzsim.open_run(path)
    assert got.attrs["chunks_resumed"] == 7
    assert_same(jzsim.sweep(LEVER, GRID, **SWEEP, **KW), got)


@pytest.mark.slow
def test_comparison_killed_and_resumed_equals_an_uninterrupted_one(tmp_path):
    """Killed once the first scenario is finished and two chunks of the second are: the resumed
    comparison computes the remaining chunks only and has the uninterrupted comparison's bits."""
    path = tmp_path / "compare.zarr"
    script = COMPARE_SCRIPT.format(tests=str(Path(__file__).parent), draws=COMPARE_DRAWS, chunks=COMPARE_CHUNKS)
    members = path / "_jzsim" / "members"

    def logs():
        return {p.name: RunStore(p).computed() for p in sorted(members.glob("*.zarr"))}

    kill_at = COMPARE_CHUNKS + 2
    _kill_after(_run(script, path, kill_at), lambda: sum(len(v) for v in logs().values()), kill_at)
    before = logs()
    assert before == {"00-base.zarr": before["00-base.zarr"], "01-boost.zarr": before["01-boost.zarr"]}
    assert sorted(before["00-base.zarr"]) == list(range(COMPARE_CHUNKS)) and sorted(before["01-boost.zarr"]) == [0, 1]
    _finish(script, path)
    after = logs()
    assert after["00-base.zarr"] == before["00-base.zarr"], "the finished scenario was not computed again"
    assert after["01-boost.zarr"][:2] == before["01-boost.zarr"]
    for name, computed in after.items():
        assert sorted(computed) == list(range(COMPARE_CHUNKS)), f"{name}: each chunk computed exactly once"
    got = jzsim.open_run(path)
    assert got.attrs["chunks_resumed"] == 2 + COMPARE_CHUNKS
    assert_same(jzsim.compare(SCEN, draws=COMPARE_DRAWS, seed=5, outcomes=True, **KW), got)


def test_cli_sweep_out_zarr_resumes_and_refuses_another_grid(tmp_path, capsys):
    from jzsim.cli.main import main

    path = tmp_path / "sweep.zarr"
    cmd = ["sweep", "investment_rate", "0.3", "0.4", "--draws", "300", "--out", str(path), "--no-progress"]
    assert main(cmd) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    assert main(cmd) == 0 and RunStore(path).computed() == [0]
    assert main(cmd[:3] + ["0.5"] + cmd[4:]) == 2
    assert "grid: store has [[0.3], [0.4]], this run [[0.3], [0.5]]" in capsys.readouterr().err
    assert main(["sweep", "investment_rate", "0.3", "--draws", "10", "--workers", "2"]) == 2
    assert "go with --backend dask" in capsys.readouterr().err
