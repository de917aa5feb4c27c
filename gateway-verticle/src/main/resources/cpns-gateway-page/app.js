// The gateway's approval page. Everything shown comes from the gateway's own API; untrusted text (what a device
// says about itself) is only ever put into the page with textContent.
'use strict';
(function () {
  var csrf = null;
  var events = null;
  var state = null;
  var receivedAt = 0;

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function field(label, value, cls) {
    var p = el('p', 'field');
    p.appendChild(el('b', null, label));
    p.appendChild(el('span', cls || null, value));
    return p;
  }

  function show(text, isError) {
    var m = $('message');
    m.textContent = text;
    m.className = isError ? 'error' : '';
    m.hidden = !text;
  }

  function api(method, path, body) {
    var headers = { 'Accept': 'application/json' };
    if (method === 'POST') {
      headers['Content-Type'] = 'application/json';
      headers['X-CSRF-Token'] = csrf || '';
    }
    return fetch(path, {
      method: method, headers: headers, credentials: 'same-origin', cache: 'no-store',
      body: method === 'POST' ? JSON.stringify(body || {}) : undefined
    }).then(function (r) {
      return r.text().then(function (t) {
        var data = {};
        try { data = t ? JSON.parse(t) : {}; } catch (e) { data = {}; }
        if (!r.ok) {
          var err = new Error(data.error || ('The gateway answered ' + r.status + '.'));
          err.status = r.status;
          throw err;
        }
        return data;
      });
    }, function () {
      throw new Error('The gateway cannot be reached. Is it running?');
    });
  }

  function seconds(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    return s >= 60 ? Math.floor(s / 60) + ' min ' + (s % 60) + ' s' : s + ' s';
  }

  function outcomeText(h) {
    if (h.decision === 'EXPIRED') { return 'Nobody answered in time: the device was refused.'; }
    if (h.status === undefined) { return h.decision === 'APPROVED' ? 'Approved: asking the CPNS Server...' : 'Denied: the device was refused.'; }
    switch (h.status) {
      case 200: return 'EUKey delivered to the device.';
      case 0: return 'Dropped: ' + (h.outcome || 'no credentials configured') + '.';
      case 401: return 'The CPNS Server refused the User ID or password: check your credentials below.';
      case 403: return h.decision === 'DENIED' ? 'Denied: the device was refused.' : 'Refused: ' + (h.outcome || 'not approved') + '.';
      case 409: return 'The CPNS Server says this device already belongs to another user.';
      case 429: return 'The CPNS Server is throttling requests: the device will ask again later.';
      case 503: return 'The CPNS Server could not be reached: the device will ask again later.';
      default: return 'Failed (' + h.status + '): ' + (h.outcome || 'error') + '.';
    }
  }

  function decide(requestId, action, buttons) {
    buttons.forEach(function (b) { b.disabled = true; });
    api('POST', '/api/requests/' + encodeURIComponent(requestId) + '/' + action).then(function () {
      show(action === 'approve' ? 'Approved: the gateway is getting the key.' : 'Denied.', false);
    }, function (e) {
      buttons.forEach(function (b) { b.disabled = false; });
      show(e.message, true);
      if (e.status === 401) { loggedOut(); }
    });
  }

  function renderPending() {
    var list = $('pending');
    list.textContent = '';
    var items = state ? state.pending : [];
    $('no-pending').hidden = items.length > 0;
    items.forEach(function (r) {
      var li = el('li', 'request');
      li.setAttribute('data-entity', r.entityId);
      li.setAttribute('data-request', r.requestId);
      li.appendChild(el('div', 'entity', r.entityId));
      li.appendChild(field('Says it is:', r.description || '(nothing)'));
      li.appendChild(field('Mode:', r.proxy ? 'no screen: asks the gateway to get its key' : 'has a screen: you typed your login on it'));
      li.appendChild(field('Certificate:', r.fingerprint, 'fingerprint'));
      var cd = field('Time left:', seconds(r.expiresInMs), 'countdown');
      cd.lastChild.setAttribute('data-expires-in', r.expiresInMs);
      li.appendChild(cd);
      var actions = el('div', 'actions');
      var approve = el('button', 'approve', 'Approve');
      var deny = el('button', 'deny', 'Deny');
      approve.type = 'button';
      deny.type = 'button';
      approve.addEventListener('click', function () { decide(r.requestId, 'approve', [approve, deny]); });
      deny.addEventListener('click', function () { decide(r.requestId, 'deny', [approve, deny]); });
      actions.appendChild(approve);
      actions.appendChild(deny);
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  function renderHistory() {
    var list = $('history');
    list.textContent = '';
    var items = state ? state.history : [];
    $('no-history').hidden = items.length > 0;
    items.forEach(function (h) {
      var li = el('li', 'decided');
      li.setAttribute('data-entity', h.entityId);
      li.setAttribute('data-decision', h.decision);
      if (h.status !== undefined) { li.setAttribute('data-status', h.status); }
      var head = el('div', 'entity', h.entityId + ' ');
      head.appendChild(el('span', 'badge ' + h.decision, h.decision.toLowerCase()));
      li.appendChild(head);
      li.appendChild(field('When:', new Date(h.decidedAt).toLocaleTimeString()));
      var ok = h.status === 200;
      li.appendChild(el('p', 'outcome ' + (ok ? 'ok' : (h.status !== undefined || h.decision !== 'APPROVED' ? 'failed' : '')), outcomeText(h)));
      if (ok) {
        var remove = el('button', 'remove', 'Remove this device');
        remove.addEventListener('click', function () { release(h.entityId, remove); });
        li.appendChild(remove);
      }
      list.appendChild(li);
    });
  }

  // the owner's release: the server frees the device's EUKey, so that it can be set up again or given away
  function release(entityId, button) {
    if (!window.confirm('Remove ' + entityId + '? Its key is released at the CPNS Server; the device must ask again.')) {
      return;
    }
    if (button) { button.disabled = true; }
    api('POST', '/api/devices/' + encodeURIComponent(entityId) + '/release').then(function (r) {
      show(r.released ? entityId + ' removed: its key is released.' : 'Not removed: ' + r.reason + ' (' + r.status + ')',
        !r.released);
      if (button) { button.disabled = false; }
    }, function (e) {
      if (button) { button.disabled = false; }
      show(e.message, true);
    });
  }

  function renderCredentials() {
    var c = state.credentials;
    $('credentials-status').textContent = c.configured
      ? 'Configured for user ' + c.userId + ' (realm ' + c.realm + '). Enter new ones below to change them.'
      : 'No User ID and password are configured: devices without a screen cannot get keys until you enter them.';
    $('cred-remove').hidden = !c.configured;
    var wanted = state.credentialsWanted || [];
    $('wanted').hidden = wanted.length === 0;
    var list = $('wanted-list');
    list.textContent = '';
    wanted.forEach(function (w) { list.appendChild(el('li', null, w)); });
  }

  function render() {
    if (!state) { return; }
    $('gateway-name').textContent = state.gateway;
    renderPending();
    renderHistory();
    renderCredentials();
  }

  function tick() {
    var elapsed = performance.now() - receivedAt;
    var nodes = document.querySelectorAll('.countdown');
    for (var i = 0; i < nodes.length; i++) {
      var left = Number(nodes[i].getAttribute('data-expires-in')) - elapsed;
      nodes[i].textContent = left > 0 ? seconds(left) : 'expiring...';
    }
  }

  function connect() {
    if (events) { events.close(); }
    events = new EventSource('/api/events');
    events.addEventListener('state', function (e) {
      state = JSON.parse(e.data);
      receivedAt = performance.now();
      $('connection').hidden = true;
      render();
    });
    events.onerror = function () {
      $('connection').hidden = false;
      api('GET', '/api/session').then(function (s) {
        csrf = s.csrf;
        if (!s.authenticated) { loggedOut(); }
      }, function () { /* the browser reconnects by itself */ });
    };
  }

  var PEM_CSR = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----[\s\S]*?-----END (NEW )?CERTIFICATE REQUEST-----/g;

  function download(link, name, text) {
    if (link.href && link.href.indexOf('blob:') === 0) { URL.revokeObjectURL(link.href); }
    link.href = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
    link.download = name;
  }

  function renderEnrolment(r) {
    var list = $('enrol-results');
    list.textContent = '';
    var all = '';
    var enrolled = 0;
    r.results.forEach(function (x) {
      var li = el('li');
      if (x.enrolled) {
        enrolled++;
        all += x.certificate;
        li.appendChild(el('div', 'entity', x.entityId));
        li.appendChild(field('Certificate', x.fingerprint, 'fingerprint'));
        li.appendChild(field('From', x.source));
        var a = el('a', 'cert-download', 'Download ' + x.entityId + '-cert.pem');
        download(a, x.entityId + '-cert.pem', x.certificate);
        li.appendChild(a);
      } else {
        li.appendChild(el('div', 'entity', x.source));
        li.appendChild(field('Not enrolled', x.reason, 'outcome failed'));
      }
      list.appendChild(li);
    });
    var summary = $('enrol-summary');
    summary.textContent = enrolled + ' of ' + r.results.length + ' device(s) enrolled. The devices trust the CA ' +
      r.caFingerprint + ' (included after each certificate).';
    summary.hidden = false;
    var link = $('enrol-download-all');
    link.hidden = enrolled === 0;
    if (enrolled > 0) { download(link, 'certificates.pem', all); }
  }

  function enrol(e) {
    e.preventDefault();
    var files = Array.prototype.slice.call($('enrol-files').files);
    var pasted = $('enrol-paste').value.match(PEM_CSR) || [];
    Promise.all(files.map(function (f) {
      return f.text().then(function (t) { return { name: f.name, pem: t }; });
    })).then(function (fromFiles) {
      var csrs = fromFiles.concat(pasted.map(function (p, i) { return { name: 'pasted request ' + (i + 1), pem: p }; }));
      if (csrs.length === 0) { throw new Error('Choose CSR files or paste CSRs first.'); }
      $('enrol-button').disabled = true;
      return api('POST', '/api/devices/enroll', { csrs: csrs });
    }).then(function (r) {
      $('enrol-button').disabled = false;
      $('enrol-form').reset();
      show('', false);
      renderEnrolment(r);
    }, function (err) {
      $('enrol-button').disabled = false;
      show(err.message, true);
    });
  }

  function loggedIn() {
    $('login').hidden = true;
    $('app').hidden = false;
    $('logout').hidden = false;
    connect();
  }

  function loggedOut() {
    if (events) { events.close(); events = null; }
    $('app').hidden = true;
    $('logout').hidden = true;
    $('connection').hidden = true;
    $('login').hidden = false;
    $('secret').focus();
  }

  function start() {
    $('login-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var input = $('secret');
      api('POST', '/api/login', { secret: input.value }).then(function (r) {
        input.value = '';
        csrf = r.csrf;
        show('', false);
        loggedIn();
      }, function (err) {
        input.value = '';
        show(err.message, true);
      });
    });
    $('logout').addEventListener('click', function () {
      api('POST', '/api/logout').then(function () {
        return api('GET', '/api/session');
      }).then(function (s) { csrf = s.csrf; loggedOut(); }, function (err) { show(err.message, true); });
    });
    $('release-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var input = $('release-entity');
      release(input.value.trim(), null);
    });
    $('credentials-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var user = $('cred-user');
      var pw = $('cred-password');
      var body = { userId: user.value, password: pw.value };
      pw.value = '';
      api('POST', '/api/credentials', body).then(function (r) {
        show('Credentials of ' + r.userId + ' saved on the gateway (only a hash is kept).', false);
      }, function (err) { show(err.message, true); });
    });
    $('cred-remove').addEventListener('click', function () {
      if (!window.confirm('Remove your credentials from this gateway?')) { return; }
      api('POST', '/api/credentials/remove').then(function () {
        show('Credentials removed from the gateway.', false);
      }, function (err) { show(err.message, true); });
    });
    $('enrol-form').addEventListener('submit', enrol);
    setInterval(tick, 1000);
    api('GET', '/api/session').then(function (s) {
      csrf = s.csrf;
      $('gateway-name').textContent = s.gateway;
      if (s.authenticated) { loggedIn(); } else { loggedOut(); }
    }, function (err) { show(err.message, true); });
  }

  document.addEventListener('DOMContentLoaded', start);
}());
