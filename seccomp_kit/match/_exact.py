"""The code libseccomp actually generates for argument conditions, run directly.

libseccomp 2.5's BPF generator does not always follow its own rule tree: a node that compares
the same 32-bit word as the node before it on its level skips reloading the accumulator, but
it is also reached when a deeper level falls through, with another word still loaded (the
reload libseccomp inserts while laying out the program covers only the first block that jumps
there). The kernel runs that code, so for syscalls whose answer depends on arguments the matcher
runs the same code: the program
:func:`seccomp_kit.libseccomp.compile.compile_translation` builds, from the first instruction of
the syscall's argument chain. The rule tree of :mod:`seccomp_kit.libseccomp._db` still names the
deciding rule; where the two disagree the verdict says so.

Needs libseccomp; without it the matcher answers from the rule tree alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from seccomp_kit import bpf
from seccomp_kit.errors import SeccompKitError
from seccomp_kit.libseccomp.translate import Translation
from seccomp_kit.syscalls.arches import arch_info

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["Decision", "ExactCode", "build"]

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

    def run_all(self, audit: int, nr: int, args: Sequence[int]) -> int:
        """The whole program's return value for one syscall (from its first instruction)."""
        return self._execute(0, self._words(audit, nr, args))

    def run(self, head: int, args: Sequence[int]) -> int:
        """The return value of the chain starting at ``head`` for ``args``."""
        return self._execute(head, self._words(0, 0, args))

    def _execute(self, pc: int, words: Sequence[int]) -> int:
        ops = self.ops
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

    def _column(self, k: int) -> int:
        """The column of the 32-bit word at seccomp_data offset ``k`` in a uint32 view of the
        arguments (host order), -1 for the words before the arguments."""
        import sys

        if k < 16:
            return -1
        index, half = divmod(k - 16, 8)
        high = (half == 4) == self.little
        return 2 * index + (high if sys.byteorder == "little" else not high)

    def _step(self, pc: int, acc: _Acc) -> list[tuple[int, _Acc, Atom | None, bool]]:
        """Where the code goes from ``pc`` with ``acc``: (next pc, accumulator, the comparison
        that must hold (None: always), its required outcome); an empty list at a return."""
        code, t, f, k = self.ops[pc]
        column, mask = acc
        if code == _LD_ABS:
            col = self._column(k)
            return [(pc + 1, (col, 0) if col < 0 else (col, _U32), None, True)]
        if code == _AND_K:
            # a word masked to nothing is the constant 0 (libseccomp's MASKED_EQ with mask 0)
            return [(pc + 1, (column, mask & k) if mask & k or column < 0 else (-1, 0), None, True)]
        if code == _JA:
            return [(t, acc, None, True)]
        if code == _RET:
            return []
        if column < 0:
            return [(t if _test(code, mask, k) else f, acc, None, True)]
        if code == _JSET:
            if mask & k == 0:
                return [(f, acc, None, True)]
            atom: Atom = (_JSET, column, mask & k, 0)
        else:
            atom = (code, column, mask, k)
        return [(t, acc, atom, True), (f, acc, atom, False)]

    def _atoms(self, head: int) -> list[Atom]:
        found: dict[Atom, None] = {}
        seen: set[tuple[int, _Acc]] = set()
        stack: list[tuple[int, _Acc]] = [(head, (-1, 0))]
        while stack:
            state = stack.pop()
            if state in seen:
                continue
            seen.add(state)
            for nxt, acc, atom, _ in self._step(*state):
                if atom is not None:
                    found[atom] = None
                stack.append((nxt, acc))
        return list(found)

    def decision(self, heads: Sequence[int]) -> Decision | None:
        """The chains starting at ``heads`` as one :class:`Decision` (None when they make too
        many distinct comparisons for a table)."""
        import numpy as np

        atoms: dict[Atom, int] = {}
        for head in heads:
            for atom in self._atoms(head):
                atoms.setdefault(atom, len(atoms))
                if len(atoms) > _MAX_ATOMS:
                    return None
        bits = len(atoms)
        if len(heads) << bits > _MAX_TABLE:
            return None
        table = np.empty(len(heads) << bits, dtype=np.uint32)
        codes = np.arange(1 << bits, dtype=np.uint32)
        for i, head in enumerate(heads):
            out = table[i << bits : (i + 1) << bits]
            pending: dict[tuple[int, _Acc], list[np.ndarray[Any, Any]]] = {(head, (-1, 0)): [codes]}
            while pending:
                state = min(pending)
                parts = pending.pop(state)
                sel = parts[0] if len(parts) == 1 else np.concatenate(parts)
                if len(sel) == 0:
                    continue
                steps = self._step(*state)
                if not steps:
                    out[sel] = self.ops[state[0]][3]
                for nxt, acc, test, want in steps:
                    if test is None:
                        part = sel
                    else:
                        bit = (sel >> np.uint32(atoms[test])) & np.uint32(1)
                        part = sel[bit.astype(np.bool_) == want]
                    pending.setdefault((nxt, acc), []).append(part)
        return Decision(list(atoms), table)

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


# A symbolic accumulator: (column, mask) is ``word[column] & mask`` where columns index the
# arguments viewed as 32-bit words in host order (argument i: columns 2i, 2i + 1); column -1 is
# the constant ``mask`` (seccomp_data's first words read as 0, as in :meth:`ExactCode.run`).
_Acc = tuple[int, int]
# A comparison of the accumulator with a constant: (jump code, column, mask, datum).
Atom = tuple[int, int, int, int]
_MAX_ATOMS = 16
_MAX_TABLE = 1 << 20


class Decision:
    """Several argument chains compiled to one lookup: each distinct comparison the chains'
    code makes (a 32-bit argument word, masked, against a constant) is one bit of a code; a
    table maps (chain, code) to the return value the code reaches, following the code's own
    control flow (stale accumulators included), so the answer is the program's."""

    def __init__(self, atoms: list[Atom], table: np.ndarray[Any, Any]) -> None:
        self.atoms = atoms
        self.bits = len(atoms)
        self.table = table

    def codes(self, words: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The code of every row of ``words`` (an N x 12 uint32 view of N x 6 arguments)."""
        import numpy as np

        n = len(words)
        # A strided column read costs ten contiguous comparisons: read each word once.
        columns: dict[tuple[int, int], np.ndarray[Any, Any]] = {}
        code = np.zeros(n, dtype=np.uint16)
        hit = np.empty(n, dtype=np.bool_)
        shifted = np.empty(n, dtype=np.uint16)
        for i, (op, column, mask, datum) in enumerate(self.atoms):
            col = columns.get((column, mask))
            if col is None:
                col = columns.get((column, _U32))
                if col is None:
                    col = columns[column, _U32] = np.ascontiguousarray(words[:, column])
                if mask != _U32:
                    col = columns[column, mask] = col & np.uint32(mask)
            if op == _JEQ:
                np.equal(col, np.uint32(datum), out=hit)
            elif op == _JGT:
                np.greater(col, np.uint32(datum), out=hit)
            elif op == _JGE:
                np.greater_equal(col, np.uint32(datum), out=hit)
            else:
                np.not_equal(col, np.uint32(0), out=hit)
            np.left_shift(hit, i, out=shifted, dtype=np.uint16)
            np.bitwise_or(code, shifted, out=code)
        return code

    def lookup(
        self, chain: np.ndarray[Any, Any], words: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """Return values for rows of ``words`` whose chain numbers are ``chain``."""
        import numpy as np

        out = np.empty(len(chain), dtype=np.uint32)
        self.lookup_into(chain.astype(np.uint32), words, out)
        return out

    def lookup_into(
        self, chain: np.ndarray[Any, Any], words: np.ndarray[Any, Any], out: np.ndarray[Any, Any]
    ) -> None:
        """:meth:`lookup` into ``out``; ``chain`` (uint32) is overwritten."""
        import numpy as np

        np.left_shift(chain, np.uint32(self.bits), out=chain)
        np.bitwise_or(chain, self.codes(words), out=chain)
        np.take(self.table, chain, out=out)


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
        from seccomp_kit.libseccomp.compile import compile_translation

        compiled = compile_translation(translation)
    except (SeccompKitError, ImportError, OSError):
        return None
    code = ExactCode(translation, compiled.instructions)
    return code if code.supported else None
