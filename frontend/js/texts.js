/**
 * The member-facing texts the web pages share with the mini-program, read from
 * `GET /meta/messages` (one table on the server) instead of being written out twice.
 *
 * Each page loads the table once at start-up (`loadTexts`), before it shows anything that uses
 * it; `t("key", {name: value})` then returns a text with its `{name}` placeholders filled.
 * An unknown key, or a table that could not be loaded, gives "" (callers fall back to the
 * API's own message or the help line).
 */

let table = {};
let loading = null;

/** Loads the table once; later calls share the first request. Resolves even when it failed. */
export function loadTexts(api) {
  if (!loading) {
    loading = api.get("/meta/messages", { auth: false })
      .then((body) => { table = (body && body.texts) || {}; return true; })
      .catch(() => { loading = null; return false; });
  }
  return loading;
}

function lookup(key) {
  return key.split(".").reduce((v, k) => (v && typeof v === "object" ? v[k] : undefined), table);
}

/** The text under `key` ("photo_status_lines.review"), its {placeholders} filled from `values`. */
export function t(key, values) {
  const v = lookup(key);
  if (typeof v !== "string") return "";
  return v.replace(/\{(\w+)\}/g, (m, k) => (values && values[k] !== undefined ? String(values[k]) : m));
}
