"""The engine: ``solve_model(model, params)`` on the low-level :class:`~matcher.engine.model.AssignmentModel`.

Pipeline: the LP relaxation (GLOP; column generation on large models, seeded with a greedy plan at national size)
gives the independent bound and a guide; LP-guided greedy rounding gives a first plan within every hard capacity;
CP-SAT improves it from that hint within the wall-clock limit and proves small problems optimal, then large
neighbourhood search (:mod:`matcher.engine.lns`) improves what it could not prove. A lexicographic objective (people
placed first, then scores) is searched as its weighted sum on small models and in two phases on large ones.

The engine imports only :mod:`matcher.models` and its own modules: a placement problem is solved to a checked
result one floor up, by :func:`matcher.match.solve`.
"""

from __future__ import annotations

from matcher.engine.model import AssignmentModel
from matcher.engine.search import ModelSolution, Progress, SolveParams, relative_gap, solve_model

__all__ = ["AssignmentModel", "ModelSolution", "Progress", "SolveParams", "relative_gap", "solve_model"]
