"""Classic BPF as seccomp uses it: decode, check, disassemble, emulate, load into a process.

Owns: the program model (:class:`Instruction`, :class:`Program`), the emulator that answers
like the kernel does, and loading a program into the calling process (:mod:`._load`, for forked
children). Knows nothing of profiles or libseccomp. May import: ``model``, ``errors``,
``syscalls``.
"""

from __future__ import annotations

from seccomp_kit.bpf._program import (
    ALLOWED as ALLOWED,
)
from seccomp_kit.bpf._program import (
    ALU_NEG as ALU_NEG,
)
from seccomp_kit.bpf._program import (
    JA as JA,
)
from seccomp_kit.bpf._program import (
    JEQ_K as JEQ_K,
)
from seccomp_kit.bpf._program import (
    JEQ_X as JEQ_X,
)
from seccomp_kit.bpf._program import (
    JGE_K as JGE_K,
)
from seccomp_kit.bpf._program import (
    JGE_X as JGE_X,
)
from seccomp_kit.bpf._program import (
    JGT_K as JGT_K,
)
from seccomp_kit.bpf._program import (
    JGT_X as JGT_X,
)
from seccomp_kit.bpf._program import (
    JSET_K as JSET_K,
)
from seccomp_kit.bpf._program import (
    JSET_X as JSET_X,
)
from seccomp_kit.bpf._program import (
    LD_IMM as LD_IMM,
)
from seccomp_kit.bpf._program import (
    LD_MEM as LD_MEM,
)
from seccomp_kit.bpf._program import (
    LD_W_ABS as LD_W_ABS,
)
from seccomp_kit.bpf._program import (
    LD_W_LEN as LD_W_LEN,
)
from seccomp_kit.bpf._program import (
    LDX_IMM as LDX_IMM,
)
from seccomp_kit.bpf._program import (
    LDX_MEM as LDX_MEM,
)
from seccomp_kit.bpf._program import (
    LDX_W_LEN as LDX_W_LEN,
)
from seccomp_kit.bpf._program import (
    MAX_INSTRUCTIONS,
    SECCOMP_DATA_SIZE,
    BPFError,
    Instruction,
    Program,
    action_text,
    check,
    decode,
    disassemble,
    emulate,
    encode,
    kernel_arch_code,
    longest_path,
    seccomp_data,
    trace,
)
from seccomp_kit.bpf._program import (
    RET_A as RET_A,
)
from seccomp_kit.bpf._program import (
    RET_K as RET_K,
)
from seccomp_kit.bpf._program import (
    ST as ST,
)
from seccomp_kit.bpf._program import (
    STX as STX,
)
from seccomp_kit.bpf._program import (
    TAX as TAX,
)
from seccomp_kit.bpf._program import (
    TXA as TXA,
)

# Public names outside __all__ stay importable from here, as from the former module.
__all__ = [
    "MAX_INSTRUCTIONS",
    "SECCOMP_DATA_SIZE",
    "BPFError",
    "Instruction",
    "Program",
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
