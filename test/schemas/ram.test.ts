import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { INVALID_SAMPLE_REASONS } from '../helpers/ram-samples.js';
import { formatRamError, RamTemplateSchema, validateRamTemplate } from '../../schemas/ram.js';

const samples = new URL('../fixtures/ram/', import.meta.url).pathname;
const read = (path: string): unknown => JSON.parse(readFileSync(join(samples, path), 'utf8'));

describe('RAM template validation', () => {
  for (const file of readdirSync(join(samples, 'valid'))) {
    it(`accepts valid/${file} unchanged`, () => {
      const input = read(`valid/${file}`);
      const result = validateRamTemplate(input);
      expect(result.ok, JSON.stringify(result)).to.equal(true);
      if (result.ok) expect(result.template).to.deep.equal(input);
    });
  }

  it('covers every invalid sample', () => {
    expect(readdirSync(join(samples, 'invalid')).sort()).to.deep.equal(
      Object.keys(INVALID_SAMPLE_REASONS).sort(),
    );
  });

  for (const [file, message] of Object.entries(INVALID_SAMPLE_REASONS)) {
    it(`rejects invalid/${file} at the broken rule`, () => {
      const result = validateRamTemplate(read(`invalid/${file}`));
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(formatRamError(result)).to.equal(`invalid template: ${message}`);
    });
  }

  it('normalises a legacy proxy_header list into a map', () => {
    const result = validateRamTemplate(read('legacy/proxy-header-list.json'));
    expect(result.ok).to.equal(true);
    if (result.ok)
      expect(result.template).to.deep.equal(read('legacy/proxy-header-list.normalised.json'));
  });

  it('reads null lists as empty and a missing apps as []', () => {
    const result = validateRamTemplate({
      group_key: 'k',
      group_name: 'n',
      group_version: '1.0',
      template_version: 'v2',
      governance_mode: 'BUILD_IN_SERVICE_MESH',
      plugins: null,
      k8s_resources: [{ name: 'q', kind: 'ResourceQuota', content: 'kind: ResourceQuota' }],
    });
    expect(result.ok).to.equal(true);
    if (result.ok) {
      expect(result.template.apps).to.deep.equal([]);
      expect(result.template['plugins']).to.deep.equal([]);
      expect(result.warnings).to.deep.equal([]);
    }
  });

  it('warns about a non-numeric group_version and reserved env names', () => {
    const template = read('valid/minimal.json') as Record<string, unknown>;
    const result = validateRamTemplate({ ...template, group_version: 'beta' });
    expect(result.ok).to.equal(true);
    if (result.ok) expect(result.warnings.join('\n')).to.contain('group_version');
  });

  it('never accepts a non-object', () => {
    for (const input of [null, 3, 'x', []]) expect(validateRamTemplate(input).ok).to.equal(false);
  });

  it('is also a zod schema: the same first problem as message and path', () => {
    const broken = RamTemplateSchema.safeParse(read('invalid/port-not-integer.json'));
    expect(broken.success).to.equal(false);
    expect(broken.error?.issues[0]?.path).to.deep.equal([
      'apps',
      1,
      'port_map_list',
      0,
      'container_port',
    ]);
    expect(broken.error?.issues[0]?.message).to.equal('must be an integer 1-65535');
    const fine = RamTemplateSchema.safeParse(read('legacy/proxy-header-list.json'));
    expect(fine.data).to.deep.equal(read('legacy/proxy-header-list.normalised.json'));
  });
});
