"""In-memory state of the Gemini API, persisted in the ``gemini`` section of the state file.

The state is the set of tuned models; each model carries its permissions, its
training examples, its tuning schedule and the id of its create operation (an
operation is a view of its model, so it disappears with it). Every mutation
saves the state file (see :mod:`airflow_provider_tunedmodels.emulator.state`).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_tunedmodels.emulator.gemini.training import (
    Hyperparameters,
    LossCurve,
    Timeline,
)
from airflow_provider_tunedmodels.emulator.state import StateFile

__all__ = ["STATE_SECTION", "PermissionRecord", "Store", "TunedModelRecord"]

#: Name of the Gemini API's section in the state file.
STATE_SECTION = "gemini"
_ID_ALPHABET = string.ascii_lowercase + string.digits


@dataclass
class PermissionRecord:
    """One grant on a tuned model."""

    permission_id: str
    grantee_type: str  # USER | GROUP | EVERYONE
    email: str | None
    role: str  # OWNER | WRITER | READER

    def to_json(self) -> dict[str, Any]:
        """Serialise for the state file."""
        return {
            "id": self.permission_id,
            "granteeType": self.grantee_type,
            "email": self.email,
            "role": self.role,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PermissionRecord:
        """Deserialise from the state file."""
        return cls(data["id"], data["granteeType"], data.get("email"), data["role"])


@dataclass
class TunedModelRecord:
    """A tuned model and everything the emulator knows about it."""

    model_id: str
    operation_id: str
    base_model: str
    source_model: str | None
    display_name: str
    description: str
    temperature: float | None
    top_p: float | None
    top_k: int | None
    reader_project_numbers: list[int]
    create_time: float
    update_time: float
    hyperparameters: Hyperparameters
    examples: list[tuple[str, str]]
    loss_curve: LossCurve
    timeline: Timeline
    permissions: list[PermissionRecord] = field(default_factory=list)
    failure_message: str = ""
    cached_body: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        """Resource name ``tunedModels/{id}``."""
        return f"tunedModels/{self.model_id}"

    @property
    def operation_name(self) -> str:
        """Resource name of the create operation."""
        return f"{self.name}/operations/{self.operation_id}"

    def touch(self) -> None:
        """Drop cached renderings after a change."""
        self.cached_body = None

    def to_json(self) -> dict[str, Any]:
        """Serialise for the state file."""
        hyper = self.hyperparameters
        return {
            "id": self.model_id,
            "operationId": self.operation_id,
            "baseModel": self.base_model,
            "sourceModel": self.source_model,
            "displayName": self.display_name,
            "description": self.description,
            "temperature": self.temperature,
            "topP": self.top_p,
            "topK": self.top_k,
            "readerProjectNumbers": self.reader_project_numbers,
            "createTime": self.create_time,
            "updateTime": self.update_time,
            "hyperparameters": {
                "epochCount": hyper.epoch_count,
                "batchSize": hyper.batch_size,
                "learningRate": hyper.learning_rate,
                "learningRateMultiplier": hyper.learning_rate_multiplier,
            },
            "examples": [list(example) for example in self.examples],
            "lossCurve": self.loss_curve.to_json(),
            "timeline": self.timeline.to_json(),
            "permissions": [permission.to_json() for permission in self.permissions],
            "failureMessage": self.failure_message,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TunedModelRecord:
        """Deserialise from the state file."""
        hyper = data["hyperparameters"]
        hyperparameters = Hyperparameters(
            epoch_count=int(hyper["epochCount"]),
            batch_size=int(hyper["batchSize"]),
            learning_rate=float(hyper["learningRate"]),
            learning_rate_multiplier=hyper.get("learningRateMultiplier"),
        )
        examples = [(str(pair[0]), str(pair[1])) for pair in data["examples"]]
        curve = data.get("lossCurve")
        return cls(
            model_id=data["id"],
            operation_id=data["operationId"],
            base_model=data["baseModel"],
            source_model=data.get("sourceModel"),
            display_name=data.get("displayName", ""),
            description=data.get("description", ""),
            temperature=data.get("temperature"),
            top_p=data.get("topP"),
            top_k=data.get("topK"),
            reader_project_numbers=[int(n) for n in data.get("readerProjectNumbers", [])],
            create_time=float(data["createTime"]),
            update_time=float(data["updateTime"]),
            hyperparameters=hyperparameters,
            examples=examples,
            # State files written before curves were kept as parameters get a new curve.
            loss_curve=(
                LossCurve.from_json(curve)
                if curve is not None
                else LossCurve.of(examples, hyperparameters, seed=0)
            ),
            timeline=Timeline.from_json(data["timeline"]),
            permissions=[PermissionRecord.from_json(p) for p in data.get("permissions", [])],
            failure_message=data.get("failureMessage", ""),
        )


class Store:
    """All tuned models, keyed by id, in creation order: the ``gemini`` state section."""

    def __init__(self, state: StateFile, *, seed: int = 0) -> None:
        self.seed = seed
        self.models: dict[str, TunedModelRecord] = {}
        self._rng = random.Random(seed)
        self._state = state
        state.add_section(STATE_SECTION, self)

    def random_id(self, length: int, *, first_letter: bool = False) -> str:
        """A random ``[a-z0-9]`` id from the seeded generator."""
        chars = [self._rng.choice(_ID_ALPHABET) for _ in range(length)]
        if first_letter:
            chars[0] = self._rng.choice(string.ascii_lowercase)
        return "".join(chars)

    def get(self, model_id: str) -> TunedModelRecord | None:
        """The tuned model with this id, if any."""
        return self.models.get(model_id)

    def add(self, record: TunedModelRecord) -> None:
        """Insert a new tuned model and persist."""
        self.models[record.model_id] = record
        self.save()

    def remove(self, model_id: str) -> None:
        """Delete a tuned model (with its operation and permissions) and persist."""
        self.models.pop(model_id, None)
        self.save()

    def save(self) -> None:
        """Persist the state (a no-op without a state file)."""
        self._state.save()

    # -- state section ----------------------------------------------------------

    def reset(self) -> None:
        """Forget every tuned model and restart the id generator from the seed."""
        self.models.clear()
        self._rng = random.Random(self.seed)

    def dump(self) -> dict[str, Any]:
        """The tuned models as state-file data."""
        return {"models": [record.to_json() for record in self.models.values()]}

    def restore(self, data: dict[str, Any]) -> None:
        """Load the tuned models of a state file."""
        self.models = {}
        for item in data.get("models", []):
            record = TunedModelRecord.from_json(item)
            self.models[record.model_id] = record
