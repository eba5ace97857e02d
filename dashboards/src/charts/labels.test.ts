import { describe, expect, it } from 'vitest';
import {
  actorLabel,
  bucketLabel,
  dimensionLabel,
  escapeHtml,
  formatValue,
  keyLabel,
  measureLabel,
  shortIri,
  timeKeyLabel,
} from './labels';

const o = { labels: {} };

describe('labels', () => {
  it('shortens IRIs and mailboxes it has no name for', () => {
    expect(shortIri('http://adlnet.gov/expapi/verbs/experienced')).toBe('experienced');
    expect(shortIri('http://id.tincanapi.com/activitytype/lms#course')).toBe('course');
    expect(shortIri('mailto:ana@example.com')).toBe('ana@example.com');
    expect(shortIri('plain text')).toBe('plain text');
  });

  it('prefers names, then the IRI short form', () => {
    const names = { 'http://x/a': 'Alpha' };
    expect(keyLabel('activity', 'http://x/a', names, o)).toBe('Alpha');
    expect(keyLabel('activity', 'http://x/b/beta', names, o)).toBe('beta');
    expect(keyLabel({ path: 'context.platform' }, '', names, o)).toBe('(none)');
  });

  it('reads time keys as people do', () => {
    expect(timeKeyLabel('weekday', '1')).toBe('Monday');
    expect(timeKeyLabel('weekday', '7')).toBe('Sunday');
    expect(timeKeyLabel('week', '2026-11-02')).toBe('2 Nov 2026');
    expect(timeKeyLabel('week', 'odd')).toBe('odd');
    expect(timeKeyLabel('hour_of_day', '9')).toBe('09:00');
    expect(timeKeyLabel('month', '2026-11-01')).toBe('Nov 2026');
    expect(timeKeyLabel('hour', '2026-11-01 13:00:00')).toBe('2026-11-01 13:00');
  });

  it('writes buckets as ranges without float noise', () => {
    expect(bucketLabel('0.30000000000000004', 0.1)).toBe('0.3–0.4');
    expect(bucketLabel('20', 10)).toBe('20–30');
  });

  it('names measures and dimensions in words', () => {
    expect(measureLabel('unique_actors')).toBe('Actors');
    expect(measureLabel({ max: 'result.duration_ms' })).toBe('Highest duration (ms)');
    expect(measureLabel({ sum: 'result.extensions.http://x/ext/points' })).toBe('Total points');
    expect(dimensionLabel('activity_type')).toBe('Activity type');
    expect(dimensionLabel({ time: 'hour_of_day' })).toBe('Hour of day');
  });

  it('formats values with the decimals and unit asked', () => {
    expect(formatValue(1234567, { decimals: null, unit: '' })).toBe('1,234,567');
    expect(formatValue(0.71234, { decimals: null, unit: '' })).toBe('0.712');
    expect(formatValue(71.5, { decimals: 0, unit: '%' })).toBe('72%');
    expect(formatValue(null, { decimals: null, unit: '' })).toBe('–');
  });

  it('escapes names for tooltips', () => {
    expect(escapeHtml('<img src=x onerror="alert(1)">')).toBe(
      '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;',
    );
  });

  it('shows actors by address, account name, OpenID or hash', () => {
    expect(actorLabel('mbox:mailto:ada@example.com')).toBe('ada@example.com');
    expect(actorLabel('account:https://lms.example.com|ada-42')).toBe('ada-42');
    expect(actorLabel('openid:https://id.example.com/ada')).toBe('https://id.example.com/ada');
    expect(actorLabel('mbox_sha1sum:0123456789abcdef')).toBe('sha1 0123456789…');
    expect(keyLabel('actor', 'mbox:mailto:ada@example.com', {}, { labels: {} })).toBe('ada@example.com');
    expect(keyLabel('persona', 'mbox:mailto:ada@example.com', {}, { labels: {} })).toBe('ada@example.com');
    expect(keyLabel('persona', 'Ada Lovelace', {}, { labels: {} })).toBe('Ada Lovelace');
    expect(keyLabel('actor', 'mbox:mailto:ada@example.com', {}, { labels: { 'mbox:mailto:ada@example.com': 'Ada' } })).toBe('Ada');
  });
});
