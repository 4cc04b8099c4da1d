/* The data-quality dashboard's script: the history chart (uPlot) and the action buttons, which call
 * the admin API with the session cookie and the page's CSRF token. Served from this API (CSP
 * script-src 'self'); no build step. */
(function () {
  'use strict';

  var STATUS_NAMES = ['healthy', 'warning', 'critical'];
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute('content') : '';
  var result = document.getElementById('action-result');

  function show(nodes, isError) {
    if (!result) return;
    result.replaceChildren();
    var box = document.createElement('div');
    box.className = isError ? 'notice error' : 'notice';
    (Array.isArray(nodes) ? nodes : [nodes]).forEach(function (node) {
      box.append(typeof node === 'string' ? document.createTextNode(node) : node);
    });
    result.append(box);
  }

  function post(url) {
    return fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrfToken, accept: 'application/json' } }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) {
          var error = new Error(body.detail || 'The request failed (' + res.status + ')');
          error.status = res.status;
          throw error;
        }
        return body;
      });
    });
  }

  function busy(button, running) {
    document.querySelectorAll('.actions button').forEach(function (b) { b.disabled = running; });
    if (running) {
      button.dataset.label = button.textContent;
      button.textContent = 'Working…';
    } else if (button.dataset.label) {
      button.textContent = button.dataset.label;
    }
  }

  function backfillTable(body) {
    var wrap = document.createElement('div');
    wrap.className = 'table-wrap';
    var table = document.createElement('table');
    table.id = 'backfill-table';
    var head = table.createTHead().insertRow();
    ['user', 'e-mail', 'signed up', 'action'].forEach(function (label) {
      var th = document.createElement('th');
      th.textContent = label;
      head.append(th);
    });
    var rows = table.createTBody();
    body.users.slice(0, 50).forEach(function (user) {
      var row = rows.insertRow();
      [user.userId, user.email || '–', user.authCreatedAt.slice(0, 16).replace('T', ' '), user.action].forEach(function (text) {
        row.insertCell().textContent = text;
      });
    });
    wrap.append(table);
    return wrap;
  }

  function describeBackfill(body) {
    var c = body.counts;
    var line = body.dryRun
      ? 'Dry run: ' + c.wouldCreate + ' ghost user(s) would get a profile. Nothing was written.'
      : 'Backfill: ' + c.created + ' profile(s) created, ' + c.alreadyPresent + ' already present, ' + c.failed + ' failed (audited).';
    var parts = [line];
    body.warnings.forEach(function (w) { parts.push(document.createElement('br'), 'Warning: ' + w); });
    if (body.users.length > 0) parts.push(backfillTable(body));
    if (body.users.length > 50 || body.truncated) parts.push('Showing the first 50.');
    return parts;
  }

  var actions = {
    run: function () {
      return post('quality/run').then(function (body) {
        sessionStorage.setItem('dashboard-notice', 'Check finished: ' + body.status + ' (' + body.checks.length + ' checks).');
        location.reload();
      });
    },
    'backfill-dry': function () {
      return post('backfill?dryRun=true').then(function (body) { show(describeBackfill(body)); });
    },
    'backfill-real': function () {
      if (!window.confirm('Create the missing profiles of every ghost user now? This is audited.')) return Promise.resolve();
      return post('backfill?dryRun=false').then(function (body) {
        show(describeBackfill(body).concat([document.createElement('br'), 'Run the check again to refresh the figures.']));
      });
    },
  };

  document.querySelectorAll('[data-action]').forEach(function (button) {
    button.addEventListener('click', function () {
      var action = actions[button.dataset.action];
      if (!action) return;
      busy(button, true);
      action()
        .catch(function (error) {
          if (error.status === 401) {
            location.href = 'dashboard/sign-in';
            return;
          }
          show(error.message, true);
        })
        .finally(function () { busy(button, false); });
    });
  });

  var notice = sessionStorage.getItem('dashboard-notice');
  if (notice) {
    sessionStorage.removeItem('dashboard-notice');
    show(notice);
  }

  // The history chart.
  var chart = document.getElementById('history-chart');
  var dataBlock = document.getElementById('history-data');
  if (!chart || !dataBlock || typeof window.uPlot !== 'function') return;
  var series = JSON.parse(dataBlock.textContent || '{}');
  if (!series.t || series.t.length === 0) {
    var empty = document.createElement('p');
    empty.className = 'muted';
    empty.textContent = 'No runs recorded in the last 30 days.';
    chart.append(empty);
    return;
  }
  var uPlot = window.uPlot;
  var width = function () { return Math.max(260, chart.clientWidth); };
  var plot = new uPlot({
    width: width(),
    height: 240,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, count: { auto: true, range: function (u, min, max) { return [0, Math.max(1, max)]; } }, status: { auto: false, range: [0, 2.2] } },
    series: [
      {},
      { label: 'ghost users', scale: 'count', stroke: '#b3261e', width: 2 },
      { label: 'orphaned profiles', scale: 'count', stroke: '#d9822b', width: 2 },
      { label: 'failing checks', scale: 'count', stroke: '#5f6b7a', width: 1.5, dash: [5, 4] },
      {
        label: 'status', scale: 'status', stroke: '#2457c5', width: 2, paths: uPlot.paths.stepped({ align: 1 }),
        value: function (u, v) { return v == null ? '–' : STATUS_NAMES[v]; },
      },
    ],
    axes: [
      {},
      { scale: 'count', size: 50 },
      { scale: 'status', side: 1, size: 70, grid: { show: false }, splits: function () { return [0, 1, 2]; }, values: function (u, splits) { return splits.map(function (v) { return STATUS_NAMES[v] || ''; }); } },
    ],
  }, [series.t, series.ghosts, series.orphans, series.failing, series.status], chart);

  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(function () { plot.setSize({ width: width(), height: 240 }); }).observe(chart);
  }
})();
