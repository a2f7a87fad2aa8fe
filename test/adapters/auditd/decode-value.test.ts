import { describe, expect, it } from 'vitest';
import { decimalField, decodeUntrusted, hexField, unquote } from '../../../adapters/auditd/decode-value.js';

describe('decode-value', () => {
  it('decodes quoted, hex and (null) untrusted strings', () => {
    expect(decodeUntrusted('"bash"')).toBe('bash');
    expect(decodeUntrusted('2F746D702F6120622063')).toBe('/tmp/a b c');
    expect(decodeUntrusted('(null)')).toBeUndefined();
    expect(decodeUntrusted(undefined)).toBeUndefined();
  });

  it('re-decodes UTF-8 that the latin1 line reader split into bytes', () => {
    const latin1 = Buffer.from('"jürgen"', 'utf8').toString('latin1');
    expect(decodeUntrusted(latin1)).toBe('jürgen');
  });

  it('reads numbers written quoted or not', () => {
    expect(decimalField('"0"')).toBe(0);
    expect(decimalField('4294967295')).toBe(4294967295);
    expect(decimalField('abc')).toBeUndefined();
    expect(hexField('1200011')).toBe(0x1200011);
    expect(hexField('zz')).toBeUndefined();
    expect(unquote("'x'")).toBe('x');
  });
});
