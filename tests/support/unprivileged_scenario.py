"""Run by test_sandbox.py as an unprivileged user: the sandbox without root, in one process.

Prints one JSON line: the uid inside, forks before the process cap, what a network socket
and /etc/passwd gave.
"""

from __future__ import annotations

import json

import anyio

from prefrontal.sandbox import Bubblewrap, SandboxLimits
from prefrontal.sandbox.bubblewrap import scratch_dir

PROGRAM = """
import json, os, socket, time
out = {'uid': os.getuid()}
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    out['socket'] = 'opened'
except OSError as error:
    out['socket'] = type(error).__name__
try:
    out['passwd'] = open('/etc/passwd').read()[:40]
except OSError as error:
    out['passwd'] = type(error).__name__
forked = 0
try:
    while forked < 1000:
        if os.fork() == 0:
            time.sleep(1)
            os._exit(0)
        forked += 1
except OSError:
    pass
out['forked'] = forked
print(json.dumps(out))
"""


async def main() -> None:
    sandbox = Bubblewrap()
    with scratch_dir() as scratch:
        run = await sandbox.run(PROGRAM, limits=SandboxLimits(processes=32), scratch=scratch)
    print(
        json.dumps(
            {"privileged": sandbox.privileged, "outcome": run.outcome, **json.loads(run.stdout)}
        )
    )


anyio.run(main)
