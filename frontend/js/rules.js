/**
 * The field checks, driven by the rules the server serves at GET /meta: patterns, messages,
 * the resident-ID check digit and the identity consistency check. Pure (no DOM), so the same
 * module runs in the page and under Node in the tests that keep it in step with the server.
 * The server stays the authority: its 422 errors are shown next to the same fields.
 */

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";

const compiled = new WeakMap();

function patterns(meta) {
  let out = compiled.get(meta);
  if (!out) {
    out = {};
    for (const [name, p] of Object.entries(meta.validation.patterns)) out[name] = new RegExp(p.pattern);
    compiled.set(meta, out);
  }
  return out;
}

/** A message of the schema with its {placeholders} filled. */
export function formatMessage(meta, name, vars = {}) {
  const v = meta.validation;
  const template = v.patterns[name] ? v.patterns[name].message : v.messages[name];
  return template.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export function matches(meta, name, value) { return patterns(meta)[name].test(value); }

export function todayIso(now = new Date()) {
  const p = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

function validDate(iso) {
  const d = new Date(iso + "T00:00:00Z");
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso && d.getUTCFullYear() >= 1900;
}

/** {birth: "YYYY-MM-DD", gender} from a valid resident ID, or null. */
export function parseResidentId(meta, value, today = todayIso()) {
  const v = String(value || "").toUpperCase();
  if (!matches(meta, "resident_id", v)) return null;
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(v[i]), 0);
  if (ID_CHECK[sum % 11] !== v[17]) return null;
  const birth = `${v.slice(6, 10)}-${v.slice(10, 12)}-${v.slice(12, 14)}`;
  if (!validDate(birth) || birth > today) return null;
  return { birth, gender: Number(v[16]) % 2 ? "男" : "女" };
}

/** The problem with one non-empty value of a field, or "". */
export function checkValue(meta, field, value, today = todayIso()) {
  const label = field.label;
  const controls = field.multiline ? "text_multiline" : "text_line";
  if (!matches(meta, controls, value)) return formatMessage(meta, controls, { label });
  if (value.length > field.max_length) return formatMessage(meta, "too_long", { label, max_length: field.max_length });
  if (field.type === "select") return (field.options || []).includes(value) ? "" : formatMessage(meta, "select", { label });
  if (field.type === "association") {
    return meta.associations.some((a) => a.code === value) ? "" : formatMessage(meta, "association", { label });
  }
  if (field.type === "date") {
    if (!matches(meta, "date", value)) return formatMessage(meta, "date", { label });
    if (!validDate(value)) return formatMessage(meta, "date_invalid", { label });
    return value > today ? formatMessage(meta, "date_future", { label }) : "";
  }
  const names = meta.validation.type_patterns[field.type] || [];
  if (names.length && !names.some((n) => matches(meta, n, value))) return formatMessage(meta, names[0], { label });
  return "";
}

/** Identity consistency (resident ID check digit, birth date and gender): {key: message}. */
export function identityErrors(meta, values, today = todayIso()) {
  const number = values.id_number || "";
  if (!number) return {};
  const label = meta.fields.find((f) => f.key === "id_number").label;
  if (values.id_type !== meta.resident_id_type) {
    return matches(meta, "other_id", number) ? {} : { id_number: formatMessage(meta, "other_id", { label }) };
  }
  const parsed = parseResidentId(meta, number, today);
  if (!parsed) return { id_number: formatMessage(meta, "resident_id", { label }) };
  const errors = {};
  if (values.birth_date && values.birth_date !== parsed.birth) {
    errors.birth_date = formatMessage(meta, "birth_mismatch", { value: parsed.birth });
  }
  if (values.gender && values.gender !== parsed.gender) {
    errors.gender = formatMessage(meta, "gender_mismatch", { value: parsed.gender });
  }
  return errors;
}
