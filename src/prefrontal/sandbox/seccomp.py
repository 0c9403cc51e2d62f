"""A seccomp filter for sandboxed programs: no network sockets, no new namespaces, no mounts.

Namespaces already confine the program; the filter shrinks what it can ask the kernel for.
Denied with EPERM: sockets other than AF_UNIX (so even a socket to 127.0.0.1 cannot be
opened), ``clone`` with any namespace flag, ``unshare``, ``setns``, mounting, ``chroot``,
``ptrace``, reading or writing another process's memory, keyrings, BPF, perf events,
userfaultfd, io_uring, module and kexec loading, and the x32 system-call ABI. ``clone3``
answers ENOSYS so the C library falls back to ``clone``, whose flags can be checked. The
program is classic BPF, assembled here, handed to bubblewrap's ``--seccomp``.
"""

from __future__ import annotations

import errno
import platform
import struct

_LD_W_ABS = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_KILL = 0x80000000
_X32 = 0x40000000
_NAMESPACES = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
_AF_UNIX = 1

_DENIED = (
    "ptrace", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "keyctl",
    "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "open_by_handle_at",
    "name_to_handle_at", "kexec_load", "init_module", "finit_module", "delete_module",
    "fsopen", "fsmount", "move_mount", "open_tree", "fsconfig", "fspick", "mount_setattr",
    "io_uring_setup", "process_vm_readv", "process_vm_writev",
)  # fmt: skip

# audit architecture and system-call numbers, from the kernel's unistd tables
_ARCHES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (
        0xC000003E,
        {
            "socket": 41, "clone": 56, "clone3": 435, "ptrace": 101, "mount": 165,
            "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
            "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321,
            "perf_event_open": 298, "userfaultfd": 323, "open_by_handle_at": 304,
            "name_to_handle_at": 303, "kexec_load": 246, "init_module": 175,
            "finit_module": 313, "delete_module": 176, "fsopen": 430, "fsmount": 432,
            "move_mount": 429, "open_tree": 428, "fsconfig": 431, "fspick": 433,
            "mount_setattr": 442, "io_uring_setup": 425, "process_vm_readv": 310,
            "process_vm_writev": 311,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "socket": 198, "clone": 220, "clone3": 435, "ptrace": 117, "mount": 40,
            "umount2": 39, "pivot_root": 41, "chroot": 51, "unshare": 97, "setns": 268,
            "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280,
            "perf_event_open": 241, "userfaultfd": 282, "open_by_handle_at": 265,
            "name_to_handle_at": 264, "kexec_load": 104, "init_module": 105,
            "finit_module": 273, "delete_module": 106, "fsopen": 430, "fsmount": 432,
            "move_mount": 429, "open_tree": 428, "fsconfig": 431, "fspick": 433,
            "mount_setattr": 442, "io_uring_setup": 425, "process_vm_readv": 270,
            "process_vm_writev": 271,
        },
    ),
}  # fmt: skip

Instruction = tuple[int, str | int, str | int, int]  # code, true label, false label, k


def supported() -> bool:
    return platform.machine() in _ARCHES


def program(machine: str | None = None) -> bytes:
    """The filter for ``machine`` (default: this one) as bytes of ``struct sock_filter``."""
    arch, numbers = _ARCHES[machine or platform.machine()]
    code: list[Instruction | str] = [
        (_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (_JEQ, 0, "kill", arch),
        (_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        (_JGE, "deny", 0, _X32),
        *[(_JEQ, "deny", 0, numbers[name]) for name in _DENIED],
        (_JEQ, "enosys", 0, numbers["clone3"]),
        (_JEQ, "socket", 0, numbers["socket"]),
        (_JEQ, "clone", 0, numbers["clone"]),
        (_RET, 0, 0, _ALLOW),
        "socket",
        (_LD_W_ABS, 0, 0, 16),  # args[0], low word: the address family
        (_JEQ, "allow", "deny", _AF_UNIX),
        "clone",
        (_LD_W_ABS, 0, 0, 16),  # args[0], low word: the clone flags
        (_JSET, "deny", "allow", _NAMESPACES),
        "allow",
        (_RET, 0, 0, _ALLOW),
        "deny",
        (_RET, 0, 0, _ERRNO | errno.EPERM),
        "enosys",
        (_RET, 0, 0, _ERRNO | errno.ENOSYS),
        "kill",
        (_RET, 0, 0, _KILL),
    ]
    return _assemble(code)


def _assemble(code: list[Instruction | str]) -> bytes:
    labels: dict[str, int] = {}
    instructions: list[Instruction] = []
    for item in code:
        if isinstance(item, str):
            labels[item] = len(instructions)
        else:
            instructions.append(item)

    def offset(target: str | int, at: int) -> int:
        if isinstance(target, int):
            return target
        jump = labels[target] - at - 1
        if not 0 <= jump < 256:  # pragma: no cover - the program above is short
            raise ValueError(f"seccomp jump to {target!r} out of range")
        return jump

    return b"".join(
        struct.pack("=HBBI", op, offset(true, at), offset(false, at), k)
        for at, (op, true, false, k) in enumerate(instructions)
    )
