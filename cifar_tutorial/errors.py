"""The errors the collection raises, each with a message a learner can act on."""

from __future__ import annotations


class TutorialError(Exception):
    """Base class: something the user can fix, explained in the message."""


class ParameterError(TutorialError, ValueError):
    """A parameter or option has a wrong type, is out of range, or is unknown."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"{name}={value!r} is not allowed: {name} must be {allowed}.")


class DataUnavailableError(TutorialError, RuntimeError):
    """The data set is not on disk and could not be fetched."""


class DataCorruptError(TutorialError, RuntimeError):
    """A data file exists but is damaged, incomplete or of the wrong kind."""


class CheckpointError(TutorialError, RuntimeError):
    """A checkpoint is missing, damaged, unsafe, or was made for something else."""


class DeviceUnavailableError(TutorialError, RuntimeError):
    """The requested device (CUDA, MPS) is not present on this machine."""


class DeviceMemoryError(TutorialError, MemoryError):
    """A batch did not fit in the memory of the device (GPU, or the CPU's RAM)."""


class TrainingDivergedError(TutorialError, FloatingPointError):
    """The loss became NaN or infinite."""


class DistributedRunError(TutorialError, RuntimeError):
    """A run of several processes (torchrun) failed or could not start."""


def first_line(error: BaseException, limit: int | None = 120, after: str = "") -> str:
    """An error's message on one short line, for a sentence of our own: its first non-empty
    line (of the part after ``after``, when the message holds that marker), cut to ``limit``
    characters; the error's type name when it has no message."""
    text = str(error).split(after)[-1] if after else str(error)
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = line or type(error).__name__
    return line if limit is None or len(line) <= limit else line[: limit - 3] + "..."
