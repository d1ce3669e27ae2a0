/**
 * The outbound address policy on its own: which addresses are internal (every spelling), how
 * `sync.allowHosts` entries parse and match, and what a check decides for names a resolver
 * turns into internal addresses (a `localtest.me`-style name, DNS rebinding to a second address).
 */
import { expect } from 'chai';
import {
  canonicalHost,
  classifyAddress,
  OutboundBlockedError,
  OutboundPolicy,
  parseAllowEntry,
} from '../../../registry/client/index.js';

describe('registry client: outbound address policy', () => {
  describe('classifying addresses', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.3.4', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['172.32.0.1', undefined],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'private'],
      ['100.128.0.1', undefined],
      ['169.254.169.254', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['8.8.8.8', undefined],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['[::ffff:10.0.0.1]', 'private'],
      ['::ffff:8.8.8.8', undefined],
      ['64:ff9b::a00:1', 'private'],
      ['64:ff9b::808:808', undefined],
      ['::127.0.0.1', 'reserved'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['febf::1', 'link-local'],
      ['fd12:3456::1', 'private'],
      ['fc00::1', 'private'],
      ['ff02::1', 'multicast'],
      ['2001:4860:4860::8888', undefined],
      ['1:2:3:4:5:6:7:8', undefined],
    ];
    for (const [ip, kind] of cases) {
      it(`${ip} is ${kind ?? 'public'}`, () => {
        expect(classifyAddress(ip)?.kind).to.equal(kind);
      });
    }
  });

  describe('canonical hosts', () => {
    const cases: [string, string | undefined][] = [
      ['127.1', '127.0.0.1'],
      ['2130706433', '127.0.0.1'],
      ['0x7f.1', '127.0.0.1'],
      ['0177.0.0.1', '127.0.0.1'],
      ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
      ['::FFFF:127.0.0.1', '::ffff:7f00:1'],
      ['LOCALHOST.', 'localhost'],
      ['Registry.Example.com', 'registry.example.com'],
      ['a b', undefined],
      ['a/b', undefined],
      ['', undefined],
    ];
    for (const [host, canonical] of cases) {
      it(`${JSON.stringify(host)} is ${String(canonical)}`, () => {
        expect(canonicalHost(host)).to.equal(canonical);
      });
    }
  });

  describe('allowHosts entries', () => {
    const good: [string, object][] = [
      ['registry.corp', { kind: 'host', host: 'registry.corp' }],
      ['Registry.Corp:5000', { kind: 'host', host: 'registry.corp', port: 5000 }],
      ['10.0.0.0/8', { kind: 'cidr', range: '10.0.0.0/8' }],
      ['10.1.2.3/8', { kind: 'cidr', range: '10.0.0.0/8' }],
      ['127.0.0.1', { kind: 'cidr', range: '127.0.0.1/32' }],
      ['127.0.0.1:5000', { kind: 'cidr', range: '127.0.0.1/32', port: 5000 }],
      ['fd00::/8', { kind: 'cidr', range: 'fd00::/8' }],
      ['fd00::1', { kind: 'cidr', range: 'fd00::1/128' }],
      ['[fd00::1]:5000', { kind: 'cidr', range: 'fd00::1/128', port: 5000 }],
    ];
    for (const [text, parsed] of good) {
      it(`parses ${text}`, () => {
        const entry = parseAllowEntry(text);
        const shown =
          entry.kind === 'cidr'
            ? { kind: 'cidr', range: entry.range.text, ...(entry.port ? { port: entry.port } : {}) }
            : entry;
        expect(shown).to.deep.equal(parsed);
      });
    }
    for (const text of ['', 'http://registry.corp', '10.0.0.0/33', 'registry.corp:99999', 'a/b']) {
      it(`refuses ${JSON.stringify(text)}`, () => {
        expect(() => parseAllowEntry(text)).to.throw(Error);
      });
    }
  });

  describe('checking a target', () => {
    const names: Record<string, string[]> = {
      'registry.example.com': ['93.184.216.34'],
      'localtest.me': ['127.0.0.1'],
      'rebind.example.com': ['93.184.216.34', '10.0.0.1'],
      'metadata.example.com': ['::ffff:169.254.169.254'],
      'registry.corp': ['10.1.1.1'],
      'other.corp': ['10.2.0.1'],
    };
    const asked: string[] = [];
    const resolve = (host: string): Promise<string[]> => {
      asked.push(host);
      const found = names[host];
      return found ? Promise.resolve(found) : Promise.reject(new Error(`ENOTFOUND ${host}`));
    };
    const policy = (allowHosts: string[] = [], self = [{ host: '0.0.0.0', port: 8080 }]) =>
      new OutboundPolicy({ allowHosts, resolve, self: () => self });
    const blocked = async (p: OutboundPolicy, host: string, port = 443) => {
      try {
        await p.check(host, port);
      } catch (err) {
        if (err instanceof OutboundBlockedError) return [err.host, err.reason];
        throw err;
      }
      return undefined;
    };

    beforeEach(() => (asked.length = 0));

    it('connects to the address it checked', async () => {
      expect(await policy().check('registry.example.com', 443)).to.equal('93.184.216.34');
    });

    it('refuses a name that resolves to loopback', async () => {
      expect(await blocked(policy(), 'localtest.me')).to.deep.equal([
        'localtest.me:443',
        'loopback',
      ]);
    });

    it('refuses a name with any internal address among its answers (DNS rebinding)', async () => {
      expect(await blocked(policy(), 'rebind.example.com')).to.deep.equal([
        'rebind.example.com:443',
        'private',
      ]);
    });

    it('judges an IPv4-mapped answer by its IPv4 address', async () => {
      expect((await blocked(policy(), 'metadata.example.com'))?.[1]).to.equal('link-local');
    });

    it('refuses literals and localhost names without asking DNS', async () => {
      for (const host of ['10.0.0.5', '[::1]', '::ffff:7f00:1', 'localhost', 'api.localhost.'])
        expect((await blocked(policy(), host))?.[1], host).to.be.oneOf(['private', 'loopback']);
      expect(asked).to.deep.equal([]);
    });

    it('lets a listed name through on any port, or on the one port listed', async () => {
      expect(await policy(['registry.corp']).check('registry.corp', 5001)).to.equal('10.1.1.1');
      const byPort = policy(['registry.corp:5000']);
      expect(await byPort.check('registry.corp', 5000)).to.equal('10.1.1.1');
      expect(await blocked(byPort, 'registry.corp', 5001)).to.deep.equal([
        'registry.corp:5001',
        'private',
      ]);
    });

    it('lets addresses in a listed range through, and no others', async () => {
      const p = policy(['10.1.0.0/16']);
      expect(await p.check('registry.corp', 443)).to.equal('10.1.1.1');
      expect((await blocked(p, 'other.corp'))?.[1]).to.equal('private');
    });

    it('never connects to its own listen address, listed or not', async () => {
      const p = policy(['127.0.0.0/8', 'localhost']);
      expect(await blocked(p, 'localhost', 8080)).to.deep.equal(['localhost:8080', 'self']);
      expect(await blocked(p, '127.0.0.1', 8080)).to.deep.equal(['127.0.0.1:8080', 'self']);
      expect(await p.check('127.0.0.1', 8081)).to.equal('127.0.0.1');
    });
  });
});
