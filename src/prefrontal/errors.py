"""Prefrontal's one exception tree.

Every error Prefrontal raises on purpose is a ``PrefrontalError``. The tree separates the
user's mistakes from failures of the world, and says whether trying again can help::

    PrefrontalError
    ├── UsageError                the user's mistake: fix the input and try again
    │   ├── ConfigError           prefrontal.toml is wrong (names the file, key, value, fix)
    │   ├── RecordError           a record at the seam is malformed
    │   │   ├── PayloadTooLargeError   a field is over its bound; nothing was truncated
    │   │   └── HandleError    a handle cannot be resolved (unknown, or another domain's)
    │   ├── RoutingError          a request names a domain that does not exist
    │   └── SourceMissingError    a sense's source file does not exist (a FileNotFoundError too)
    ├── WorldError                something outside the user's input failed
    │   ├── ProviderError         a model provider answered with an error (retryable: 429, 5xx)
    │   ├── WorkerError           a worker raised while doing a commission
    │   │   ├── WorkerTimeoutError     it ran past its commission's time limit
    │   │   └── SandboxLimitError      a sandboxed program was stopped by one of its caps
    │   └── JournalError          the journal could not be read or written
    │       ├── JournalBusyError  another process is driving this journal
    │       ├── JournalFormatError     a newer format, or not a Prefrontal journal at all
    │       └── JournalFullError  the disk is full (retryable: nothing was written)
    ├── PolicyError               a policy raised or its model's output stayed malformed
    │   └── TaintError            a policy tried to read a handle's (tainted) text
    ├── BudgetExceededError       a domain's budget would be exceeded; refused before dispatch
    └── SandboxUnavailableError   no operating-system sandbox is installed

Errors are plain data: a message plus a ``retryable`` flag, picklable, with no side effects
in their constructors. Messages name the offending value, the expectation and the fix.
"""

from __future__ import annotations


class PrefrontalError(Exception):
    """Base of every error Prefrontal raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), self.retryable))

    @property
    def message(self) -> str:
        return str(self)


def _rebuild(cls: type[PrefrontalError], message: str, retryable: bool) -> PrefrontalError:
    error = cls.__new__(cls)
    PrefrontalError.__init__(error, message, retryable=retryable)
    return error


class UsageError(PrefrontalError):
    """The user's mistake: the input must change before trying again."""


class ConfigError(UsageError):
    """The configuration is wrong; the message names the file, the key, the value and the fix."""


class RecordError(UsageError):
    """A record crossing the seam is malformed."""


class PayloadTooLargeError(RecordError):
    """A field is larger than its bound. Prefrontal rejects, it never truncates silently."""


class HandleError(RecordError):
    """A handle in a commission's inputs or a reply cannot be resolved to its value."""


class RoutingError(UsageError):
    """A request addresses a domain that is not declared."""


class SourceMissingError(UsageError, FileNotFoundError):
    """A sense's source file does not exist; also a ``FileNotFoundError`` with ``filename``."""

    def __str__(self) -> str:  # the message, not OSError's "[Errno None] None: ..."
        return str(self.args[0]) if self.args else ""


class WorldError(PrefrontalError):
    """Something outside the user's input failed."""


class ProviderError(WorldError):
    """A model provider answered with an error. 429 and 5xx are retryable."""


class WorkerError(WorldError):
    """A worker raised while doing a commission."""


class WorkerTimeoutError(WorkerError):
    """A worker ran past its commission's time limit."""

    retryable = True


class SandboxLimitError(WorkerError):
    """A sandboxed program was stopped by one of its caps (CPU, wall, memory, files...)."""


class JournalError(WorldError):
    """The journal could not be read or written."""


class JournalBusyError(JournalError):
    """Another process is driving this journal; requests and answers may still be appended."""


class JournalFormatError(JournalError):
    """The journal was written by a newer Prefrontal, or the database is not a journal."""


class JournalFullError(JournalError):
    """The journal's disk is full; the write was rolled back and may be retried."""

    retryable = True


class PolicyError(PrefrontalError):
    """A policy raised, or its model's output stayed malformed after retries."""


class TaintError(PolicyError):
    """A policy tried to read a handle: tainted text may be passed on, never read."""


class BudgetExceededError(PrefrontalError):
    """Dispatching would exceed a domain's budget; the commission was refused before dispatch."""


class SandboxUnavailableError(PrefrontalError):
    """No operating-system sandbox is installed; precise code is never run unsandboxed."""


__all__ = [
    "BudgetExceededError",
    "ConfigError",
    "HandleError",
    "JournalBusyError",
    "JournalError",
    "JournalFormatError",
    "JournalFullError",
    "PayloadTooLargeError",
    "PolicyError",
    "PrefrontalError",
    "ProviderError",
    "RecordError",
    "RoutingError",
    "SandboxLimitError",
    "SandboxUnavailableError",
    "SourceMissingError",
    "TaintError",
    "UsageError",
    "WorkerError",
    "WorkerTimeoutError",
    "WorldError",
]
