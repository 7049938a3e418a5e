"""What confines a worker: Landlock rules, capabilities, a private /tmp (mounted or redirected).

Imported by the zygote (``_runtime.py``, standard library only) and by the host (to report what
the kernel offers). Everything here runs in the worker between ``fork()`` and the handler's import:

- ``private_tmp_namespace``: a user + mount namespace, a tmpfs of EphemeralStorage size on /tmp.
- ``PrivateTmp``: without namespaces, Python-level ``/tmp`` paths go to a private folder, except
  the paths of the Python installation, the code and the layers (wherever they live), and
  the folder's size is held to the quota by a running byte count (a rescan only at the limit).
- ``Landlock``: read and execute only where Lambda's runtime has files (the Python installation,
  system folders, the function's code and layers), read and write only in the environment's /tmp.
  A Landlock domain also bars ptrace-mode access (``/proc/<pid>/mem``, ``environ``,
  ``process_vm_readv``) and, from ABI 6, signals and abstract sockets, to processes outside it.
- ``no_new_privs`` (set once in the zygote) and ``clear_capabilities`` (in each worker): a worker
  that is root (the host's, or its user namespace's) keeps no capability, and no exec gives any.
"""

import ctypes
import errno
import io
import os
import stat
import sys

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND = 1, 2, 4, 32, 4096
_MS_REC, _MS_PRIVATE = 16384, 1 << 18
_SYS_MOUNT_SETATTR, _AT_FDCWD, _AT_RECURSIVE, _MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 1
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38
_SYS_CAPSET = 126
_SYS_LANDLOCK_CREATE_RULESET, _SYS_LANDLOCK_ADD_RULE, _SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_PATH_BENEATH = 1  # LANDLOCK_RULE_PATH_BENEATH

# Landlock filesystem rights, and the ABI version that brought them.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_MAKE_ALL = sum(1 << i for i in range(4, 13))  # remove dir/file, make char/dir/reg/sock/fifo/...
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1
RO = EXECUTE | READ_FILE | READ_DIR


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def landlock_abi():
    """The kernel's Landlock ABI version; 0 when Landlock is missing or disabled."""
    abi = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION))
    return max(int(abi), 0)


def _handled(abi):
    rights = EXECUTE | WRITE_FILE | READ_FILE | READ_DIR | _MAKE_ALL
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


# --------------------------------------------------------------------------- what a worker may read


def _world_readable(path):
    try:
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    except OSError:
        return False


#: What of /etc a handler may read: name resolution, users, time zone, certificates, the loader's
#: cache, the alternatives of commands (not shadow, sudoers, SSH or TLS private keys).
ETC = ("hosts", "resolv.conf", "nsswitch.conf", "gai.conf", "host.conf", "services", "protocols",
       "passwd", "group", "localtime", "timezone", "ssl/certs", "ssl/openssl.cnf",
       "ca-certificates", "ca-certificates.conf", "pki/tls/certs", "pki/ca-trust",
       "crypto-policies", "mime.types", "os-release", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
       "alternatives", "locale.alias", "locale.conf", "inputrc", "magic", "mailcap")


def _etc_paths():
    """The entries of :data:`ETC` that every user may read (and where their symlinks lead)."""
    out = []
    for name in ETC:
        path = os.path.join("/etc", name)
        if _world_readable(path):  # where a symlink leads: resolv.conf -> /run/..., say
            out.append(os.path.realpath(path))
    return out


def _outermost(paths):
    """The paths not below another one of them."""
    out = []
    for p in sorted(set(paths)):
        if not out or not _under(p, (out[-1],)):
            out.append(p)
    return out


def _linked_packages(folders):
    """Where the symlinked entries of ``folders`` lead (a package linked into a site-packages
    folder from another environment: Landlock checks the path a link resolves to)."""
    out = set()
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                out.add(target if os.path.isdir(target) else os.path.dirname(target))
    return out


def python_paths():
    """Where this interpreter's files live: prefixes, sys.path, and the folders of every file it
    has mapped (its libraries), wherever they are (under /root, /home or /tmp as well); and the
    lambda_lab package the zygote runs from (the runtime's modules and scripts the worker loads
    later, like Lambda's /var/runtime)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(sys.executable), os.path.dirname(os.path.realpath(sys.executable)),
             os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}  # lambda_lab's own
    paths.update(p for p in sys.path if p)
    paths.update(_linked_packages(p for p in sys.path if p))
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split(None, 5)
                # a file, not "/memfd:... (deleted)" or "/SYSV..." (whose folder would be "/")
                path = parts[5].rstrip("\n") if len(parts) == 6 else ""
                if path.startswith("/") and os.path.isfile(path) and path.count("/") > 1:
                    paths.add(os.path.dirname(path))
    except OSError:
        pass
    try:
        import importlib.util

        spec = importlib.util.find_spec("lambda_lab")  # its modules, for handlers importing it
        paths.update(spec.submodule_search_locations or ())
    except (ImportError, ValueError, AttributeError):
        pass
    # this package itself (the runtime reads execution/netguard.py from it), wherever sys.path
    # found it: PYTHONPATH may point at another checkout than the installed one
    paths.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = set()
    for p in paths:
        if os.path.isabs(p) and os.path.exists(p):
            out.add(os.path.abspath(p))
            out.add(os.path.realpath(p))
    # never the user's home or a folder above it (a .pth naming a checkout there, say): the
    # state folder with every function's code is in it
    home = os.path.realpath(os.path.expanduser("~"))
    return _outermost(p for p in out if not _under(home, (p,)))


def _system_rules(python):
    """(path, rights) every worker gets: read-only system folders, /proc, a few devices."""
    system = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
    system = [os.path.realpath(p) for p in system if os.path.exists(p)]
    rules = [(p, RO) for p in _outermost([*system, *python, *_etc_paths()])]
    rules += [(p, READ_FILE | READ_DIR) for p in ("/proc", "/sys")]
    rules.append(("/dev", READ_DIR))
    dev_rw = READ_FILE | WRITE_FILE | IOCTL_DEV
    rules += [(f"/dev/{d}", dev_rw) for d in ("null", "zero", "full", "random", "urandom", "tty",
                                              "ptmx")]
    rules.append(("/dev/pts", dev_rw | READ_DIR))
    return rules


class Landlock:
    """The Landlock rules for workers: built once in the zygote (paths opened once, as O_PATH
    descriptors kept open), applied in each worker after fork with its own paths added."""

    def __init__(self, abi=None):
        self.abi = landlock_abi() if abi is None else abi
        self.handled = _handled(self.abi)
        self.python = python_paths()
        self._fds = []
        if self.abi:
            for path, rights in _system_rules(self.python):
                self._add_fd(self._fds, path, rights)

    def _add_fd(self, rules, path, rights):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= _FILE_ONLY
        rules.append(_PathBeneathAttr(rights & self.handled, fd))

    def close(self):
        """Close the descriptors of the system rules (a worker, once restricted)."""
        fds = sorted(rule.parent_fd for rule in self._fds)
        if fds and fds[-1] - fds[0] == len(fds) - 1:  # opened in a row: one close_range()
            os.closerange(fds[0], fds[-1] + 1)
        else:
            for fd in fds:
                os.close(fd)
        self._fds = []

    def apply(self, read_only, read_write, files_rw=()):
        """Restrict this process (and all it starts) to the system rules plus ``read_only`` paths
        (read, execute), ``read_write`` paths (everything) and ``files_rw`` (open file descriptors
        it may reopen, e.g. its log: read, write, truncate). Returns the protections applied."""
        attr = _RulesetAttr(self.handled, 0, 0)
        size = 8
        if self.abi >= 4:
            size = 16
        if self.abi >= 6:
            attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
            size = 24
        syscall = _libc.syscall
        ruleset = syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                          ctypes.c_uint32(0))
        if ruleset < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"landlock_create_ruleset: {os.strerror(err)}")
        own = []
        try:
            for path in read_only:
                self._add_fd(own, path, RO)
            for path in read_write:
                self._add_fd(own, path, self.handled)
            file_rw = (READ_FILE | WRITE_FILE | TRUNCATE) & self.handled
            files = [_PathBeneathAttr(file_rw, fd) for fd in files_rw]
            byref = ctypes.byref
            for rule in self._fds + own + files:
                if syscall(_SYS_LANDLOCK_ADD_RULE, ruleset, _PATH_BENEATH, byref(rule), 0):
                    _check(-1, "landlock_add_rule")
            if syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0):  # EPERM: no_new_privs unset
                no_new_privs()
                _check(syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
        finally:
            os.close(ruleset)
            for rule in own:
                os.close(rule.parent_fd)
        self.close()
        out = [f"landlock-v{self.abi}"]
        if self.abi >= 6:
            out.append("landlock-scope")
        return out


def expected_protections(abi, namespace):
    """What a worker applies with Landlock ABI ``abi`` (0: none) in the namespace mode or not,
    for custom runtimes, which cannot report it."""
    out = (("no-capabilities", "not-dumpable") if not abi else
           (f"landlock-v{abi}", *(("landlock-scope",) if abi >= 6 else ()), "no-capabilities"))
    return (*out, "read-only-root") if namespace else out


_CAP_HEADER = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
_CAP_NONE = (ctypes.c_uint32 * 6)()


def clear_capabilities():
    """Empty this process's capability sets (effective, permitted, inheritable; ambient): a
    worker that is root (the host's, or its user namespace's) then cannot mount, reboot, load
    modules, override file permissions or ptrace."""
    _check(_libc.syscall(_SYS_CAPSET, _CAP_HEADER, _CAP_NONE), "capset")


def no_new_privs():
    """Set no_new_privs: no exec (of a setuid program, a file with capabilities, or as root)
    grants more than the permitted set (so none, once :func:`clear_capabilities` ran). Set once
    in the zygote, whose workers inherit it; Landlock needs it too."""
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


def set_dumpable(on):
    """PR_SET_DUMPABLE: off, processes of the same user without CAP_SYS_PTRACE cannot read this
    one's /proc/<pid>/environ or mem, nor ptrace it."""
    _libc.prctl(_PR_SET_DUMPABLE, 1 if on else 0, 0, 0, 0)


# --------------------------------------------------------------------------- a private /tmp


def _write_file(path, text):
    with open(path, "w") as f:
        f.write(text)


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


_READ_ONLY_PRIVATE = _MountAttr(_MOUNT_ATTR_RDONLY, 0, _MS_PRIVATE, 0)
_WRITABLE = _MountAttr(0, _MOUNT_ATTR_RDONLY, 0, 0)


def private_tmp_namespace(size_mb, read_only=()):
    """Give this process its own /tmp: a user + mount namespace and a tmpfs of ``size_mb``.

    Every other mount of the namespace becomes read-only (mount_setattr, Linux 5.12), so that
    writing anywhere but /tmp fails with EROFS, as on Lambda; on older kernels only the
    ``read_only`` folders (the code, the layers) are made read-only bind mounts. Returns what
    was made read-only: "read-only-root", "read-only-code" or None.
    """
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS), "unshare")
    _write_file("/proc/self/setgroups", "deny")
    _write_file("/proc/self/uid_map", f"{uid} {uid} 1")
    _write_file("/proc/self/gid_map", f"{gid} {gid} 1")
    done = "read-only-root"
    if _libc.syscall(_SYS_MOUNT_SETATTR, _AT_FDCWD, b"/", _AT_RECURSIVE,
                     ctypes.byref(_READ_ONLY_PRIVATE), ctypes.c_size_t(32)):
        _check(_libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None),
               "mount --make-rprivate /")
        done = "read-only-code"
        for path in read_only:
            p = os.fsencode(path)
            if (_libc.mount(p, p, None, _MS_BIND | _MS_REC, None)
                    or _libc.mount(None, p, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_REC,
                                   None)):
                done = None
    opts = f"size={int(size_mb)}m,mode=1777".encode()
    if _libc.mount(b"tmpfs", b"/tmp", b"tmpfs", _MS_NOSUID | _MS_NODEV, opts):
        err = ctypes.get_errno()
        if done == "read-only-root":  # writable again, for the fallback that follows
            _libc.syscall(_SYS_MOUNT_SETATTR, _AT_FDCWD, b"/", _AT_RECURSIVE,
                          ctypes.byref(_WRITABLE), ctypes.c_size_t(32))
        raise OSError(err, f"mount /tmp: {os.strerror(err)}")
    return done


def hide_folders(hide, keep):
    """Cover each folder of ``hide`` (the state folder, the host user's home) with an empty
    read-only tmpfs in this mount namespace, then bind the ``keep`` paths found below it back
    in place, read-only (the Python installation, the code, the layers). Without Landlock this
    is what keeps other functions' code and the host's files out of reach. Returns whether all
    of it was done."""
    hide = [h for h in _outermost(hide) if h != "/" and os.path.isdir(h)]
    keep = [k for k in keep if os.path.exists(k)]
    ok = True
    for folder in hide:
        below = [k for k in _outermost(keep) if _under(k, (folder,))]
        fds = [os.open(k, os.O_PATH | os.O_CLOEXEC) for k in below]
        try:
            f = os.fsencode(folder)
            _check(_libc.mount(b"tmpfs", f, b"tmpfs", _MS_NOSUID | _MS_NODEV, b"mode=755"),
                   "mount tmpfs")
            for path, fd in zip(below, fds, strict=True):
                p = os.fsencode(path)
                if os.path.isdir(f"/proc/self/fd/{fd}"):
                    os.makedirs(path, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
                if (_libc.mount(os.fsencode(f"/proc/self/fd/{fd}"), p, None,
                                _MS_BIND | _MS_REC, None)
                        or _libc.mount(None, p, None,
                                       _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_REC, None)):
                    ok = False
            if _libc.mount(None, f, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV,
                           None):
                ok = False
        except OSError:
            ok = False
        finally:
            for fd in fds:
                os.close(fd)
    return ok


def _under(path, roots):
    """Whether ``path`` is one of ``roots`` or below one."""
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _enospc():
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _QuotaFile:
    """A file object proxy that charges what is written to the private /tmp's byte count."""

    def __init__(self, f, tmp):
        self._f = f
        self._tmp = tmp

    def write(self, data):
        n = len(data) if isinstance(data, (bytes, bytearray)) else len(str(data).encode())
        self._tmp.charge(n, self._f)
        return self._f.write(data)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __iter__(self):
        return iter(self._f)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


class PrivateTmp:
    """Fallback without namespaces: Python-level ``/tmp`` paths go to ``private_dir``.

    ``keep``: paths under /tmp that stay where they are (the Python installation, the code, the
    layers). Covers ``open``, ``os`` and therefore ``pathlib``/``shutil``/``tempfile``. What is
    written through ``open()`` is counted as it goes; the folder is rescanned only when the count
    reaches the quota (files removed behind the count's back are found then). Each file is also
    held to the quota by RLIMIT_FSIZE, which the kernel enforces for C code and child processes.
    """

    def __init__(self, private_dir, size_mb, keep=()):
        self.dir = private_dir
        self.quota = int(size_mb) * 1024 * 1024
        self.used = 0  # a new environment's folder is empty
        self.keep = tuple(k for k in keep if k == "/tmp" or k.startswith("/tmp/")) + (private_dir,)

    def target(self, p):
        """Where a /tmp path goes; None for every other path (left as it is)."""
        if isinstance(p, os.PathLike):
            p = os.fspath(p)
        if isinstance(p, str):
            if (p == "/tmp" or p.startswith("/tmp/")) and not _under(p, self.keep):
                return self.dir + p[4:]
        elif isinstance(p, bytes):
            if (p == b"/tmp" or p.startswith(b"/tmp/")) and not _under(
                    p.decode(errors="surrogateescape"), self.keep):
                return self.dir.encode() + p[4:]
        return None

    def redirect(self, p):
        t = self.target(p)
        return p if t is None else t

    def scan(self):
        total = 0
        for root, _dirs, files in os.walk(self.dir):
            for name in files:
                try:
                    total += os.lstat(os.path.join(root, name)).st_size
                except OSError:
                    pass
        return total

    def charge(self, n, f):
        """Count ``n`` bytes about to be written through ``f``; ENOSPC past the quota."""
        if self.used + n > self.quota:
            f.flush()
            self.used = self.scan()
            if self.used + n > self.quota:
                raise _enospc()
        self.used += n

    def release(self, path):
        """Uncount a file about to be removed or truncated."""
        try:
            st = os.lstat(path)
        except OSError:
            return
        if stat.S_ISREG(st.st_mode):
            self.used = max(0, self.used - st.st_size)

    def install(self):
        """Patch ``open`` and ``os`` in this process; limit each file's size with RLIMIT_FSIZE."""
        import builtins
        import resource

        target, redirect, release = self.target, self.redirect, self.release
        real_open = io.open

        def open_(file, mode="r", *args, **kwargs):
            t = target(file)
            if t is None:
                return real_open(file, mode, *args, **kwargs)
            if not set(mode) & set("wax+"):
                return real_open(t, mode, *args, **kwargs)
            if "w" in mode:
                release(t)
            return _QuotaFile(real_open(t, mode, *args, **kwargs), self)

        builtins.open = open_
        io.open = open_
        one_path = ("open", "stat", "lstat", "listdir", "scandir", "mkdir", "rmdir", "chmod",
                    "utime", "access", "chdir", "readlink")
        for name in one_path:
            real = getattr(os, name)

            def wrapped(path=".", *args, _real=real, **kwargs):
                return _real(redirect(path), *args, **kwargs)

            setattr(os, name, wrapped)
        for name in ("remove", "unlink"):
            real = getattr(os, name)

            def removing(path, *args, _real=real, **kwargs):
                t = target(path)
                if t is None:
                    return _real(path, *args, **kwargs)
                release(t)
                return _real(t, *args, **kwargs)

            setattr(os, name, removing)
        real_truncate = os.truncate

        def truncate(path, length):
            t = target(path)
            if t is None:
                return real_truncate(path, length)
            release(t)
            self.used += length
            return real_truncate(t, length)

        os.truncate = truncate
        for name in ("rename", "replace", "symlink", "link"):
            real = getattr(os, name)

            def wrapped2(src, dst, *args, _real=real, _frees=name in ("rename", "replace"),
                         **kwargs):
                t = target(dst)
                if t is not None and _frees:
                    release(t)
                return _real(redirect(src), dst if t is None else t, *args, **kwargs)

            setattr(os, name, wrapped2)
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.quota, self.quota))
