"""Classic BPF as seccomp uses it: decode, check, disassemble and emulate filter programs.

A program is the raw ``struct sock_filter`` array (8 bytes an instruction: ``u16 code, u8 jt,
u8 jf, u32 k`` in host byte order), a sequence of :class:`Instruction`, or a :class:`Program`
(checked once, ready to emulate). :func:`check` accepts what the kernel accepts
(``bpf_check_classic`` plus ``seccomp_check_filter``): the seccomp subset of opcodes, jumps that
stay inside the program, at most 4096 instructions ending in a return, 32-bit aligned loads
inside ``struct seccomp_data``, no division by a zero constant, shifts below 32, and scratch
memory stored before it is read on every path.

:func:`emulate` returns the 32-bit value the program returns for one syscall, computed the way
the kernel runs the program over ``struct seccomp_data`` (``nr`` at 0, ``arch`` at 4,
``instruction_pointer`` at 8, ``args[i]`` at 16 + 8i; 64-bit fields in the architecture's byte
order, so the low half of an argument is at +0 on little-endian architectures and at +4 on
big-endian ones).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from functools import cache

import attrs

from seccomp_kit import syscalls
from seccomp_kit.errors import InputError
from seccomp_kit.model import Arch
from seccomp_kit.syscalls.arches import X32_SYSCALL_BIT, arch_info, by_audit, parse_arch

__all__ = [
    "BPFError",
    "Instruction",
    "MAX_INSTRUCTIONS",
    "Program",
    "SECCOMP_DATA_SIZE",
    "action_text",
    "check",
    "decode",
    "disassemble",
    "emulate",
    "encode",
    "kernel_arch_code",
    "longest_path",
    "seccomp_data",
    "trace",
]

MAX_INSTRUCTIONS = 4096  # BPF_MAXINSNS
SECCOMP_DATA_SIZE = 64
_MEMWORDS = 16
_U32 = 0xFFFF_FFFF
_FORMATS = {order: struct.Struct(order + "HBBI") for order in "=<>"}

# opcodes of the seccomp subset
LD_W_ABS, LD_W_LEN, LDX_W_LEN = 0x20, 0x80, 0x81
LD_IMM, LDX_IMM, LD_MEM, LDX_MEM, ST, STX = 0x00, 0x01, 0x60, 0x61, 0x02, 0x03
RET_K, RET_A, TAX, TXA = 0x06, 0x16, 0x07, 0x87
JA = 0x05
JEQ_K, JGT_K, JGE_K, JSET_K = 0x15, 0x25, 0x35, 0x45
JEQ_X, JGT_X, JGE_X, JSET_X = 0x1D, 0x2D, 0x3D, 0x4D
_ALU_OPS = {0x00: "+", 0x10: "-", 0x20: "*", 0x30: "/", 0x40: "|", 0x50: "&", 0x60: "<<",
            0x70: ">>", 0xA0: "^"}  # fmt: skip
ALU_NEG = 0x84
_ALU = {0x04 | op | src for op in _ALU_OPS for src in (0x00, 0x08)}
_JUMPS = {JEQ_K, JGT_K, JGE_K, JSET_K, JEQ_X, JGT_X, JGE_X, JSET_X}
ALLOWED = frozenset({LD_W_ABS, LD_W_LEN, LDX_W_LEN, LD_IMM, LDX_IMM, LD_MEM, LDX_MEM, ST, STX,
                     RET_K, RET_A, TAX, TXA, JA, ALU_NEG, *_ALU, *_JUMPS})  # fmt: skip

_ACTIONS = (
    (0x8000_0000, "KILL_PROCESS"),
    (0x0000_0000, "KILL"),
    (0x0003_0000, "TRAP"),
    (0x0005_0000, "ERRNO"),
    (0x7FC0_0000, "USER_NOTIF"),
    (0x7FF0_0000, "TRACE"),
    (0x7FFC_0000, "LOG"),
    (0x7FFF_0000, "ALLOW"),
)


class BPFError(InputError):
    """A program the kernel would refuse; ``index`` is the offending instruction (or None)."""

    def __init__(self, message: str, index: int | None = None) -> None:
        where = f"instruction {index}: " if index is not None else ""
        super().__init__(where + message)
        self.index = index


@attrs.frozen
class Instruction:
    """One ``struct sock_filter``."""

    code: int
    jt: int
    jf: int
    k: int

    def pack(self, byteorder: str = "=") -> bytes:
        return _FORMATS[byteorder].pack(self.code, self.jt, self.jf, self.k)


def _format(byteorder: str) -> struct.Struct:
    try:
        return _FORMATS[byteorder]
    except KeyError:
        raise InputError(f"byteorder must be '=', '<' or '>', not {byteorder!r}") from None


def decode(data: bytes | bytearray | memoryview, byteorder: str = "=") -> tuple[Instruction, ...]:
    """Split raw ``struct sock_filter`` bytes into instructions. ``byteorder`` is ``"="`` (this
    machine's), ``"<"`` or ``">"``: a filter is stored in the byte order of the machine that
    loads it, so one made for a big-endian architecture reads with ``">"``."""
    raw = bytes(data)
    fmt = _format(byteorder)
    if len(raw) % 8:
        raise BPFError(f"{len(raw)} bytes is not a whole number of 8-byte instructions")
    return tuple(Instruction(*fields) for fields in fmt.iter_unpack(raw))


def encode(instructions: Iterable[Instruction], byteorder: str = "=") -> bytes:
    fmt = _format(byteorder)
    return b"".join(fmt.pack(i.code, i.jt, i.jf, i.k) for i in instructions)


def _as_instructions(
    program: bytes | bytearray | memoryview | Sequence[Instruction] | Program,
) -> tuple[Instruction, ...]:
    if isinstance(program, Program):
        return program.instructions
    if isinstance(program, bytes | bytearray | memoryview):
        return decode(program)
    return tuple(program)


def check(program: bytes | bytearray | memoryview | Sequence[Instruction]) -> None:
    """Raise :class:`BPFError` naming the instruction where the kernel would refuse ``program``."""
    insns = _as_instructions(program)
    n = len(insns)
    if n == 0:
        raise BPFError("empty program")
    if n > MAX_INSTRUCTIONS:
        raise BPFError(f"{n} instructions; the kernel accepts at most {MAX_INSTRUCTIONS}")
    for pc, ins in enumerate(insns):
        code, k = ins.code, ins.k
        if code not in ALLOWED:
            raise BPFError(f"opcode {code:#06x} is not allowed in a seccomp filter", pc)
        if code == LD_W_ABS and (k >= SECCOMP_DATA_SIZE or k & 3):
            raise BPFError(
                f"load at offset {k} is outside struct seccomp_data or not 32-bit aligned", pc
            )
        if code in (LD_MEM, LDX_MEM, ST, STX) and k >= _MEMWORDS:
            raise BPFError(f"scratch memory slot {k} is out of range 0..{_MEMWORDS - 1}", pc)
        if code == 0x34 and k == 0:
            raise BPFError("division by the constant 0", pc)
        if code in (0x64, 0x74) and k >= 32:
            raise BPFError(f"shift by {k} (must be below 32)", pc)
        if code == JA and k >= n - pc - 1:
            raise BPFError(f"jump by {k} leaves the program", pc)
        if code in _JUMPS and (pc + ins.jt + 1 >= n or pc + ins.jf + 1 >= n):
            raise BPFError(f"jump ({ins.jt}, {ins.jf}) leaves the program", pc)
    if insns[-1].code not in (RET_K, RET_A):
        raise BPFError("the last instruction is not a return", n - 1)
    _check_memory(insns)


def _check_memory(insns: tuple[Instruction, ...]) -> None:
    """Scratch slots must be written on every path before they are read (the kernel's
    ``check_load_and_stores``)."""
    full = (1 << _MEMWORDS) - 1
    masks = [full] * len(insns)
    valid = 0
    for pc, ins in enumerate(insns):
        valid &= masks[pc]
        code = ins.code
        if code in (ST, STX):
            valid |= 1 << ins.k
        elif code in (LD_MEM, LDX_MEM):
            if not valid & (1 << ins.k):
                raise BPFError(f"scratch memory slot {ins.k} is read before it is written", pc)
        elif code == JA:
            masks[pc + 1 + ins.k] &= valid
            valid = full
        elif code in _JUMPS:
            masks[pc + 1 + ins.jt] &= valid
            masks[pc + 1 + ins.jf] &= valid
            valid = full


def kernel_arch_code(arch: Arch | str | int) -> int:
    """The ``seccomp_data.arch`` value the kernel reports (x32 shows as x86_64)."""
    if isinstance(arch, int):
        return arch & _U32
    return _KERNEL_ARCH[parse_arch(arch)]


_KERNEL_ARCH = {a: arch_info(Arch.X86_64 if a is Arch.X32 else a).audit for a in Arch}


def seccomp_data(
    *, arch: Arch | str | int, nr: int, args: Sequence[int] = (), ip: int = 0
) -> tuple[int, ...]:
    """The 16 32-bit words of ``struct seccomp_data`` as a filter loads them."""
    if len(args) > 6:
        raise InputError(f"a syscall has at most 6 arguments, got {len(args)}")
    code, little = _layout(arch)
    words = [nr & _U32, code]
    for value in (ip, *args, *_ZEROS[len(args) :]):
        lo, hi = value & _U32, (value >> 32) & _U32
        words += (lo, hi) if little else (hi, lo)
    return tuple(words)


_ZEROS = (0,) * 6


@cache
def _layout(arch: Arch | str | int) -> tuple[int, bool]:
    code = kernel_arch_code(arch)
    little = bool(code & 0x4000_0000) if isinstance(arch, int) else _little(arch)
    return code, little


def _little(arch: Arch | str) -> bool:
    return arch_info(parse_arch(arch)).little_endian


def _resolve(insns: tuple[Instruction, ...]) -> list[tuple[int, int, int, int]]:
    """Instructions with absolute jump targets and word indices, for the interpreter."""
    out = []
    for pc, ins in enumerate(insns):
        code, k = ins.code, ins.k
        if code in _JUMPS:
            out.append((code, pc + 1 + ins.jt, pc + 1 + ins.jf, k))
        elif code == JA:
            out.append((code, pc + 1 + k, 0, k))
        elif code == LD_W_ABS:
            out.append((code, 0, 0, k >> 2))
        elif code == LD_W_LEN:
            out.append((LD_IMM, 0, 0, SECCOMP_DATA_SIZE))
        elif code == LDX_W_LEN:
            out.append((LDX_IMM, 0, 0, SECCOMP_DATA_SIZE))
        else:
            out.append((code, 0, 0, k))
    return out


_State = tuple[int, int, int, tuple[int, ...]]  # pc, A, X, scratch memory
_PREFIX_CACHE = 1 << 16


class Program:
    """A checked program, prepared for fast emulation.

    Runs are memoized per (nr, arch) up to the first instruction that reads the instruction
    pointer or an argument, so a syscall seen before costs only its argument checks."""

    __slots__ = ("_ops", "_prefix", "instructions")

    def __init__(
        self, program: bytes | bytearray | memoryview | Sequence[Instruction] | Program
    ) -> None:
        self.instructions = _as_instructions(program)
        check(self.instructions)
        self._ops = _resolve(self.instructions)
        # (nr, arch) -> the return value, or the state where the program first reads the
        # instruction pointer or an argument: everything before depends on nr and arch only.
        self._prefix: dict[tuple[int, int], int | _State] = {}

    def __len__(self) -> int:
        return len(self.instructions)

    @property
    def bpf(self) -> bytes:
        return encode(self.instructions)

    def run(self, words: Sequence[int]) -> int:
        """Run over ``seccomp_data`` words (see :func:`seccomp_data`); the 32-bit return."""
        key = (words[0], words[1])
        start = self._prefix.get(key)
        if start is None:
            if len(self._prefix) >= _PREFIX_CACHE:
                self._prefix.clear()
            start = self._prefix[key] = self._exec(words, (0, 0, 0, (0,) * _MEMWORDS), True)
        if isinstance(start, int):
            return start
        result = self._exec(words, start, False)
        assert isinstance(result, int)
        return result

    def _exec(self, words: Sequence[int], state: _State, prefix: bool) -> int | _State:
        """Run from ``state``; with ``prefix``, stop before the first read beyond nr/arch."""
        pc, a, x, saved = state
        mem = list(saved)
        ops = self._ops
        while True:
            code, t, f, k = ops[pc]
            if code == LD_W_ABS:
                if prefix and k >= 2:
                    return (pc, a, x, tuple(mem))
                a = words[k]
                pc += 1
            elif code == JEQ_K:
                pc = t if a == k else f
            elif code == JGE_K:
                pc = t if a >= k else f
            elif code == JGT_K:
                pc = t if a > k else f
            elif code == JSET_K:
                pc = t if a & k else f
            elif code == RET_K:
                return k
            elif code == JA:
                pc = t
            elif code == RET_A:
                return a
            elif code == LD_IMM:
                a = k
                pc += 1
            elif code == LDX_IMM:
                x = k
                pc += 1
            elif code == LD_MEM:
                a = mem[k]
                pc += 1
            elif code == LDX_MEM:
                x = mem[k]
                pc += 1
            elif code == ST:
                mem[k] = a
                pc += 1
            elif code == STX:
                mem[k] = x
                pc += 1
            elif code == TAX:
                x = a
                pc += 1
            elif code == TXA:
                a = x
                pc += 1
            elif code == JEQ_X:
                pc = t if a == x else f
            elif code == JGE_X:
                pc = t if a >= x else f
            elif code == JGT_X:
                pc = t if a > x else f
            elif code == JSET_X:
                pc = t if a & x else f
            elif code == ALU_NEG:
                a = -a & _U32
                pc += 1
            else:
                operand = x if code & 0x08 else k
                op = code & 0xF0
                if op == 0x30 and operand == 0:
                    return 0  # classic BPF: division by zero ends the program with 0
                a = _alu(op, a, operand)
                pc += 1

    def emulate(
        self, *, arch: Arch | str | int, nr: int, args: Sequence[int] = (), ip: int = 0
    ) -> int:
        return self.run(seccomp_data(arch=arch, nr=nr, args=args, ip=ip))


def _alu(op: int, a: int, operand: int) -> int:
    if op == 0x00:
        return (a + operand) & _U32
    if op == 0x10:
        return (a - operand) & _U32
    if op == 0x20:
        return (a * operand) & _U32
    if op == 0x30:
        return a // operand
    if op == 0x40:
        return a | operand
    if op == 0x50:
        return a & operand
    if op == 0x60:
        return (a << (operand & 31)) & _U32
    if op == 0x70:
        return a >> (operand & 31)
    return a ^ operand


_PROGRAM_CACHE: dict[bytes, Program] = {}


def _program(program: bytes | bytearray | memoryview | Sequence[Instruction] | Program) -> Program:
    if isinstance(program, Program):
        return program
    if isinstance(program, bytes):
        cached = _PROGRAM_CACHE.get(program)
        if cached is None:
            if len(_PROGRAM_CACHE) > 64:
                _PROGRAM_CACHE.clear()
            cached = _PROGRAM_CACHE[program] = Program(program)
        return cached
    return Program(program)


def emulate(
    program: bytes | bytearray | memoryview | Sequence[Instruction] | Program,
    *,
    arch: Arch | str | int,
    nr: int,
    args: Sequence[int] = (),
    ip: int = 0,
) -> int:
    """The 32-bit value ``program`` returns for syscall ``nr`` on ``arch`` with ``args``.

    ``arch`` is an architecture (``SCMP_ARCH_X86_64``, ``amd64``...) or a raw
    ``AUDIT_ARCH_*`` value; ``nr`` is the number the kernel sees (x32 numbers carry
    ``__X32_SYSCALL_BIT``). Raw bytes are checked once and cached; pass a :class:`Program` to
    skip even the lookup.
    """
    return _program(program).emulate(arch=arch, nr=nr, args=args, ip=ip)


def trace(
    program: bytes | bytearray | memoryview | Sequence[Instruction] | Program,
    *,
    arch: Arch | str | int,
    nr: int,
    args: Sequence[int] = (),
    ip: int = 0,
) -> list[int]:
    """The indices of the instructions the program executes for one syscall, in order."""
    prog = _program(program)
    words = seccomp_data(arch=arch, nr=nr, args=args, ip=ip)
    path = []
    pc = 0
    a = x = 0
    mem = [0] * _MEMWORDS
    ops = prog._ops
    while True:
        path.append(pc)
        code, t, f, k = ops[pc]
        if code in (RET_K, RET_A):
            return path
        if code == JA:
            pc = t
        elif code in _JUMPS:
            operand = x if code & 0x08 else k
            op = code & 0xF0
            if op == 0x10:
                taken = a == operand
            elif op == 0x20:
                taken = a > operand
            elif op == 0x30:
                taken = a >= operand
            else:
                taken = bool(a & operand)
            pc = t if taken else f
        elif code == LD_W_ABS:
            a = words[k]
            pc += 1
        elif code in _ALU and code & 0xF0 == 0x30 and (x if code & 0x08 else k) == 0:
            return path  # division by zero: the program ends here, returning 0
        else:
            a, x = _step(code, k, a, x, mem)
            pc += 1


def _step(code: int, k: int, a: int, x: int, mem: list[int]) -> tuple[int, int]:
    if code == LD_IMM:
        return k, x
    if code == LDX_IMM:
        return a, k
    if code == LD_MEM:
        return mem[k], x
    if code == LDX_MEM:
        return a, mem[k]
    if code == ST:
        mem[k] = a
        return a, x
    if code == STX:
        mem[k] = x
        return a, x
    if code == TAX:
        return a, a
    if code == TXA:
        return x, x
    if code == ALU_NEG:
        return -a & _U32, x
    return _alu(code & 0xF0, a, x if code & 0x08 else k), x


def longest_path(
    program: bytes | bytearray | memoryview | Sequence[Instruction] | Program,
) -> int:
    """The most instructions any run can execute (jumps only go forward, so this is the
    longest path through the program's graph, feasible or not)."""
    insns = _program(program).instructions
    n = len(insns)
    longest = [0] * n
    for pc in range(n - 1, -1, -1):
        ins = insns[pc]
        if ins.code in (RET_K, RET_A):
            nexts: tuple[int, ...] = ()
        elif ins.code == JA:
            nexts = (pc + 1 + ins.k,)
        elif ins.code in _JUMPS:
            nexts = (pc + 1 + ins.jt, pc + 1 + ins.jf)
        else:
            nexts = (pc + 1,)
        longest[pc] = 1 + max((longest[t] for t in nexts), default=0)
    return longest[0]


def action_text(value: int) -> str:
    """``0x7fff0000`` -> ``ALLOW``, ``0x00050001`` -> ``ERRNO(1)``."""
    full = value & 0xFFFF_0000
    data = value & 0xFFFF
    for base, name in _ACTIONS:
        if full == base:
            return f"{name}({data})" if name in ("ERRNO", "TRACE") or data else name
    return f"{value:#010x}"


# --- disassembly ----------------------------------------------------------------------------

_FIELDS = {0: "sys_number", 4: "arch", 8: "instruction_pointer", 12: "instruction_pointer >> 32"}


def _field(k: int, little: bool) -> tuple[str, str]:
    """(text, meaning) of loading ``seccomp_data`` offset ``k``."""
    if k in _FIELDS:
        text = _FIELDS[k]
        if not little and k in (8, 12):
            text = _FIELDS[20 - k]
        return text, {0: "nr", 4: "arch"}.get(k, "other")
    i, half = divmod(k - 16, 8)
    high = (half == 4) == little
    return (f"args[{i}] >> 32" if high else f"args[{i}]"), "other"


def _arch_name(code: int) -> str:
    info = by_audit(code)
    return info.arch.value.removeprefix("SCMP_") if info is not None else f"{code:#x}"


def _syscall_name(arch_code: int | None, nr: int) -> str | None:
    if arch_code is None:
        return None
    info = by_audit(arch_code)
    if info is None:
        return None
    arch = info.arch
    if arch is Arch.X86_64 and nr & X32_SYSCALL_BIT:
        arch = Arch.X32
    return syscalls.table(arch).name(nr)


def disassemble(
    program: bytes | bytearray | memoryview | Sequence[Instruction] | Program,
    *,
    raw: bool = True,
) -> str:
    """Readable text, one line per instruction, in the style of ``seccomp-tools disasm``:
    ``A = arch``, ``if (A != ARCH_X86_64) goto 0010``, syscall names for comparisons with the
    syscall number (for the architecture checked on the way there), ``return ERRNO(1)``.
    Lines that jumps land on (other than by falling through) are marked with ``>``. The
    program is not checked, so broken programs can be inspected too; jumps out of range show
    as ``goto ????``."""
    insns = _as_instructions(program)
    n = len(insns)
    targets: set[int] = set()
    for pc, ins in enumerate(insns):
        if ins.code == JA:
            targets.add(pc + 1 + ins.k)
        elif ins.code in _JUMPS:
            targets.update(pc + 1 + off for off in (ins.jt, ins.jf) if off)
    # Per instruction: what A holds ("nr", "arch", other) and the architecture known there.
    _unset = ("?", None)
    state_in: list[tuple[str, int | None] | None] = [None] * (n + 1)
    state_in[0] = ("other", None) if n else None

    def merge(at: int, state: tuple[str, int | None]) -> None:
        if at > n:
            return
        old = state_in[at]
        if old is None:
            state_in[at] = state
        elif old != state:
            state_in[at] = (old[0] if old[0] == state[0] else "other",
                            old[1] if old[1] == state[1] else None)  # fmt: skip

    lines = []
    if raw:
        lines += [" line  CODE  JT   JF      K", "================================="]
    for pc, ins in enumerate(insns):
        meaning, arch_code = state_in[pc] or _unset
        little = True
        if arch_code is not None and (info := by_audit(arch_code)) is not None:
            little = info.little_endian
        text, out = _text(ins, pc, n, meaning=meaning, arch_code=arch_code, little=little)
        if ins.code == LD_W_ABS:
            merge(pc + 1, (out, arch_code))
        elif ins.code in (RET_K, RET_A):
            pass
        elif ins.code == JA:
            merge(pc + 1 + ins.k, (meaning, arch_code))
        elif ins.code in _JUMPS:
            true_arch = arch_code
            if meaning == "arch" and ins.code == JEQ_K:
                true_arch = ins.k
            merge(pc + 1 + ins.jt, (meaning, true_arch))
            merge(pc + 1 + ins.jf, (meaning, arch_code))
        elif ins.code in (LDX_IMM, LDX_MEM, ST, STX, LDX_W_LEN):
            merge(pc + 1, (meaning, arch_code))
        else:
            merge(pc + 1, ("other", arch_code))
        mark = ">" if pc in targets else " "
        if raw:
            lines.append(
                f"{mark}{pc:04d}: {ins.code:#04x} {ins.jt:#04x} {ins.jf:#04x} {ins.k:#010x}  {text}"
            )
        else:
            lines.append(f"{mark}{pc:04d}: {text}")
    return "\n".join(lines) + "\n"


def _text(
    ins: Instruction, pc: int, n: int, *, meaning: str, arch_code: int | None, little: bool
) -> tuple[str, str]:
    code, k = ins.code, ins.k

    def goto(offset: int) -> str:
        target = pc + 1 + offset
        return f"{target:04d}" if target < n else "????"

    if code == LD_W_ABS:
        if k >= SECCOMP_DATA_SIZE or k & 3:
            return f"A = data[{k}]", "other"
        field, out = _field(k, little)
        return f"A = {field}", out
    if code == RET_K:
        return f"return {action_text(k)}", ""
    if code == RET_A:
        return "return A", ""
    if code in _JUMPS:
        operand: str
        if code & 0x08:
            operand = "X"
        elif meaning == "arch":
            operand = _arch_name(k)
        elif (
            meaning == "nr" and code == JEQ_K and (name := _syscall_name(arch_code, k)) is not None
        ):
            operand = name
        else:
            operand = f"{k:#x}"
        op = code & 0xF0
        pos, neg = {0x10: ("==", "!="), 0x20: (">", "<="), 0x30: (">=", "<")}.get(op, ("&", ""))
        if op == 0x40:
            cond_true, cond_false = f"A & {operand}", f"!(A & {operand})"
        else:
            cond_true, cond_false = f"A {pos} {operand}", f"A {neg} {operand}"
        if ins.jt == 0:
            return f"if ({cond_false}) goto {goto(ins.jf)}", ""
        if ins.jf == 0:
            return f"if ({cond_true}) goto {goto(ins.jt)}", ""
        return f"if ({cond_true}) goto {goto(ins.jt)} else goto {goto(ins.jf)}", ""
    simple = {
        JA: f"goto {goto(k)}",
        LD_IMM: f"A = {k:#x}",
        LDX_IMM: f"X = {k:#x}",
        LD_MEM: f"A = mem[{k}]",
        LDX_MEM: f"X = mem[{k}]",
        ST: f"mem[{k}] = A",
        STX: f"mem[{k}] = X",
        TAX: "X = A",
        TXA: "A = X",
        LD_W_LEN: f"A = {SECCOMP_DATA_SIZE}",
        LDX_W_LEN: f"X = {SECCOMP_DATA_SIZE}",
        ALU_NEG: "A = -A",
    }
    if code in simple:
        return simple[code], ""
    if code in _ALU:
        operand = "X" if code & 0x08 else f"{k:#x}"
        return f"A {_ALU_OPS[code & 0xF0]}= {operand}", ""
    return f"(bad opcode {code:#06x})", ""
