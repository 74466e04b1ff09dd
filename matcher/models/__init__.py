"""Validated records: inputs (cases, localities), the policy and the result. No I/O, no solver."""

from matcher.models.policy import Mode, Policy, PolicyError, Rule, load_policy, policy_from_dict
from matcher.models.records import (
    HEALTH_SERVICES,
    LANGUAGES,
    SECTORS,
    Case,
    Dataset,
    Education,
    FrenchLevel,
    HousingUnit,
    Interpreter,
    Job,
    Locality,
    Member,
    PublicTransport,
    Service,
)
from matcher.models.result import LocalityUse, Placement, Provenance, Result, Status, Unplaced

__all__ = [
    "HEALTH_SERVICES",
    "LANGUAGES",
    "SECTORS",
    "Case",
    "Dataset",
    "Education",
    "FrenchLevel",
    "HousingUnit",
    "Interpreter",
    "Job",
    "Locality",
    "LocalityUse",
    "Member",
    "Mode",
    "Placement",
    "Policy",
    "PolicyError",
    "Provenance",
    "PublicTransport",
    "Result",
    "Rule",
    "Service",
    "Status",
    "Unplaced",
    "load_policy",
    "policy_from_dict",
]
