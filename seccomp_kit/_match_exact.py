"""The code libseccomp actually generates for argument conditions, run directly.

libseccomp 2.5's BPF generator does not always follow its own rule tree: a node that compares
the same 32-bit word as the node before it on its level skips reloading the accumulator, but
it is also reached when a deeper level falls through, with another word still loaded (the
reload libseccomp inserts while laying out the program covers only the first block that jumps
there). The kernel runs that code, so for syscalls whose answer depends on arguments the matcher
runs the same code: the program :func:`seccomp_kit.compile.compile_translation` builds, from the
first instruction of the syscall's argument chain. The rule tree of :mod:`._match_db` still
names the deciding rule; where the two disagree the verdict says so.

Needs libseccomp; without it the matcher answers from the rule tree alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from seccomp_kit import bpf
from seccomp_kit.arches import arch_info
from seccomp_kit.errors import SeccompKitError
from seccomp_kit.translate import Translation

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["ExactCode", "build"]

_LD_ABS = 0x20
_AND_K = 0x54
_JA = 0x05
_JEQ = 0x15
_JGT = 0x25
_JGE = 0x35
_JSET = 0x45
_RET = 0x06
_SUPPORTED = frozenset({_LD_ABS, _AND_K, _JA, _JEQ, _JGT, _JGE, _JSET, _RET})
_U32 = 0xFFFF_FFFF


class ExactCode:
    """One compiled program and the entry of each syscall's argument chain in it."""

    def __init__(self, translation: Translation, instructions: Sequence[bpf.Instruction]) -> None:
        self.little = arch_info(translation.architectures[0]).little_endian
        ops: list[tuple[int, int, int, int]] = []
        for pc, ins in enumerate(instructions):
            if ins.code == _JA:
                ops.append((_JA, pc + 1 + ins.k, 0, 0))
            elif ins.code in (_JEQ, _JGT, _JGE, _JSET):
                ops.append((ins.code, pc + 1 + ins.jt, pc + 1 + ins.jf, ins.k))
            else:
                ops.append((ins.code, 0, 0, ins.k))
        self.ops = ops
        self.supported = all(op[0] in _SUPPORTED for op in ops)
        self._heads: dict[tuple[int, int], int | None] = {}

    def _words(self, audit: int, nr: int, args: Sequence[int]) -> list[int]:
        words = [nr & _U32, audit, 0, 0]
        for i in range(6):
            v = args[i] if i < len(args) else 0
            lo, hi = v & _U32, (v >> 32) & _U32
            words += (lo, hi) if self.little else (hi, lo)
        return words

    def head(self, audit: int, nr: int) -> int | None:
        """The first instruction of ``nr``'s argument chain (it always loads an argument)."""
        key = (audit, nr)
        if key not in self._heads:
            self._heads[key] = self._find_head(audit, nr)
        return self._heads[key]

    def _find_head(self, audit: int, nr: int) -> int | None:
        ops = self.ops
        words = self._words(audit, nr, ())
        pc = 0
        a = 0
        for _ in range(len(ops) + 1):
            code, t, f, k = ops[pc]
            if code == _LD_ABS:
                if k >= 16:
                    return pc
                a = words[k >> 2]
                pc += 1
            elif code == _AND_K:
                a &= k
                pc += 1
            elif code == _JA:
                pc = t
            elif code == _RET:
                return None
            else:
                pc = t if _test(code, a, k) else f
        return None

    def run(self, head: int, args: Sequence[int]) -> int:
        """The return value of the chain starting at ``head`` for ``args``."""
        ops = self.ops
        words = self._words(0, 0, args)
        pc = head
        a = 0
        while True:
            code, t, f, k = ops[pc]
            if code == _LD_ABS:
                a = words[k >> 2]
                pc += 1
            elif code == _AND_K:
                a &= k
                pc += 1
            elif code == _JA:
                pc = t
            elif code == _RET:
                return k
            else:
                pc = t if _test(code, a, k) else f

    def run_many(
        self, head: int, args: np.ndarray[Any, Any], rows: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """:meth:`run` for ``args[rows]`` (an N x 6 uint64 array), vectorized per instruction.

        Each pending instruction holds the rows that reach it with their accumulator values;
        a row's path is followed exactly, stale accumulator included."""
        import numpy as np

        out = np.empty(len(rows), dtype=np.uint32)
        words: dict[int, np.ndarray[Any, Any]] = {}
        order = np.arange(len(rows), dtype=np.intp)
        zero = np.zeros(len(rows), dtype=np.uint32)
        pending: dict[int, list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]] = {
            head: [(order, zero)]
        }
        ops = self.ops
        while pending:
            pc = min(pending)
            parts = pending.pop(pc)
            if len(parts) == 1:
                sel, acc = parts[0]
            else:
                sel = np.concatenate([p[0] for p in parts])
                acc = np.concatenate([p[1] for p in parts])
            if len(sel) == 0:
                continue
            code, t, f, k = ops[pc]
            if code == _LD_ABS:
                col = words.get(k)
                if col is None:
                    col = words[k] = self._word_column(args, rows, k)
                pending.setdefault(pc + 1, []).append((sel, col[sel]))
            elif code == _AND_K:
                pending.setdefault(pc + 1, []).append((sel, acc & np.uint32(k)))
            elif code == _JA:
                pending.setdefault(t, []).append((sel, acc))
            elif code == _RET:
                out[sel] = k
            else:
                if code == _JEQ:
                    hit = acc == k
                elif code == _JGT:
                    hit = acc > k
                elif code == _JGE:
                    hit = acc >= k
                else:
                    hit = (acc & np.uint32(k)) != 0
                miss = ~hit
                pending.setdefault(t, []).append((sel[hit], acc[hit]))
                pending.setdefault(f, []).append((sel[miss], acc[miss]))
        return out

    def _word_column(
        self, args: np.ndarray[Any, Any], rows: np.ndarray[Any, Any], k: int
    ) -> np.ndarray[Any, Any]:
        import numpy as np

        if k < 16:  # nr, arch, instruction pointer: not used inside argument chains
            return np.zeros(len(rows), dtype=np.uint32)
        index, half = divmod(k - 16, 8)
        col = np.take(args[:, index], rows)
        high = (half == 4) == self.little
        word = (col >> np.uint64(32)) if high else col
        result: np.ndarray[Any, Any] = word.astype(np.uint32)
        return result


def _test(code: int, a: int, k: int) -> bool:
    if code == _JEQ:
        return a == k
    if code == _JGT:
        return a > k
    if code == _JGE:
        return a >= k
    return bool(a & k)


def build(translation: Translation) -> ExactCode | None:
    """Compile ``translation`` with libseccomp; None when libseccomp is unavailable or the
    program uses instructions this runner does not know."""
    try:
        from seccomp_kit.compile import compile_translation

        compiled = compile_translation(translation)
    except (SeccompKitError, ImportError, OSError):
        return None
    code = ExactCode(translation, compiled.instructions)
    return code if code.supported else None
