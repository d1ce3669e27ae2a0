// appshelf's one page script: progressive enhancements only; every page works without it.
// Copy buttons, the "send the code again" countdown, confirmations on dangerous forms, selects
// that submit their form on change, and a sync page that follows its job as it runs.
(function () {
  'use strict';

  function copyText(button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    if (!target) return;
    var text = target.textContent || '';
    var done = function () {
      var label = button.textContent;
      button.textContent = 'Copied';
      button.setAttribute('aria-live', 'polite');
      setTimeout(function () {
        button.textContent = label;
      }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {
        selectText(target);
      });
    } else {
      selectText(target);
    }
  }

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function countdown(button) {
    var left = parseInt(button.getAttribute('data-countdown') || '0', 10);
    var text = button.parentNode.querySelector('[data-countdown-text]');
    var label = button.getAttribute('data-label') || button.textContent;
    if (!(left > 0)) return;
    button.disabled = true;
    var tick = function () {
      if (left <= 0) {
        button.disabled = false;
        button.textContent = label;
        if (text) text.textContent = '';
        return;
      }
      button.textContent = label + ' (' + left + ' s)';
      left -= 1;
      setTimeout(tick, 1000);
    };
    if (text) text.textContent = 'You can ask for another code in a minute.';
    tick();
  }

  // The same as formatBytes in server/governance/quotas.ts, which wrote the page.
  function formatBytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    var value = n;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return unit === 0 ? n + ' B' : Number(value.toFixed(2)) + ' ' + units[unit];
  }

  function bytesText(done, total) {
    return total ? formatBytes(done) + ' of ' + formatBytes(total) : formatBytes(done);
  }

  var SYNC_STATES = {
    pending: 'waiting to start',
    copying: 'copying',
    done: 'done: the version is ready to install',
    failed: 'failed',
  };

  // Reads the job about once a second until it ends; then the page reloads once, for the
  // outcome's links (the server writes them, as it wrote the rest).
  function followSync(root) {
    var url = root.getAttribute('data-live-sync');
    var show = function (job) {
      var done = 0;
      var total = 0;
      for (var i = 0; i < job.components.length; i++) {
        var c = job.components[i];
        done += c.bytesDone;
        total += c.bytesTotal;
        // The key comes from the template (the publisher's text): compared, never put in a selector.
        var row = null;
        var rows = root.querySelectorAll('tr[data-key]');
        for (var r = 0; r < rows.length; r++)
          if (rows[r].getAttribute('data-key') === c.serviceKey) row = rows[r];
        if (!row) continue;
        row.querySelector('[data-state]').textContent =
          c.state + (c.error ? ': ' + c.error.message : '');
        row.querySelector('[data-bytes]').textContent = bytesText(c.bytesDone, c.bytesTotal);
      }
      var bar = root.querySelector('progress');
      bar.max = Math.max(total, 1);
      bar.value = done;
      root.querySelector('[data-sync-bytes]').textContent = bytesText(done, total);
      root.querySelector('[data-sync-state]').textContent = SYNC_STATES[job.state] || job.state;
      return job.state === 'done' || job.state === 'failed';
    };
    var tick = function () {
      fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (res) {
          return res.ok ? res.json() : null;
        })
        .then(function (job) {
          if (job && show(job)) window.location.reload();
          else setTimeout(tick, 1000);
        })
        .catch(function () {
          setTimeout(tick, 3000);
        });
    };
    var state = root.querySelector('[data-sync-state]').textContent;
    if (state !== SYNC_STATES.done && state !== SYNC_STATES.failed) setTimeout(tick, 500);
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('button.copy[data-copy]');
    if (button) copyText(button);
  });

  document.addEventListener('submit', function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute('data-confirm');
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener('change', function (event) {
    var select = event.target;
    if (select.matches && select.matches('select[data-autosubmit]') && select.form)
      select.form.submit();
  });

  document.addEventListener('DOMContentLoaded', function () {
    var buttons = document.querySelectorAll('button[data-countdown]');
    for (var i = 0; i < buttons.length; i++) countdown(buttons[i]);
    var copies = document.querySelectorAll('button.copy[data-copy]');
    for (var j = 0; j < copies.length; j++) copies[j].hidden = false;
    // A select that submits itself needs no "Show" button once this script runs.
    var manual = document.querySelectorAll('[data-noscript-only]');
    for (var k = 0; k < manual.length; k++) manual[k].hidden = true;
    var syncs = document.querySelectorAll('[data-live-sync]');
    for (var m = 0; m < syncs.length; m++) followSync(syncs[m]);
  });
})();
