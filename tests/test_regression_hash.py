"""Bit-for-bit regression guard for refactors that must not change results.

A fixed deterministic run and a fixed Monte Carlo run (numpy backend, kept trajectories) are hashed
(sha256 of the raw float64 bytes, variables in sorted order). A refactor leaves the hashes as they
are. A change that is *meant* to move results (a new equation, a new sampler stream) updates the
stored hashes in the same commit and says why; regenerate them with::

    python tests/test_regression_hash.py
"""

from __future__ import annotations

import hashlib

import numpy as np

# Stored by `python tests/test_regression_hash.py`; see the module docstring for when to update.
EXPECTED = {
    "deterministic": "16859108933cdc9a827bfc486b8d2830d8c261accc8e49bc5a85c3ee1de7be62",
    "monte_carlo": "25383f3dd0f1bf8c538ab52985df7ec69d8aeea51c4ae83207b56d61ea378351",
    "monte_carlo_sobol": "3ae9857cc0024abc8297de60d87f286f77e004fca5874d33cd249770305b9e5e",
}


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(np.asarray(arrays[name], dtype=np.float64))
        h.update(name.encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def deterministic_hash() -> str:
    import jzsim

    ds = jzsim.simulate()
    return _digest({n: ds[n].values for n in ds.data_vars if np.issubdtype(ds[n].dtype, np.number)})


def monte_carlo_hash() -> str:
    import jzsim

    outputs = ["gdp_real", "cluster_output_health", "urbanisation", "groundwater_extraction", "reclaimed_share"]
    ds = jzsim.monte_carlo(draws=3000, seed=7, sampler="random", backend="numpy", outputs=outputs, keep=True)
    return _digest({f"{n}_draws": ds[f"{n}_draws"].values for n in outputs})  # the asked outputs only


def monte_carlo_sobol_hash() -> str:
    import jzsim

    ds = jzsim.monte_carlo(draws=1000, seed=7, sampler="sobol", backend="numpy", outputs=["gdp_real"], keep=True)
    return _digest({n: ds[n].values for n in ("gdp_real_draws", "parameters")})


def test_deterministic_plan_run_is_bit_identical_to_the_stored_hash():
    assert deterministic_hash() == EXPECTED["deterministic"]


def test_monte_carlo_trajectories_are_bit_identical_to_the_stored_hash():
    assert monte_carlo_hash() == EXPECTED["monte_carlo"]


def test_sobol_monte_carlo_is_bit_identical_to_the_stored_hash():
    assert monte_carlo_sobol_hash() == EXPECTED["monte_carlo_sobol"]


if __name__ == "__main__":  # pragma: no cover - regenerates EXPECTED
    print(
        {
            "deterministic": deterministic_hash(),
            "monte_carlo": monte_carlo_hash(),
            "monte_carlo_sobol": monte_carlo_sobol_hash(),
        }
    )
