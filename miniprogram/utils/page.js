/**
 * What every page shares: the shared texts in `data.t`, the support contact in `data.support`,
 * and a guard that sends signed-out visitors to the login page.
 */
const api = require("./api.js");
const meta = require("./meta.js");

/** Load /meta into the page (data.t, data.meta-derived bits); resolves to the meta object. */
function withMeta(page) {
  return meta.load().then((m) => {
    page.setData({ t: m.texts, support: m.support, metaError: "" });
    return m;
  }, (err) => {
    page.setData({ metaError: err.message, support: meta.support() });
    throw err;
  });
}

/** True when signed in; otherwise goes to the login page and returns false. */
function requireLogin() {
  if (api.signedIn()) return true;
  api.toLogin("expired");
  return false;
}

module.exports = { withMeta, requireLogin };
