/**
 * A safe reader for the subset of Python's pickle format that PyTorch checkpoints use. Pure TS.
 *
 * Nothing is ever executed: GLOBAL only names a callable from an allow-list, and REDUCE/BUILD on
 * it are handed to the caller (`reduce`) or handled here for the one built-in (`OrderedDict`).
 * Persistent ids (BINPERSID: how torch refers to tensor storages) go to the caller too.
 * Every error is one line naming the problem and the byte offset. The reader never recurses (any
 * nesting depth is fine) and runs at most `maxOpcodes` opcodes, each creating at most one value, so
 * no input can make it loop or allocate more than that bound (a few hundred MB at the default).
 */

/** A Python tuple (kept apart from lists so that shapes and persistent ids can be checked). */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A dict or OrderedDict. Keys are Python str/int/bool/None. */
export class PickleDict {
  readonly entries = new Map<PickleKey, PickleValue>();
  /** BUILD state applied to the dict (torch's state_dict `_metadata`): kept, never interpreted. */
  state: PickleValue | undefined = undefined;
  constructor(readonly ordered: boolean) {}
  get(key: PickleKey): PickleValue | undefined {
    return this.entries.get(key);
  }
}

/** A global from the allow-list, e.g. `torch FloatStorage`. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module} ${this.name}`;
  }
}

/** A value built by the caller (from `reduce` or `persistentLoad`), carried through untouched. */
export class PickleOpaque<T = unknown> {
  constructor(readonly tag: string, readonly value: T) {}
}

export type PickleKey = string | number | bigint | boolean | null;
export type PickleValue =
  | PickleKey
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleGlobal
  | PickleOpaque;

export interface PickleOptions {
  /** Allowed `module name` pairs for GLOBAL (e.g. "torch FloatStorage"). Anything else is refused. */
  readonly allowedGlobals: ReadonlySet<string>;
  /** BINPERSID: turn a persistent id into a value (torch: a storage reference). */
  readonly persistentLoad?: (pid: PickleValue, offset: number) => PickleValue;
  /**
   * REDUCE on an allowed global other than `collections OrderedDict` (built in): build the
   * value from the arguments (torch: `_rebuild_tensor_v2`).
   */
  readonly reduce?: (fn: PickleGlobal, args: PickleTuple, offset: number) => PickleValue;
  /** Most opcodes to run (default MAX_PICKLE_OPCODES); a pickle needing more is refused. */
  readonly maxOpcodes?: number;
}

/**
 * Default opcode budget. A state dict costs about 30 opcodes per tensor (the published ones: under
 * 2,500 in all; a 1,000-tensor network: about 30,000), while a one-byte EMPTY_DICT opcode makes an
 * object of about 300 bytes: 500,000 opcodes keep the worst case near 150 MB.
 */
export const MAX_PICKLE_OPCODES = 500_000;

export interface PickleResult {
  readonly value: PickleValue;
  /** offset just past the STOP opcode (where the next pickle, if any, starts) */
  readonly end: number;
}

/** One-line error with the byte offset where the problem was found. */
export class PickleError extends Error {
  constructor(problem: string, readonly offset: number) {
    super(`${problem} (pickle byte ${offset})`);
    this.name = 'PickleError';
  }
}

const NOT_ALLOWED_HINT = 'which is not allowed (only tensors, dicts and lists are read)';

/** Opcode names, for error messages about opcodes this reader does not support. */
const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT',
  0x4a: 'BININT', 0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID',
  0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT',
  0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET',
  0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT',
  0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

/** Human name of an opcode byte: `0x69 (INST)`, or `0xff` for bytes that are no opcode at all. */
export function describeOpcode(op: number): string {
  const hex = `0x${op.toString(16).padStart(2, '0')}`;
  const name = OPCODE_NAMES[op];
  return name ? `${hex} (${name})` : hex;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isKey(v: PickleValue): v is PickleKey {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean';
}

/** Little-endian two's complement integer of `len` bytes (LONG1); a number when it is safe. */
function decodeLong(bytes: Uint8Array, start: number, len: number): number | bigint {
  if (len === 0) return 0;
  let v = 0n;
  for (let i = len - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[start + i]!);
  if (bytes[start + len - 1]! & 0x80) v -= 1n << BigInt(8 * len);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Read one pickle starting at `start`. Returns the value and the offset just past its STOP.
 * Throws PickleError (one line, with the offset) on anything unsupported, unsafe or truncated.
 */
export function readPickle(bytes: Uint8Array, start: number, options: PickleOptions): PickleResult {
  if (!Number.isInteger(start) || start < 0 || start > bytes.length) {
    throw new Error(`Expected integer between 0 and ${bytes.length} for pickle start but received ${start}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = start;
  let opAt = start;
  const maxOpcodes = options.maxOpcodes ?? MAX_PICKLE_OPCODES;
  let opcodes = 0;

  // Explicitly typed so that TypeScript narrows after a call (assertion-style never).
  const fail: (problem: string, at?: number) => never = (problem, at = opAt) => {
    throw new PickleError(problem, at);
  };
  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) fail('pickle ends unexpectedly (file truncated?)', bytes.length);
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): PickleValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) fail('pickle stack underflow');
    return stack.pop()!;
  };
  const top = (): PickleValue => {
    if (stack.length === 0) fail('pickle stack underflow');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PickleValue[] => {
    const m = marks.pop();
    if (m === undefined) fail('pickle has no MARK to pop to');
    return stack.splice(m!);
  };
  const readLine = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) fail('pickle ends unexpectedly inside a GLOBAL name (file truncated?)', bytes.length);
    const at = pos;
    pos = nl + 1;
    try {
      return utf8.decode(bytes.subarray(at, nl));
    } catch {
      return fail('GLOBAL name is not valid UTF-8');
    }
  };
  const readUtf8 = (len: number): string => {
    const at = need(len);
    try {
      return utf8.decode(bytes.subarray(at, at + len));
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const setItems = (dict: PickleValue, items: PickleValue[]): void => {
    if (!(dict instanceof PickleDict)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) {
      const k = items[i]!;
      if (!isKey(k)) fail('dict key of an unsupported type (only str, int, bool and None keys are read)');
      dict.entries.set(k, items[i + 1]!);
    }
  };
  const appendItems = (list: PickleValue, items: PickleValue[]): void => {
    if (!Array.isArray(list)) fail('APPEND(S) on something that is not a list');
    for (const v of items) list.push(v); // not push(...items): that overflows the call stack on huge lists
  };
  const makeGlobal = (module: string, name: string): PickleGlobal => {
    const g = new PickleGlobal(module, name);
    if (!options.allowedGlobals.has(g.qualified)) fail(`pickle uses global "${g.qualified}", ${NOT_ALLOWED_HINT}`);
    return g;
  };
  const memoGet = (idx: number): PickleValue => {
    if (!memo.has(idx)) fail(`pickle refers to memo entry ${idx}, which was never stored`);
    return memo.get(idx)!;
  };

  for (;;) {
    opAt = pos;
    if (++opcodes > maxOpcodes) fail(`pickle has more than ${maxOpcodes} opcodes, far more than any state dict this reader is meant for`);
    const op = bytes[need(1)]!;
    switch (op) {
      case 0x80: { // PROTO
        const proto = bytes[need(1)]!;
        if (proto > 5) fail(`unsupported pickle protocol ${proto}`);
        break;
      }
      case 0x95: // FRAME (protocol 4): a length hint only
        need(8);
        break;
      case 0x2e: // STOP
        if (marks.length > 0) fail('pickle stops inside an unclosed MARK');
        if (stack.length !== 1) fail(`pickle stops with ${stack.length} values on the stack instead of 1`);
        return { value: stack[0]!, end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict(false));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PickleTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PickleTuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop(), a = pop();
        stack.push(new PickleTuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop(), b = pop(), a = pop();
        stack.push(new PickleTuple([a, b, c]));
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(bytes[need(1)]!, top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(view.getUint32(need(4), true), top());
        break;
      case 0x94: // MEMOIZE (protocol 4)
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(bytes[need(1)]!));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(view.getUint32(need(4), true)));
        break;
      case 0x58: // BINUNICODE
        stack.push(readUtf8(view.getUint32(need(4), true)));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(readUtf8(bytes[need(1)]!));
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(bytes[need(1)]!);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: { // LONG1
        const len = bytes[need(1)]!;
        stack.push(decodeLong(bytes, need(len), len));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x63: { // GLOBAL
        const module = readLine();
        const name = readLine();
        stack.push(makeGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL (protocol 4)
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(makeGlobal(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PickleGlobal)) fail('REDUCE on something that is not an allowed global');
        if (!(args instanceof PickleTuple)) fail('REDUCE arguments are not a tuple');
        if (fn.qualified === 'collections OrderedDict') {
          if (args.items.length !== 0) fail('OrderedDict built from arguments is not supported');
          stack.push(new PickleDict(true));
        } else if (options.reduce) {
          stack.push(options.reduce(fn, args, opAt));
        } else {
          fail(`pickle calls global "${fn.qualified}", ${NOT_ALLOWED_HINT}`);
        }
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (!(obj instanceof PickleDict)) fail('BUILD on something that is not a dict');
        obj.state = state;
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) fail('pickle has a persistent id, but none were expected here');
        stack.push(options.persistentLoad(pid, opAt));
        break;
      }
      default:
        fail(`unsupported pickle opcode ${describeOpcode(op)}`);
    }
  }
}
