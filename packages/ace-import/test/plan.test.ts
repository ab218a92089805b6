import { MemoryStore } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';
import { type AceSnapshot, formatReport, planImport } from '../src/index.js';
import { installBody } from './support/ace-stores.js';

function snapshot(partial: Partial<AceSnapshot>): AceSnapshot {
  return { clientInfos: [], links: [], ...partial };
}

describe('planImport', () => {
  it('skips a record filed under no clientKey, or under another clientKey than its own', async () => {
    const plan = await planImport(
      snapshot({
        clientInfos: [
          { clientKey: null, value: installBody('a'), rows: 1 },
          { clientKey: 'b', value: installBody('not-b'), rows: 1 },
        ],
      }),
      new MemoryStore(),
    );
    expect(plan.entries).toEqual([
      { action: 'skip', clientKey: null, reason: 'an ACE record has no clientKey' },
      {
        action: 'skip',
        clientKey: 'b',
        reason: 'clientInfo.clientKey differs from the clientKey ACE files the record under',
      },
    ]);
  });

  it('leaves installationId unset when several Forge installations link to one site, and says so', async () => {
    const plan = await planImport(
      snapshot({
        clientInfos: [{ clientKey: 'c', value: installBody('c'), rows: 1 }],
        links: [
          { installationId: 'one', clientKey: 'c' },
          { installationId: 'two', clientKey: 'c' },
          { installationId: 'three', clientKey: 'gone' },
        ],
      }),
      new MemoryStore(),
    );
    const [entry] = plan.entries;
    expect(entry).toMatchObject({ action: 'import', clientKey: 'c' });
    expect(entry?.action === 'import' && 'installationId' in entry.installation).toBe(false);
    expect(plan.notes).toEqual([
      'c: 2 Forge installations link to it in ACE; installationId left unset',
      '1 ACE Forge link(s) point to no clientInfo record: nothing to attach them to',
    ]);
  });

  it('keeps the installationId the clientInfo holds over a link', async () => {
    const plan = await planImport(
      snapshot({
        clientInfos: [{ clientKey: 'd', value: installBody('d', { installationId: 'own' }), rows: 1 }],
        links: [{ installationId: 'linked', clientKey: 'd' }],
      }),
      new MemoryStore(),
    );
    expect(plan.entries[0]?.action === 'import' && plan.entries[0].installation.installationId).toBe('own');
  });
});

describe('formatReport', () => {
  it('prints a clientKey holding control characters escaped, never raw', async () => {
    const clientKey = 'evil\u001b[2Jkey';
    const plan = await planImport(
      snapshot({ clientInfos: [{ clientKey, value: { clientKey }, rows: 1 }] }),
      new MemoryStore(),
    );
    const lines = formatReport({ from: 'sqlite:a', to: 'sqlite:b', dryRun: true, plan, written: 0 });
    expect(lines.join('\n')).not.toContain('\u001b');
    expect(lines).toContain(`skipped   ${JSON.stringify(clientKey)}: clientInfo has no "sharedSecret"`);
  });
});
