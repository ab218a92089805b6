// The `iss` of a token is read before anything is verified, to find the secret: an attacker picks
// it freely. Whatever it is, the answer must be a 401, never a 503 that a store error would give
// (anyone could then raise "store down" alarms at will). Real servers and a real file.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HS256_HEADER, nowSeconds, unsignedToken } from '@connect-jwt/adapter-test-suite';
import { type ConnectJwtError, MemoryStore, type SecretStore, verifyRequest } from '@connect-jwt/core';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, dropPostgresSchema, REDIS_URL } from './helpers/addon-process.js';

const run = randomBytes(5).toString('hex');
const directory = mkdtempSync(join(tmpdir(), 'connect-jwt-iss-'));
const schema = `connect_jwt_iss_${run}`;

const stores: Array<[string, SecretStore]> = [
  ['MemoryStore', new MemoryStore()],
  ['RedisStore', new RedisStore({ url: REDIS_URL, prefix: `connect-jwt-iss:${run}:` })],
  ['PostgresStore', new PostgresStore({ url: DATABASE_URL, schema })],
  ['SqliteStore', new SqliteStore({ filename: join(directory, 'store.sqlite') })],
];

afterAll(async () => {
  await Promise.all(stores.map(([, store]) => store.close?.()));
  await dropPostgresSchema(schema);
  rmSync(directory, { recursive: true, force: true });
});

const HOSTILE_ISSUERS = [
  'x\u0000',
  '\u0000',
  'client\u0000key',
  'key\u001b[2J',
  'key\r\nx',
  'key\u007f',
  'key\u0085',
  'key\ud800',
  '\udc00key',
  'k'.repeat(256),
  'k'.repeat(5000),
];

/** An HS256 token from `iss` with a signature no secret made. */
function forgedToken(iss: string): string {
  const now = nowSeconds();
  return unsignedToken(HS256_HEADER, { iss, iat: now, exp: now + 60, qsh: 'x' }, 'AAAA');
}

describe('a hostile iss is refused as 401 before any store is asked', () => {
  for (const [name, store] of stores) {
    it(name, async () => {
      let asked = 0;
      const counting: SecretStore = {
        get: (clientKey) => {
          asked++;
          return store.get(clientKey);
        },
        set: (installation) => store.set(installation),
        delete: (clientKey) => store.delete(clientKey),
      };
      for (const iss of HOSTILE_ISSUERS) {
        const request = { method: 'GET', url: '/', headers: { authorization: `JWT ${forgedToken(iss)}` } };
        const error = (await verifyRequest(request, { store: counting }).catch((e: unknown) => e)) as ConnectJwtError;
        const label = JSON.stringify(iss).slice(0, 40);
        expect({ label, code: error.code, status: error.status }).toEqual({
          label,
          code: 'ERR_INVALID_ISSUER',
          status: 401,
        });
      }
      expect(asked).toBe(0);
    });
  }
});
