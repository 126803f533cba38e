import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSAL } from '#shared/local/origin-guard.ts';
import { corsHeadersOf, rawRequest } from '#tests/support/raw-http.ts';
import { type Rig, startRig } from './support.ts';

/*
 * The simulators' control endpoints arm faults and list every request the sender made (message text,
 * phone numbers): a web page the developer visits must not reach them, whatever content type it
 * sends (the fault list is parsed as JSON whatever the header says).
 */

const FAULTS = '/_local/providers/faults';
const REQUESTS = '/_local/providers/requests';

describe('provider simulators against web pages', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('refuses a page’s fault list sent as text/plain (no preflight) and arms nothing', async () => {
    // Act
    const answer = await rawRequest(`${rig.simulators.baseUrl}${FAULTS}`, {
      method: 'POST',
      headers: { origin: 'https://attacker.example', 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify([{ provider: 'twilio', kind: 'server_error', status: 500 }]),
    });
    // Assess
    expect(answer.status).toBe(403);
    expect(corsHeadersOf(answer)).toEqual([]);
    expect(rig.simulators.faults()).toEqual([]);
  });

  it('answers the request log at a loopback Host only', async () => {
    // Prepare
    const port = new URL(rig.simulators.baseUrl).port;
    // Act
    const rebound = await rawRequest(`${rig.simulators.baseUrl}${REQUESTS}`, {
      headers: { host: `attacker.example:${port}` },
    });
    const local = await rawRequest(`${rig.simulators.baseUrl}${REQUESTS}`);
    // Assess
    expect(rebound.status).toBe(403);
    expect(rebound.body).toBe(REFUSAL.body);
    expect(local.status).toBe(200);
    expect(JSON.parse(local.body)).toEqual([]);
  });
});
