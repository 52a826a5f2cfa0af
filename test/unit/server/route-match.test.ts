import { describe, expect, it } from 'vitest';
import { geminiModel, matchRoute } from '../../../src/server/route-match.js';

describe('matchRoute: Gemini paths', () => {
  it.each([
    ['/v1beta/models/gemini-2.5-flash:generateContent', 'gemini_generate', undefined, '/models/gemini-2.5-flash:generateContent', ''],
    ['/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', 'gemini_stream', undefined, '/models/gemini-2.5-flash:streamGenerateContent', '?alt=sse'],
    ['/v1/models/gemini-2.5-flash:countTokens', 'gemini_count_tokens', undefined, '/models/gemini-2.5-flash:countTokens', ''],
    ['/agents/bot/v1/models/gpt-4o-mini:generateContent', 'gemini_generate', 'bot', '/models/gpt-4o-mini:generateContent', ''],
  ])('%s', (url, endpoint, agent, v1Path, search) => {
    expect(matchRoute(url)).toEqual({ kind: 'proxy', endpoint, agent, v1Path, search });
  });

  it('leaves other /v1/models paths to their handlers, and serves nothing else under /v1beta', () => {
    expect(matchRoute('/v1/models')).toMatchObject({ kind: 'proxy', endpoint: 'models' });
    expect(matchRoute('/v1/models/gpt-4o')).toMatchObject({ kind: 'proxy', endpoint: 'other' });
    expect(matchRoute('/v1/models/a:embedContent')).toMatchObject({ kind: 'proxy', endpoint: 'other' });
    expect(matchRoute('/v1beta/models')).toEqual({ kind: 'not_found' });
    expect(matchRoute('/v1beta/models/x/y:generateContent')).toEqual({ kind: 'not_found' });
  });

  it('reads the model out of the path, URL-decoded', () => {
    expect(geminiModel('/models/gemini-2.5-flash:generateContent')).toBe('gemini-2.5-flash');
    expect(geminiModel('/models/my%20model:generateContent')).toBe('my model');
    expect(geminiModel('/models/%E0%A4%A:generateContent')).toBeUndefined();
  });
});
