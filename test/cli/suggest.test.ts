import { describe, expect, it } from 'vitest';
import { editDistance, nearest } from '../../src/cli/suggest.js';

describe('suggestions', () => {
  it('finds the nearest command', () => {
    expect(editDistance('gradchek', 'gradcheck')).toBe(1);
    expect(nearest('gradchek', ['train', 'gradcheck', 'demo'])).toBe('gradcheck');
    expect(nearest('trian', ['train', 'gradcheck', 'demo'])).toBe('train');
    expect(nearest('xyzzy', ['train', 'gradcheck', 'demo'])).toBeUndefined();
  });
});
