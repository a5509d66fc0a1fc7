// The pay page's wallet steps: connect an EIP-1193 wallet (window.ethereum), put it on the
// payment's network, read the terms for its address, sign the consent and the permit with
// eth_signTypedData_v4, post the signatures, then follow the payment until it runs.
// Plain JavaScript, no dependencies; served by the same binary as the page.
'use strict';

(function () {
  const root = document.getElementById('pay');
  if (!root) return;
  const d = root.dataset;
  const el = (id) => document.getElementById(id);
  const chainId = Number(d.chainId);
  const chainHex = '0x' + chainId.toString(16);
  const networkName = d.chainName + ' (chain id ' + chainId + ')';
  let account = null;
  let offer = null;
  let busy = false;

  const NO_WALLET = 'No wallet found. Install a browser wallet such as MetaMask, or open this ' +
    'page in your wallet app\u2019s browser, then press Connect wallet.';

  function say(text, kind) {
    const m = el('message');
    m.textContent = text || '';
    m.className = 'message ' + (kind || 'info');
    m.hidden = !text;
  }
  function state(text) { el('wallet-state').textContent = text; }
  function show(id, on) { const b = el(id); if (b) b.hidden = !on; }
  function step(name) {
    const order = ['connect', 'sign', 'running'];
    const at = order.indexOf(name);
    order.forEach((s, i) => {
      const li = el('step-' + s);
      li.className = i < at ? 'done' : (i === at ? 'current' : '');
      if (i === at) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
    });
  }
  function short(a) { return a.slice(0, 6) + '\u2026' + a.slice(-4); }

  // 10^18 token units as a decimal with two places.
  function units(v) {
    const n = BigInt(v);
    const whole = n / 10n ** 18n;
    const cents = (n % 10n ** 18n) / 10n ** 16n;
    return whole.toString() + '.' + cents.toString().padStart(2, '0');
  }

  function walletError(e, what) {
    if (e && e.code === 4001) {
      return 'You rejected the ' + what + ' in your wallet. Nothing was signed and nothing ' +
        'will be charged. Press the button again when you are ready.';
    }
    return 'Your wallet could not complete the ' + what + ': ' + ((e && e.message) || e) + '.';
  }

  function wrongNetwork(current) {
    return 'Wrong network: your wallet is on chain id ' + parseInt(current, 16) + ', but this ' +
      'payment is on ' + networkName + '. Switch your wallet to it, then press Connect wallet again.';
  }

  // The server's own words for its refusals, or ours for the ones a person must act on.
  function apiError(res) {
    const b = res.body || {};
    const code = b.errors && b.errors[0] && b.errors[0].code;
    if (code === 'error.pull.payment.request.expired' || res.status === 410) {
      return 'This payment request has expired. Ask the merchant for a new QR code.';
    }
    if (code === 'error.pull.payment.request.used') {
      return 'This payment request was already signed. Each QR code can be used once.';
    }
    if (code === 'error.faucet.rate.limited') {
      return 'This wallet already got test tokens recently. ' + (b.message || '');
    }
    return b.message || ('The server answered ' + res.status + '.');
  }

  // A failure no step expected: the wallet threw, or the server could not be reached.
  function unexpected(e) {
    if (e && typeof e.code === 'number') return walletError(e, 'request');
    return 'Something went wrong: ' + ((e && e.message) || e) + '. Check your connection and try again.';
  }

  async function call(method, path, body) {
    const res = await fetch(path, {
      method: method,
      headers: { 'Accept': 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let json = null;
    try { json = await res.json(); } catch (_) { json = null; }
    return { status: res.status, body: json };
  }

  function wallet() { return window.ethereum; }

  // Puts the wallet on the payment's network: switch, or add it when the wallet does not know
  // it (EIP-3326 error 4902) and this server serves its JSON-RPC.
  async function ensureNetwork() {
    const eth = wallet();
    const current = await eth.request({ method: 'eth_chainId' });
    if (parseInt(current, 16) === chainId) return true;
    try {
      await eth.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: chainHex }] });
    } catch (e) {
      if (e && e.code === 4902 && d.rpcUrl) {
        try {
          await eth.request({
            method: 'wallet_addEthereumChain',
            params: [{
              chainId: chainHex,
              chainName: d.chainName,
              rpcUrls: [d.rpcUrl],
              nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
            }],
          });
        } catch (e2) {
          say(wrongNetwork(current), 'error');
          return false;
        }
      } else {
        say(wrongNetwork(current), 'error');
        return false;
      }
    }
    const now = await eth.request({ method: 'eth_chainId' });
    if (parseInt(now, 16) !== chainId) {
      say(wrongNetwork(now), 'error');
      return false;
    }
    return true;
  }

  // The PMA balance of the connected address, through the wallet's own node.
  async function balance() {
    if (!offer) return null;
    const data = '0x70a08231' + account.slice(2).toLowerCase().padStart(64, '0');
    try {
      const v = await wallet().request({
        method: 'eth_call',
        params: [{ to: offer.terms.contracts.token, data: data }, 'latest'],
      });
      return units(v);
    } catch (_) {
      return null;
    }
  }

  async function showAccount() {
    const pma = await balance();
    state('Connected: ' + short(account) + ' on ' + networkName +
      (pma === null ? '.' : '. Balance: ' + pma + ' PMA.'));
  }

  // The terms for this address: the typed data to sign.
  async function readOffer() {
    const res = await call('GET', d.walletPath + '?customerAddress=' + encodeURIComponent(account));
    if (res.status !== 200) {
      say(apiError(res), 'error');
      return false;
    }
    offer = res.body.data;
    if (Number(offer.terms.chainId) !== chainId) {
      say('The payment\u2019s network changed; reload the page.', 'error');
      return false;
    }
    return true;
  }

  async function connect() {
    if (busy) return;
    say('');
    const eth = wallet();
    if (!eth || typeof eth.request !== 'function') {
      say(NO_WALLET, 'error');
      return;
    }
    busy = true;
    try {
      let accounts;
      try {
        accounts = await eth.request({ method: 'eth_requestAccounts' });
      } catch (e) {
        say(walletError(e, 'connection'), 'error');
        return;
      }
      account = accounts && accounts[0];
      if (!account) {
        say('Your wallet shared no account. Unlock it and press Connect wallet again.', 'error');
        return;
      }
      if (!(await ensureNetwork())) return;
      if (!(await readOffer())) return;
      await showAccount();
      el('connect').textContent = 'Reconnect wallet';
      el('connect').className = 'secondary';
      show('faucet', d.faucet === 'true');
      show('sign', true);
      step('sign');
      say(offer.permit
        ? 'Your wallet will ask for two signatures: the payment terms, then the PMA allowance.'
        : 'Your wallet will ask for one signature: the payment terms.', 'info');
    } catch (e) {
      say(unexpected(e), 'error');
    } finally {
      busy = false;
    }
  }

  async function faucet() {
    if (busy || !account) return;
    busy = true;
    say('Asking the test network\u2019s faucet\u2026', 'info');
    try {
      const res = await call('POST', '/api/v2/open-auth/faucet',
        { address: account, networkID: Number(d.networkId) });
      if (res.status !== 200) {
        say(apiError(res), 'error');
        return;
      }
      const g = res.body.data;
      say('Test tokens sent: ' + units(g.eth) + ' ETH and ' + units(g.pma) + ' PMA.', 'success');
      await showAccount();
    } catch (e) {
      say(unexpected(e), 'error');
    } finally {
      busy = false;
    }
  }

  async function signTyped(typed, what) {
    return wallet().request({
      method: 'eth_signTypedData_v4',
      params: [account, JSON.stringify(typed)],
    }).catch((e) => { throw { wallet: true, error: e, what: what }; });
  }

  async function sign() {
    if (busy || !offer) return;
    busy = true;
    say('');
    try {
      if (!(await ensureNetwork())) return;
      let consent;
      let permit = null;
      try {
        consent = await signTyped(offer.consent, 'signature of the payment terms');
        if (offer.permit) permit = await signTyped(offer.permit, 'signature of the PMA allowance');
      } catch (x) {
        say(walletError(x.error, x.what), 'error');
        return;
      }
      state('Signed. Sending the signatures\u2026');
      const res = await call('POST', d.walletPath, {
        customerAddress: account, consentSignature: consent, permitSignature: permit,
      });
      if (res.status !== 201) {
        say(apiError(res), 'error');
        return;
      }
      show('sign', false);
      show('connect', false);
      show('faucet', false);
      say('Signed and sent. The payment is being registered on ' + networkName + '.', 'info');
      follow();
    } catch (e) {
      say(unexpected(e), 'error');
    } finally {
      busy = false;
    }
  }

  const STATUS = {
    1: 'Signed; waiting to be registered on the network.',
    2: 'Running: the payment is registered on the network and will be paid as agreed.',
    3: 'Stopped by the merchant\u2019s side: no further payments will be taken.',
    4: 'Cancelled: no further payments will be taken.',
    5: 'Done: every payment was made.',
    6: 'Processing: a transaction of this payment is on its way.',
    7: 'Failed',
  };

  // Polls the request's status until its payment runs (or ends).
  async function follow() {
    let wait = 1000;
    for (;;) {
      // A lost answer is asked again at the next turn.
      const res = await call('GET', d.statusPath).catch(() => ({ status: 0 }));
      if (res.status === 200 && res.body.data.status) {
        const s = res.body.data.status;
        let text = STATUS[s] || ('Status ' + s + '.');
        if (s === 7) text += ': ' + (res.body.data.statusReason || 'the network refused it') + '.';
        state(text);
        if (s === 2 || s === 5) {
          step('running');
          el('step-running').className = 'done';
          // A page opened on a signed request keeps saying so.
          const before = d.state === 'used' ? 'This payment request was already signed. ' : '';
          say(before + (s === 2 ? 'Your payment is running.' : 'Your payment is complete.'), 'success');
          return;
        }
        if (s === 3 || s === 4 || s === 7) {
          say(text, 'error');
          return;
        }
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 1.5, 5000);
    }
  }

  function onChainChanged(hex) {
    if (!account || !offer) return;
    if (parseInt(hex, 16) !== chainId) {
      say(wrongNetwork(hex), 'error');
    } else {
      say('');
      showAccount();
    }
  }

  function onAccountsChanged(list) {
    if (!account || !offer || !list || !list[0]) return;
    if (list[0].toLowerCase() !== account.toLowerCase()) {
      // The terms name the address: read them again for the new one.
      account = list[0];
      offer = null;
      show('sign', false);
      connect();
    }
  }

  const c = el('connect');
  if (c) c.addEventListener('click', connect);
  const f = el('faucet');
  if (f) f.addEventListener('click', faucet);
  const s = el('sign');
  if (s) s.addEventListener('click', sign);
  const eth = wallet();
  if (eth && typeof eth.on === 'function') {
    eth.on('chainChanged', onChainChanged);
    eth.on('accountsChanged', onAccountsChanged);
  }
  if (d.state === 'open') step('connect');
  if (d.state === 'used') {
    step('running');
    follow();
  }
})();
