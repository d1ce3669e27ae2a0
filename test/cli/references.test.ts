/** App references and image sources as the CLI reads them. */
import { expect } from 'chai';
import { parseAppRef } from '../../cli/app-ref.js';
import { CliError } from '../../cli/errors.js';
import { parseImageSource } from '../../cli/image-source.js';
import { parseStoreAddress } from '../../cli/store-address.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('cli: references', () => {
  for (const [text, want] of [
    [
      'acme/hello',
      { store: undefined, namespace: 'acme', app: 'hello', version: undefined, digest: undefined },
    ],
    [
      'acme/hello:1.0.0',
      { store: undefined, namespace: 'acme', app: 'hello', version: '1.0.0', digest: undefined },
    ],
    [
      'store.example.com/acme/hello:2',
      {
        store: 'store.example.com',
        namespace: 'acme',
        app: 'hello',
        version: '2',
        digest: undefined,
      },
    ],
    [
      '127.0.0.1:8080/acme/hello:1.0',
      {
        store: '127.0.0.1:8080',
        namespace: 'acme',
        app: 'hello',
        version: '1.0',
        digest: undefined,
      },
    ],
    [
      'localhost/acme/hello',
      {
        store: 'localhost',
        namespace: 'acme',
        app: 'hello',
        version: undefined,
        digest: undefined,
      },
    ],
    [
      'http://10.0.0.1:80/acme/hello:1',
      {
        store: 'http://10.0.0.1:80',
        namespace: 'acme',
        app: 'hello',
        version: '1',
        digest: undefined,
      },
    ],
    [
      `acme/hello@${D}`,
      { store: undefined, namespace: 'acme', app: 'hello', version: undefined, digest: D },
    ],
  ] as const) {
    it(`reads ${text}`, () => expect(parseAppRef(text)).to.deep.equal(want));
  }

  for (const text of [
    'hello',
    'hello:1',
    'a/b/c',
    'Acme/hello',
    'acme/hello:',
    'acme/hello:-x',
    'acme/hello@sha256:12',
    'x.io/a/b/c:1',
  ]) {
    it(`refuses ${JSON.stringify(text)} as a usage error`, () => {
      expect(() => parseAppRef(text))
        .to.throw(CliError)
        .with.property('kind', 'usage');
    });
  }

  for (const [text, want] of [
    [
      'docker://nginx',
      { host: 'docker.io', repository: 'library/nginx', tag: undefined, digest: undefined },
    ],
    [
      'nginx:1.25',
      { host: 'docker.io', repository: 'library/nginx', tag: '1.25', digest: undefined },
    ],
    [
      'docker://goodrain/app:v1',
      { host: 'docker.io', repository: 'goodrain/app', tag: 'v1', digest: undefined },
    ],
    [
      'docker://127.0.0.1:5000/a/b/c:t',
      { host: '127.0.0.1:5000', repository: 'a/b/c', tag: 't', digest: undefined },
    ],
    [
      `registry.example.com/acme/web@${D}`,
      { host: 'registry.example.com', repository: 'acme/web', tag: undefined, digest: D },
    ],
  ] as const) {
    it(`reads the image source ${text}`, () =>
      expect(parseImageSource(text)).to.deep.include({ kind: 'registry', ...want }));
  }

  for (const [text, dir, tag] of [
    ['oci:layout', 'layout', undefined],
    ['oci:layout:v1', 'layout', 'v1'],
    ['oci:/tmp/x:y/layout:1.0', '/tmp/x:y/layout', '1.0'],
    ['oci:/tmp/x:y/layout', '/tmp/x:y/layout', undefined],
  ] as const) {
    it(`reads the layout source ${text}`, () =>
      expect(parseImageSource(text)).to.deep.include({ kind: 'layout', dir, tag }));
  }

  for (const [text, source] of [
    ['docker-daemon:nginx:1', { kind: 'daemon', name: 'nginx:1' }],
    ['docker-daemon:sha256:0123', { kind: 'daemon', name: 'sha256:0123' }],
    ['docker-archive:x.tar', { kind: 'archive', file: 'x.tar', name: undefined }],
    ['docker-archive:x.tar:acme/web:1', { kind: 'archive', file: 'x.tar', name: 'acme/web:1' }],
  ] as const) {
    it(`reads the Docker source ${text}`, () =>
      expect(parseImageSource(text)).to.deep.include(source));
  }

  for (const text of [
    'docker-daemon:',
    'docker-archive:',
    'docker-archive:x.tar:',
    'oci-archive:x.tar',
    'https://x/y',
    'docker://UPPER/case',
    'oci:',
  ]) {
    it(`refuses the image source ${text} as a usage error`, () => {
      expect(() => parseImageSource(text))
        .to.throw(CliError)
        .with.property('kind', 'usage');
    });
  }

  for (const [text, host, url] of [
    ['store.example.com', 'store.example.com', 'https://store.example.com'],
    ['127.0.0.1:8080', '127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://store.lan:8080/', 'store.lan:8080', 'http://store.lan:8080'],
    ['localhost', 'localhost', 'http://localhost'],
  ] as const) {
    it(`reads the store address ${text}`, () =>
      expect(parseStoreAddress(text)).to.deep.equal({ host, url }));
  }

  for (const text of ['', 'http://x/path', 'a b']) {
    it(`refuses the store address ${JSON.stringify(text)}`, () =>
      expect(() => parseStoreAddress(text)).to.throw(CliError));
  }
});
