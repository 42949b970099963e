"""Compile a profile to the BPF program the kernel runs, through libseccomp.

The input is a :class:`~seccomp_kit.libseccomp.translate.Translation` (what runc or crun hands
libseccomp);
this module only carries it out:

- one libseccomp filter per architecture, merged in the translation's order (host first), so a
  syscall number lands on exactly the architecture it belongs to. Names the installed libseccomp
  knows on an architecture are added by name, as runtimes do (libseccomp then applies its own
  per-architecture handling, e.g. x86's socketcall multiplexing); names only our tables know
  are added by number on libseccomp's native architecture. On other architectures libseccomp
  can only place syscalls it can name (it reads a number as the native one's), so an
  unconditional rule for such a name is checked by number in a short section ahead of
  libseccomp's program (:attr:`CompiledFilter.placed`); a conditional one is listed in
  :attr:`CompiledFilter.unplaced` instead of being guessed;
- rules are added with ``seccomp_rule_add_array`` (not the exact variant), as runtimes do;
- ``SCMP_FLTATR_CTL_NNP`` is off (the loader sets no_new_privs itself), profile flags become
  filter attributes (LOG -> CTL_LOG, SPEC_ALLOW -> CTL_SSB, TSYNC -> CTL_TSYNC) and load flags
  (:attr:`CompiledFilter.load_flags`), runc's binary tree becomes ``SCMP_FLTATR_CTL_OPTIMIZE=2``;
- runc's ENOSYS stub is put before everything else exactly as runc's ``patchbpf``
  builds it (per kernel architecture, with the x86_64/x32 split, the s390 ``setup(0)`` case and
  the long-jump variants).

``SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV``: runc sets it through libseccomp, which knows it from
libseccomp 2.6 (API level 7); with an older libseccomp runc refuses the profile and so do we
(:class:`CompileError` naming the flag). crun passes the flag to the kernel itself.
"""

from __future__ import annotations

import errno as _errno
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import cache

import attrs

from seccomp_kit import bpf
from seccomp_kit.bpf import Instruction, Program
from seccomp_kit.errors import CompileError, ProfileError
from seccomp_kit.io import ProfileSource, as_profile
from seccomp_kit.io._positions import line_column, locate
from seccomp_kit.libseccomp import _ffi as lib
from seccomp_kit.libseccomp._build import LibseccompLoopError, check_finishes
from seccomp_kit.libseccomp.targets import Target
from seccomp_kit.libseccomp.translate import ERRNO_ENOSYS, RuleAdd, Translation, translate
from seccomp_kit.model import Arch, Flag, Operator, Profile
from seccomp_kit.syscalls.arches import arch_info

__all__ = [
    "FILTER_FLAG_LOG",
    "FILTER_FLAG_NEW_LISTENER",
    "FILTER_FLAG_SPEC_ALLOW",
    "FILTER_FLAG_TSYNC",
    "FILTER_FLAG_WAIT_KILLABLE_RECV",
    "KILL_THREAD",
    "CompiledFilter",
    "compile_profile",
    "compile_translation",
    "enosys_stub",
    "missing_rules",
]

FILTER_FLAG_TSYNC = 1
FILTER_FLAG_LOG = 2
FILTER_FLAG_SPEC_ALLOW = 4
FILTER_FLAG_NEW_LISTENER = 8
FILTER_FLAG_WAIT_KILLABLE_RECV = 32
KILL_THREAD = 0x0000_0000
"""libseccomp's default action for a syscall from an architecture the filter does not cover."""

_OPS = {
    Operator.NE: 1,
    Operator.LT: 2,
    Operator.LE: 3,
    Operator.EQ: 4,
    Operator.GE: 5,
    Operator.GT: 6,
    Operator.MASKED_EQ: 7,
}
_FLAG_BITS = {
    Flag.TSYNC: FILTER_FLAG_TSYNC,
    Flag.LOG: FILTER_FLAG_LOG,
    Flag.SPEC_ALLOW: FILTER_FLAG_SPEC_ALLOW,
    Flag.WAIT_KILLABLE_RECV: FILTER_FLAG_WAIT_KILLABLE_RECV,
}
_X32_BIT = 0x4000_0000
_MAX_ERRNO = 4095
_MUX_ARCHES = frozenset({Arch.X86, Arch.S390, Arch.S390X})


@attrs.frozen
class CompiledFilter:
    """A compiled filter: the program, libseccomp's text form, and how it was made."""

    bpf: bytes
    """The ``struct sock_filter`` array as loaded (ENOSYS stub included), in the byte order of
    the filter's architectures (this machine's for a native filter; see :attr:`byteorder`)."""
    instructions: tuple[Instruction, ...]
    architectures: tuple[Arch, ...]
    translation: Translation
    load_flags: int
    """``SECCOMP_FILTER_FLAG_*`` bits the runtime passes to seccomp(2)."""
    stub_length: int
    """Instructions of runc's ENOSYS stub at the start of :attr:`bpf` (0 without one)."""
    unplaced: tuple[tuple[str, Arch], ...] = ()
    """(name, architecture) pairs the installed libseccomp cannot name on that foreign
    architecture whose rules have argument conditions, so they are missing there."""
    placed: tuple[tuple[str, Arch], ...] = ()
    """(name, architecture) pairs the installed libseccomp cannot name on that foreign
    architecture whose unconditional rules are checked by number after the ENOSYS stub, ahead
    of libseccomp's program."""
    placed_length: int = 0
    """Instructions of that section (it follows the :attr:`stub_length` stub instructions)."""
    byteorder: str = "<"
    """``"<"`` or ``">"``: how :attr:`bpf` is stored (libseccomp writes the target's order)."""
    bad_arch_action: int = KILL_THREAD
    _pfc: list[str] = attrs.field(factory=list, eq=False, repr=False, alias="_pfc")

    @property
    def pfc(self) -> str:
        """libseccomp's pseudo-filter-code export (without runc's ENOSYS stub and the
        :attr:`placed` section, which are not libseccomp's). Built on first use: it means
        building the libseccomp filter again."""
        if not self._pfc:
            t = self.translation
            text, _ = _export(t, self.bad_arch_action, "pfc", library_for(t))
            self._pfc.append(text.decode())
        return self._pfc[0]

    def __len__(self) -> int:
        return len(self.instructions)

    def disassemble(self, *, raw: bool = True) -> str:
        return bpf.disassemble(self.instructions, raw=raw)

    def program(self) -> Program:
        return bpf.Program(self.instructions)

    def emulate(
        self, *, nr: int, arch: Arch | str | None = None, args: Sequence[int] = (), ip: int = 0
    ) -> int:
        """What the kernel returns for syscall ``nr`` (default architecture: the host's)."""
        return bpf.emulate(
            self.program(),
            arch=self.architectures[0] if arch is None else arch,
            nr=nr,
            args=args,
            ip=ip,
        )


def compile_profile(
    profile: ProfileSource,
    *,
    arch: Arch | str = "native",
    runtime: str | Target = "runc",
    libseccomp: str = "installed",
    place_unknown: bool = False,
) -> CompiledFilter:
    """Compile ``profile`` as ``runtime`` with ``libseccomp`` (see
    :func:`~seccomp_kit.libseccomp.targets.target`) would on a host of architecture ``arch``.

    Code generation needs that libseccomp version itself: the installed one, or another found
    through ``$SECCOMP_KIT_LIBSECCOMP_PATH`` (:class:`LibseccompUnavailableError` otherwise).
    Names the target's libseccomp cannot resolve are dropped, as the runtime drops them;
    ``place_unknown=True`` places those our tables know by number instead (no runtime does).
    ``profile`` is a :class:`Profile`, a path or an open file.
    """
    profile = as_profile(profile)
    host = None if arch == "native" else arch
    try:
        t = translate(
            profile,
            runtime=runtime,
            host_arch=host,
            libseccomp=libseccomp,
            place_unknown=place_unknown,
        )
        return compile_translation(t)
    except CompileError as exc:
        _add_position(exc, profile)
        raise


def _add_position(exc: CompileError, profile: Profile) -> None:
    """Name the file, line and column of the refused field when the profile was read from
    text (a resolved moby profile has no text of its own: the path is still given)."""
    source = profile.source
    if source is None or exc.source is not None:
        return
    exc.source = source.name
    offset = locate(source.text, exc.path)
    if offset is not None:
        exc.line, exc.column = line_column(source.text, offset)


def _explain(rc: int, rule: RuleAdd, arch: Arch) -> str:
    code = -rc
    name = _errno.errorcode.get(code, str(code))
    why = {
        _errno.EEXIST: f"an identical argument chain for {rule.name} already has another action",
        _errno.EINVAL: f"libseccomp refused the rule for {rule.name} as invalid (the same"
        " argument compared twice, an argument the syscall does not have, or a bad operator)",
        _errno.EACCES: f"the action of the rule for {rule.name} equals the default action",
        _errno.EDOM: f"{rule.name} cannot be filtered this way on {arch.value}",
        _errno.EFAULT: f"libseccomp cannot translate {rule.name} to {arch.value}",
        _errno.ENOMEM: "libseccomp ran out of memory",
        _errno.EOPNOTSUPP: f"libseccomp does not support this rule for {rule.name}",
    }.get(code, f"libseccomp refused the rule for {rule.name}")
    if code == _errno.EINVAL and (hint := _errno_hint(rule.action)):
        why = f"the rule for {rule.name} has an errno libseccomp refuses{hint}"
    return f"{name}: {why} (on {arch.value})"


def _errno_hint(action: int) -> str:
    if action & 0xFFFF_0000 == 0x0005_0000 and action & 0xFFFF >= _MAX_ERRNO:
        return f"; libseccomp accepts SCMP_ACT_ERRNO only below {_MAX_ERRNO}"
    return ""


def _token(arch: Arch) -> int:
    # libseccomp's SCMP_ARCH_* tokens are the AUDIT_ARCH_* values, except x32's own token,
    # which arches.py records as its audit value.
    return arch_info(arch).audit


@cache
def _syscall_for(L: lib.Libseccomp, name: str, nr: int, arch: Arch, token: int) -> int | None:
    """With ``place_unknown``: the syscall value to hand libseccomp for ``name`` on ``arch``,
    or None when libseccomp cannot place it there."""
    known = L.resolve_name_arch(token, name)
    if known == nr or (known < lib.NR_SCMP_ERROR and arch in _MUX_ARCHES):
        # libseccomp knows the name there; on x86 and s390 a negative (pseudo) number means it
        # multiplexes the call (socketcall/ipc) and adds both forms itself, as under runc.
        return L.resolve_name(name)
    if token == L.native_token:
        return nr
    return None


def _add(f: lib.LibFilter, rule: RuleAdd, syscall: int, arch: Arch) -> None:
    rc = f.rule_add(rule.action, syscall, _conditions(rule))
    if rc < 0:
        raise CompileError(_explain(rc, rule, arch), path=rule.path)


def _conditions(rule: RuleAdd) -> tuple[tuple[int, int, int, int], ...]:
    out = []
    for cond in rule.conditions:
        assert isinstance(cond.op, Operator)  # translate() refuses unknown operators
        two = cond.effective_value_two if cond.op is Operator.MASKED_EQ else 0
        out.append((cond.index, _OPS[cond.op], cond.value, two))
    return tuple(out)


_FLAG_ATTRS = {
    Flag.LOG: (lib.ATTR_CTL_LOG, "SCMP_FLTATR_CTL_LOG"),
    Flag.SPEC_ALLOW: (lib.ATTR_CTL_SSB, "SCMP_FLTATR_CTL_SSB"),
    Flag.TSYNC: (lib.ATTR_CTL_TSYNC, "SCMP_FLTATR_CTL_TSYNC"),
}


def _set_attrs(f: lib.LibFilter, t: Translation, bad_arch_action: int, L: lib.Libseccomp) -> None:
    settings: list[tuple[int, int, str, tuple[str | int, ...]]] = [
        (lib.ATTR_CTL_NNP, 0, "SCMP_FLTATR_CTL_NNP", ())
    ]
    if bad_arch_action != KILL_THREAD:
        settings.append((lib.ATTR_ACT_BADARCH, bad_arch_action, "SCMP_FLTATR_ACT_BADARCH", ()))
    for i, flag in enumerate(t.flags):
        if flag in _FLAG_ATTRS:
            attr, name = _FLAG_ATTRS[flag]
            settings.append((attr, 1, name, ("flags", i)))
    if t.binary_tree:
        settings.append((lib.ATTR_CTL_OPTIMIZE, 2, "SCMP_FLTATR_CTL_OPTIMIZE", ()))
    for attr, value, name, path in settings:
        rc = f.attr_set(attr, value)
        if rc < 0:
            raise CompileError(
                f"libseccomp {_version(L)} refused {name}={value}"
                f" ({_errno.errorcode.get(-rc, str(-rc))})",
                path=path,
            )


def _version(L: lib.Libseccomp) -> str:
    return ".".join(map(str, L.version))


def _load_flags(t: Translation, L: lib.Libseccomp) -> int:
    bits = 0
    for i, flag in enumerate(t.flags):
        if flag is Flag.TSYNC and t.runtime == "runc":
            continue  # runc loads the filter itself and does not pass TSYNC
        if flag is Flag.WAIT_KILLABLE_RECV and t.runtime == "runc" and L.api_level < 7:
            raise CompileError(
                "runc sets SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV through libseccomp, which"
                f" supports it from libseccomp 2.6 (API level 7); the installed libseccomp is"
                f" {_version(L)} (API level {L.api_level})",
                path=("flags", i),
            )
        bits |= _FLAG_BITS[flag]
    if t.new_listener:
        bits |= FILTER_FLAG_NEW_LISTENER
    return bits


def compile_translation(
    translation: Translation, *, bad_arch_action: int = KILL_THREAD
) -> CompiledFilter:
    """Carry out ``translation`` with libseccomp and patch in runc's ENOSYS stub.

    ``bad_arch_action`` is the action for syscalls from architectures the filter does not cover
    (libseccomp's default, KILL_THREAD, unless a test harness needs something observable).
    """
    t = translation
    L = library_for(t)
    load_flags = _load_flags(t, L)
    _refuse_what_libseccomp_cannot_finish(t)
    raw, foreign = _export(t, bad_arch_action, "bpf", L)
    stub = enosys_stub(t.enosys_limits, t.enosys_empty) if t.enosys_limits is not None else []
    order = "<" if arch_info(t.architectures[0]).little_endian else ">"
    section, placed, unplaced = _by_number(foreign)
    program = bpf.decode(raw, order)
    if section and (not program or program[0] != _i(bpf.LD_W_ABS, 4)):
        # The section leaves the syscall number loaded: libseccomp's program must load the
        # architecture first (it always has; a future version that did not would break this).
        raise CompileError("libseccomp's program does not start by loading the architecture")
    instructions = (*stub, *section, *program)
    if len(instructions) > bpf.MAX_INSTRUCTIONS:
        raise CompileError(
            f"the compiled program has {len(instructions)} instructions; the kernel accepts at"
            f" most {bpf.MAX_INSTRUCTIONS} (split the profile or drop argument conditions)"
        )
    return CompiledFilter(
        bpf=bpf.encode(instructions, order),
        instructions=instructions,
        architectures=t.architectures,
        translation=t,
        load_flags=load_flags,
        stub_length=len(stub),
        unplaced=tuple((rule.name, arch) for rule, arch in unplaced),
        placed=tuple((rule.name, arch) for rule, arch in placed),
        placed_length=len(section),
        byteorder=order,
        bad_arch_action=bad_arch_action,
    )


def _refuse_what_libseccomp_cannot_finish(t: Translation) -> None:
    """libseccomp 2.5 never returns from adding some overlapping conditional rules, so calling it
    would hang; our model of its database finds those first."""
    try:
        check_finishes(t)
    except LibseccompLoopError as exc:
        raise CompileError(exc.message, path=exc.path) from exc
    except ProfileError:
        pass  # libseccomp refuses these itself (EEXIST) and says so below


@attrs.frozen
class _Plan:
    """Where each rule of a translation goes."""

    per_arch: tuple[tuple[Arch, int, tuple[tuple[RuleAdd, int], ...]], ...]
    """(architecture, libseccomp token, (rule, syscall value for libseccomp) pairs)."""
    deferred: tuple[tuple[RuleAdd, int], ...]
    """x32 numbers libseccomp cannot name: added to the native (x86_64) filter by number."""
    foreign: tuple[tuple[RuleAdd, int, Arch], ...]
    """Rules libseccomp cannot place at all: (rule, our table's number, architecture)."""


def _by_name(
    t: Translation, L: lib.Libseccomp
) -> Iterator[tuple[Arch, int, tuple[tuple[RuleAdd, int], ...]]]:
    """As runtimes do: every rule by name; libseccomp places it on each architecture (on its
    own number, through socketcall/ipc, or both), which the translation recorded."""
    for arch in t.architectures:
        adds = tuple(
            (rule, L.resolve_name(rule.name))
            for rule in t.rules
            if arch in rule.multiplexed or rule.number(arch) is not None
        )
        yield arch, _token(arch), adds


def library_for(t: Translation) -> lib.Libseccomp:
    """The libseccomp that generates ``t``'s code: the installed one, or the target's version."""
    if t.target.libseccomp_installed or t.placed_by_number:
        return lib.installed()
    return lib.for_version(t.target.libseccomp.version)


def _plan(t: Translation, L: lib.Libseccomp) -> _Plan:
    if not t.placed_by_number:
        return _Plan(tuple(_by_name(t, L)), (), ())
    native = L.native_token
    per_arch = []
    deferred: list[tuple[RuleAdd, int]] = []
    foreign: list[tuple[RuleAdd, int, Arch]] = []
    native_seen = False
    for arch in t.architectures:
        token = _token(arch)
        adds = []
        for rule, nr in t.rules_for(arch):
            syscall = _syscall_for(L, rule.name, nr, arch, token)
            if syscall is not None:
                adds.append((rule, syscall))
            elif arch is Arch.X32 and native_seen:
                # x32 shares x86_64's kernel architecture, and libseccomp builds one block for
                # both: an x32 number libseccomp cannot name goes into the x86_64 filter.
                deferred.append((rule, nr))
            else:
                foreign.append((rule, nr, arch))
        native_seen = native_seen or token == native
        per_arch.append((arch, token, tuple(adds)))
    return _Plan(tuple(per_arch), tuple(deferred), tuple(foreign))


def missing_rules(t: Translation) -> frozenset[tuple[RuleAdd, Arch]]:
    """The (rule, architecture) pairs the compiled filter does not carry: conditional rules for
    syscalls the installed libseccomp cannot name on a foreign architecture (see
    :attr:`CompiledFilter.unplaced`). Needs libseccomp."""
    if not any(r.conditions for r in t.rules) or len(t.architectures) < 2:
        return frozenset()
    return frozenset(_by_number(_plan(t, library_for(t)).foreign)[2])


def _export(
    t: Translation, bad_arch_action: int, kind: str, L: lib.Libseccomp
) -> tuple[bytes, tuple[tuple[RuleAdd, int, Arch], ...]]:
    """Build the libseccomp filter for ``t`` and export it as ``kind`` ("bpf" or "pfc");
    also return the rules libseccomp could not place (rule, number, architecture)."""
    plan = _plan(t, L)
    native = L.native_token
    filters: list[lib.LibFilter] = []
    native_filter: lib.LibFilter | None = None
    try:
        for arch, token, adds in plan.per_arch:
            try:
                f = L.filter(t.default_action)
            except ValueError as exc:
                raise CompileError(
                    f"{exc}{_errno_hint(t.default_action)}",
                    path=("defaultErrnoRet",) if t.default_action & 0xFFFF else ("defaultAction",),
                ) from None
            filters.append(f)
            _set_attrs(f, t, bad_arch_action, L)
            if token != native:
                f.arch_remove(lib.ARCH_NATIVE)
                rc = f.arch_add(token)
                if rc < 0:
                    raise CompileError(
                        f"libseccomp {_version(L)} cannot build a filter for"
                        f" {arch.value} ({_errno.errorcode.get(-rc, str(-rc))})",
                        path=("architectures",),
                    )
            else:
                native_filter = f
            for rule, syscall in adds:
                _add(f, rule, syscall, arch)
        for rule, nr in plan.deferred:
            assert native_filter is not None
            _add(native_filter, rule, nr, Arch.X32)
        base = filters[0]
        for arch, other in zip(t.architectures[1:], filters[1:], strict=True):
            rc = base.merge(other)
            if rc < 0:
                why = (
                    "libseccomp cannot put big-endian and little-endian architectures in one filter"
                    if rc == -_errno.EDOM
                    else "libseccomp refused to merge it"
                )
                raise CompileError(
                    f"cannot add {arch.value} to a filter for {t.architectures[0].value}: {why}"
                    f" ({_errno.errorcode.get(-rc, str(-rc))})",
                    path=("architectures",),
                )
        rc, data = base.export_bpf() if kind == "bpf" else base.export_pfc()
        if rc < 0:
            raise CompileError(
                f"libseccomp could not export the filter as {kind}"
                f" ({_errno.errorcode.get(-rc, str(-rc))})"
            )
    finally:
        for f in filters:
            f.close()
    return data, plan.foreign


def _by_number(
    foreign: Sequence[tuple[RuleAdd, int, Arch]],
) -> tuple[list[Instruction], list[tuple[RuleAdd, Arch]], list[tuple[RuleAdd, Arch]]]:
    """The section that checks, by number, the unconditional rules libseccomp could not place:
    per kernel architecture ``ld arch; jeq AUDIT else skip; ld nr; (jeq NR; ret ACTION)*``. A
    syscall not matched falls through to libseccomp's program, which loads the architecture
    itself first. Without the section such a syscall would get the default action, not the
    rule's. Rules with conditions, or several rules on one number, would need libseccomp's own
    way of combining them, so they are returned as unplaced (second list: placed).
    """
    count = Counter((arch, nr) for _rule, nr, arch in foreign)
    by_audit: dict[int, list[tuple[int, int]]] = {}
    placed: list[tuple[RuleAdd, Arch]] = []
    unplaced: list[tuple[RuleAdd, Arch]] = []
    for rule, nr, arch in foreign:
        if rule.conditions or count[(arch, nr)] > 1:
            unplaced.append((rule, arch))
            continue
        placed.append((rule, arch))
        by_audit.setdefault(bpf.kernel_arch_code(arch), []).append((nr, rule.action))
    section: list[Instruction] = []
    for audit, entries in by_audit.items():
        body = [_i(bpf.LD_W_ABS, 0)]
        for nr, action in sorted(entries):
            body += [_i(bpf.JEQ_K, nr, jt=0, jf=1), _i(bpf.RET_K, action)]
        if len(body) <= 255:
            head = [_i(bpf.LD_W_ABS, 4), _i(bpf.JEQ_K, audit, jt=0, jf=len(body))]
        else:
            head = [_i(bpf.LD_W_ABS, 4), _i(bpf.JEQ_K, audit, jt=1), _ja(len(body))]
        section += [*head, *body]
    return section, placed, unplaced


# --- runc's ENOSYS stub -----------------------------------------------------------------------


def _i(code: int, k: int = 0, jt: int = 0, jf: int = 0) -> bpf.Instruction:
    return bpf.Instruction(code, jt, jf, k)


def _ja(skip: int) -> bpf.Instruction:
    return _i(bpf.JA, skip)


def _ret_enosys() -> bpf.Instruction:
    return _i(bpf.RET_K, ERRNO_ENOSYS)


def enosys_stub(
    limits: Sequence[tuple[Arch, int]], empty: Sequence[Arch] = ()
) -> list[bpf.Instruction]:
    """runc's stub: for each kernel architecture, syscall numbers above the highest one the
    profile names return ``ERRNO(ENOSYS)``; everything else falls through to the filter.

    Built back to front like runc's ``generateEnosysStub`` so jump offsets are measured from
    the end. runc walks a Go map, so its section order varies between runs; ours is the
    translation's order (host first). A limit of 0 gets no section, as in runc; a kernel
    architecture whose architectures all name no syscall (``empty``) keeps a jump-table entry
    into the filter, as runc's jump table does for it.
    """
    groups: dict[int, dict[Arch, int]] = {}
    for arch, limit in limits:
        if limit > 0:
            groups.setdefault(bpf.kernel_arch_code(arch), {})[arch] = limit
    x86_64 = bpf.kernel_arch_code(Arch.X86_64)
    tail = [_ja(1), _ret_enosys()]
    jump_table: dict[int, int] = {}
    for audit, maxima in reversed(groups.items()):
        to_enosys = len(tail) - 1
        to_filter = to_enosys + 1
        section = [_i(bpf.LD_W_ABS, 0)]
        if len(maxima) == 1:
            ((arch, sysno),) = maxima.items()
            if arch in (Arch.S390, Arch.S390X):
                # setup(0) carries syscall numbers s390 does not know.
                section += [_i(bpf.JEQ_K, 0, jt=0, jf=1), _ret_enosys()]
            if to_enosys + 1 <= 255:
                part = [_i(bpf.JGT_K, sysno, jt=to_enosys + 1), _ja(to_filter)]
            else:
                part = [_i(bpf.JGT_K, sysno, jt=0, jf=1), _ret_enosys(), _ja(to_filter)]
            if audit == x86_64:
                if arch is Arch.X32:
                    part.insert(0, _i(bpf.JSET_K, _X32_BIT, jt=0, jf=len(part) - 1))
                else:
                    part.insert(0, _i(bpf.JSET_K, _X32_BIT, jt=len(part) - 1))
            section += part
        else:
            x64, x32 = maxima[Arch.X86_64], maxima[Arch.X32]
            if to_enosys + 2 <= 255:
                section += [
                    _i(bpf.JSET_K, _X32_BIT, jt=1),
                    _i(bpf.JGT_K, x64, jt=to_enosys + 2, jf=1),
                    _i(bpf.JGT_K, x32, jt=to_enosys + 1),
                    _ja(to_filter),
                ]
            else:
                section += [
                    _i(bpf.JSET_K, _X32_BIT, jt=1),
                    _i(bpf.JGT_K, x64, jt=1, jf=2),
                    _i(bpf.JGT_K, x32, jt=0, jf=1),
                    _ret_enosys(),
                    _ja(to_filter),
                ]
        tail = section + tail
        jump_table[audit] = len(tail)
    tail = [_ja(len(tail)), *tail]
    entries = list(groups)
    for arch in empty:
        audit = bpf.kernel_arch_code(arch)
        if audit not in entries:
            entries.append(audit)
    for audit in reversed(entries):
        jump = len(tail) - jump_table.get(audit, 0)
        if jump <= 255:
            tail = [_i(bpf.JEQ_K, audit, jt=jump), *tail]
        else:
            tail = [_i(bpf.JEQ_K, audit, jt=0, jf=1), _ja(jump), *tail]
    return [_i(bpf.LD_W_ABS, 4), *tail]
