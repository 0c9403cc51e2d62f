"""The operating-system sandbox that runs programs Prefrontal did not write.

Owns: ``Run`` (what came back and why it stopped) and ``Bubblewrap`` (the one
implementation: bubblewrap namespaces, a non-root uid, resource limits, a supervisor that
kills on the wall cap); it enforces the seam's ``SandboxLimits``. Imports errors and the seam
only; never the runtime, workers or models. There is no fallback: without a sandbox tool
nothing runs.
"""

from prefrontal.sandbox.bubblewrap import Bubblewrap
from prefrontal.sandbox.limits import Run
from prefrontal.seam.limits import SandboxLimits

__all__ = ["Bubblewrap", "Run", "SandboxLimits"]
