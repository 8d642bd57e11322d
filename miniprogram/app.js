/**
 * The mini-program: the member channel of the e-certificate system. Pages talk to the API only
 * through utils/api.js; labels, options and shared texts come from the API's /meta.
 */
const meta = require("./utils/meta.js");

App({
  onLaunch() {
    // warm the texts and the field schema; pages await the same promise
    meta.load().catch(() => {});
  },
});
