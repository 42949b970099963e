"""libseccomp's per-syscall rule database, rebuilt in Python so the matcher agrees with it.

libseccomp 2.5 does not keep the rules a runtime adds; it folds them, per architecture and
syscall, into a decision tree (``src/db.c``) and generates BPF from that tree
(``src/gen_bpf.c``). Whatever the tree says is what the kernel does, so this module builds the
same tree with the same steps and walks it the way the generated BPF does:

- every argument comparison becomes 32-bit nodes: on 64-bit architectures a high-word and a
  low-word node (three nodes for GT/GE/LT/LE), on 32-bit architectures one low-word node;
  NE/LT/LE are rewritten as EQ/GE/GT with the action on the false branch; datums are masked;
- a node level is a sorted list of alternatives: higher argument (and high word before low
  word) first, then EQ/NE/MASKED_EQ before LT/LE before GT/GE, then by datum;
- adding a rule first prunes sub-trees the new one makes redundant, then merges it in; an
  unconditional rule replaces conditional ones, a later unconditional one or a conditional one
  after an unconditional one changes nothing, a clash of actions on the same leaf is EEXIST;
- walking a level: the first node whose comparison leads to an action decides; a comparison
  that leads nowhere, or a sub-level that falls off its end, continues with the next node of the
  level; falling off the top level means the default action.

Reference counts are kept because libseccomp's pruning decides by how many nodes it freed.
Each action remembers the profile rule that put it there, for explanations.
"""

from __future__ import annotations

from collections.abc import Sequence

from seccomp_kit.model import Operator

__all__ = [
    "EEXIST",
    "LOOPS",
    "ArgSpec",
    "Leaf",
    "Node",
    "SysEntry",
    "SyscallDB",
    "evaluate",
    "level_start",
]

_MASK32 = 0xFFFF_FFFF
_MASK64 = 0xFFFF_FFFF_FFFF_FFFF

# (index, operator, mask, datum) as libseccomp's db_col_rule_add stores a comparison.
ArgSpec = tuple[int, Operator, int, int]

EEXIST = 17
LOOPS = -1000
"""Returned by :meth:`SyscallDB.add` when libseccomp would never finish adding the rule."""
_BUDGET = 200_000  # node operations one rule add may take; real adds take a few hundred


class _Runaway(Exception):
    """libseccomp's algorithm does not terminate on this input (it loops in the C code too)."""


class _Steps:
    left = _BUDGET


def _step() -> None:
    _Steps.left -= 1
    if _Steps.left < 0:
        raise _Runaway


# iteration state flags of the pruning walk
_MATCH = 0x01
_MATCH_ONCE = 0x02
_X_FINISHED = 0x10
_N_FINISHED = 0x20
_X_PREFIX = 0x100
_N_PREFIX = 0x200
_M_MATCHSET = _MATCH | _MATCH_ONCE
_M_REDUNDANT = _MATCH | _X_FINISHED | _N_PREFIX

Leaf = tuple[int, object]
"""An action value and the origin (opaque: the matcher stores the rule) that set it."""


class Node:
    """One 32-bit comparison of the tree."""

    __slots__ = (
        "act_f",
        "act_t",
        "arg",
        "datum",
        "datum_full",
        "hi",
        "lvl_nxt",
        "lvl_prv",
        "mask",
        "nxt_f",
        "nxt_t",
        "op",
        "op_orig",
        "refcnt",
    )

    def __init__(
        self, arg: int, hi: bool, op: Operator, *, orig: Operator, mask: int, datum: int, full: int
    ) -> None:
        self.arg = arg
        self.hi = hi
        self.op = op
        self.op_orig = orig
        self.mask = mask
        self.datum = datum & mask
        self.datum_full = full
        self.nxt_t: Node | None = None
        self.nxt_f: Node | None = None
        self.act_t: Leaf | None = None
        self.act_f: Leaf | None = None
        self.lvl_prv: Node | None = None
        self.lvl_nxt: Node | None = None
        self.refcnt = 0


class SysEntry:
    """One syscall of one architecture's database: a tree, or an unconditional action."""

    __slots__ = ("action", "chains", "num")

    def __init__(self, num: int, chains: Node | None, action: Leaf | None) -> None:
        self.num = num
        self.chains = chains
        self.action = action


class _Ref:
    """A settable pointer: to an attribute of an object or to a local box."""

    __slots__ = ("name", "obj")

    def __init__(self, obj: object, name: str) -> None:
        self.obj = obj
        self.name = name

    def get(self) -> Node | None:
        value: Node | None = getattr(self.obj, self.name)
        return value

    def set(self, value: Node | None) -> None:
        setattr(self.obj, self.name, value)


class _Box:
    __slots__ = ("v",)

    def __init__(self, v: Node | None) -> None:
        self.v = v

    def get(self) -> Node | None:
        return self.v

    def set(self, value: Node | None) -> None:
        self.v = value


_Ptr = _Ref | _Box


class _State:
    __slots__ = ("action", "flags", "sx")

    def __init__(self, sx: SysEntry, action: int = 0, flags: int = 0) -> None:
        self.sx = sx
        self.action = action
        self.flags = flags

    def copy(self) -> _State:
        return _State(self.sx, self.action, self.flags)


# -- ordering ---------------------------------------------------------------------------------

_OP_PRIORITY = {
    Operator.MASKED_EQ: 3,
    Operator.EQ: 3,
    Operator.NE: 3,
    Operator.LE: 2,
    Operator.LT: 2,
    Operator.GE: 1,
    Operator.GT: 1,
}


def _arg_priority(n: Node) -> int:
    return (n.arg << 1) + (1 if n.hi else 0)


def _lt(a: Node, b: Node) -> bool:
    pa, pb = _arg_priority(a), _arg_priority(b)
    if pa != pb:
        return pa < pb
    oa, ob = _OP_PRIORITY[a.op_orig], _OP_PRIORITY[b.op_orig]
    if oa != ob:
        return oa < ob
    if a.op_orig in (Operator.LE, Operator.LT):
        # smaller bounds sort first for LT/LE
        return a.datum > b.datum
    return a.datum < b.datum


def _eq(a: Node, b: Node) -> bool:
    return (
        _arg_priority(a) == _arg_priority(b)
        and a.op == b.op
        and a.datum == b.datum
        and a.mask == b.mask
    )


def _leaf(n: Node) -> bool:
    return n.nxt_t is None and n.nxt_f is None


def _zombie(n: Node) -> bool:
    return _leaf(n) and n.act_t is None and n.act_f is None


def _first(n: Node) -> Node:
    while n.lvl_prv is not None:
        _step()
        n = n.lvl_prv
    return n


def level_start(n: Node) -> Node:
    """The first node of ``n``'s level (on a finished tree, where levels are lists)."""
    while n.lvl_prv is not None:
        n = n.lvl_prv
    return n


# -- reference counting -----------------------------------------------------------------------


def _get(n: Node | None) -> Node | None:
    if n is not None:
        n.refcnt += 1
    return n


def _level_clean(node: Node) -> int:
    start = _first(node)
    n: Node | None = start
    while n is not None:
        _step()
        links = (n.lvl_prv is not None) + (n.lvl_nxt is not None)
        if n.refcnt > links:
            return 0
        n = n.lvl_nxt
    cnt = 0
    box = _Box(start)
    while box.v is not None:
        cnt += _put(box)
    return cnt


def _tree_put(ptr: _Ptr) -> int:
    cnt = _put(ptr)
    head = ptr.get()
    if head is not None:
        cnt += _level_clean(head)
    return cnt


def _put(ptr: _Ptr) -> int:
    _step()
    n = ptr.get()
    if n is None:
        return 0
    n.refcnt -= 1
    if n.refcnt != 0:
        return 0
    cnt = 0
    prv, nxt = _Box(n.lvl_prv), _Box(n.lvl_nxt)
    nxt_t, nxt_f = n.nxt_t, n.nxt_f
    if prv.v is not None:
        prv.v.lvl_nxt = None
    if nxt.v is not None:
        nxt.v.lvl_prv = None
    if prv.v is not None:
        cnt += _put(prv)
    if nxt.v is not None:
        cnt += _put(nxt)
    if prv.v is not None:
        prv.v.lvl_nxt = _get(nxt.v)
    if nxt.v is not None:
        nxt.v.lvl_prv = _get(prv.v)
    ptr.set(prv.v if prv.v is not None else nxt.v)
    cnt += _tree_put(_Box(nxt_t))
    cnt += _tree_put(_Box(nxt_f))
    return cnt + 1


def _tree_remove(tree: _Ptr, node: Node) -> int:
    head = tree.get()
    if head is None:
        return 0
    cnt = 0
    c: Node | None = _first(head)
    while True:
        assert c is not None
        if c is node:
            break
        cnt += _tree_remove(_Ref(c, "nxt_t"), node)
        cnt += _tree_remove(_Ref(c, "nxt_f"), node)
        if _zombie(c):
            break
        c = c.lvl_nxt
        if c is None or cnt != 0:
            return cnt
    # unlink c from its level, then drop it with everything beneath
    if c is tree.get():
        tree.set(c.lvl_prv if c.lvl_prv is not None else c.lvl_nxt)
    if c.lvl_prv is not None:
        c.lvl_prv.lvl_nxt = c.lvl_nxt
    if c.lvl_nxt is not None:
        c.lvl_nxt.lvl_prv = c.lvl_prv
    c.lvl_prv = c.lvl_nxt = None
    return cnt + _put(_Box(c))


def _act_check(tree: Node | None, action: int) -> int:
    """0 when every action in ``tree`` is ``action``, else -EEXIST."""
    if tree is None:
        return 0
    c: Node | None = _first(tree)
    while c is not None:
        if c.act_t is not None and c.act_t[0] != action:
            return -EEXIST
        if c.act_f is not None and c.act_f[0] != action:
            return -EEXIST
        if _act_check(c.nxt_t, action) < 0 or _act_check(c.nxt_f, action) < 0:
            return -EEXIST
        c = c.lvl_nxt
    return 0


# -- pruning ----------------------------------------------------------------------------------


def _prune(existing: _Ptr, new: Node | None, state: _State) -> int:
    _step()
    cnt = 0
    state_new = state.copy()
    x = existing.get()
    n = new
    matched = False
    if n is None or x is None or (state.flags & _M_MATCHSET) == _MATCH_ONCE:
        matched = True  # "return" path keeps the flags below
    else:
        xb = _Box(_first(x))
        while xb.v is not None:
            xi = xb.v
            x_next = xi.lvl_nxt
            if _eq(xi, n):
                state_new.flags |= _M_MATCHSET
                if _leaf(n):
                    state_new.flags |= _N_FINISHED
                if _leaf(xi):
                    state_new.flags |= _X_FINISHED
                if (xi.act_t is not None or xi.nxt_t is not None) and not (
                    n.act_t is not None or n.nxt_t is not None
                ):
                    matched = True
                    break
                if (xi.act_f is not None or xi.nxt_f is not None) and not (
                    n.act_f is not None or n.nxt_f is not None
                ):
                    matched = True
                    break
                if (state_new.flags & _N_FINISHED) and (state_new.flags & _X_FINISHED):
                    if (n.act_t is None) != (xi.act_t is None) or _val(n.act_t) != _val(xi.act_t):
                        matched = True
                        break
                    if (n.act_f is None) != (xi.act_f is None) or _val(n.act_f) != _val(xi.act_f):
                        matched = True
                        break
                gone = False
                for attr, sub in (("nxt_t", n.nxt_t), ("nxt_f", n.nxt_f)):
                    if sub is None:
                        continue
                    _get(xb.v)
                    nxt_state = state.copy()
                    nxt_state.flags |= _M_MATCHSET
                    cnt += _prune(_Ref(xb.v, attr), sub, nxt_state)
                    cnt += _put(xb)
                    if nxt_state.flags & _MATCH:
                        state_new.flags |= nxt_state.flags
                    if xb.v is None:
                        gone = True
                        break
                if gone:
                    xb.v = x_next
                    continue
                xi = xb.v
                assert xi is not None
                if (
                    not _act_check(xi, state_new.action)
                    and (state_new.flags & _MATCH)
                    and (state_new.flags & _N_FINISHED)
                    and (state_new.flags & _X_PREFIX)
                ):
                    cnt += _tree_remove(_Ref(state.sx, "chains"), xi)
                    if state.sx.chains is None:
                        matched = True
                        break
                elif (
                    not _act_check(xi, state_new.action)
                    and (state_new.flags & _MATCH)
                    and (state_new.flags & _X_FINISHED)
                    and (state_new.flags & _N_PREFIX)
                ):
                    matched = True
                    break
            elif _lt(xi, n):
                if state.flags & _N_PREFIX:
                    matched = True
                    break
                stop, gone, cnt = _prune_descend(
                    xb, n, state, state_new=state_new, cnt=cnt, down_existing=True
                )
                if stop:
                    matched = True
                    break
                if gone:
                    xb.v = x_next
                    continue
            else:
                if state.flags & _X_PREFIX:
                    matched = True
                    break
                stop, gone, cnt = _prune_descend(
                    xb, n, state, state_new=state_new, cnt=cnt, down_existing=False
                )
                if stop:
                    matched = True
                    break
                if gone:
                    xb.v = x_next
                    continue
            xb.v = x_next
        if not matched:
            state_new.flags &= ~_MATCH
    if state_new.flags & _MATCH:
        state.flags |= state_new.flags
    else:
        state.flags &= ~_MATCH
    return cnt


def _prune_descend(
    xb: _Box, n: Node, state: _State, *, state_new: _State, cnt: int, down_existing: bool
) -> tuple[bool, bool, int]:
    """Go one level down the existing tree (or the new one); (stop, node gone, count)."""
    prefix_flag = _X_PREFIX if down_existing else _N_PREFIX
    for attr in ("nxt_t", "nxt_f"):
        xi = xb.v
        assert xi is not None
        src = xi if down_existing else n
        sub = getattr(src, attr)
        if sub is None:
            continue
        _get(xi)
        nxt_state = state.copy()
        nxt_state.flags &= ~_MATCH
        nxt_state.flags |= prefix_flag
        if down_existing:
            cnt += _prune(_Ref(xi, attr), n, nxt_state)
        else:
            cnt += _prune(xb, sub, nxt_state)
        cnt += _put(xb)
        if nxt_state.flags & _MATCH:
            state_new.flags |= nxt_state.flags
            return True, False, cnt
        if xb.v is None:
            return False, True, cnt
    return False, False, cnt


def _val(leaf: Leaf | None) -> int | None:
    return None if leaf is None else leaf[0]


# -- merging ----------------------------------------------------------------------------------


def _add(existing: _Ptr, new: Node, state: _State) -> int:
    _step()
    x = existing.get()
    n = new
    while x is not None:
        if _eq(x, n):
            if n.act_t is not None:
                if x.act_t is None:
                    rc = _act_check(x.nxt_t, n.act_t[0])
                    if rc != 0:
                        return rc
                    _put(_Ref(x, "nxt_t"))
                    x.nxt_t = None
                    x.act_t = n.act_t
                elif n.act_t[0] != x.act_t[0]:
                    # libseccomp lets the larger 64-bit datum win for GT/GE
                    if n.hi and n.datum_full > x.datum_full:
                        x.act_t = n.act_t
                    if _leaf(x) or _leaf(n):
                        return -EEXIST
            if n.act_f is not None:
                if x.act_f is None:
                    rc = _act_check(x.nxt_f, n.act_f[0])
                    if rc != 0:
                        return rc
                    _put(_Ref(x, "nxt_f"))
                    x.nxt_f = None
                    x.act_f = n.act_f
                elif n.act_f[0] != x.act_f[0]:
                    # libseccomp 2.5 overwrites the TRUE action's value here (sic); the value
                    # only matters where the node already has a true action
                    if n.hi and n.datum_full < x.datum_full and x.act_t is not None:
                        x.act_t = n.act_t if n.act_t is not None else (0, x.act_t[1])
                    if _leaf(x) or _leaf(n):
                        return -EEXIST
            if n.nxt_t is not None:
                if x.nxt_t is not None:
                    rc = _add(_Ref(x, "nxt_t"), n.nxt_t, state)
                    if rc != 0:
                        return rc
                elif x.act_t is None:
                    x.nxt_t = _get(n.nxt_t)
                else:
                    return 0
            if n.nxt_f is not None:
                if x.nxt_f is not None:
                    rc = _add(_Ref(x, "nxt_f"), n.nxt_f, state)
                    if rc != 0:
                        return rc
                elif x.act_f is None:
                    x.nxt_f = _get(n.nxt_f)
                else:
                    return 0
            return 0
        if not _lt(x, n):
            if x.lvl_nxt is None:
                n.lvl_prv = _get(x)
                x.lvl_nxt = _get(n)
                return 0
            x = x.lvl_nxt
        else:
            if x.lvl_prv is not None:
                x.lvl_prv.lvl_nxt = _get(n)
                n.lvl_prv = x.lvl_prv
                x.lvl_prv = _get(n)
                n.lvl_nxt = x
            else:
                x.lvl_prv = _get(n)
                n.lvl_nxt = _get(x)
            if existing.get() is x:
                existing.set(_get(n))
                _put(_Box(x))
            return 0
    return 0


# -- rule generation --------------------------------------------------------------------------


def _hi(v: int) -> int:
    return (v >> 32) & _MASK32


def _lo(v: int) -> int:
    return v & _MASK32


def _gen_64(chain: Sequence[ArgSpec], leaf: Leaf) -> tuple[Node | None, int]:
    """The node chain for one rule on a 64-bit architecture; returns (head, node count)."""
    head: Node | None = None
    prev: list[Node | None] = [None, None, None]
    op_prev: Operator | None = None
    last: list[Node | None] = [None, None, None]
    count = 0
    for arg, op, mask, datum in chain:
        if op is Operator.MASKED_EQ and _hi(mask) == 0 and _lo(mask) == 0:
            continue  # a tautology in libseccomp's eyes
        if op in (Operator.GT, Operator.GE, Operator.LE, Operator.LT):
            c0 = Node(arg, True, Operator.GT, orig=op, mask=_hi(mask), datum=_hi(datum), full=datum)
            c1 = Node(arg, True, Operator.EQ, orig=op, mask=_hi(mask), datum=_hi(datum), full=datum)
            low_op = Operator.GT if op in (Operator.GT, Operator.LE) else Operator.GE
            c2: Node | None = Node(
                arg, False, low_op, orig=op, mask=_lo(mask), datum=_lo(datum), full=datum
            )
            c0.nxt_f = _get(c1)
            c1.nxt_t = _get(c2)
            count += 3
        else:
            cmp = Operator.MASKED_EQ if op is Operator.MASKED_EQ else Operator.EQ
            c0 = Node(arg, True, cmp, orig=op, mask=_hi(mask), datum=_hi(datum), full=datum)
            c1 = Node(arg, False, cmp, orig=op, mask=_lo(mask), datum=_lo(datum), full=datum)
            c2 = None
            c0.nxt_t = _get(c1)
            count += 2
        p0, p1, p2 = prev
        if p0 is None:
            head = _get(c0)
        elif op_prev in (Operator.GT, Operator.GE):
            assert p2 is not None
            p0.nxt_t = _get(c0)
            p2.nxt_t = _get(c0)
        elif op_prev in (Operator.EQ, Operator.MASKED_EQ):
            assert p1 is not None
            p1.nxt_t = _get(c0)
        elif op_prev in (Operator.LE, Operator.LT):
            assert p1 is not None and p2 is not None
            p1.nxt_f = _get(c0)
            p2.nxt_f = _get(c0)
        else:  # NE
            assert p1 is not None
            p0.nxt_f = _get(c0)
            p1.nxt_f = _get(c0)
        prev = [c0, c1, c2]
        last = prev
        op_prev = op
    l0, l1, l2 = last
    if l0 is None:
        return None, 0
    assert l1 is not None
    if op_prev in (Operator.GT, Operator.GE):
        assert l2 is not None
        l0.act_t = leaf
        l2.act_t = leaf
    elif op_prev in (Operator.LE, Operator.LT):
        assert l2 is not None
        l1.act_f = leaf
        l2.act_f = leaf
    elif op_prev in (Operator.EQ, Operator.MASKED_EQ):
        l1.act_t = leaf
    else:
        l0.act_f = leaf
        l1.act_f = leaf
    return head, count


_REWRITE_32 = {Operator.NE: Operator.EQ, Operator.LT: Operator.GE, Operator.LE: Operator.GT}


def _gen_32(chain: Sequence[ArgSpec], leaf: Leaf) -> tuple[Node | None, int]:
    """The node chain for one rule on a 32-bit architecture: only the low words count."""
    head: Node | None = None
    prev: Node | None = None
    on_true = True
    count = 0
    for arg, op, mask, datum in chain:
        if op is Operator.MASKED_EQ and _lo(mask) == 0:
            continue
        node = Node(
            arg,
            False,
            _REWRITE_32.get(op, op),
            orig=op,
            mask=_lo(mask),
            datum=_lo(datum),
            full=datum,
        )
        if prev is None:
            head = _get(node)
        elif on_true:
            prev.nxt_t = _get(node)
        else:
            prev.nxt_f = _get(node)
        count += 1
        on_true = op not in _REWRITE_32
        prev = node
    if prev is None:
        return None, 0
    if on_true:
        prev.act_t = leaf
    else:
        prev.act_f = leaf
    return head, count


class SyscallDB:
    """One architecture's database: syscall number -> entry."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.entries: dict[int, SysEntry] = {}

    def add(self, nr: int, chain: Sequence[ArgSpec], leaf: Leaf) -> int:
        """Add one rule; 0, -EEXIST, or LOOPS when libseccomp would never return (in both
        error cases the database is unusable, as a runtime aborts or hangs)."""
        _Steps.left = _BUDGET
        try:
            return self._add_rule(nr, chain, leaf)
        except (_Runaway, RecursionError):
            return LOOPS

    def _add_rule(self, nr: int, chain: Sequence[ArgSpec], leaf: Leaf) -> int:
        entry = self.entries.get(nr)
        if not chain:
            # unconditional: the first one wins, and it replaces conditional rules
            if entry is None:
                self.entries[nr] = SysEntry(nr, None, leaf)
            elif entry.chains is not None:
                _tree_put(_Ref(entry, "chains"))
                entry.chains = None
                entry.action = leaf
            return 0
        gen = _gen_64 if self.bits == 64 else _gen_32
        head, _ = gen(sorted(chain, key=lambda c: c[0]), leaf)
        if entry is None:
            self.entries[nr] = SysEntry(nr, head, None if head is not None else leaf)
            return 0
        return self._merge(entry, head, leaf)

    def _merge(self, entry: SysEntry, head: Node | None, leaf: Leaf) -> int:
        removed = False
        while True:
            if entry.chains is None:
                if removed:
                    entry.chains = head
                    entry.action = None if head is not None else leaf
                # else: the existing unconditional action is at least as wide: keep it
                return 0
            if head is None:
                entry.chains = None
                entry.action = leaf
                return 0
            state = _State(entry, leaf[0])
            rc = _prune(_Ref(entry, "chains"), head, state)
            if rc > 0:
                removed = True
                if entry.chains is None:
                    continue
            elif (state.flags & _M_REDUNDANT) == _M_REDUNDANT:
                return 0
            rc = _add(_Ref(entry, "chains"), head, _State(entry))
            if rc < 0:
                return rc
            _tree_put(_Box(head))
            return 0


def _word(args: Sequence[int], n: Node) -> int:
    v = args[n.arg] if n.arg < len(args) else 0
    return ((v >> 32) if n.hi else v) & _MASK32


def evaluate(head: Node, args: Sequence[int]) -> Leaf | None:
    """Walk a tree as the generated BPF does; None means "fell off": the default action."""
    n: Node | None = level_start(head)
    while n is not None:
        v = _word(args, n) & n.mask
        if n.op is Operator.GT:
            hit = v > n.datum
        elif n.op is Operator.GE:
            hit = v >= n.datum
        else:
            hit = v == n.datum
        nxt, act = (n.nxt_t, n.act_t) if hit else (n.nxt_f, n.act_f)
        if nxt is not None:
            found = evaluate(nxt, args)
            if found is not None:
                return found
        elif act is not None:
            return act
        n = n.lvl_nxt
    return None
