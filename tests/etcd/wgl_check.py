#!/usr/bin/env python3
"""An independent linearizability checker for Jepsen EDN cas-register histories.

    wgl_check.py HISTORY.edn [--initial 0] [--timeout 120] [--json]
    wgl_check.py --self-test [KNOSSOS_CAS_REGISTER_DIR]

It shares no code with faultline: its own EDN reader, its own pairing of
operations, its own search. It reads the history the way an outside tool
(Knossos, Elle, a script) would: op maps one per line, as
`faultline export --format edn` writes them, and it orders operations by file
order alone (the file is in :time order; :time is checked to never go back).
Each :key is an independent cas-register (Jepsen's `independent`); within a
key, the search is Wing & Gong's, with Lowe's cache of (linearized set,
state), as Knossos's `linear`/`wgl` checkers and Porcupine do:

  * read v   legal in state v             (a read of nil is an unknown read)
  * write v  always legal, state := v
  * cas [e n] legal in state e, state := n
  * :ok ops must be linearized between their invoke and completion;
  * :info ops (and invokes that never complete) may take effect at any point
    after their invoke, or never;
  * :fail ops did not happen and are left out.

Exit code: 0 linearizable, 1 not, 2 unknown (timeout), 254 bad input.
"""

import json
import sys
import time


# ---------------------------------------------------------------- EDN reader


class Keyword(str):
    """An EDN keyword, without its leading colon."""


class EdnError(Exception):
    pass


class _Edn:
    DELIMS = set(' \t\r\n,()[]{}";')

    def __init__(self, text):
        self.s = text
        self.i = 0

    def skip(self):
        s, n = self.s, len(self.s)
        while self.i < n:
            c = s[self.i]
            if c in ' \t\r\n,':
                self.i += 1
            elif c == ';':
                while self.i < n and s[self.i] != '\n':
                    self.i += 1
            elif s.startswith('#_', self.i):
                self.i += 2
                self.read()
            else:
                break

    def at_end(self):
        self.skip()
        return self.i >= len(self.s)

    def read(self):
        self.skip()
        if self.i >= len(self.s):
            raise EdnError('unexpected end of input')
        c = self.s[self.i]
        if c == '{':
            self.i += 1
            items = self.read_until('}')
            if len(items) % 2:
                raise EdnError('map with an odd number of forms')
            return {_hashable(items[k]): items[k + 1] for k in range(0, len(items), 2)}
        if c == '[':
            self.i += 1
            return self.read_until(']')
        if c == '(':
            self.i += 1
            return self.read_until(')')
        if self.s.startswith('#{', self.i):
            self.i += 2
            return frozenset(_hashable(x) for x in self.read_until('}'))
        if c == '"':
            return self.read_string()
        if c in ')]}':
            raise EdnError('unexpected %r at offset %d' % (c, self.i))
        if c == '#':  # a tagged literal (#inst, #uuid): keep the value
            self.i += 1
            self.read_token()
            return self.read()
        tok = self.read_token()
        if tok.startswith(':'):
            return Keyword(tok[1:])
        if tok == 'nil':
            return None
        if tok == 'true':
            return True
        if tok == 'false':
            return False
        try:
            return int(tok.rstrip('N'))
        except ValueError:
            pass
        try:
            return float(tok.rstrip('M'))
        except ValueError:
            return tok  # a symbol

    def read_until(self, close):
        out = []
        while True:
            self.skip()
            if self.i >= len(self.s):
                raise EdnError('missing %r' % close)
            if self.s[self.i] == close:
                self.i += 1
                return out
            out.append(self.read())

    def read_token(self):
        j = self.i
        while j < len(self.s) and self.s[j] not in self.DELIMS:
            j += 1
        tok, self.i = self.s[self.i:j], j
        return tok

    def read_string(self):
        self.i += 1
        out = []
        esc = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\', 'b': '\b', 'f': '\f', '/': '/'}
        while True:
            if self.i >= len(self.s):
                raise EdnError('unterminated string')
            c = self.s[self.i]
            if c == '"':
                self.i += 1
                return ''.join(out)
            if c == '\\':
                e = self.s[self.i + 1]
                if e == 'u':
                    out.append(chr(int(self.s[self.i + 2:self.i + 6], 16)))
                    self.i += 6
                    continue
                out.append(esc[e])
                self.i += 2
                continue
            out.append(c)
            self.i += 1


def _hashable(x):
    if isinstance(x, list):
        return tuple(_hashable(v) for v in x)
    if isinstance(x, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in x.items()))
    return x


def read_edn_ops(text):
    """Every op map of a history: a vector of maps or one map per line."""
    p = _Edn(text)
    forms = []
    while not p.at_end():
        forms.append(p.read())
    if len(forms) == 1 and isinstance(forms[0], list):
        forms = forms[0]
    for f in forms:
        if not isinstance(f, dict):
            raise EdnError('expected op maps, got %r' % (f,))
    return forms


# ---------------------------------------------------------- history -> ops


class Op:
    __slots__ = ('f', 'value', 'call', 'ret', 'process')

    def __init__(self, f, value, call, ret, process):
        self.f, self.value, self.call, self.ret, self.process = f, value, call, ret, process


def client_ops(maps):
    """Pairs invokes with completions per process, in file order.

    Returns {key: [Op]}; an Op's call/ret are file positions (ret None: it may
    take effect at any time after call, or never)."""
    open_by_process = {}
    by_key = {}
    last_time = None
    for pos, m in enumerate(maps):
        t = m.get(Keyword('time'))
        if t is not None:
            if last_time is not None and t < last_time:
                raise EdnError('op %d: :time %d is earlier than the op before it (%d): not in time order'
                               % (pos, t, last_time))
            last_time = t
        process = m.get(Keyword('process'))
        typ = m.get(Keyword('type'))
        if process == Keyword('nemesis') or not isinstance(process, int):
            continue
        if typ == 'invoke':
            if process in open_by_process:
                raise EdnError('op %d: process %d invokes while its op %d is still open'
                               % (pos, process, open_by_process[process][0]))
            open_by_process[process] = (pos, m)
            continue
        if typ not in ('ok', 'fail', 'info'):
            raise EdnError('op %d: unknown :type %r' % (pos, typ))
        if process not in open_by_process:
            raise EdnError('op %d: process %d completes an op it never invoked' % (pos, process))
        call, inv = open_by_process.pop(process)
        f = str(inv.get(Keyword('f')))
        if f != str(m.get(Keyword('f'))):
            raise EdnError('op %d: completion :f %s does not match its invoke' % (pos, m.get(Keyword('f'))))
        if typ == 'fail':
            continue  # it did not happen
        if f == 'read':
            if typ == 'info':
                continue  # an unknown read constrains nothing
            value = m.get(Keyword('value'))
        else:
            value = inv.get(Keyword('value'))
            if value is None:
                value = m.get(Keyword('value'))
        key = _hashable(inv.get(Keyword('key')))
        by_key.setdefault(key, []).append(
            Op(f, _hashable(value), call, pos if typ == 'ok' else None, process))
    for process, (call, inv) in open_by_process.items():  # never completed: info
        f = str(inv.get(Keyword('f')))
        if f != 'read':
            by_key.setdefault(_hashable(inv.get(Keyword('key'))), []).append(
                Op(f, _hashable(inv.get(Keyword('value'))), call, None, process))
    return by_key


# --------------------------------------------------------------- the model


def step(state, op):
    """(legal, next state) of a cas-register."""
    if op.f == 'read':
        return (op.value is None or op.value == state), state
    if op.f == 'write':
        return True, op.value
    if op.f == 'cas':
        if not isinstance(op.value, tuple) or len(op.value) != 2:
            raise EdnError('cas value must be [expected new], got %r' % (op.value,))
        return state == op.value[0], op.value[1]
    raise EdnError('a cas-register has read, write and cas, not %r' % op.f)


# ------------------------------------------------- Wing & Gong with Lowe's cache


class Timeout(Exception):
    pass


def linearizable(ops, initial, deadline):
    """(True, None) when ops (one key) linearize from `initial`; else
    (False, op) with the ok op whose completion ended the deepest attempt."""
    # Entries in file order: a call for every op, a return for ok ops.
    events = []
    for i, op in enumerate(ops):
        events.append((op.call, i, True))
        if op.ret is not None:
            events.append((op.ret, i, False))
    events.sort()
    n = len(events)
    # A doubly linked list over entries 1..n, 0 is the head.
    nxt = list(range(1, n + 2))
    nxt[n] = None
    prv = [None] + list(range(0, n))
    op_of = [None] + [e[1] for e in events]
    is_call = [None] + [e[2] for e in events]
    ret_entry = {}
    for k in range(1, n + 1):
        if not is_call[k]:
            ret_entry[op_of[k]] = k

    def remove(k):
        p, q = prv[k], nxt[k]
        nxt[p] = q
        if q is not None:
            prv[q] = p

    def restore(k):
        p, q = prv[k], nxt[k]
        nxt[p] = k
        if q is not None:
            prv[q] = k

    def lift(k):  # a call entry and its return entry leave the list
        remove(k)
        r = ret_entry.get(op_of[k])
        if r is not None:
            remove(r)

    def unlift(k):  # in reverse order of lift
        r = ret_entry.get(op_of[k])
        if r is not None:
            restore(r)
        restore(k)

    state = initial
    linearized = 0
    cache = set()
    stack = []
    deepest, stuck_at = -1, None
    entry = nxt[0]
    steps = 0
    while True:
        steps += 1
        if steps & 0xFFFF == 0 and time.monotonic() > deadline:
            raise Timeout()
        if entry is None:
            return True, None  # every return entry is gone: every ok op placed
        if is_call[entry]:
            i = op_of[entry]
            legal, after = step(state, ops[i])
            if legal:
                bits = linearized | (1 << i)
                if (bits, after) not in cache:
                    cache.add((bits, after))
                    stack.append((entry, state))
                    state, linearized = after, bits
                    lift(entry)
                    entry = nxt[0]
                    continue
            entry = nxt[entry]
        else:
            # The completion of an op not yet placed: this path is dead.
            if len(stack) > deepest:
                deepest, stuck_at = len(stack), ops[op_of[entry]]
            if not stack:
                return False, stuck_at
            entry, state = stack.pop()
            linearized &= ~(1 << op_of[entry])
            unlift(entry)
            entry = nxt[entry]


def check(maps, initial, timeout):
    by_key = client_ops(maps)
    deadline = time.monotonic() + timeout
    result = {'valid': True, 'keys': len(by_key), 'ops': sum(len(v) for v in by_key.values()), 'bad_keys': []}
    try:
        for key, ops in by_key.items():
            ok, stuck = linearizable(ops, initial, deadline)
            if not ok:
                result['valid'] = False
                result['bad_keys'].append({'key': key, 'ops': len(ops), 'stuck_at': {
                    'process': stuck.process, 'f': stuck.f, 'value': stuck.value,
                    'invoke_index': stuck.call, 'complete_index': stuck.ret}})
    except Timeout:
        result['valid'] = 'unknown'
    return result


# ---------------------------------------------------------------- self-test


def self_test(knossos_dir=None):
    h = lambda *lines: read_edn_ops('\n'.join(lines))
    inv = lambda p, f, v, k='"a"': '{:process %d, :type :invoke, :f :%s, :value %s, :key %s}' % (p, f, v, k)
    ok = lambda p, f, v, k='"a"': '{:process %d, :type :ok, :f :%s, :value %s, :key %s}' % (p, f, v, k)
    info = lambda p, f, v, k='"a"': '{:process %d, :type :info, :f :%s, :value %s, :key %s}' % (p, f, v, k)
    fail = lambda p, f, v, k='"a"': '{:process %d, :type :fail, :f :%s, :value %s, :key %s}' % (p, f, v, k)
    cases = [
        ('sequential', True, h(inv(0, 'write', 1), ok(0, 'write', 1), inv(0, 'read', 'nil'), ok(0, 'read', 1))),
        ('stale read', False, h(inv(0, 'write', 1), ok(0, 'write', 1), inv(1, 'read', 'nil'), ok(1, 'read', 0))),
        ('concurrent read sees either', True, h(inv(0, 'write', 1), inv(1, 'read', 'nil'), ok(1, 'read', 0), ok(0, 'write', 1))),
        ('cas chain', True, h(inv(0, 'cas', '[0 2]'), ok(0, 'cas', '[0 2]'), inv(1, 'cas', '[2 3]'), ok(1, 'cas', '[2 3]'),
                             inv(0, 'read', 'nil'), ok(0, 'read', 3))),
        ('failed cas has no effect', False, h(inv(0, 'cas', '[0 2]'), fail(0, 'cas', '[0 2]'), inv(1, 'read', 'nil'), ok(1, 'read', 2))),
        ('info write may land later', True, h(inv(0, 'write', 4), info(0, 'write', 4), inv(1, 'read', 'nil'), ok(1, 'read', 0),
                                               inv(1, 'read', 'nil'), ok(1, 'read', 4))),
        ('info write may never land', True, h(inv(0, 'write', 4), info(0, 'write', 4), inv(1, 'read', 'nil'), ok(1, 'read', 0))),
        ('info write cannot land twice', False, h(inv(0, 'write', 4), info(0, 'write', 4), inv(1, 'read', 'nil'), ok(1, 'read', 4),
                                                   inv(1, 'write', 1), ok(1, 'write', 1), inv(1, 'read', 'nil'), ok(1, 'read', 4))),
        ('keys are independent', True, h(inv(0, 'write', 1, '"a"'), ok(0, 'write', 1, '"a"'), inv(1, 'read', 'nil', '"b"'), ok(1, 'read', 0, '"b"'))),
        ('read order across processes', False, h(inv(0, 'write', 1), inv(1, 'read', 'nil'), ok(1, 'read', 1), inv(2, 'read', 'nil'),
                                                  ok(2, 'read', 0), ok(0, 'write', 1))),
    ]
    failed = 0
    for name, want, maps in cases:
        got = check(maps, 0, 10)['valid']
        print('%-32s %s' % (name, 'ok' if got == want else 'WRONG (got %s, want %s)' % (got, want)))
        failed += got != want
    # A vector of maps, #_ discards, strings with escapes, nemesis ops skipped.
    maps = read_edn_ops('[{:process :nemesis, :type :info, :f :start-kill, :value {:id "f1"}} #_ {:x 1}\n'
                        ' {:process 0, :type :invoke, :f :write, :value 1, :key "a\\"b", :time 5}\n'
                        ' {:process 0, :type :ok, :f :write, :value 1, :key "a\\"b", :time 6}]')
    r = check(maps, 0, 10)
    reader_ok = r['valid'] is True and r['keys'] == 1 and r['ops'] == 1
    print('%-32s %s' % ('reader', 'ok' if reader_ok else 'WRONG %r' % r))
    failed += not reader_ok
    total = len(cases) + 1
    # Knossos's own cas-register histories, with the verdicts Knossos gives
    # (tests/data/published/README.md): good/ linearizable, bad/ not.
    if knossos_dir:
        import glob
        import os
        for verdict in ('good', 'bad'):
            for path in sorted(glob.glob(os.path.join(knossos_dir, verdict, '*.edn'))):
                with open(path, encoding='utf-8') as f:
                    maps = read_edn_ops(f.read())
                initial = None if path.endswith('rethink-fail-minimal.edn') else 0
                got = check(maps, initial, 60)['valid']
                want = verdict == 'good'
                name = 'knossos ' + verdict + '/' + os.path.basename(path)
                print('%-32s %s' % (name, 'ok' if got == want else 'WRONG (got %s, want %s)' % (got, want)))
                failed += got != want
                total += 1
    print('%d passed, %d failed' % (total - failed, failed))
    return 1 if failed else 0


def main(argv):
    if argv[1:2] == ['--self-test']:
        return self_test(argv[2] if len(argv) > 2 else None)
    args = argv[1:]
    path, initial, timeout, as_json = None, 0, 120.0, False
    k = 0
    while k < len(args):
        a = args[k]
        if a == '--initial':
            initial = _hashable(_Edn(args[k + 1]).read())
            k += 2
        elif a == '--timeout':
            timeout = float(args[k + 1])
            k += 2
        elif a == '--json':
            as_json, k = True, k + 1
        elif path is None:
            path, k = a, k + 1
        else:
            print(__doc__.split('\n\n')[1], file=sys.stderr)
            return 254
    if path is None:
        print(__doc__.split('\n\n')[1], file=sys.stderr)
        return 254
    try:
        with open(path, encoding='utf-8') as f:
            maps = read_edn_ops(f.read())
        started = time.monotonic()
        r = check(maps, initial, timeout)
    except (OSError, EdnError, KeyError, ValueError) as e:
        print('wgl_check: %s: %s' % (path, e), file=sys.stderr)
        return 254
    r['seconds'] = round(time.monotonic() - started, 3)
    if as_json:
        print(json.dumps(r, default=str))
    else:
        print('wgl_check: %s: %d ops on %d keys in %.1fs: %s' % (
            path, r['ops'], r['keys'], r['seconds'],
            {True: 'linearizable', False: 'NOT linearizable', 'unknown': 'unknown (timeout)'}[r['valid']]))
        for b in r['bad_keys']:
            print('  key %s (%d ops): cannot place %s' % (b['key'], b['ops'], b['stuck_at']))
    return {True: 0, False: 1, 'unknown': 2}[r['valid']]


if __name__ == '__main__':
    sys.exit(main(sys.argv))
