import { describe, expect, it } from 'vitest';
import { type GuardRules, refusalOf } from '#shared/local/origin-guard.ts';

const PORT = 4567;
const PROGRAMS_ONLY: GuardRules = { origin: 'none' };
const OWN_PAGES: GuardRules = { origin: 'own' };

describe('the local servers’ guard against web pages', () => {
  it.each([
    ['127.0.0.1', { host: `127.0.0.1:${PORT}` }],
    ['localhost', { host: `localhost:${PORT}` }],
    ['IPv6 loopback', { host: `[::1]:${PORT}` }],
    ['upper-case name', { host: `LOCALHOST:${PORT}` }],
  ])('lets a program through at %s', (_name, headers) => {
    // Act
    const refusal = refusalOf(headers, PORT, PROGRAMS_ONLY);
    // Assess
    expect(refusal).toBeUndefined();
  });

  it.each([
    ['a page of another site', { host: `127.0.0.1:${PORT}`, origin: 'https://attacker.example' }],
    ['a sandboxed page', { host: `127.0.0.1:${PORT}`, origin: 'null' }],
    ['a page of the same machine', { host: `127.0.0.1:${PORT}`, origin: `http://127.0.0.1:${PORT}` }],
  ])('refuses %s when only programs call the server', (_name, headers) => {
    // Act
    const refusal = refusalOf(headers, PORT, PROGRAMS_ONLY);
    // Assess
    expect(refusal).toBe('origin');
  });

  it.each([
    ['a rebound name', `attacker.example:${PORT}`],
    ['loopback on another port', `127.0.0.1:${PORT + 1}`],
    ['loopback without a port', '127.0.0.1'],
    ['a name ending like localhost', `evil-localhost:${PORT}`],
    ['a subdomain of localhost, not asked for', `sqs.us-east-1.localhost:${PORT}`],
  ])('refuses %s as Host', (_name, host) => {
    // Act
    const refusal = refusalOf({ host }, PORT, PROGRAMS_ONLY);
    // Assess
    expect(refusal).toBe('host');
  });

  it('refuses a request without Host', () => {
    // Act
    const refusal = refusalOf({}, PORT, PROGRAMS_ONLY);
    // Assess
    expect(refusal).toBe('host');
  });

  it('accepts subdomains of localhost where asked (fauxqs’ queue URLs), and no other name', () => {
    // Prepare
    const rules: GuardRules = { origin: 'none', localhostSubdomains: true };
    // Act
    const queueHost = refusalOf({ host: `sqs.us-east-1.localhost:${PORT}` }, PORT, rules);
    const lookalike = refusalOf({ host: `sqs.localhost.attacker.example:${PORT}` }, PORT, rules);
    // Assess
    expect(queueHost).toBeUndefined();
    expect(lookalike).toBe('host');
  });

  it('lets the server’s own pages post to it, and no other page', () => {
    // Act
    const own = refusalOf({ host: `localhost:${PORT}`, origin: `http://localhost:${PORT}` }, PORT, OWN_PAGES);
    const otherPort = refusalOf(
      { host: `localhost:${PORT}`, origin: `http://localhost:${PORT + 1}` },
      PORT,
      OWN_PAGES,
    );
    const otherSite = refusalOf(
      { host: `localhost:${PORT}`, origin: 'https://attacker.example' },
      PORT,
      OWN_PAGES,
    );
    // Assess
    expect(own).toBeUndefined();
    expect(otherPort).toBe('origin');
    expect(otherSite).toBe('origin');
  });

  it('leaves Host alone where a tunnel forwards under its public name, and still refuses pages there', () => {
    // Prepare
    const rules: GuardRules = { origin: 'own', host: false };
    // Act
    const tunnelled = refusalOf({ host: 'abc123.ngrok.app' }, PORT, rules);
    const page = refusalOf({ host: 'abc123.ngrok.app', origin: 'https://attacker.example' }, PORT, rules);
    // Assess
    expect(tunnelled).toBeUndefined();
    expect(page).toBe('origin');
  });

  it.each([
    ['X-Forwarded-For', { 'x-forwarded-for': '203.0.113.9' }],
    ['Forwarded', { forwarded: 'for=203.0.113.9' }],
    ['Via', { via: '1.1 nginx' }],
  ])(
    'refuses what a proxy relayed with %s under a rewritten loopback Host, except where Host is not checked',
    (_name, proxied) => {
      // Act
      const checked = refusalOf({ host: `127.0.0.1:${PORT}`, ...proxied }, PORT, PROGRAMS_ONLY);
      const webhooks = refusalOf({ host: `127.0.0.1:${PORT}`, ...proxied }, PORT, {
        origin: 'own',
        host: false,
      });
      // Assess
      expect(checked).toBe('proxied');
      expect(webhooks).toBeUndefined();
    },
  );

  it('counts the address the server was told to bind as its own name', () => {
    // Prepare
    const rules: GuardRules = { origin: 'none', bindHost: '0.0.0.0' };
    // Act
    const bound = refusalOf({ host: `0.0.0.0:${PORT}` }, PORT, rules);
    const unbound = refusalOf({ host: `0.0.0.0:${PORT}` }, PORT, PROGRAMS_ONLY);
    // Assess
    expect(bound).toBeUndefined();
    expect(unbound).toBe('host');
  });
});
