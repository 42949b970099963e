/* seccomp_kit.audit._scan: the fast path of seccomp_kit.audit.AuditParser.parse_block, in C.
 *
 * One file of this length because a CPython extension module is one translation unit here
 * (hatch_build.py compiles one source); the scanner's parts share its static caches.
 *
 * The rule this file lives by: it only ever does what the Python fast path would do, and only
 * for lines it is certain about. Every other line (a cache miss, a stamp that is not plain
 * (_stamp.py), a long serial, an odd ip=, journald JSON, a note, junk) is handed back to
 * Python, which runs the pure-Python logic on that one line. So the two paths cannot disagree
 * about a strange line: only one of them ever looks at it.
 *
 * Python owns all state: the caches (text -> converted fields, filled by the careful path), the
 * per-node serial state (_Serials objects) and the accounting. This code reads the caches, does
 * the common serial case inline (the next serial, not seen before) and calls back the Python
 * _serial method for every other case.
 *
 * Input is hostile (binary junk, NULs, huge lines): every access is bounded by the chunk's
 * length, nothing from the input is copied into a fixed-size buffer, and the chunk must end
 * with a newline so every line has an end.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

/* Interned attribute and key names, created once at import. */
static PyObject *s_last, *s_seen, *s_five[5], *empty_tuple;
enum { K_TIMESTAMP, K_SERIAL, K_NODE, K_IP, K_CODE };

/* A memo of recent cache lookups, per cache. The caches change only in the Python path (the
 * careful path teaches them, AuditParser._learn), which counts its changes in a version number
 * passed to every scan() call; while the version stays, a text seen before has the same value,
 * and skipping the bytes object, its hash and the dict lookup is exact. Slots filled under
 * another version are stale (their generation differs). */
#define MEMO 1024 /* slots per cache; a power of two */
enum { IDENT, CALL, CODE };

typedef struct {
    unsigned long gen;
    PyObject *key;   /* bytes */
    PyObject *value; /* what the cache holds for it */
} Slot;

typedef struct {
    PyObject_HEAD
    PyObject *idents;     /* the parser's cache: process text -> dict of ident fields */
    PyObject *calls;      /* the parser's cache: syscall text -> dict of call fields */
    PyObject *codes;      /* the parser's cache: text after "code=" -> int */
    PyObject *nodes;      /* the parser's serial state: node (str or None) -> _Serials */
    PyObject *remember;   /* audit._remember(state, serial): prunes the duplicate window */
    PyObject *event_type; /* AuditEvent */
    unsigned long gen;    /* memo generation: bumped when the caches' version changes */
    long long version;    /* the caches' version the memo holds */
    Slot memo[3][MEMO];
} Scanner;

/* What one scan() call works with. `serial` (AuditParser._serial) comes with each call: held by
 * the scanner it would tie the parser into a reference cycle. */
typedef struct {
    PyObject *serial; /* _serial(node, serial, seccomp) -> bool */
    PyObject *out;    /* list of events, or dict of counts */
    int tally;
    int dedupe;
    long long window;
    Py_ssize_t nrec, nev;
} Call;

/* ---- byte searches, all bounded by [start, end) -------------------------------------------- */

/* The first `needle` (of `len` bytes) within [start, end), like bytes.find. It looks for the
 * needle's byte at `pivot` with memchr and compares the rest: with a pivot that is rare in the
 * text this beats memmem, whose setup dominates on the short lines and needles here. */
static Py_ssize_t
find_at(const char *buf, Py_ssize_t start, Py_ssize_t end, const char *needle, Py_ssize_t len,
        Py_ssize_t pivot)
{
    if (start < 0 || end - start < len)
        return -1;
    const char *at = buf + start + pivot, *last = buf + end - len + pivot;
    while (at <= last) {
        at = memchr(at, needle[pivot], (size_t)(last - at + 1));
        if (at == NULL)
            return -1;
        if (memcmp(at - pivot, needle, (size_t)len) == 0)
            return at - pivot - buf;
        at++;
    }
    return -1;
}

/* find_at with the needle a string literal. */
#define find(buf, start, end, needle, pivot) \
    find_at(buf, start, end, needle, (Py_ssize_t)(sizeof(needle) - 1), pivot)

static Py_ssize_t
find_char(const char *buf, Py_ssize_t start, Py_ssize_t end, char ch)
{
    if (start < 0 || start >= end)
        return -1;
    const char *hit = memchr(buf + start, ch, (size_t)(end - start));
    return hit ? hit - buf : -1;
}

static Py_ssize_t
rfind_char(const char *buf, Py_ssize_t start, Py_ssize_t end, char ch)
{
    for (Py_ssize_t i = end - 1; i >= start; i--)
        if (buf[i] == ch)
            return i;
    return -1;
}

static int
is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* [start, end) is 1..18 ASCII digits (so it fits a long long): its value in *out. */
static int
small_uint(const char *buf, Py_ssize_t start, Py_ssize_t end, long long *out)
{
    if (end <= start || end - start > 18)
        return 0;
    long long value = 0;
    for (Py_ssize_t i = start; i < end; i++) {
        if (!is_digit(buf[i]))
            return 0;
        value = value * 10 + (buf[i] - '0');
    }
    *out = value;
    return 1;
}

/* [start, end) is "0x" and 1..16 hex digits, which int(text, 16) reads as *out. */
static int
hex_ip(const char *buf, Py_ssize_t start, Py_ssize_t end, unsigned long long *out)
{
    if (end - start < 3 || end - start > 18 || buf[start] != '0' || buf[start + 1] != 'x')
        return 0;
    unsigned long long value = 0;
    for (Py_ssize_t i = start + 2; i < end; i++) {
        char ch = buf[i];
        int digit;
        if (ch >= '0' && ch <= '9')
            digit = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            digit = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F')
            digit = ch - 'A' + 10;
        else
            return 0;
        value = (value << 4) | (unsigned long long)digit;
    }
    *out = value;
    return 1;
}

/* The stamp's limits come from seccomp_kit/audit/_stamp.py (hatch_build.py passes them), the
 * one definition of a valid stamp the Python parser uses too. */
#if !defined(STAMP_SECONDS_DIGITS) || !defined(STAMP_FRACTION_DIGITS) || !defined(STAMP_SERIAL_DIGITS)
#error "build through hatch_build.py: the stamp limits come from seccomp_kit/audit/_stamp.py"
#endif

/* [start, end) is SECONDS[.FRACTION] as _stamp.plain_stamp says: float() of it cannot fail,
 * and PyOS_string_to_double (what float() uses) reads it up to the ':' that follows. */
static int
plain_stamp(const char *buf, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t i = start;
    while (i < end && is_digit(buf[i]))
        i++;
    if (i == start || i - start > STAMP_SECONDS_DIGITS)
        return 0;
    if (i == end)
        return 1;
    if (buf[i] != '.')
        return 0;
    Py_ssize_t f = ++i;
    while (i < end && is_digit(buf[i]))
        i++;
    return i == end && i > f && i - f <= STAMP_FRACTION_DIGITS;
}

/* A quick hash of a span, to pick its memo slot (collisions only cost a lookup). */
static size_t
span_hash(const char *s, Py_ssize_t n)
{
    uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15u, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 32;
    }
    for (; n > 0; s++, n--)
        h = (h ^ (unsigned char)*s) * 0x100000001B3u;
    h ^= h >> 29;
    return (size_t)h;
}

static PyObject *
span(const char *buf, Py_ssize_t start, Py_ssize_t end)
{
    /* Python's chunk[start:end] is empty when end < start; so is this. */
    return PyBytes_FromStringAndSize(buf + start, end > start ? end - start : 0);
}

/* cache.get(buf[start:end]) as a new reference, the bytes key in *key (new reference, or
 * NULL on error). NULL without an error set: not cached. */
static PyObject *
lookup(Scanner *self, int which, PyObject *cache, const char *buf, Py_ssize_t start,
       Py_ssize_t end, PyObject **key)
{
    Py_ssize_t len = end > start ? end - start : 0;
    Slot *slot = &self->memo[which][span_hash(buf + start, len) & (MEMO - 1)];
    if (slot->gen == self->gen && slot->key != NULL && PyBytes_GET_SIZE(slot->key) == len
        && memcmp(PyBytes_AS_STRING(slot->key), buf + start, (size_t)len) == 0) {
        *key = Py_NewRef(slot->key);
        return Py_NewRef(slot->value);
    }
    if ((*key = span(buf, start, end)) == NULL)
        return NULL;
    PyObject *value = PyDict_GetItemWithError(cache, *key);
    if (value == NULL)
        return NULL;
    Py_INCREF(value);
    Py_XSETREF(slot->key, Py_NewRef(*key));
    Py_XSETREF(slot->value, Py_NewRef(value));
    slot->gen = self->gen;
    return value;
}

/* ---- what audit._node does: the machine a record came from -------------------------------- */

/* The node of the line prefix [start, end): auditd's "node=NAME " or syslog's "HOST kernel: ".
 * Returns a new reference (str or None), NULL on error. */
static PyObject *
node_of(const char *buf, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t from, to;
    int empty_is_none;
    if (end - start >= 5 && memcmp(buf + start, "node=", 5) == 0) {
        Py_ssize_t sp = find_char(buf, start, end, ' ');
        from = start + 5;
        to = sp > start ? sp : end;
        empty_is_none = 0; /* "node= " is the node "" */
    }
    else {
        Py_ssize_t k = find(buf, start, end, " kernel: ", 1);
        if (k <= start) /* _node wants k > 0 within the prefix */
            Py_RETURN_NONE;
        Py_ssize_t sp = rfind_char(buf, start, k, ' ');
        from = sp >= 0 ? sp + 1 : start;
        to = k;
        empty_is_none = 1; /* `... or None` */
    }
    if (to <= from && empty_is_none)
        Py_RETURN_NONE;
    /* The same decoding as _node's .decode("utf-8", "backslashreplace"). */
    return PyUnicode_DecodeUTF8(buf + from, to > from ? to - from : 0, "backslashreplace");
}

/* ---- serial bookkeeping ----------------------------------------------------------------- */

/* state.last as a long long; *ok = 0 when it is not one (then the caller asks Python). */
static int
read_last(PyObject *state, long long *last, int *ok)
{
    PyObject *value = PyObject_GetAttr(state, s_last);
    if (value == NULL)
        return -1;
    int overflow = 0;
    *last = PyLong_Check(value) ? PyLong_AsLongLongAndOverflow(value, &overflow) : 0;
    *ok = PyLong_Check(value) && !overflow;
    Py_DECREF(value);
    if (*ok && *last == -1 && PyErr_Occurred())
        return -1;
    return 0;
}

static int
call_serial(Call *call, PyObject *node, PyObject *serial, int seccomp)
{
    PyObject *args[3] = {node, serial, seccomp ? Py_True : Py_False};
    PyObject *result = PyObject_Vectorcall(call->serial, args, 3, NULL);
    if (result == NULL)
        return -1;
    int truth = PyObject_IsTrue(result);
    Py_DECREF(result);
    return truth;
}

/* AuditParser._serial(node, serial, seccomp), with the common case done here: the next serial
 * of a known node (and, for SECCOMP records, one not in the duplicate window). Returns 1 when the
 * record counts, 0 for a duplicate, -1 on error. */
static int
account(Scanner *self, Call *call, PyObject *node, PyObject *serial, long long value, int seccomp)
{
    int dedupe = call->dedupe;
    PyObject *state = PyDict_GetItemWithError(self->nodes, node);
    if (state == NULL)
        return PyErr_Occurred() ? -1 : call_serial(call, node, serial, seccomp);
    Py_INCREF(state);
    long long last;
    int ok, done = 0;
    if (read_last(state, &last, &ok) < 0)
        goto error;
    if (ok && last < LLONG_MAX && value == last + 1) {
        PyObject *seen = NULL;
        if (seccomp && dedupe) {
            seen = PyObject_GetAttr(state, s_seen);
            if (seen == NULL)
                goto error;
            int in = PySet_Check(seen) ? PySet_Contains(seen, serial) : 1;
            if (in < 0) {
                Py_DECREF(seen);
                goto error;
            }
            if (in) /* a repeat, or a window we cannot read: Python decides */
                Py_CLEAR(seen);
        }
        if (seen != NULL || !(seccomp && dedupe)) {
            if (PyObject_SetAttr(state, s_last, serial) < 0) {
                Py_XDECREF(seen);
                goto error;
            }
            done = 1;
            if (seen != NULL) {
                /* _remember: add, and prune (in Python) once the window is twice full */
                int failed = PySet_Add(seen, serial) < 0;
                if (!failed && PySet_GET_SIZE(seen) > 2 * call->window) {
                    PyObject *args[2] = {state, serial};
                    PyObject *res = PyObject_Vectorcall(self->remember, args, 2, NULL);
                    failed = res == NULL;
                    Py_XDECREF(res);
                }
                Py_DECREF(seen);
                if (failed)
                    goto error;
            }
        }
    }
    Py_DECREF(state);
    return done ? 1 : call_serial(call, node, serial, seccomp);
error:
    Py_DECREF(state);
    return -1;
}

/* ---- events ----------------------------------------------------------------------------- */

/* The event's __dict__, built as parse_block builds it: d.update(ident); d.update(call);
 * then timestamp, serial, node, ip, code (so the same keys in the same order). */
static PyObject *
event_dict(PyObject *ident, PyObject *call, PyObject **five)
{
    PyObject *d = PyDict_New();
    if (d == NULL || PyDict_Update(d, ident) < 0 || PyDict_Update(d, call) < 0)
        goto error;
    for (int i = 0; i < 5; i++)
        if (PyDict_SetItem(d, s_five[i], five[i]) < 0)
            goto error;
    return d;
error:
    Py_XDECREF(d);
    return NULL;
}

/* object.__new__(AuditEvent) with this __dict__. */
static PyObject *
make_event(Scanner *self, PyObject *d)
{
    PyTypeObject *type = (PyTypeObject *)self->event_type;
    PyObject *event = PyBaseObject_Type.tp_new(type, empty_tuple, NULL);
    if (event == NULL)
        return NULL;
    if (PyObject_GenericSetDict(event, d, NULL) < 0) {
        Py_DECREF(event);
        return NULL;
    }
    return event;
}

/* ---- tally ------------------------------------------------------------------------------ */

/* The tally entry [call fields, count] for (syscall text, code); NULL with no error when an
 * existing entry holds other call fields (then the line goes back to Python). New reference. */
static PyObject *
tally_entry(PyObject *tally, PyObject *call_b, PyObject *code, PyObject *call, PyObject **key)
{
    *key = PyTuple_Pack(2, call_b, code);
    if (*key == NULL)
        return NULL;
    PyObject *entry = PyDict_GetItemWithError(tally, *key);
    if (entry == NULL) {
        if (PyErr_Occurred())
            return NULL;
        return PyList_New(0); /* empty: created on commit */
    }
    if (!PyList_CheckExact(entry) || PyList_GET_SIZE(entry) != 2) {
        PyErr_SetString(PyExc_TypeError, "tally entries must be [fields, count] lists");
        return NULL;
    }
    PyObject *held = PyList_GET_ITEM(entry, 0);
    if (held != call) {
        /* The cache was refilled since: the same text parses to equal fields. */
        int same = PyObject_RichCompareBool(held, call, Py_EQ);
        if (same <= 0)
            return NULL;
    }
    return Py_NewRef(entry);
}

static int
tally_commit(PyObject *tally, PyObject *key, PyObject *entry, PyObject *call)
{
    if (PyList_GET_SIZE(entry) == 0) {
        PyObject *one = PyLong_FromLong(1);
        int failed = one == NULL || PyList_Append(entry, call) < 0 || PyList_Append(entry, one) < 0
                     || PyDict_SetItem(tally, key, entry) < 0;
        Py_XDECREF(one);
        return failed ? -1 : 0;
    }
    Py_ssize_t count = PyLong_AsSsize_t(PyList_GET_ITEM(entry, 1));
    if (count == -1 && PyErr_Occurred())
        return -1;
    PyObject *next = PyLong_FromSsize_t(count + 1);
    if (next == NULL)
        return -1;
    return PyList_SetItem(entry, 1, next); /* steals `next` */
}

/* ---- the scan --------------------------------------------------------------------------- */

/* The markers, and for each the byte find() looks for first: '(' ends both record markers. */
#define MARK_K "type=1326 audit("
#define MARK_A "type=SECCOMP msg=audit("
#define MESSAGE "\"MESSAGE\""
#define LEN(s) ((Py_ssize_t)(sizeof(s) - 1))

/* One SECCOMP record line, [ls, le), marker at p, stamp from q. Returns 1 when handled, 0 to
 * hand the line back to Python (nothing was changed), -1 on error. */
static int
record(Scanner *self, Call *ctx, const char *buf, Py_ssize_t ls, Py_ssize_t le, Py_ssize_t p,
       Py_ssize_t q)
{
    Py_ssize_t r = find(buf, q, le, "): ", 0);
    Py_ssize_t g = r >= 0 ? find(buf, r, le, " sig=", 3) : -1;
    Py_ssize_t e = g >= 0 ? find(buf, g, le, " ip=", 2) : -1;
    Py_ssize_t c = e >= 0 ? find(buf, e, le, " code=", 2) : -1;
    if (c < 0 || buf[ls] == '{')
        return 0;
    Py_ssize_t colon = rfind_char(buf, q, r, ':');
    long long serial_v;
    unsigned long long ip_v;
    if (colon < 0 || !plain_stamp(buf, q, colon) || !small_uint(buf, colon + 1, r, &serial_v)
        || !hex_ip(buf, e + 4, c, &ip_v))
        return 0;

    int status = -1;
    PyObject *ident_b = NULL, *call_b = NULL, *code_b = NULL, *ident = NULL, *call = NULL;
    PyObject *code = NULL, *node = NULL, *five[5] = {NULL}, *d = NULL, *event = NULL;
    PyObject *key = NULL, *entry = NULL;
    /* The cache lookups (references held: the serial callback runs Python code). */
    ident = lookup(self, IDENT, self->idents, buf, r + 3, g, &ident_b);
    call = ident ? lookup(self, CALL, self->calls, buf, g, e, &call_b) : NULL;
    code = call ? lookup(self, CODE, self->codes, buf, c + 6, le, &code_b) : NULL;
    if (code == NULL) {
        status = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    /* The node, as parse_block decides it. */
    if (p > ls && buf[ls] != '['
        && ((le - ls >= 5 && memcmp(buf + ls, "node=", 5) == 0)
            || find(buf, ls, p, " kernel: ", 1) > 0))
        node = node_of(buf, ls, p);
    else
        node = Py_NewRef(Py_None);
    if (node == NULL || (five[K_SERIAL] = PyLong_FromLongLong(serial_v)) == NULL)
        goto done;
    if (ctx->tally) {
        if ((entry = tally_entry(ctx->out, call_b, code, call, &key)) == NULL) {
            status = PyErr_Occurred() ? -1 : 0;
            goto done;
        }
    }
    else {
        /* float(head), read in place: the ':' after the stamp ends the number. */
        char *stop = NULL;
        double stamp = PyOS_string_to_double(buf + q, &stop, NULL);
        if (stamp == -1.0 && PyErr_Occurred())
            goto done;
        if (stop != buf + colon) {
            status = 0;
            goto done;
        }
        if ((five[K_TIMESTAMP] = PyFloat_FromDouble(stamp)) == NULL
            || (five[K_IP] = PyLong_FromUnsignedLongLong(ip_v)) == NULL)
            goto done;
        five[K_NODE] = Py_NewRef(node);
        five[K_CODE] = Py_NewRef(code);
        if ((d = event_dict(ident, call, five)) == NULL)
            goto done;
    }
    ctx->nrec++;
    int fresh = account(self, ctx, node, five[K_SERIAL], serial_v, 1);
    if (fresh < 0)
        goto done;
    if (fresh) {
        if (ctx->tally) {
            if (tally_commit(ctx->out, key, entry, call) < 0)
                goto done;
        }
        else if ((event = make_event(self, d)) == NULL || PyList_Append(ctx->out, event) < 0)
            goto done;
        ctx->nev++;
    }
    status = 1;
done:
    Py_XDECREF(ident_b);
    Py_XDECREF(call_b);
    Py_XDECREF(code_b);
    Py_XDECREF(ident);
    Py_XDECREF(call);
    Py_XDECREF(code);
    Py_XDECREF(node);
    for (int i = 0; i < 5; i++)
        Py_XDECREF(five[i]);
    Py_XDECREF(d);
    Py_XDECREF(event);
    Py_XDECREF(key);
    Py_XDECREF(entry);
    return status;
}

/* Another audit record (SYSCALL, PATH, ...): only its serial counts. Same return as record(). */
static int
other(Scanner *self, Call *ctx, const char *buf, Py_ssize_t ls, Py_ssize_t le)
{
    Py_ssize_t j = find(buf, ls, le, "audit(", 5);
    Py_ssize_t k = j >= 0 ? find_char(buf, j, le, ')') : -1;
    if (k < 0 || buf[ls] == '{')
        return 0;
    Py_ssize_t colon = rfind_char(buf, j + 6, k, ':');
    long long serial_v;
    if (colon < 0 || find_char(buf, j + 6, colon, '/') >= 0
        || !small_uint(buf, colon + 1, k, &serial_v))
        return 0;
    PyObject *node = (j > ls && buf[ls] != '[') ? node_of(buf, ls, j) : Py_NewRef(Py_None);
    if (node == NULL)
        return -1;
    PyObject *serial = PyLong_FromLongLong(serial_v);
    int status = serial == NULL ? -1 : account(self, ctx, node, serial, serial_v, 0);
    Py_XDECREF(serial);
    Py_DECREF(node);
    return status < 0 ? -1 : 1;
}

/* scanner.events(chunk, pos, upper, out, limit, dedupe, window, serial, version) and
 * scanner.tally(chunk, pos, upper, out, limit, dedupe, window, serial, version):
 * scan the lines of `chunk` from `pos` (a line start), appending events to the list `out` or
 * counting them in the dict `out` as (syscall text, code) -> [call fields, count]. `upper` is
 * where the next '"MESSAGE"' is (-1: not known yet). Stops at the block end, after `limit`
 * events, or at a line for Python. Returns (pos, upper, ls, le, records, events): the line for
 * Python is [ls, le) (ls = -1: none), scanning goes on at pos. */
static PyObject *
scan(Scanner *self, PyObject *const *args, Py_ssize_t nargs, int tally)
{
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "scan takes 9 arguments");
        return NULL;
    }
    if (!PyCallable_Check(args[7])) {
        PyErr_SetString(PyExc_TypeError, "serial must be callable");
        return NULL;
    }
    PyObject *chunk = args[0], *out = args[3];
    Call ctx = {.serial = args[7], .out = out, .tally = tally, .nrec = 0, .nev = 0};
    if (!PyBytes_Check(chunk) || !(tally ? PyDict_CheckExact(out) : PyList_CheckExact(out))) {
        PyErr_SetString(PyExc_TypeError, tally ? "expected bytes and a dict" : "expected bytes and a list");
        return NULL;
    }
    if (self->idents == NULL) { /* Scanner.__new__ without __init__: nothing to read */
        PyErr_SetString(PyExc_RuntimeError, "Scanner.__init__ was not called");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    Py_ssize_t upper = PyLong_AsSsize_t(args[2]);
    Py_ssize_t limit = PyLong_AsSsize_t(args[4]);
    ctx.dedupe = PyObject_IsTrue(args[5]);
    ctx.window = PyLong_AsLongLong(args[6]);
    long long version = PyLong_AsLongLong(args[8]);
    if (PyErr_Occurred() || ctx.dedupe < 0)
        return NULL;
    if (ctx.window < 0 || ctx.window > (1LL << 40)) { /* so 2 * window cannot overflow */
        PyErr_SetString(PyExc_ValueError, "window out of range");
        return NULL;
    }
    const char *buf = PyBytes_AS_STRING(chunk);
    Py_ssize_t n = PyBytes_GET_SIZE(chunk);
    if ((n > 0 && buf[n - 1] != '\n') || pos < 0 || pos > n || (pos > 0 && buf[pos - 1] != '\n')) {
        PyErr_SetString(PyExc_ValueError, "chunk must end with a newline, pos start a line");
        return NULL;
    }
    Py_ssize_t ls = -1, le = -1;
    if (version != self->version || self->gen == 0) {
        self->version = version; /* the caches changed: a fresh memo */
        self->gen++;
    }
    /* `upper`: the first '"MESSAGE"' at or after pos (or n); journald JSON lines may carry the
     * record as a byte array, so they are looked at even without "audit". */
    if (upper < pos || upper > n) {
        upper = find(buf, pos, n, MESSAGE, 1);
        if (upper < 0)
            upper = n;
    }
    while (pos < n) {
        Py_ssize_t a = find(buf, pos, n, "audit", 1);
        if (a < 0 || upper < a) {
            a = upper;
            if (a >= n) {
                pos = n;
                break;
            }
        }
        Py_ssize_t start = rfind_char(buf, pos, a, '\n') + 1;
        Py_ssize_t end = find_char(buf, a, n, '\n'); /* found: the chunk ends with one */
        start = start > pos ? start : pos;
        pos = end + 1;
        if (upper < pos) {
            upper = find(buf, pos, n, MESSAGE, 1);
            if (upper < 0)
                upper = n;
        }
        int handled;
        Py_ssize_t p = find(buf, start, end, MARK_K, 15);
        if (p >= 0)
            handled = record(self, &ctx, buf, start, end, p, p + LEN(MARK_K));
        else if ((p = find(buf, start, end, MARK_A, 22)) >= 0)
            handled = record(self, &ctx, buf, start, end, p, p + LEN(MARK_A));
        else
            handled = other(self, &ctx, buf, start, end);
        if (handled < 0)
            return NULL;
        if (handled == 0) {
            ls = start;
            le = end;
            break;
        }
        if (!tally && PyList_GET_SIZE(out) >= limit)
            break;
    }
    return Py_BuildValue("nnnnnn", pos, upper, ls, le, ctx.nrec, ctx.nev);
}

static PyObject *
Scanner_events(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return scan((Scanner *)self, args, nargs, 0);
}

static PyObject *
Scanner_tally(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return scan((Scanner *)self, args, nargs, 1);
}

/* ---- the type --------------------------------------------------------------------------- */

static int
Scanner_init(Scanner *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"idents", "calls", "codes", "nodes", "remember", "event_type", NULL};
    PyObject *idents, *calls, *codes, *nodes, *remember, *event_type;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!O!OO!:Scanner", kwlist, &PyDict_Type,
                                     &idents, &PyDict_Type, &calls, &PyDict_Type, &codes,
                                     &PyDict_Type, &nodes, &remember, &PyType_Type, &event_type))
        return -1;
    if (!PyCallable_Check(remember)) {
        PyErr_SetString(PyExc_TypeError, "remember must be callable");
        return -1;
    }
    Py_XSETREF(self->idents, Py_NewRef(idents));
    Py_XSETREF(self->calls, Py_NewRef(calls));
    Py_XSETREF(self->codes, Py_NewRef(codes));
    Py_XSETREF(self->nodes, Py_NewRef(nodes));
    Py_XSETREF(self->remember, Py_NewRef(remember));
    Py_XSETREF(self->event_type, Py_NewRef(event_type));
    return 0;
}

static int
Scanner_traverse(Scanner *self, visitproc visit, void *arg)
{
    Py_VISIT(self->idents);
    Py_VISIT(self->calls);
    Py_VISIT(self->codes);
    Py_VISIT(self->nodes);
    Py_VISIT(self->remember);
    Py_VISIT(self->event_type);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < MEMO; j++) {
            Py_VISIT(self->memo[i][j].key);
            Py_VISIT(self->memo[i][j].value);
        }
    return 0;
}

static int
Scanner_clear(Scanner *self)
{
    Py_CLEAR(self->idents);
    Py_CLEAR(self->calls);
    Py_CLEAR(self->codes);
    Py_CLEAR(self->nodes);
    Py_CLEAR(self->remember);
    Py_CLEAR(self->event_type);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < MEMO; j++) {
            Py_CLEAR(self->memo[i][j].key);
            Py_CLEAR(self->memo[i][j].value);
        }
    return 0;
}

static void
Scanner_dealloc(Scanner *self)
{
    PyObject_GC_UnTrack(self);
    Scanner_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* newlines(chunk): chunk.count(b"\n"), with memchr (several times faster on long blocks). */
static PyObject *
newlines(PyObject *Py_UNUSED(module), PyObject *chunk)
{
    if (!PyBytes_Check(chunk)) {
        PyErr_SetString(PyExc_TypeError, "expected bytes");
        return NULL;
    }
    const char *at = PyBytes_AS_STRING(chunk), *end = at + PyBytes_GET_SIZE(chunk);
    Py_ssize_t count = 0;
    while (at < end && (at = memchr(at, '\n', (size_t)(end - at))) != NULL) {
        count++;
        at++;
    }
    return PyLong_FromSsize_t(count);
}

static PyMethodDef module_methods[] = {
    {"newlines", newlines, METH_O, "newlines(chunk) -> chunk.count(b'\\n')"},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef Scanner_methods[] = {
    {"events", (PyCFunction)(void (*)(void))Scanner_events, METH_FASTCALL,
     "events(chunk, pos, upper, out, limit, dedupe, window, serial, version) -> (pos, upper, ls, le, records, events)"},
    {"tally", (PyCFunction)(void (*)(void))Scanner_tally, METH_FASTCALL,
     "tally(chunk, pos, upper, out, limit, dedupe, window, serial, version) -> (pos, upper, ls, le, records, events)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "seccomp_kit.audit._scan.Scanner",
    .tp_doc = "The C fast path of one AuditParser (see seccomp_kit.audit).",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_traverse = (traverseproc)Scanner_traverse,
    .tp_clear = (inquiry)Scanner_clear,
    .tp_methods = Scanner_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "seccomp_kit.audit._scan",
    .m_doc = "The C fast path of seccomp_kit.audit (the pure-Python parser is the reference).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__scan(void)
{
    static const char *five[5] = {"timestamp", "serial", "node", "ip", "code"};
    s_last = PyUnicode_InternFromString("last");
    s_seen = PyUnicode_InternFromString("seen");
    empty_tuple = PyTuple_New(0);
    if (s_last == NULL || s_seen == NULL || empty_tuple == NULL)
        return NULL;
    for (int i = 0; i < 5; i++)
        if ((s_five[i] = PyUnicode_InternFromString(five[i])) == NULL)
            return NULL;
    if (PyType_Ready(&ScannerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Scanner", (PyObject *)&ScannerType) < 0
        || PyModule_AddIntConstant(m, "STAMP_SECONDS_DIGITS", STAMP_SECONDS_DIGITS) < 0
        || PyModule_AddIntConstant(m, "STAMP_FRACTION_DIGITS", STAMP_FRACTION_DIGITS) < 0
        || PyModule_AddIntConstant(m, "STAMP_SERIAL_DIGITS", STAMP_SERIAL_DIGITS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
