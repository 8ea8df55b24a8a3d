"""Simulated tuning: hyperparameter defaults, the step schedule and the loss curve.

No neural network is trained. A tuning job is a deterministic schedule: step
``k`` completes ``k * step_seconds`` after the job starts, and every step gets a
snapshot whose ``meanLoss`` comes from a seeded curve that falls over the
epochs, faster with a larger learning rate, noisier with a smaller batch, and
starting higher for longer, more varied outputs. Given the same data,
hyperparameters and seed the curve is identical.

Progress is a pure function of wall time, so nothing runs in the background and
a job persisted with ``--state-file`` carries on after a restart. The loss of a
step is computed when it is shown, in constant time (:class:`LossCurve`): a job
of two billion steps costs no more to create than a job of ten.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass
from typing import Any

from airflow_provider_tunedmodels.emulator.wire import float32

__all__ = [
    "DEFAULT_EPOCH_COUNT",
    "LARGE_DATASET_BATCH_SIZE",
    "LARGE_DATASET_LEARNING_RATE",
    "LARGE_DATASET_MIN_EXAMPLES",
    "MAX_LOSS",
    "MAX_TOTAL_STEPS",
    "MIN_LOSS",
    "SMALL_DATASET_BATCH_SIZE",
    "SMALL_DATASET_LEARNING_RATE",
    "Hyperparameters",
    "LossCurve",
    "Progress",
    "Timeline",
    "choose_failure_step",
    "epoch_of_step",
    "resolve_hyperparameters",
    "total_steps",
]


#: Documented default number of epochs.
DEFAULT_EPOCH_COUNT = 5
#: Documented default batch sizes ("4 or 16 based on the number of examples").
SMALL_DATASET_BATCH_SIZE = 4
LARGE_DATASET_BATCH_SIZE = 16
#: Documented default learning rates ("0.001 or 0.0002 based on the number of examples").
SMALL_DATASET_LEARNING_RATE = 0.001
LARGE_DATASET_LEARNING_RATE = 0.0002
#: Number of examples from which the "large dataset" defaults apply. The threshold
#: is not documented; this value is the emulator's choice.
LARGE_DATASET_MIN_EXAMPLES = 1000

#: Most steps a job may have: ``totalSteps`` is an int32 on the wire.
MAX_TOTAL_STEPS = 2**31 - 1
#: Bounds of a reported ``meanLoss`` (a diverging job stays at the upper one).
MIN_LOSS = 1e-4
MAX_LOSS = 1e4

_EPSILON = 1e-9
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Hyperparameters:
    """Resolved hyperparameters of a tuning job."""

    epoch_count: int
    batch_size: int
    learning_rate: float
    learning_rate_multiplier: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``hyperparameters`` object returned on the tuned model.

        The learning rate options are a oneof: a job configured with a multiplier
        reports the multiplier, any other job the (possibly defaulted) rate.
        """
        out: dict[str, Any] = {}
        if self.learning_rate_multiplier is not None:
            out["learningRateMultiplier"] = float32(self.learning_rate_multiplier)
        else:
            out["learningRate"] = float32(self.learning_rate)
        out["epochCount"] = self.epoch_count
        out["batchSize"] = self.batch_size
        return out


def resolve_hyperparameters(given: dict[str, Any], num_examples: int) -> Hyperparameters:
    """Fill unset hyperparameters with the documented defaults."""
    large = num_examples >= LARGE_DATASET_MIN_EXAMPLES
    default_rate = LARGE_DATASET_LEARNING_RATE if large else SMALL_DATASET_LEARNING_RATE
    default_batch = LARGE_DATASET_BATCH_SIZE if large else SMALL_DATASET_BATCH_SIZE
    multiplier = given.get("learningRateMultiplier")
    if multiplier is not None:
        rate = default_rate * float(multiplier)
    else:
        rate = float(given.get("learningRate", default_rate))
    return Hyperparameters(
        epoch_count=int(given.get("epochCount", DEFAULT_EPOCH_COUNT)),
        batch_size=int(given.get("batchSize", default_batch)),
        learning_rate=rate,
        learning_rate_multiplier=None if multiplier is None else float(multiplier),
    )


def total_steps(num_examples: int, hyper: Hyperparameters) -> int:
    """``ceil(examples * epochs / batchSize)``, as observed on the real service."""
    return max(1, math.ceil(num_examples * hyper.epoch_count / hyper.batch_size))


def epoch_of_step(step: int, batch_size: int, num_examples: int) -> int:
    """``floor(step * batchSize / examples)``, as observed in real snapshots."""
    return step * batch_size // num_examples


@dataclass(frozen=True)
class LossCurve:
    """The mean loss after each step, computed on demand in constant time per step.

    The curve decays exponentially per epoch from a start that depends on the
    data (longer and more varied outputs start higher) towards a small floor;
    the decay rate grows with the square root of the learning rate, and the
    step-to-step noise grows with smaller batches and with learning rates far
    above the default. The noise of a step is drawn from a hash of the seed and
    the step number, so any step's loss is known without computing the others.
    """

    initial: float
    floor: float
    speed: float
    noise: float
    noise_seed: int
    examples: int
    batch_size: int

    @classmethod
    def of(cls, examples: list[tuple[str, str]], hyper: Hyperparameters, seed: int) -> LossCurve:
        """The curve of a job, deterministic for the data, hyperparameters and seed."""
        data_rng = random.Random(_seed_of(seed, examples))
        count = len(examples)
        outputs = [output for _, output in examples]
        mean_output_chars = sum(len(output) for output in outputs) / count
        variety = len(set(outputs)) / count
        initial = 1.2 + 0.6 * math.log1p(mean_output_chars) + 0.8 * variety
        initial += data_rng.uniform(0.0, 0.3)
        floor = 0.02 + 0.1 * variety + data_rng.uniform(0.0, 0.02)
        overshoot = max(0.0, hyper.learning_rate / 0.005 - 1.0)
        return cls(
            initial=initial,
            floor=floor,
            speed=0.6 * math.sqrt(hyper.learning_rate / SMALL_DATASET_LEARNING_RATE),
            noise=0.03 * math.sqrt(SMALL_DATASET_BATCH_SIZE / hyper.batch_size) * (1 + overshoot),
            noise_seed=_seed_of(seed, examples, hyper),
            examples=count,
            batch_size=hyper.batch_size,
        )

    def loss_at(self, step: int) -> float:
        """The mean loss after ``step`` (1-based), as a 32-bit float."""
        epochs_done = step * self.batch_size / self.examples
        expected = self.floor + (self.initial - self.floor) * math.exp(-self.speed * epochs_done)
        loss = expected * (1.0 + self.noise * _gauss(self.noise_seed, step))
        return float32(min(max(loss, MIN_LOSS), MAX_LOSS))

    def to_json(self) -> dict[str, Any]:
        """Serialise for the state file."""
        return {
            "initial": self.initial,
            "floor": self.floor,
            "speed": self.speed,
            "noise": self.noise,
            "noiseSeed": self.noise_seed,
            "examples": self.examples,
            "batchSize": self.batch_size,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LossCurve:
        """Deserialise from the state file."""
        return cls(
            initial=float(data["initial"]),
            floor=float(data["floor"]),
            speed=float(data["speed"]),
            noise=float(data["noise"]),
            noise_seed=int(data["noiseSeed"]),
            examples=int(data["examples"]),
            batch_size=int(data["batchSize"]),
        )


def _mix64(value: int) -> int:
    """SplitMix64's finaliser: 64 well-mixed bits from any integer."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def _gauss(seed: int, step: int) -> float:
    """A standard normal draw that depends only on ``seed`` and ``step`` (Box-Muller)."""
    first = ((_mix64(seed + 2 * step) >> 11) + 1) / 2.0**53  # in (0, 1]
    second = (_mix64(seed + 2 * step + 1) >> 11) / 2.0**53
    return math.sqrt(-2.0 * math.log(first)) * math.cos(2.0 * math.pi * second)


def _seed_of(
    seed: int, examples: list[tuple[str, str]], hyper: Hyperparameters | None = None
) -> int:
    digest = hashlib.sha256()
    digest.update(str(seed).encode())
    digest.update(json.dumps(examples, ensure_ascii=False).encode())
    if hyper is not None:
        digest.update(json.dumps(hyper.to_json(), sort_keys=True).encode())
    return int.from_bytes(digest.digest()[:8], "big")


def choose_failure_step(steps: int, seed: int, model_id: str) -> int:
    """The step at which a forced tuning failure happens (1-based)."""
    digest = hashlib.sha256(f"{seed}:{model_id}".encode()).digest()
    return 1 + int.from_bytes(digest[:4], "big") % steps


@dataclass(frozen=True)
class Progress:
    """Where a tuning job stands at a given time."""

    state: str  # CREATING | ACTIVE | FAILED
    started: bool
    completed_steps: int
    finished_at: float | None
    outcome: str | None  # None while running, else "succeeded" | "failed" | "cancelled"


@dataclass
class Timeline:
    """The wall-clock schedule of one tuning job."""

    start_time: float
    step_seconds: float
    total_steps: int
    fail_at_step: int | None = None
    cancel_time: float | None = None

    def step_time(self, step: int) -> float:
        """When step ``step`` completes."""
        return self.start_time + step * self.step_seconds

    def _steps_done_at(self, moment: float) -> int:
        if self.step_seconds <= 0:
            return self.total_steps if moment >= self.start_time else 0
        done = math.floor((moment - self.start_time) / self.step_seconds + _EPSILON)
        return max(0, min(self.total_steps, done))

    def progress(self, now: float) -> Progress:
        """The job's state at ``now``."""
        endings: list[tuple[float, str, int]] = []
        if self.cancel_time is not None:
            endings.append((self.cancel_time, "cancelled", self._steps_done_at(self.cancel_time)))
        if self.fail_at_step is not None:
            endings.append((self.step_time(self.fail_at_step), "failed", self.fail_at_step - 1))
        endings.append((self.step_time(self.total_steps), "succeeded", self.total_steps))
        # The earliest ending wins; on a tie, a cancellation or failure beats success.
        moment, outcome, steps = min(endings, key=lambda ending: ending[0])
        if now + _EPSILON >= moment:
            state = "ACTIVE" if outcome == "succeeded" else "FAILED"
            started = moment >= self.start_time
            return Progress(state, started, min(steps, self.total_steps), moment, outcome)
        return Progress("CREATING", now >= self.start_time, self._steps_done_at(now), None, None)

    def to_json(self) -> dict[str, Any]:
        """Serialise for the state file."""
        return {
            "startTime": self.start_time,
            "stepSeconds": self.step_seconds,
            "totalSteps": self.total_steps,
            "failAtStep": self.fail_at_step,
            "cancelTime": self.cancel_time,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Timeline:
        """Deserialise from the state file."""
        return cls(
            start_time=float(data["startTime"]),
            step_seconds=float(data["stepSeconds"]),
            total_steps=int(data["totalSteps"]),
            fail_at_step=data.get("failAtStep"),
            cancel_time=data.get("cancelTime"),
        )
