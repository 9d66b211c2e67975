"""Technology scaling as pure functions; the reference node is 45 nm.

Factors are Stillmaker & Baas (Integration 2017) as implemented by Accelergy's
``accelergy-library-plug-in/scaling.py`` (github.com/Accelergy-Project/accelergy-library-plug-in),
evaluated at the plug-in's default 0.8 V: B. Stillmaker and B. Baas, "Scaling equations for the
accurate prediction of CMOS device performance from 180 nm to 7 nm", Integration 58 (2017).  Raw data (multiply a 45 nm value by):

    node   area    energy
    45     1.0     1.0
    28     0.29    0.37
    16     0.19    0.17
    7      0.059   0.094

Only tabulated nodes are accepted: the plug-in's values between table points are
interpolations, not data.  Off-chip DRAM energy is not scaled (it is not made in the logic node).
"""

from __future__ import annotations

__all__ = ["AREA_FACTOR", "ENERGY_FACTOR", "scale_area", "scale_energy", "from_40nm_area", "from_40nm_energy"]

AREA_FACTOR = {45: 1.0, 28: 0.29, 16: 0.19, 7: 0.059}
ENERGY_FACTOR = {45: 1.0, 28: 0.37, 16: 0.17, 7: 0.094}


def _check(node: int) -> None:
    if node not in AREA_FACTOR:
        raise ValueError(f"technology node {node!r} nm is not tabulated; choose one of {sorted(AREA_FACTOR)}")


def scale_area(area_45nm: float, node_nm: int) -> float:
    """Area at ``node_nm`` of a block whose 45 nm area is ``area_45nm`` (same unit)."""
    _check(node_nm)
    return area_45nm * AREA_FACTOR[node_nm]


def scale_energy(energy_45nm: float, node_nm: int) -> float:
    """Energy per action at ``node_nm`` of an action costing ``energy_45nm`` at 45 nm."""
    _check(node_nm)
    return energy_45nm * ENERGY_FACTOR[node_nm]


def from_40nm_area(area_40nm: float) -> float:
    """Aladdin's 40 nm characterisation moved to the 45 nm reference: classical (45/40)^2 [D]."""
    return area_40nm * (45 / 40) ** 2


def from_40nm_energy(energy_40nm: float) -> float:
    """Aladdin's 40 nm energies moved to 45 nm: classical scaling with feature size, 45/40 [D]."""
    return energy_40nm * (45 / 40)
