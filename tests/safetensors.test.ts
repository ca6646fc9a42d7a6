// The safetensors reader and writer: values against the reference writer's file, round trips,
// every malformed-file error, and fuzzing (any bytes give a result or a ModelError).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ModelError } from '../src/model/config.ts';
import {
  parseSafetensors,
  tensorFloat32,
  tensorInt32,
  writeSafetensors,
} from '../src/model/safetensors.ts';
import { floatToHalfBits, halfBitsToFloat } from '../src/kernels/half.ts';

// Written by the safetensors library (scripts/fixtures/safetensors_dtypes.py).
const reference = new Uint8Array(readFileSync(new URL('./fixtures/dtypes.safetensors', import.meta.url)));

/** A file with this exact header object and data section. */
function fileWith(header: unknown, dataBytes = 0, headerText = JSON.stringify(header)): Uint8Array {
  const h = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

/** Parses and converts every tensor, as a loader would. */
function readAll(bytes: Uint8Array): Map<string, Float32Array | ModelError> {
  const file = parseSafetensors(bytes, 'x.safetensors');
  const out = new Map<string, Float32Array | ModelError>();
  for (const name of file.entries.keys()) {
    try {
      out.set(name, tensorFloat32(file, name));
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      out.set(name, e);
    }
  }
  return out;
}

describe('reading files the reference writer made', () => {
  const file = parseSafetensors(reference, 'dtypes.safetensors');
  const values = [0, -0, 1, -2.5, 0.15625, 3, -1024, 0.0078125];

  it('lists the tensors with shapes and ignores __metadata__', () => {
    expect([...file.entries.keys()].sort()).toEqual(['bf16', 'f16', 'f16_edges', 'f32', 'steps']);
    expect(file.entries.get('f32')).toMatchObject({ dtype: 'F32', shape: [2, 4] });
  });

  it('converts F32, F16 and BF16 to the same float32 values', () => {
    for (const name of ['f32', 'f16', 'bf16']) {
      const got = Array.from(tensorFloat32(file, name));
      expect(got, name).toEqual(values);
      expect(Object.is(got[1], -0), `${name} keeps the sign of zero`).toBe(true);
    }
    expect(Array.from(tensorFloat32(file, 'f16_edges'))).toEqual([65504, 2 ** -24, -(2 ** -14), Infinity]);
  });

  it('reads the same values when the file’s bytes start at an odd offset in their buffer', () => {
    // Half-precision data is read in place when 2-byte aligned; this takes the copying path.
    const shifted = new Uint8Array(reference.length + 1);
    shifted.set(reference, 1);
    const odd = parseSafetensors(shifted.subarray(1), 'dtypes.safetensors');
    for (const name of ['f32', 'f16', 'bf16', 'f16_edges']) expect(Array.from(tensorFloat32(odd, name)), name).toEqual(Array.from(tensorFloat32(file, name)));
  });

  it('refuses to turn a non-float tensor into numbers, and names a missing one', () => {
    expect(() => tensorFloat32(file, 'steps')).toThrow(/dtypes\.safetensors: tensor "steps" is stored as I64; this loader reads F32, F16, BF16/);
    expect(() => tensorFloat32(file, 'nope')).toThrow(ModelError);
  });
});

describe('writing', () => {
  const tensors = [
    { name: 'a', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0.1, 1e-8, -7e4]) },
    { name: 'b.c', shape: [0], data: new Float32Array(0) },
    { name: 'scalar', shape: [], data: new Float32Array([42]) },
  ];

  it('round-trips F32 exactly, with an 8-byte aligned data section', () => {
    const bytes = writeSafetensors(tensors, { metadata: { format: 'pt' } });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const file = parseSafetensors(bytes);
    for (const t of tensors) {
      expect(file.entries.get(t.name)).toMatchObject({ dtype: 'F32', shape: t.shape });
      expect(tensorFloat32(file, t.name)).toEqual(t.data);
    }
  });

  it('writes F16 rounded to the nearest half, and refuses values float16 cannot hold', () => {
    const small = [{ name: 'w', shape: [4], data: new Float32Array([1, 0.1, -65504, 1e-8]) }];
    const got = tensorFloat32(parseSafetensors(writeSafetensors(small, { dtype: 'F16' })), 'w');
    expect(Array.from(got)).toEqual([1, halfBitsToFloat(floatToHalfBits(0.1)), -65504, 0]);
    expect(Math.abs(got[1] - 0.1)).toBeLessThan(1e-4);
    expect(() => writeSafetensors(tensors, { dtype: 'F16' })).toThrow(/tensor "a" holds -70000, beyond float16's range/);
  });

  it('checks that the data fits the shape', () => {
    expect(() => writeSafetensors([{ name: 'x', shape: [2, 2], data: new Float32Array(3) }])).toThrow(ModelError);
  });

  it('writes whole numbers as I32 beside floats in the file\'s float dtype, and reads them back exactly', () => {
    const index = new Int32Array([0, 2, -1, 2 ** 31 - 1, 50256]);
    const file = parseSafetensors(writeSafetensors([
      { name: 'w', shape: [2], data: new Float32Array([0.5, -2]) },
      { name: 'index', shape: [5], data: index },
    ], { dtype: 'F16' }));
    expect(file.entries.get('index')).toMatchObject({ dtype: 'I32', shape: [5] });
    expect(file.entries.get('w')).toMatchObject({ dtype: 'F16' });
    expect(tensorInt32(file, 'index')).toEqual(index);
    expect(Array.from(tensorFloat32(file, 'w'))).toEqual([0.5, -2]);
    expect(() => tensorInt32(file, 'w')).toThrow(/x?tensor "w" is stored as F16; it must be I32/);
    expect(() => tensorFloat32(file, 'index')).toThrow(/tensor "index" is stored as I32/);
  });
});

describe('float16 conversion', () => {
  it('maps every half value back to its own bits', () => {
    for (let h = 0; h < 65536; h++) {
      const v = halfBitsToFloat(h);
      if (Number.isNaN(v)) expect(Number.isNaN(halfBitsToFloat(floatToHalfBits(v)))).toBe(true);
      else expect(floatToHalfBits(v), `0x${h.toString(16)}`).toBe(h);
    }
  });

  it('rounds any float32 to a nearest half value, ties to even', () => {
    fc.assert(
      fc.property(fc.float({ min: -65504, max: 65504, noNaN: true }), (x) => {
        const h = floatToHalfBits(x);
        const err = Math.abs(halfBitsToFloat(h) - x);
        for (const other of [h - 1, h + 1]) {
          if ((other & 0x7fff) > 0x7bff || other < 0) continue; // not a finite neighbour
          const otherErr = Math.abs(halfBitsToFloat(other) - x);
          expect(err).toBeLessThanOrEqual(otherErr);
          if (err === otherErr) expect(h & 1).toBe(0);
        }
      }),
      { numRuns: 2000 },
    );
    expect(halfBitsToFloat(floatToHalfBits(65520))).toBe(Infinity); // rounds past the largest half
    expect(halfBitsToFloat(floatToHalfBits(2 ** -25))).toBe(0); // tie between 0 and 2^-24 → even
    expect(halfBitsToFloat(floatToHalfBits(1.5 * 2 ** -24))).toBe(2 ** -23);
  });
});

describe('malformed files', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than the length field', new Uint8Array(5), /too short/],
    ['header length past the end', (() => {
      const b = fileWith({});
      new DataView(b.buffer).setBigUint64(0, 1000n, true);
      return b;
    })(), /header length 1000 runs past the end of the 10-byte file/],
    ['huge header length', (() => {
      const b = fileWith({});
      new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true);
      return b;
    })(), /runs past the end/],
    ['invalid JSON', fileWith(null, 0, '{"a": '), /header is not valid JSON/],
    ['invalid UTF-8 in the header', (() => {
      const b = fileWith(null, 0, '{"?": 1}');
      b[10] = 0xff; // the "?" becomes a byte that is never valid UTF-8
      return b;
    })(), /header is not valid JSON/],
    ['a header that is a list', fileWith([1, 2]), /header is not a JSON object/],
    ['unknown dtype', fileWith({ t: { dtype: 'F17', shape: [1], data_offsets: [0, 4] } }, 4), /tensor "t": unknown dtype "F17"/],
    ['a dtype named like an object property', fileWith({ t: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, 4), /tensor "t": unknown dtype "toString"/],
    ['offsets past the data', fileWith({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /tensor "t": data_offsets \[0, 8\] lie outside the 4-byte data section/],
    ['reversed offsets', fileWith({ t: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, 4), /outside/],
    ['overlapping tensors', fileWith({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    }, 12), /tensors "a" \(bytes 0-8\) and "b" \(bytes 4-12\) overlap/],
    ['shape and size disagree', fileWith({ t: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, 8), /shape \[3\] of F16 needs 6 bytes but data_offsets give 8/],
    ['negative dimension', fileWith({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), /shape must be a list of non-negative integers/],
    ['shape overflowing', fileWith({ t: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 0] } }), /needs .* bytes/],
    ['missing offsets', fileWith({ t: { dtype: 'F32', shape: [1] } }, 4), /data_offsets must be/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`rejects ${what} with a ModelError naming the file`, () => {
      expect(() => readAll(bytes)).toThrow(ModelError);
      expect(() => readAll(bytes)).toThrow(/^x\.safetensors: /);
      expect(() => readAll(bytes)).toThrow(message);
    });
  }
});

describe('fuzzing: any bytes give a result or a ModelError', () => {
  const outcome = (bytes: Uint8Array): void => {
    try {
      readAll(bytes);
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
    }
  };

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => outcome(b)), { numRuns: 2000 });
  });

  it('valid files with bytes changed, cut short or extended', () => {
    const valid = writeSafetensors([
      { name: 'x', shape: [3], data: new Float32Array([1, 2, 3]) },
      { name: 'y', shape: [2, 2], data: new Float32Array([4, 5, 6, 7]) },
    ]);
    const mutation = fc.record({
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.nat(),
      extra: fc.uint8Array({ maxLength: 16 }),
    });
    fc.assert(
      fc.property(mutation, ({ edits, cut, extra }) => {
        const b = new Uint8Array([...valid, ...extra]);
        for (const [at, value] of edits) b[at % b.length] = value;
        outcome(b.subarray(0, b.length - (cut % 8)));
      }),
      { numRuns: 3000 },
    );
  });

  it('arbitrary headers', () => {
    const entry = fc.record(
      {
        dtype: fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I64', 'BOOL', 'F8_E4M3', 'Q4', 3, 'constructor', '__proto__'),
        shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 5 }), { maxLength: 3 }), fc.constant('x')),
        data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -1, max: 40 }), fc.integer({ min: -1, max: 40 })), fc.constant([])),
      },
      { requiredKeys: [] },
    );
    const header = fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(entry, fc.anything()), { maxKeys: 4 });
    fc.assert(fc.property(header, fc.nat({ max: 40 }), (h, n) => outcome(fileWith(h, n))), { numRuns: 2000 });
  });
});
