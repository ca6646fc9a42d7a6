// The page's URL state (runs in Node, no browser): a state survives the trip through the query
// string, defaults are left out of links, and bad or hostile values fall back to the defaults.

import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, isRepoId, parseState, stateToSearch, type PageState } from '../../src/web/url-state.ts';

describe('URL state', () => {
  it('the default state makes an empty query, and an empty query gives the defaults', () => {
    expect(stateToSearch(DEFAULT_STATE)).toBe('');
    expect(parseState('')).toEqual(DEFAULT_STATE);
  });

  it('a full state survives the round trip', () => {
    const state: PageState = {
      prompt: 'Héllo 🤖 <b>&amp;',
      compare: 'Héllo 🤖 <i>&lt; & = ?',
      model: { kind: 'hub', repo: 'openai-community/gpt2' },
      scene: 'attention-scores',
      time: 3.25,
      layer: 5,
      head: 7,
      sampling: { temperature: 0, topK: 3, topP: 0.5, seed: 9 },
      window: 8,
      lensPosition: 3,
    };
    expect(parseState(stateToSearch(state))).toEqual(state);
  });

  it('a second prompt lives in the URL like the first: the example one is left out, and none is an empty one', () => {
    expect(DEFAULT_STATE.compare).toBe('The robots will destroy');
    const state = { ...DEFAULT_STATE, compare: 'The robots will carry' };
    expect(stateToSearch(state)).toBe('?compare=The+robots+will+carry');
    expect(parseState('?compare=The+robots+will+carry').compare).toBe('The robots will carry');
    expect(stateToSearch({ ...state, compare: '' })).toBe('?compare=');
    expect(parseState('?compare=').compare).toBe('');
  });

  it('bad values fall back to the defaults one by one', () => {
    const state = parseState('?t=-4&layer=1.5&head=abc&temperature=99&topk=-1&topp=0&seed=NaN&window=x&model=hub:../../x&position=-2');
    expect(state.time).toBe(0);
    expect(state.layer).toBe(0);
    expect(state.head).toBe(0);
    expect(state.sampling).toEqual(DEFAULT_STATE.sampling);
    expect(state.window).toBe(0);
    expect(state.model).toEqual({ kind: 'default' });
    expect(state.lensPosition).toBeNull();
  });

  it('repository ids look like owner/name and cannot climb out of the hub path', () => {
    expect(isRepoId('openai-community/gpt2')).toBe(true);
    expect(isRepoId('gpt2')).toBe(true);
    expect(isRepoId('../gpt2')).toBe(false);
    expect(isRepoId('a/b/c')).toBe(false);
    expect(isRepoId('https://evil.example/x')).toBe(false);
    expect(isRepoId('a/..')).toBe(false);
  });
});
