"""Layer-adaptive plans: per-layer patterns (``Plan``) and the planner that chooses them.

Front doors: :class:`Plan` / :func:`load_plan` (what a plan is, read from TOML or JSON) and
:func:`choose_plan` (least cost under a loss budget, or least loss under a cost budget, from
per-layer options).  No torch, no Numba: capture, sim and explore can all import it.
"""

from accelsim.plans.planner import SOLVERS, Option, PlanPoint, choose_plan, greedy_front
from accelsim.plans.spec import Plan, PlanError, load_plan

__all__ = ["Plan", "PlanError", "load_plan", "Option", "PlanPoint", "choose_plan", "greedy_front", "SOLVERS"]
