"""The seccomp policy every jail gets, written once and rendered for each backend.

A deny list on top of the namespaces, not an allow list: the namespaces, the non-root user and
the dropped capabilities already make most dangerous calls fail; this filter removes the kernel
attack surface that an unprivileged process can still reach (ptrace of its siblings, BPF,
io_uring, new user namespaces in which it would be "root", keyrings, perf, kernel modules,
mounting). Denied calls fail with EPERM, so user code gets an ordinary error, not a dead process.
`clone3` answers ENOSYS so that libc falls back to `clone`, whose flags the filter can inspect.
"""

from __future__ import annotations

import json

DENIED_SYSCALLS: tuple[str, ...] = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "swapon",
    "swapoff",
    "reboot",
    "kexec_load",
    "kexec_file_load",
    "bpf",
    "perf_event_open",
    "init_module",
    "finit_module",
    "delete_module",
    "add_key",
    "request_key",
    "keyctl",
    "unshare",
    "setns",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "acct",
    "quotactl",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "syslog",
    "iopl",
    "ioperm",
    "lookup_dcookie",
    "fanotify_init",
    "vhangup",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
)

# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET (and NEWTIME, 0x80):
# creating namespaces is how an unprivileged process becomes "root" somewhere.
CLONE_NAMESPACE_FLAGS = (
    0x00020000,
    0x02000000,
    0x04000000,
    0x08000000,
    0x10000000,
    0x20000000,
    0x40000000,
    0x00000080,
)
EPERM = 1
ENOSYS = 38

# kafel (nsjail's policy language) spells a few names its own way.
_KAFEL_NAMES = {"umount2": "umount"}


def kafel_policy() -> str:
    """The policy for nsjail's `--seccomp_string`."""
    names = ", ".join(_KAFEL_NAMES.get(name, name) for name in DENIED_SYSCALLS)
    mask = 0
    for flag in CLONE_NAMESPACE_FLAGS:
        mask |= flag
    return (
        "POLICY zzyra { "
        f"ERRNO({EPERM}) {{ {names}, clone {{ (clone_flags & {mask:#x}) != 0 }} }}, "
        f"ERRNO({ENOSYS}) {{ clone3 }} "
        "} USE zzyra DEFAULT ALLOW"
    )


def docker_profile() -> str:
    """The same policy as a Docker seccomp profile (JSON for `--security-opt seccomp=`)."""
    rules: list[dict[str, object]] = [
        {"names": list(DENIED_SYSCALLS), "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS},
    ]
    # Docker's rule arguments are ANDed; one rule per flag ORs them.
    for flag in CLONE_NAMESPACE_FLAGS:
        rules.append(
            {
                "names": ["clone"],
                "action": "SCMP_ACT_ERRNO",
                "errnoRet": EPERM,
                "args": [{"index": 0, "value": flag, "valueTwo": flag, "op": "SCMP_CMP_MASKED_EQ"}],
            }
        )
    return json.dumps(
        {
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": rules,
        }
    )
