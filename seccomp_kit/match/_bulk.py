"""Bulk matching with numpy: one table lookup per event, argument chains per syscall group.

Per architecture a ``uint32`` table indexed by syscall number holds the return value of every
number whose answer does not depend on arguments. Two sentinel ranges that no filter returns
(``0x0001xxxx``: "argument chain number xxxx", ``0x00020000``: "outside the table") mark the
rest; those events are resolved afterwards. Argument chains are answered from libseccomp's
generated code compiled into one table (:class:`._exact.Decision`: the outcomes of the
distinct comparisons the code makes index the return value), or, when that table would be too
large, by running the code per syscall group, one numpy pass per instruction (the rule tree
without libseccomp). Work proceeds a chunk at a time so temporaries are bounded by the chunk
size, whatever the input size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from seccomp_kit.bpf import kernel_arch_code
from seccomp_kit.errors import InputError
from seccomp_kit.libseccomp._db import Node, level_start
from seccomp_kit.model import Arch, Operator
from seccomp_kit.syscalls import table
from seccomp_kit.syscalls.arches import X32_SYSCALL_BIT

if TYPE_CHECKING:  # pragma: no cover
    from seccomp_kit.match._exact import Decision
    from seccomp_kit.match._scalar import Matcher

__all__ = ["BulkTable", "match_many"]

_CHAIN = 0x0001_0000
_OUTSIDE = 0x0002_0000
_TABLE_LIMIT = 1 << 16
_BLOCK = 1 << 15  # events whose argument words stay in cache while their chain is decided
_U32 = 0xFFFF_FFFF

U32Array = np.ndarray[Any, np.dtype[np.uint32]]
U64Array = np.ndarray[Any, np.dtype[np.uint64]]


class BulkTable:
    """The lookup table of one architecture."""

    def __init__(self, matcher: Matcher, arch: Arch) -> None:
        self.arch = arch
        self.audit = kernel_arch_code(arch)
        self.base = X32_SYSCALL_BIT if arch is Arch.X32 else 0
        group = matcher._group_for(arch)
        numbers = [nr - self.base for nr in table(arch).by_number]
        if group is not None:
            numbers += [nr - self.base for nr in group.entries if nr - self.base >= 0]
        if matcher.translation.enosys_limits:
            numbers += [limit - self.base for _, limit in matcher.translation.enosys_limits]
        size = min(max((n for n in numbers if 0 <= n < _TABLE_LIMIT), default=0) + 2, _TABLE_LIMIT)
        self.size = size
        values = np.empty(size + 1, dtype=np.uint32)
        self.chains: list[int] = []
        for i in range(size):
            ret = matcher._nr_only(arch, self.base + i)
            if ret is None:
                values[i] = _CHAIN | len(self.chains)
                self.chains.append(self.base + i)
            else:
                values[i] = ret
        values[size] = _OUTSIDE
        self.values = values
        self._decision: Decision | bool | None = False  # False: not built yet

    def decision(self, matcher: Matcher) -> Decision | None:
        """The argument chains of the table as one lookup (None without libseccomp's code or
        when the chains compare too many distinct words)."""
        if self._decision is False:
            self._decision = None
            code = matcher.exact_code()
            if code is not None and self.chains:
                heads = [code.head(self.audit, nr) for nr in self.chains]
                if all(h is not None for h in heads):
                    self._decision = code.decision([h for h in heads if h is not None])
        assert self._decision is not True
        return self._decision


def _as_nrs(nrs: Any) -> U32Array:
    arr = np.asarray(nrs)
    if arr.ndim != 1:
        raise InputError(f"syscall numbers must be a 1-D array, got shape {arr.shape}")
    if arr.dtype == np.uint32:
        return arr
    if arr.dtype.kind not in "iu":
        raise InputError(f"syscall numbers must be integers, got {arr.dtype}")
    return (arr.astype(np.int64, copy=False) & _U32).astype(np.uint32)


def _as_args(args: Any, n: int) -> U64Array | None:
    if args is None:
        return None
    arr = np.asarray(args)
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] > 6:
        raise InputError(f"arguments must be an N x 6 array (N = {n}), got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise InputError(f"arguments must be integers, got {arr.dtype}")
    if arr.dtype != np.uint64:
        arr = arr.astype(np.uint64)
    if arr.shape[1] < 6:
        arr = np.concatenate([arr, np.zeros((n, 6 - arr.shape[1]), dtype=np.uint64)], axis=1)
    return arr


def match_many(matcher: Matcher, arch: Arch, nrs: Any, args: Any, *, chunk_size: int) -> U32Array:
    if chunk_size < 1:
        raise InputError(f"chunk_size must be positive, got {chunk_size}")
    nr_arr = _as_nrs(nrs)
    n = len(nr_arr)
    arg_arr = _as_args(args, n)
    bulk = matcher._bulk.get(arch)
    if bulk is None:
        bulk = matcher._bulk[arch] = BulkTable(matcher, arch)
    out = np.empty(n, dtype=np.uint32)
    size = np.uint32(bulk.size)
    base = np.uint32(bulk.base)
    scratch = np.empty(min(chunk_size, n), dtype=np.uint32)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        chunk = nr_arr[start:stop]
        idx = scratch[: stop - start]
        if bulk.base:
            np.subtract(chunk, base, out=idx)
            np.minimum(idx, size, out=idx)
        else:
            np.minimum(chunk, size, out=idx)
        res = out[start:stop]
        np.take(bulk.values, idx, out=res)
        # one pass finds both sentinel ranges: 0x1xxxx and 0x2xxxx are below 0x20001 after -0x10000
        np.subtract(res, np.uint32(_CHAIN), out=idx)
        marked = idx <= np.uint32(_OUTSIDE - _CHAIN)
        count = int(np.count_nonzero(marked))
        if count == 0:
            continue
        if count == len(res) and arg_arr is not None:
            # Every event of the chunk needs its arguments: when all of them are argument
            # chains, one table lookup per event, a cache-sized block at a time.
            decision = bulk.decision(matcher)
            if decision is not None and bool((idx < np.uint32(_OUTSIDE - _CHAIN)).all()):
                words = np.ascontiguousarray(arg_arr[start:stop]).view(np.uint32)
                words = words.reshape(-1, 12)
                for at in range(0, len(res), _BLOCK):
                    block = slice(at, at + _BLOCK)
                    decision.lookup_into(idx[block], words[block], res[block])
                continue
        special = np.flatnonzero(marked)
        if len(special):
            _resolve(
                matcher,
                bulk,
                chunk,
                res,
                special,
                args=None if arg_arr is None else arg_arr[start:stop],
            )
    return out


def _resolve(
    matcher: Matcher,
    bulk: BulkTable,
    nrs: U32Array,
    res: U32Array,
    rows: np.ndarray[Any, Any],
    *,
    args: U64Array | None,
) -> None:
    marks = res[rows]
    inside = marks < _OUTSIDE
    chain_rows = rows[inside]
    if len(chain_rows):
        ids = marks[inside] & np.uint32(0xFFFF)
        decision = None if args is None else bulk.decision(matcher)
        if decision is not None and args is not None:
            words = np.ascontiguousarray(args).view(np.uint32).reshape(-1, 12)
            whole = len(chain_rows) == len(res)
            res[chain_rows] = decision.lookup(ids, words if whole else words[chain_rows])
        else:
            present = np.flatnonzero(np.bincount(ids, minlength=len(bulk.chains)))
            for chain_id in present.tolist():
                sel = chain_rows if len(present) == 1 else chain_rows[ids == chain_id]
                res[sel] = _run_chain(matcher, bulk, bulk.chains[chain_id], sel, args)
    outside = rows[~inside]
    if len(outside):
        values = nrs[outside]
        uniq, inverse = np.unique(values, return_inverse=True)
        for j, nr in enumerate(uniq.tolist()):
            sel = outside[inverse == j]
            ret = matcher._nr_only(bulk.arch, nr)
            res[sel] = _run_chain(matcher, bulk, nr, sel, args) if ret is None else ret


def _run_chain(
    matcher: Matcher, bulk: BulkTable, nr: int, rows: np.ndarray[Any, Any], args: U64Array | None
) -> U32Array:
    code = matcher.exact_code()
    head = None if code is None else code.head(bulk.audit, nr)
    if code is not None and head is not None:
        if args is None:
            return code.run_many(head, np.zeros((1, 6), dtype=np.uint64), np.zeros_like(rows))
        return code.run_many(head, args, rows)
    sub = np.zeros((len(rows), 6), dtype=np.uint64) if args is None else args[rows]
    group = matcher._group_for(bulk.arch)
    assert group is not None
    entry = group.entries[nr]
    assert entry.chains is not None
    out = np.full(len(rows), matcher.translation.default_action, dtype=np.uint32)
    _tree_many(entry.chains, sub, np.arange(len(rows)), out)
    return out


def _tree_many(
    head: Node, args: U64Array, rows: np.ndarray[Any, Any], out: U32Array
) -> np.ndarray[Any, Any]:
    """:func:`seccomp_kit.libseccomp._db.evaluate` over many rows; returns the rows that fell
    through."""
    node: Node | None = level_start(head)
    pending = rows
    while node is not None and len(pending):
        col = args[pending, node.arg]
        word = ((col >> np.uint64(32)) if node.hi else col) & np.uint64(_U32)
        word &= np.uint64(node.mask)
        if node.op is Operator.GT:
            hit = word > node.datum
        elif node.op is Operator.GE:
            hit = word >= node.datum
        else:
            hit = word == node.datum
        left = []
        for branch, nxt, act in ((hit, node.nxt_t, node.act_t), (~hit, node.nxt_f, node.act_f)):
            sel = pending[branch]
            if nxt is not None:
                left.append(_tree_many(nxt, args, sel, out))
            elif act is not None:
                out[sel] = act[0]
            else:
                left.append(sel)
        pending = np.sort(np.concatenate(left)) if left else pending[:0]
        node = node.lvl_nxt
    return pending
