// /certification/login (server/web/pages/certification.ts): a Rainbond console frames this page;
// the user signs in with phone + code, creates an access key, and the page posts {accessKey} to
// the console's window once (../shared/rainstore-api.md §5, "Binding").
//
// The session lives in `token` only: the JSON API's login answers with a session token, which is
// sent as a Bearer header. A cookie would not work in a third-party frame (the session cookie is
// SameSite=Strict), and nothing is written to storage; the session is ended once the key is sent.
(function () {
  'use strict';

  var main = document.querySelector('[data-certification]');
  if (!main) return;
  var allowed = JSON.parse(main.getAttribute('data-frame-ancestors') || '[]');
  var errorBox = main.querySelector('[data-error]');
  var statusBox = main.querySelector('[data-status]');
  var forms = {
    phone: document.getElementById('step-phone'),
    code: document.getElementById('step-code'),
    key: document.getElementById('step-key'),
  };
  var RESEND_SECONDS = 60;
  var token = '';
  var phone = '';
  var sent = false;

  // The embedding page's origin. location.ancestorOrigins (Chromium, Safari) names the parent
  // whatever its referrer policy; else document.referrer, the contract's source.
  function embedderOrigin() {
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length > 0 && ancestors[0] !== 'null') return ancestors[0];
    try {
      if (document.referrer) return new URL(document.referrer).origin;
    } catch {
      // not a URL: unknown embedder
    }
    return '';
  }

  var DEFAULT_PORT = { 'http:': '80', 'https:': '443' };

  // Does a frame-ancestors entry ('self', *, scheme://host[:port], scheme://*.host[:port]) admit
  // `origin`? The same rules as the browser's CSP check: a http: entry also admits https:.
  function admits(entry, origin) {
    var o;
    try {
      o = new URL(origin);
    } catch {
      return false;
    }
    if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
    if (entry === '*') return true;
    if (entry === "'self'") return origin === window.location.origin;
    var m = /^(https?:)\/\/(\*\.)?([^:/]+)(?::(\d+))?$/i.exec(entry);
    if (!m) return false;
    var scheme = m[1].toLowerCase();
    if (scheme !== o.protocol && !(scheme === 'http:' && o.protocol === 'https:')) return false;
    var port = o.port || DEFAULT_PORT[o.protocol];
    if (port !== (m[4] || DEFAULT_PORT[o.protocol])) return false;
    var host = m[3].toLowerCase();
    return m[2] ? o.hostname.slice(-(host.length + 1)) === '.' + host : o.hostname === host;
  }

  // Where the key goes: the embedder's origin, if the store's list admits it. Without a known
  // embedder the contract says "*"; that is done only when the list admits any site anyway
  // ("*"), or names exactly one origin (the browser has already held the frame to the list).
  // A secret never goes to "*" while the list restricts who may frame the page.
  function targetOrigin(embedder) {
    if (embedder)
      return allowed.some(function (entry) {
        return admits(entry, embedder);
      })
        ? embedder
        : '';
    if (allowed.indexOf('*') >= 0) return '*';
    var exact = allowed.filter(function (entry) {
      return /^https?:\/\/[^*]+$/i.test(entry);
    });
    return exact.length === 1 && allowed.length === exact.length ? new URL(exact[0]).origin : '';
  }

  function show(step) {
    Object.keys(forms).forEach(function (name) {
      forms[name].hidden = name !== step;
    });
    var first = step && forms[step].querySelector('input:not([type=hidden]):not([type=checkbox])');
    if (first) first.focus();
  }

  function say(box, text) {
    box.textContent = text || '';
    box.hidden = !text;
  }

  function busy(form, on) {
    var buttons = form.querySelectorAll('button');
    for (var i = 0; i < buttons.length; i++) {
      if (on) buttons[i].setAttribute('data-was-disabled', buttons[i].disabled ? '1' : '');
      buttons[i].disabled = on ? true : buttons[i].getAttribute('data-was-disabled') === '1';
    }
  }

  // One JSON call to the store API; resolves with the body, rejects with {message, details}.
  function call(method, path, body) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(path, {
      method: method,
      headers: headers,
      credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(
      function (res) {
        if (res.status === 204) return {};
        return res.json().then(
          function (data) {
            if (res.ok) return data;
            var error = (data && data.error) || {};
            throw {
              message: error.message || 'the store refused (' + res.status + ')',
              details: error.details || {},
            };
          },
          function () {
            throw {
              message: 'the store answered ' + res.status + ' without an explanation',
              details: {},
            };
          },
        );
      },
      function () {
        throw {
          message: 'the store did not answer; check the connection and try again',
          details: {},
        };
      },
    );
  }

  var resend = forms.code.querySelector('[data-resend]');
  var resendText = forms.code.querySelector('[data-resend-text]');
  var resendTimer = 0;
  function countdown(seconds) {
    clearTimeout(resendTimer);
    var left = seconds;
    var label = 'Send the code again';
    var tick = function () {
      if (left <= 0) {
        resend.disabled = false;
        resend.textContent = label;
        resendText.textContent = '';
        return;
      }
      resend.disabled = true;
      resend.textContent = label + ' (' + left + ' s)';
      left -= 1;
      resendTimer = setTimeout(tick, 1000);
    };
    resendText.textContent = 'You can ask for another code in a minute.';
    tick();
  }

  function sendCode(form) {
    say(errorBox, '');
    busy(form, true);
    return call('POST', '/api/v1/auth/code', { phone: phone })
      .then(function () {
        busy(form, false);
        forms.code.querySelector('[data-phone]').textContent = phone;
        show('code');
        say(statusBox, 'We sent a code to ' + phone + '. It is valid for 10 minutes.');
        countdown(RESEND_SECONDS);
      })
      .catch(function (err) {
        busy(form, false);
        say(errorBox, err.message);
        if (err.details.retryAfterSeconds) {
          if (form === forms.phone) {
            forms.code.querySelector('[data-phone]').textContent = phone;
            show('code');
          }
          countdown(err.details.retryAfterSeconds);
        }
      });
  }

  function start() {
    var embedder = embedderOrigin();
    if (window.parent === window) {
      say(
        errorBox,
        'Open this page from a Rainbond console (add this store as an app market there): it hands the key to the console that shows it.',
      );
      return;
    }
    var line = main.querySelector('[data-embedder-line]');
    main.querySelector('[data-embedder]').textContent = embedder || 'showing this page';
    line.hidden = !embedder;
    var target = targetOrigin(embedder);
    if (!target) {
      say(
        errorBox,
        (embedder
          ? 'This store does not give keys to ' + embedder
          : 'This store cannot tell which site shows this page') +
          ". Ask its operator to add the console's address to rainstore.frameAncestors.",
      );
      return;
    }

    forms.phone.addEventListener('submit', function (event) {
      event.preventDefault();
      phone = forms.phone.elements.phone.value.trim();
      if (!phone) return say(errorBox, 'Type your phone number.');
      sendCode(forms.phone);
    });

    main.querySelector('[data-other-number]').addEventListener('click', function () {
      say(errorBox, '');
      say(statusBox, '');
      show('phone');
    });

    resend.addEventListener('click', function () {
      sendCode(forms.code);
    });

    forms.code.addEventListener('submit', function (event) {
      event.preventDefault();
      var code = forms.code.elements.code.value.trim();
      var name = forms.code.elements.name.value.trim();
      if (!/^[0-9]{6}$/.test(code)) return say(errorBox, 'The code has six digits.');
      say(errorBox, '');
      busy(forms.code, true);
      var body = { phone: phone, code: code };
      if (name) body.name = name;
      call('POST', '/api/v1/auth/login', body)
        .then(function (session) {
          busy(forms.code, false);
          token = session.token;
          clearTimeout(resendTimer);
          forms.key.querySelector('[data-user]').textContent = session.user.name;
          say(statusBox, '');
          show('key');
        })
        .catch(function (err) {
          busy(forms.code, false);
          say(errorBox, err.message);
        });
    });

    forms.key.addEventListener('submit', function (event) {
      event.preventDefault();
      if (sent) return;
      var form = forms.key;
      var name = form.elements.keyName.value.trim();
      var scopes = [];
      var boxes = form.querySelectorAll('input[name=scopes]:checked');
      for (var i = 0; i < boxes.length; i++) scopes.push(boxes[i].value);
      if (!name) return say(errorBox, 'Give the key a name.');
      if (scopes.length === 0) return say(errorBox, 'Choose at least one scope.');
      var days = parseInt(form.elements.expiresInDays.value, 10) || 0;
      var body = { name: name, scopes: scopes };
      if (days > 0) body.expiresAt = new Date(Date.now() + days * 86400000).toISOString();
      say(errorBox, '');
      busy(form, true);
      call('POST', '/api/v1/keys', body)
        .then(function (created) {
          sent = true;
          window.parent.postMessage({ accessKey: created.key }, target);
          show('');
          say(
            statusBox,
            'Done: the key “' +
              name +
              '” went to ' +
              (embedder || 'the console') +
              '. You can revoke it any time under My store → Access keys.',
          );
          // The frame's session is no longer needed.
          return call('POST', '/api/v1/auth/logout').then(
            function () {
              token = '';
            },
            function () {
              token = '';
            },
          );
        })
        .catch(function (err) {
          busy(form, false);
          say(errorBox, err.message);
        });
    });

    show('phone');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
