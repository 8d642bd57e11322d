/**
 * Client-side checks of the member record form, driven by the field schema from /meta/fields:
 * required, option lists and the simple formats (the same patterns as the web page). The server
 * stays the authority: its 422 errors are shown next to the same fields. Messages are the
 * shared texts' templates.
 */
const meta = require("./meta.js");

const RE = {
  mobileCn: /^1[3-9]\d{9}$/,
  mobileIntl: /^\+[1-9]\d{6,14}$/,
  phone: /^(?:\+?\d{1,4}[- ]?)?(?:0\d{2,3}[- ]?)?\d{7,8}(?:[- ]?(?:转|-)?\d{1,6})?$/,
  email: /^[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)+$/,
  postal: /^\d{6}$/,
  qq: /^[1-9]\d{4,11}$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
};

const VALID = {
  select: (f, v) => (f.options || []).indexOf(v) >= 0,
  date: (f, v) => RE.date.test(v),
  mobile: (f, v) => RE.mobileCn.test(v) || RE.mobileIntl.test(v),
  phone: (f, v) => RE.phone.test(v),
  email: (f, v) => RE.email.test(v),
  postal_code: (f, v) => RE.postal.test(v),
  qq: (f, v) => RE.qq.test(v),
};

/** The problem with one field's value, or "". */
function problem(field, value) {
  const v = String(value == null ? "" : value).trim();
  if (!v) return field.required ? meta.t("required_field", { label: field.label }) : "";
  const ok = VALID[field.type];
  if (ok && !ok(field, v)) return meta.t("field_checks." + field.type, { label: field.label });
  return "";
}

/** {key: message} for every editable field of the form. */
function problems(fields, values) {
  const out = {};
  for (const f of fields) {
    const p = problem(f, values[f.key]);
    if (p) out[f.key] = p;
  }
  return out;
}

module.exports = { problem, problems };
