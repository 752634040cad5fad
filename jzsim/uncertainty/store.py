"""A Monte Carlo run on disk: a zarr store written chunk by chunk, that a restarted run resumes.

Layout of ``run.zarr/`` (a zarr group that ``xarray.open_zarr`` reads; :func:`open_run` adds the
``quantile`` index):

* per-draw variables along ``draw``, one zarr chunk per Monte Carlo chunk (so no two workers ever
  write the same zarr chunk): ``<output>_draws(draw, year)`` when trajectories are kept,
  ``target_value`` and ``target_met(draw, target)`` with outcomes, ``parameters(draw, parameter)``
  with either. A zarr chunk never written reads back as the fill value, so the data cannot say
  whether a chunk is finished: the markers below do;
* ``_jzsim/manifest.json``: what the run computes (seed, scenario, sampler, model hash, data hash,
  jzsim version, draws, chunk size, outputs ...). A restart compares it field by field and refuses
  a store made for another run, naming what differs;
* ``_jzsim/edges.npz``: the histogram edges (from the first 4096 draws), shared by every chunk;
* ``_jzsim/chunks/<c>.npz``: chunk ``c``'s summary state (each block's count, mean and M2, the
  chunk's min, max, histogram and target counts), merged in chunk order at the end, so a resumed
  run's summaries equal an uninterrupted run's bit for bit;
* ``_jzsim/done/<c>``: chunk ``c``'s completion marker, written after its zarr data and its summary
  state. A chunk is done only if its marker exists; a chunk half written when the process died has
  none and is computed again;
* when the run is complete, the summaries (``<output>(statistic, year)``, ``p_met`` ...) and the
  run's attrs, as in an in-memory run.

Small files (manifest, edges, summary states, markers) are written under a temporary name in the
same directory and renamed (:func:`os.replace`, atomic on POSIX), so a reader never sees half of
one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["RunStore", "open_run", "StoreMismatch"]

META = "_jzsim"
#: zarr format 2: read by every zarr implementation, with fixed-length strings (target ids) and
#: consolidated metadata in its specification (format 3 has neither yet)
FORMAT = 2


class StoreMismatch(ValueError):
    """A store was made for another run (a resume with another seed, model, ...)."""


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class RunStore:
    """The on-disk side of one run (see the module docstring for the layout).

    Parameters
    ----------
    path : str or Path
        The ``.zarr`` directory.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.meta = self.path / META
        self._group = None

    # ------------------------------------------------------------------ manifest
    def manifest(self) -> dict[str, Any] | None:
        """The stored manifest, or None if the store has none (never started, or not a jzsim store)."""
        f = self.meta / "manifest.json"
        if not f.exists():
            return None
        return json.loads(f.read_text())

    def open(self, manifest: Mapping[str, Any], template: xr.Dataset | None) -> bool:
        """Create the store for ``manifest`` or check that it was made for the same run.

        Returns True when an existing store is resumed. Raises :class:`StoreMismatch` naming every
        field that differs, or when ``path`` holds something other than a jzsim run.
        """
        manifest = json.loads(json.dumps(dict(manifest)))  # the types JSON gives back
        old = self.manifest()
        if old is not None:
            diff = [k for k in sorted(set(old) | set(manifest)) if old.get(k) != manifest.get(k)]
            if diff:
                what = "; ".join(f"{k}: store has {old.get(k)!r}, this run {manifest.get(k)!r}" for k in diff)
                raise StoreMismatch(
                    f"{self.path} holds another run ({what}); resume it with the same options, "
                    f"or write to another path (or delete {self.path})"
                )
            return True
        if (
            self.path.exists()
            and any(p.name != META for p in self.path.iterdir())
            and not (self.path / ".zgroup").exists()
        ):
            raise StoreMismatch(
                f"{self.path} exists and is not a jzsim run store; allowed: a new path or a jzsim store"
            )
        # No manifest: never started, or killed before its manifest was written (no chunk can be done
        # then, since markers come after it): (re)create the layout, then the manifest.
        (self.meta / "chunks").mkdir(parents=True, exist_ok=True)
        (self.meta / "done").mkdir(parents=True, exist_ok=True)
        for stale in (self.meta / "done").iterdir():
            stale.unlink()
        if template is not None:
            template.to_zarr(self.path, mode="w", compute=False, consolidated=False, zarr_format=FORMAT)
        else:
            import zarr

            zarr.open_group(str(self.path), mode="w", zarr_format=FORMAT)
        (self.meta / "chunks").mkdir(parents=True, exist_ok=True)
        (self.meta / "done").mkdir(parents=True, exist_ok=True)
        _atomic_write(self.meta / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True).encode())
        return False

    # ------------------------------------------------------------------ edges
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        f = self.meta / "edges.npz"
        if not f.exists():
            return None
        with np.load(f) as z:
            return z["lo"], z["width"], z["inv_width"]

    def write_edges(self, edges: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        _atomic_write(self.meta / "edges.npz", _npz(dict(zip(("lo", "width", "inv_width"), edges))))

    # ------------------------------------------------------------------ chunks
    def done(self) -> set[int]:
        """Chunks whose marker exists (their data and summary state were written before it)."""
        d = self.meta / "done"
        if not d.exists():
            return set()
        return {int(p.name) for p in d.iterdir() if p.name.isdigit()}

    def write_data(self, a: int, b: int, arrays: Mapping[str, np.ndarray]) -> None:
        """Write per-draw arrays (draw first) into draws ``a..b-1`` of the zarr variables."""
        if not arrays:
            return
        if self._group is None:
            import zarr

            self._group = zarr.open_group(str(self.path), mode="r+", zarr_format=FORMAT)
        for name, arr in arrays.items():
            self._group[name][a:b] = arr

    def write_summary(self, c: int, state: Mapping[str, np.ndarray]) -> None:
        _atomic_write(self.meta / "chunks" / f"{c:07d}.npz", _npz(state, compress=True))

    def summary(self, c: int) -> dict[str, np.ndarray]:
        with np.load(self.meta / "chunks" / f"{c:07d}.npz") as z:
            return {k: z[k] for k in z.files}

    def mark_done(self, c: int, info: Mapping[str, Any]) -> None:
        _atomic_write(self.meta / "done" / f"{c:07d}", json.dumps(dict(info)).encode())

    def log(self, c: int, info: Mapping[str, Any]) -> None:
        """Append one line per chunk computed to ``_jzsim/log.jsonl`` (after its marker): how many
        times each chunk was computed, across restarts."""
        line = json.dumps({"chunk": c, **dict(info)}) + "\n"
        with open(self.meta / "log.jsonl", "a") as f:  # one short write: lines do not interleave
            f.write(line)

    def computed(self) -> list[int]:
        """Chunk of each line of the log, in order."""
        f = self.meta / "log.jsonl"
        if not f.exists():
            return []
        return [json.loads(x)["chunk"] for x in f.read_text().splitlines() if x.strip()]

    # ------------------------------------------------------------------ result
    def complete(self) -> bool:
        """Whether the finished result was written (its dim's coordinate is in the zarr group)."""
        m = self.manifest()
        return m is not None and (self.path / KINDS[m.get("kind", "monte_carlo")][0] / ".zarray").exists()

    def write_result(self, ds: xr.Dataset) -> None:
        """Add the summaries and attrs of the finished run (per-draw variables are already there)."""
        ds = ds.drop_indexes("quantile") if "quantile" in ds.indexes else ds
        import zarr

        with _quiet():
            ds.to_zarr(self.path, mode="a", consolidated=False, zarr_format=FORMAT)
            zarr.consolidate_metadata(str(self.path), zarr_format=FORMAT)


@contextlib.contextmanager
def _quiet():
    """Silence zarr's warning that ``_jzsim`` (the bookkeeping directory) is no zarr node."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=f"Object at {META} is not recognized")
        yield


def _npz(arrays: Mapping[str, np.ndarray], compress: bool = False) -> bytes:
    import io

    buf = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return buf.getvalue()


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


#: what each kind of store holds when complete (a dim of its result), and the call that writes it
KINDS = {
    "monte_carlo": ("statistic", "monte_carlo(..., backend='dask', execution=DaskExecution(store=path))"),
    "sweep": ("setting", "sweep(..., out=path)"),
    "compare": ("scenario", "compare(..., backend='dask', out=path)"),
}


def open_run(path: str | Path) -> xr.Dataset:
    """A run stored by ``monte_carlo(..., backend="dask", execution=DaskExecution(store=path))``
    (``jzsim run --out path.zarr``), ``sweep(..., out=path)`` or ``compare(..., out=path)``, as a
    Dask-backed ``xarray.Dataset`` with the names, units and attrs of the in-memory result.

    Raises ValueError if the run is not complete (resume it with the same command first).
    """
    store = RunStore(path)
    m = store.manifest()
    if m is None:
        raise ValueError(f"{path} is not a jzsim run store (no {META}/manifest.json)")
    kind = m.get("kind", "monte_carlo")
    dim, call = KINDS[kind]
    with _quiet():
        ds = xr.open_zarr(path)
    if dim not in ds.dims:
        raise ValueError(
            f"{path} holds an unfinished {kind.replace('_', ' ')} ({len(store.done())} chunks done); "
            f"resume it with the same command ({call})"
        )
    if "quantile" in ds.coords:
        ds = ds.set_xindex("quantile")
    return ds
