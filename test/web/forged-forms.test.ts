/**
 * Forged web requests (issue 13 §3): every state-changing web request carries the form token,
 * whatever its content type. A post without it, or with a wrong one, is a 403 and changes
 * nothing: urlencoded, multipart (the content type a cross-site form may pick to dodge a check
 * that only reads urlencoded bodies), text/plain and JSON alike. Forms with the right token still
 * work, the multipart ones (avatar upload) included.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  randomBytes(64),
]);

/** A multipart body with these text fields (and the avatar file, when given). */
function multipart(fields: Record<string, string>, avatar?: Buffer): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (avatar) form.append('avatar', new Blob([avatar], { type: 'image/png' }), 'a.png');
  return form;
}

describe('web: forged requests are refused whatever their content type', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let b: CookieBrowser;
  let keyId: string;

  /** What the forged posts could change: the key, the session, the profile, the avatar. */
  const state = async () => {
    const keys = await b.request('GET', '/my/keys');
    const me = await api<{ displayName: string; avatarUrl: string | null }>(
      srv,
      'GET',
      '/api/v1/users/forms',
    );
    return {
      signedIn: keys.status === 200,
      keyLive: keys.text.includes(`action="/my/keys/${keyId}/revoke"`),
      displayName: me.body.displayName,
      avatar: me.body.avatarUrl,
    };
  };
  const untouched = {
    signedIn: true,
    keyLive: true,
    displayName: 'Form Filler',
    avatar: null,
  };

  before(async () => {
    srv = await startTestServer();
    b = new CookieBrowser(srv);
    await b.signIn('+4915112341301', 'forms');
    const saved = await b.request('POST', '/my/profile', {
      _csrf: await b.token('/my/profile'),
      displayName: 'Form Filler',
      bio: '',
      website: '',
    });
    expect(saved.status).to.equal(303);
    const made = await b.request('POST', '/my/keys', {
      _csrf: await b.token('/my/keys'),
      name: 'laptop',
      scopes: 'read',
    });
    expect(made.status).to.equal(200);
    keyId = /action="\/my\/keys\/(\d+)\/revoke"/.exec(made.text)![1]!;
    expect(await state()).to.deep.equal(untouched);
  });
  after(() => srv?.close());

  const targets = () =>
    [
      ['revoking a key', `/my/keys/${keyId}/revoke`, {}],
      ['signing out', '/logout', {}],
      ['changing the profile', '/my/profile', { displayName: 'Forged', bio: '', website: '' }],
    ] as const;

  for (const [tokenCase, token] of [
    ['without a token', undefined],
    ['with a wrong token', 'x'.repeat(43)],
  ] as const) {
    it(`answers a multipart post ${tokenCase} with 403 and changes nothing`, async () => {
      const answers: string[] = [];
      for (const [what, path, fields] of targets()) {
        const res = await b.send(
          'POST',
          path,
          multipart({ ...fields, ...(token ? { _csrf: token } : {}) }),
        );
        answers.push(`${what}: ${res.status}`);
      }
      const upload = await b.send(
        'POST',
        '/my/profile/avatar',
        multipart(token ? { _csrf: token } : {}, PNG),
      );
      answers.push(`uploading an avatar: ${upload.status}`);
      expect(answers).to.deep.equal([
        'revoking a key: 403',
        'signing out: 403',
        'changing the profile: 403',
        'uploading an avatar: 403',
      ]);
      expect(await state()).to.deep.equal(untouched);
    });
  }

  it('answers text/plain and JSON posts with 403 even when they carry the right token', async () => {
    const token = await b.token('/my/keys');
    const answers: string[] = [];
    for (const [what, path] of targets()) {
      for (const [type, body] of [
        ['text/plain', `_csrf=${token}`],
        ['application/json', JSON.stringify({ _csrf: token })],
      ] as const) {
        const res = await b.send('POST', path, body, { 'content-type': type });
        answers.push(`${what} (${type}): ${res.status}`);
      }
    }
    expect(
      answers.every((a) => a.endsWith(': 403')),
      answers.join('\n'),
    ).to.equal(true);
    expect(await state()).to.deep.equal(untouched);
  });

  it('refuses a multipart post from another site even with the right token', async () => {
    const res = await b.send(
      'POST',
      `/my/keys/${keyId}/revoke`,
      multipart({ _csrf: await b.token('/my/keys') }),
      { origin: 'https://evil.example' },
    );
    expect(res.status).to.equal(403);
    expect(await state()).to.deep.equal(untouched);
  });

  it('takes multipart forms that carry the right token', async () => {
    const upload = await b.send(
      'POST',
      '/my/profile/avatar',
      multipart({ _csrf: await b.token('/my/profile') }, PNG),
    );
    expect([upload.status, upload.headers.get('location')]).to.deep.equal([
      303,
      '/my/profile?done=avatar',
    ]);
    const revoke = await b.send(
      'POST',
      `/my/keys/${keyId}/revoke`,
      multipart({ _csrf: await b.token('/my/keys') }),
    );
    expect(revoke.status).to.equal(303);
    expect(await state()).to.deep.equal({
      ...untouched,
      keyLive: false,
      avatar: '/api/v1/users/forms/avatar',
    });
  });
});
