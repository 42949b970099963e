"""seccomp_kit.bpf: decoding, the kernel's checks, emulation and disassembly.

The oracle for :func:`check` and :func:`emulate` is the running kernel (tests marked
``kernel``): programs the kernel refuses must be refused by ``check`` at the same place, and a
program's return value under emulation must equal what the kernel made of the same syscall.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from seccomp_kit.bpf import BPFError, Instruction
from seccomp_kit.bpf import _program as bpf
from seccomp_kit.errors import InputError
from seccomp_kit.model import Arch
from seccomp_kit.testing.kernel import HarnessError, run_events

I = Instruction  # noqa: E741
RET_ALLOW = I(bpf.RET_K, 0, 0, 0x7FFF_0000)


def errno(n: int) -> Instruction:
    return I(bpf.RET_K, 0, 0, 0x0005_0000 | n)


def test_decode_encode_round_trip() -> None:
    program = [I(bpf.LD_W_ABS, 0, 0, 4), I(bpf.JEQ_K, 1, 0, 0xC000_003E), errno(1), RET_ALLOW]
    raw = bpf.encode(program)
    assert len(raw) == 32
    assert raw[:8] == struct.pack("=HBBI", 0x20, 0, 0, 4)
    assert bpf.decode(raw) == tuple(program)


def test_decode_rejects_partial_instruction() -> None:
    with pytest.raises(BPFError, match="not a whole number"):
        bpf.decode(b"\x06\x00\x00\x00\x00\x00")


BAD_PROGRAMS = [
    pytest.param([], None, "empty", id="empty"),
    pytest.param([RET_ALLOW] * 4097, None, "at most 4096", id="too-long"),
    pytest.param([I(0x28, 0, 0, 0), RET_ALLOW], 0, "opcode", id="ld-half"),
    pytest.param([I(0x94, 0, 0, 3), RET_ALLOW], 0, "opcode", id="alu-mod"),
    pytest.param([I(bpf.LD_W_ABS, 0, 0, 64), RET_ALLOW], 0, "outside", id="load-beyond"),
    pytest.param([I(bpf.LD_W_ABS, 0, 0, 2), RET_ALLOW], 0, "aligned", id="load-misaligned"),
    pytest.param([I(bpf.JEQ_K, 0, 1, 0), RET_ALLOW], 0, "leaves", id="jf-out"),
    pytest.param([I(bpf.JEQ_K, 5, 0, 0), RET_ALLOW], 0, "leaves", id="jt-out"),
    pytest.param([I(bpf.JA, 0, 0, 1), RET_ALLOW], 0, "leaves", id="ja-out"),
    pytest.param([RET_ALLOW, I(bpf.LD_IMM, 0, 0, 1)], 1, "not a return", id="no-ret"),
    pytest.param([I(bpf.LD_MEM, 0, 0, 16), RET_ALLOW], 0, "slot", id="mem-range"),
    pytest.param([I(bpf.LD_MEM, 0, 0, 3), RET_ALLOW], 0, "before it is written", id="mem-unset"),
    pytest.param(
        [I(bpf.JEQ_K, 1, 0, 0), I(bpf.ST, 0, 0, 2), I(bpf.LD_MEM, 0, 0, 2), RET_ALLOW],
        2,
        "before it is written",
        id="mem-one-path",
    ),
    pytest.param([I(0x34, 0, 0, 0), RET_ALLOW], 0, "division", id="div-zero"),
    pytest.param([I(0x64, 0, 0, 32), RET_ALLOW], 0, "shift", id="shift-32"),
]


@pytest.mark.parametrize(("program", "index", "message"), BAD_PROGRAMS)
def test_check_names_the_instruction(
    program: list[Instruction], index: int | None, message: str
) -> None:
    with pytest.raises(BPFError, match=message) as info:
        bpf.check(program)
    assert info.value.index == index
    assert isinstance(info.value, InputError)
    if index is not None:
        assert f"instruction {index}" in str(info.value)


GOOD_PROGRAMS = [
    [RET_ALLOW],
    [I(bpf.JEQ_K, 1, 0, 0), I(bpf.ST, 0, 0, 2), I(bpf.ST, 0, 0, 2), I(bpf.LD_MEM, 0, 0, 2),
     RET_ALLOW],
    [I(bpf.LD_W_ABS, 0, 0, 60), I(bpf.JA, 0, 0, 0), I(bpf.RET_A, 0, 0, 0)],
    [I(bpf.LD_W_LEN, 0, 0, 0), I(0x64, 0, 0, 31), I(0x34, 0, 0, 7), RET_ALLOW],
]  # fmt: skip


@pytest.mark.parametrize("program", GOOD_PROGRAMS)
def test_check_accepts(program: list[Instruction]) -> None:
    bpf.check(program)


@pytest.mark.kernel
@pytest.mark.parametrize(
    "program",
    [p.values[0] for p in BAD_PROGRAMS if p.id not in ("empty", "too-long")] + GOOD_PROGRAMS,
)
def test_check_agrees_with_the_kernel(program: list[Instruction]) -> None:
    """What check() refuses the kernel refuses (EINVAL), and what it accepts loads."""
    # Programs that load would run getppid: make every return an errno so nothing runs.
    safe = [errno(7) if i.code in (bpf.RET_K, bpf.RET_A) else i for i in program]
    try:
        bpf.check(safe)
        accepted = True
    except BPFError:
        accepted = False
    try:
        run_events(bpf.encode(safe), [110])
        loaded = True
    except HarnessError as exc:
        assert "Invalid argument" in str(exc)
        loaded = False
    assert accepted == loaded


# -- emulation ----------------------------------------------------------------------------------


def test_emulate_reads_seccomp_data_fields() -> None:
    def ret_word(offset: int) -> list[Instruction]:
        return [I(bpf.LD_W_ABS, 0, 0, offset), I(bpf.RET_A, 0, 0, 0)]

    args = (0x1111_1111_2222_2222, 0x3333_3333_4444_4444)
    kw = {"arch": Arch.X86_64, "nr": 59, "args": args, "ip": 0xAAAA_AAAA_BBBB_BBBB}
    assert bpf.emulate(ret_word(0), **kw) == 59
    assert bpf.emulate(ret_word(4), **kw) == 0xC000_003E
    assert bpf.emulate(ret_word(8), **kw) == 0xBBBB_BBBB
    assert bpf.emulate(ret_word(12), **kw) == 0xAAAA_AAAA
    assert bpf.emulate(ret_word(16), **kw) == 0x2222_2222  # low half first on little-endian
    assert bpf.emulate(ret_word(20), **kw) == 0x1111_1111
    assert bpf.emulate(ret_word(24), **kw) == 0x4444_4444
    assert bpf.emulate(ret_word(56), **kw) == 0  # args[5] absent
    big = dict(kw, arch=Arch.S390X)
    assert bpf.emulate(ret_word(4), **big) == 0x8000_0016
    assert bpf.emulate(ret_word(16), **big) == 0x1111_1111  # high half first on big-endian
    assert bpf.emulate(ret_word(20), **big) == 0x2222_2222
    # x32 calls reach the filter as x86_64 with the x32 bit in the number
    assert bpf.emulate(ret_word(4), arch=Arch.X32, nr=0x4000_0000) == 0xC000_003E
    assert bpf.emulate(ret_word(4), arch=0x1234, nr=0) == 0x1234


def test_emulate_alu_memory_and_x() -> None:
    program = [
        I(bpf.LD_IMM, 0, 0, 10),
        I(0x04, 0, 0, 5),  # A += 5
        I(0x24, 0, 0, 3),  # A *= 3
        I(bpf.ST, 0, 0, 4),
        I(bpf.LDX_IMM, 0, 0, 4),
        I(0x3C, 0, 0, 0),  # A /= X
        I(0x6C, 0, 0, 0),  # A <<= X
        I(bpf.TAX, 0, 0, 0),
        I(bpf.LD_MEM, 0, 0, 4),
        I(0xAC, 0, 0, 0),  # A ^= X
        I(bpf.ALU_NEG, 0, 0, 0),
        I(bpf.RET_A, 0, 0, 0),
    ]
    assert bpf.emulate(program, arch=Arch.X86_64, nr=0) == (-((45 // 4 << 4) ^ 45)) & 0xFFFF_FFFF
    div_by_x = [I(bpf.LDX_IMM, 0, 0, 0), I(bpf.LD_IMM, 0, 0, 9), I(0x3C, 0, 0, 0), RET_ALLOW]
    assert bpf.emulate(div_by_x, arch=Arch.X86_64, nr=0) == 0
    jset_x = [I(bpf.LDX_IMM, 0, 0, 4), I(bpf.LD_W_ABS, 0, 0, 0), I(bpf.JSET_X, 1, 0, 0),
              errno(1), errno(2)]  # fmt: skip
    assert bpf.emulate(jset_x, arch=Arch.X86_64, nr=5) == 0x0005_0002
    assert bpf.emulate(jset_x, arch=Arch.X86_64, nr=3) == 0x0005_0001


def test_emulate_rejects_bad_programs_and_args() -> None:
    with pytest.raises(BPFError):
        bpf.emulate([I(bpf.LD_IMM, 0, 0, 0)], arch=Arch.X86_64, nr=0)
    with pytest.raises(InputError, match="at most 6"):
        bpf.emulate([RET_ALLOW], arch=Arch.X86_64, nr=0, args=(0,) * 7)


# -- emulation against the kernel ----------------------------------------------------------------

_SAFE_OPS = [bpf.LD_W_ABS, bpf.LD_IMM, bpf.LDX_IMM, bpf.TAX, bpf.TXA, bpf.ALU_NEG, 0x04, 0x0C,
             0x14, 0x1C, 0x24, 0x2C, 0x34, 0x44, 0x4C, 0x54, 0x5C, 0x64, 0x6C, 0x74, 0x7C,
             0xA4, 0xAC, bpf.ST, bpf.STX, bpf.LD_MEM, bpf.JA, *sorted(bpf._JUMPS)]  # fmt: skip


@st.composite
def programs(draw: st.DrawFn) -> list[Instruction]:
    """Valid programs whose every return is an ERRNO (so loading them executes nothing).
    Division by X is left out: by a zero X the program returns 0, KILL_THREAD (tested below)."""
    n = draw(st.integers(1, 24))
    body = []
    for pc in range(n):
        code = draw(st.sampled_from(_SAFE_OPS))
        room = n - pc - 1 + 3  # instructions after this one (3 returns at the end)
        jt = jf = 0
        k = draw(st.one_of(st.integers(0, 0xFFFF_FFFF), st.integers(0, 40)))
        if code == bpf.LD_W_ABS:
            # nr, arch and the args; not instruction_pointer (offsets 8 and 12): the harness's
            # syscall site decides it, so no event can pin it for the emulator.
            k = draw(st.sampled_from([0, 4, *range(16, 64, 4)]))
        elif code in (bpf.ST, bpf.STX, bpf.LD_MEM):
            k = draw(st.integers(0, 3))
        elif code in (0x64, 0x74):
            k = draw(st.integers(0, 31))
        elif code == 0x34:
            k = draw(st.integers(1, 0xFFFF_FFFF))
        elif code == bpf.JA:
            k = draw(st.integers(0, room - 1))
        elif code in bpf._JUMPS:
            jt, jf = draw(st.integers(0, room - 1)), draw(st.integers(0, room - 1))
        body.append(I(code, jt, jf, k))
    tail = [errno(draw(st.integers(1, 4095))) for _ in range(3)]
    program = body + tail
    try:
        bpf.check(program)
    except BPFError:
        assume(False)
    return program


_U64 = st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2**32 - 1, 2**32, 2**64 - 1]))


@pytest.mark.kernel
@given(
    program=programs(),
    events=st.lists(
        st.tuples(st.integers(0, 334) | st.integers(337, 2**31 - 1), st.tuples(*[_U64] * 6)),
        min_size=1,
        max_size=8,
    ),
)
def test_emulate_agrees_with_the_kernel(
    program: list[Instruction], events: list[tuple[int, tuple[int, ...]]]
) -> None:
    observed = run_events(bpf.encode(program), events)
    for (nr, args), err in zip(events, observed, strict=True):
        ret = bpf.emulate(program, arch=Arch.X86_64, nr=nr, args=args)
        assert ret & 0xFFFF_0000 == 0x0005_0000
        assert err == min(ret & 0xFFFF, 4095)


@pytest.mark.kernel
def test_division_by_a_zero_x_ends_with_0_in_the_kernel_too() -> None:
    """Return value 0 is KILL_THREAD, so the harness child dies instead of answering."""
    program = [I(bpf.LDX_IMM, 0, 0, 0), I(bpf.LD_IMM, 0, 0, 9), I(0x3C, 0, 0, 0), errno(1)]
    assert bpf.emulate(program, arch=Arch.X86_64, nr=110) == 0
    with pytest.raises(HarnessError, match="died"):
        run_events(bpf.encode(program), [110])
    assert run_events(bpf.encode([I(bpf.LDX_IMM, 0, 0, 3), *program[1:]]), [110]) == [1]


# -- disassembly -------------------------------------------------------------------------------


def test_disassemble_names_architectures_syscalls_and_actions() -> None:
    program = [
        I(bpf.LD_W_ABS, 0, 0, 4),
        I(bpf.JEQ_K, 0, 5, 0xC000_003E),
        I(bpf.LD_W_ABS, 0, 0, 0),
        I(bpf.JEQ_K, 2, 0, 59),  # execve
        I(bpf.JEQ_K, 2, 0, 0x4000_0208),  # x32 execve
        RET_ALLOW,
        I(bpf.RET_K, 0, 0, 0x8000_0000),
        errno(1),
    ]
    text = bpf.disassemble(program)
    lines = text.splitlines()
    assert lines[0].split() == ["line", "CODE", "JT", "JF", "K"]
    assert "A = arch" in lines[2]
    assert "if (A != ARCH_X86_64) goto 0007" in lines[3]
    assert "A = sys_number" in lines[4]
    assert "if (A == execve) goto 0006" in lines[5]
    assert "if (A == execve) goto 0007" in lines[6]
    assert "return ALLOW" in lines[7]
    assert lines[8].startswith(">0006") and "return KILL_PROCESS" in lines[8]
    assert "return ERRNO(1)" in lines[9]
    plain = bpf.disassemble(program, raw=False).splitlines()
    assert plain[0] == " 0000: A = arch"


def test_disassemble_shows_broken_programs() -> None:
    text = bpf.disassemble([I(bpf.JEQ_K, 9, 0, 1), I(0x28, 0, 0, 0)], raw=False)
    assert "goto ????" in text
    assert "bad opcode 0x0028" in text


def test_action_text() -> None:
    assert bpf.action_text(0x7FFF_0000) == "ALLOW"
    assert bpf.action_text(0x0005_0026) == "ERRNO(38)"
    assert bpf.action_text(0x7FF0_0001) == "TRACE(1)"
    assert bpf.action_text(0) == "KILL"
    assert bpf.action_text(0x8000_0000) == "KILL_PROCESS"
    assert bpf.action_text(0x7FC0_0000) == "USER_NOTIF"
    assert bpf.action_text(0x1234_0000) == "0x12340000"


def test_trace_and_longest_path() -> None:
    program = [
        I(bpf.LD_W_ABS, 0, 0, 0),
        I(bpf.JEQ_K, 0, 2, 1),
        I(bpf.LD_W_ABS, 0, 0, 16),
        I(bpf.JGT_K, 1, 0, 5),
        RET_ALLOW,
        errno(1),
    ]
    assert bpf.trace(program, arch=Arch.X86_64, nr=2) == [0, 1, 4]
    assert bpf.trace(program, arch=Arch.X86_64, nr=1, args=(9,)) == [0, 1, 2, 3, 5]
    assert bpf.trace(program, arch=Arch.X86_64, nr=1, args=(3,)) == [0, 1, 2, 3, 4]
    assert bpf.longest_path(program) == 5


@given(program=programs(), nr=st.integers(0, 2**32 - 1), args=st.tuples(*[_U64] * 6))
def test_trace_ends_where_emulate_returns(
    program: list[Instruction], nr: int, args: tuple[int, ...]
) -> None:
    path = bpf.trace(program, arch=Arch.X86_64, nr=nr, args=args)
    assert program[path[-1]].k == bpf.emulate(program, arch=Arch.X86_64, nr=nr, args=args)
    assert len(path) <= bpf.longest_path(program)
    assert path == sorted(set(path))  # forward only
