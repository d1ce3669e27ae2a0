// appshelf's one page script: progressive enhancements only; every page works without it.
// Copy buttons, the "send the code again" countdown, confirmations on dangerous forms, and
// selects that submit their form on change.
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
  });
})();
