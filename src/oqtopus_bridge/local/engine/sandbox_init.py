"""The SSE sandbox's launcher: builds the confinement, then runs the user program inside it.

Run as a script (``python -I -S sandbox_init.py``; standard library only, so it needs nothing of
the server on its path) with a JSON plan on stdin; see `oqtopus_bridge.local.engine.sandbox`
for what the plan holds and why. In order (issue 21):

1. join the job's ``pids`` cgroup (when the plan names one), so every task below is counted;
2. ``unshare`` a user, mount, PID and network namespace, mapping the caller to root in it;
3. fork the PID namespace's init, which builds a new root: an empty tmpfs holding read-only
   binds of the system and Python directories, the job's home (read-write), a fresh ``/tmp``,
   ``/dev`` nodes and ``/proc``, then ``pivot_root``s into it and detaches the old root, so no
   other path of the host (the data directory, other servers', ``/root``) exists any more;
4. the init brings ``lo`` up and relays ``127.0.0.1:<port>`` to the server's Unix socket (the
   only way out of the empty network namespace), reaps orphans, and exits with the program;
   the kernel then kills every process left in the namespace;
5. the program's process enters a NESTED user and mount namespace as uid 1000: the mounts are
   locked (``MNT_LOCKED``), it holds no capability over them, and ``execve`` drops the rest.

A failure before the program starts is written to the plan's ``status_fd`` (closed on ``exec``); the
server turns it into the job's failure message.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import platform
import resource
import select
import signal
import socket
import struct
import sys
import threading
from collections.abc import Callable
from typing import Any

Plan = dict[str, Any]

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
# statvfs flags -> the mount flags a read-only remount must keep (a user namespace may not
# clear a flag the mount was made with).
_KEEP = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC))
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
SANDBOX_UID = 1000
DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    result = _libc.mount(_bytes(source), target.encode(), _bytes(fstype), flags, data.encode())
    _check(result, f"mount {source or ''} on {target}")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def _enter_namespaces(flags: int, inner_uid: int) -> None:
    """Unshare ``flags`` (with a user namespace) and map the caller to ``inner_uid`` in it."""
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER | flags), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{inner_uid} {uid} 1")
    _write("/proc/self/gid_map", f"{inner_uid} {gid} 1")


def _expose(root: str, path: str) -> str | None:
    """Recreate the symlinks on ``path`` under ``root``; return the real directory to bind."""
    current = "/"
    parts = [part for part in path.split("/") if part]
    for index, part in enumerate(parts):
        candidate = os.path.join(current, part)
        if os.path.islink(candidate):
            link = os.readlink(candidate)
            inside = root + candidate
            os.makedirs(os.path.dirname(inside), exist_ok=True)
            if not os.path.lexists(inside):
                os.symlink(link, inside)
            target = os.path.normpath(os.path.join(current, link))
            return _expose(root, os.path.join(target, *parts[index + 1 :]))
        current = candidate
    return current if os.path.exists(current) else None


def _bind(root: str, source: str, bound: list[str], writable: bool = False) -> None:
    """Bind ``source`` (read-only unless ``writable``) at the same path under ``root``."""
    real = _expose(root, source)
    if real is None or real == "/" or any(_within(real, done) for done in bound):
        return
    bound.append(real)
    target = root + real
    if os.path.isdir(real):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "wb").close()  # noqa: SIM115 - an empty mount point
    _mount(real, target, None, MS_BIND | MS_REC)
    if not writable:
        keep = MS_NOSUID
        flags = os.statvfs(real).f_flag
        for statvfs_flag, mount_flag in _KEEP:
            if flags & statvfs_flag:
                keep |= mount_flag
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | keep)


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _build_root(plan: Plan) -> None:
    """Mount the new root at ``plan["root"]`` and pivot into it; the old root is detached."""
    root = str(plan["root"])
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0755")
    _devices(root)
    for name in ("tmp", "dev/shm"):
        os.makedirs(f"{root}/{name}", exist_ok=True)
        _mount("tmpfs", f"{root}/{name}", "tmpfs", MS_NOSUID | MS_NODEV, "size=256m,mode=1777")
    bound: list[str] = []
    for path in plan["read_only"]:
        _bind(root, str(path), bound)
    for hidden in plan["hidden"]:
        if os.path.isdir(root + str(hidden)):
            _mount("tmpfs", root + str(hidden), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0")
    os.makedirs(f"{root}/proc", exist_ok=True)
    # A host with masked /proc entries refuses a new one; Python runs without it.
    with contextlib.suppress(OSError):
        _mount("proc", f"{root}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _bind(root, str(plan["home"]), [], writable=True)
    run = f"{root}/run/oqtopus"
    os.makedirs(run, exist_ok=True)
    _mount(str(plan["socket_dir"]), run, None, MS_BIND)
    _mount(None, run, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _etc(root, str(plan["host"]))
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=16m")
    os.chdir(root)
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: unknown system call number on {platform.machine()}")
    _check(_libc.syscall(number, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")


def _devices(root: str) -> None:
    dev = f"{root}/dev"
    os.makedirs(dev, exist_ok=True)
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID, "size=64k,mode=0755")
    for name in DEVICES:
        open(f"{dev}/{name}", "wb").close()  # noqa: SIM115 - an empty mount point
        _mount(f"/dev/{name}", f"{dev}/{name}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
        os.symlink(target, f"{dev}/{name}")
    os.symlink("/proc/self/fd/1", f"{dev}/stdout")
    os.symlink("/proc/self/fd/2", f"{dev}/stderr")


def _etc(root: str, host: str) -> None:
    os.makedirs(f"{root}/etc", exist_ok=True)
    # Any host name of the public URL means the relay, which listens on the loopback.
    names = "localhost" if host == "localhost" or _is_address(host) else f"localhost {host}"
    _write(f"{root}/etc/hosts", f"127.0.0.1 {names}\n")  # no ::1: the relay is on 127.0.0.1
    _write(f"{root}/etc/passwd", f"sse:x:{SANDBOX_UID}:{SANDBOX_UID}:sse:/tmp:/bin/sh\n")
    _write(f"{root}/etc/group", f"sse:x:{SANDBOX_UID}:\n")


def _is_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = 0x1 | 0x8 | 0x40  # IFF_UP | IFF_LOOPBACK | IFF_RUNNING
        fcntl.ioctl(sock, 0x8914, struct.pack("16sh22x", b"lo", flags))  # SIOCSIFFLAGS


def _pump(one: socket.socket, other: socket.socket) -> None:
    """Copy bytes between two connected sockets, both ways, until both sides have finished."""
    ends = {one: other, other: one}
    with contextlib.suppress(OSError):
        while ends:
            readable, _, _ = select.select(list(ends), [], [])
            for sock in readable:
                data = sock.recv(65536)
                if data:
                    ends[sock].sendall(data)
                else:
                    ends[sock].shutdown(socket.SHUT_WR)
                    del ends[sock]


def _forward(inside: socket.socket, path: str) -> None:
    """Carry one connection of the program to the server's Unix socket."""
    outside = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with inside, outside, contextlib.suppress(OSError):
        outside.connect(path)
        _pump(inside, outside)


def _relay(listener: socket.socket, path: str) -> None:
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        try:
            threading.Thread(target=_forward, args=(connection, path), daemon=True).start()
        except RuntimeError:  # no thread left under the process limit: drop this connection
            connection.close()


def _listener(host: str, port: int) -> socket.socket:
    """Listen where the program will connect: the public URL's address, else the loopback."""
    family, address = socket.AF_INET, "127.0.0.1"
    try:
        packed = socket.inet_aton(host)
    except OSError:
        if ":" in host:  # an IPv6 literal: only the loopback can be served in the namespace
            family, address = socket.AF_INET6, "::1"
    else:
        address = host
        if not host.startswith("127."):  # the server's own address: give it to lo here too
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                request = struct.pack("16sH2s4s8x", b"lo:1", socket.AF_INET, b"", packed)
                fcntl.ioctl(sock, 0x8916, request)  # SIOCSIFADDR
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(64)
    return listener


def _limit(plan: Plan) -> None:
    memory = int(plan["memory"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    tasks = plan.get("nproc")
    if tasks is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (int(tasks), int(tasks)))


def _program(plan: Plan) -> None:
    """In the init's child: lock the mounts, drop every capability, exec the user program."""
    _limit(plan)  # before the nested namespace, which takes its process limit from here
    _enter_namespaces(CLONE_NEWNS, SANDBOX_UID)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.chdir(str(plan["home"]))
    argv = [str(arg) for arg in plan["argv"]]
    os.execve(argv[0], argv, {str(k): str(v) for k, v in plan["env"].items()})


def _init(plan: Plan) -> int:
    """PID 1 of the sandbox: build it, start the program, relay its API calls, reap orphans."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _build_root(plan)
    _loopback_up()
    listener = _listener(str(plan["host"]), int(plan["port"]))
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # the program may not ptrace or read this process
    child = _fork(_program, plan)  # (set before it exists: its exec makes it dumpable again)
    os.close(int(plan["status_fd"]))
    threading.Thread(target=_relay, args=(listener, "/run/oqtopus/api.sock"), daemon=True).start()
    return _wait_for(child)


def _wait_for(child: int) -> int:
    """Reap every process until ``child`` ends; return its exit code (128 + signal if killed)."""
    while True:
        pid, status = os.wait()
        if pid == child:
            return _exit_code(status)


def _exit_code(status: int) -> int:
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def _fork(body: Callable[[Plan], Any], plan: Plan) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            body(plan)
        except BaseException as exc:  # report any failure to set the sandbox up, then stop
            os.write(
                int(plan["status_fd"]),
                f"{type(exc).__name__}: {exc}".encode()[:2000],
            )
            os._exit(125)
        os._exit(0)
    return pid


def _main_init(plan: Plan) -> None:
    os._exit(_init(plan))


def main() -> None:
    """Read the plan from stdin, enter the namespaces, run the init; exit as the program did."""
    plan = json.loads(sys.stdin.buffer.read())
    os.set_inheritable(plan["status_fd"], False)  # closed when the program starts
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Dies with the server's thread that supervises it (a server killed with -9 included).
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != plan["parent"]:
        os._exit(125)
    try:
        if plan.get("cgroup"):
            _write(os.path.join(str(plan["cgroup"]), "cgroup.procs"), str(os.getpid()))
        _enter_namespaces(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET, 0)
    except OSError as exc:
        os.write(
            int(plan["status_fd"]),
            f"{type(exc).__name__}: {exc}".encode()[:2000],
        )
        os._exit(125)
    init = _fork(_main_init, plan)
    os.close(int(plan["status_fd"]))
    _, status = os.waitpid(init, 0)
    os._exit(_exit_code(status))


if __name__ == "__main__":
    main()
